//! Fetching at scale on SQLite: prefetching costs the same number of SQL statements for 10
//! and 1,000 clips, and a batched fetch of many rows (1,000,000 with `--ignored`) keeps peak
//! memory growth under 64 MiB.

use std::sync::Arc;
use std::time::Instant;

use strata_core::store::{InsertedRow, SaveRequest};
use strata_core::{Context, Coordinator, FetchRequest, ObjectId, Store};
use strata_model::{Model, Value};
use strata_sqlite::{SqliteOptions, SqliteStore};

const CLIPS: &str = r#"{ "name": "Clips", "version": 1, "entities": [
  { "name": "Folder",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [ { "name": "clips", "destination": "Clip", "toMany": true, "inverse": "folder" } ] },
  { "name": "Clip",
    "attributes": [ { "name": "title", "type": "string" }, { "name": "score", "type": "double" } ],
    "relationships": [
      { "name": "folder", "destination": "Folder", "toMany": false, "inverse": "clips" },
      { "name": "tags", "destination": "Tag", "toMany": true, "inverse": "clips" } ] },
  { "name": "Tag",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [ { "name": "clips", "destination": "Clip", "toMany": true, "inverse": "tags" } ] }
] }"#;

fn store(dir: &tempfile::TempDir) -> Arc<SqliteStore> {
    let model = Arc::new(Model::from_json(CLIPS).expect("model"));
    Arc::new(
        SqliteStore::create(dir.path().join("clips.sqlite"), model, SqliteOptions::default()).expect("store"),
    )
}

fn context(store: &Arc<SqliteStore>) -> Context {
    let coordinator = Coordinator::new(store.model().clone());
    coordinator.add_store("Default", store.clone()).expect("add store");
    Context::new(coordinator)
}

/// The SQL statements a fetch of every clip with folder and tags prefetched runs, and checks
/// that walking them afterwards runs none.
fn prefetch_statements(n: usize) -> u64 {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store(&dir);
    let mut ctx = context(&store);
    let folders: Vec<ObjectId> = (0..5)
        .map(|i| {
            let f = ctx.insert("Folder").unwrap();
            ctx.set(f, "name", format!("f{i}")).unwrap();
            f
        })
        .collect();
    let tags: Vec<ObjectId> = (0..4)
        .map(|i| {
            let t = ctx.insert("Tag").unwrap();
            ctx.set(t, "name", format!("t{i}")).unwrap();
            t
        })
        .collect();
    for i in 0..n {
        let c = ctx.insert("Clip").unwrap();
        ctx.set(c, "title", format!("c{i}")).unwrap();
        ctx.set_to_one(c, "folder", Some(folders[i % 5])).unwrap();
        ctx.add_to_many(c, "tags", tags[i % 4]).unwrap();
        ctx.add_to_many(c, "tags", tags[(i + 1) % 4]).unwrap();
    }
    ctx.save().unwrap();
    // A new coordinator: an empty row cache, so every row is read from the file.
    let mut ctx = context(&store);
    let before = store.statement_count();
    let clips = ctx.fetch(&FetchRequest::new("Clip").prefetch(["folder", "tags"])).unwrap().ids();
    let statements = store.statement_count() - before;
    assert_eq!(clips.len(), n);
    let before = store.statement_count();
    for c in clips {
        let f = ctx.to_one(c, "folder").unwrap().unwrap();
        assert!(ctx.get::<String>(f, "name").unwrap().starts_with('f'));
        for t in ctx.to_many(c, "tags").unwrap() {
            assert!(ctx.get::<String>(t, "name").unwrap().starts_with('t'));
        }
    }
    assert_eq!(store.statement_count(), before, "walking prefetched relationships runs no statement");
    statements
}

#[test]
fn prefetching_1000_clips_runs_as_many_statements_as_10() {
    let small = prefetch_statements(10);
    let large = prefetch_statements(1_000);
    assert_eq!(small, large, "the statement count does not depend on the number of clips");
    // Four reads (clips, folders, tag lists, tags), each BEGIN, one SELECT, ROLLBACK.
    assert_eq!(large, 12);
}

/// A field of `/proc/self/status` in KiB (`VmRSS`, `VmHWM`).
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Inserts `n` clips straight through the store, in saves of 50,000.
fn fill(store: &SqliteStore, n: usize) {
    let clip = store.model().entity("Clip").expect("Clip").index();
    let mut done = 0;
    while done < n {
        let count = (n - done).min(50_000);
        let inserted = (done..done + count)
            .map(|i| InsertedRow {
                id: ObjectId::new_temporary(clip),
                values: vec![Value::from(format!("clip number {i}")), Value::Double((i % 100) as f64)],
                to_one: vec![None, None],
            })
            .collect();
        store.save(&SaveRequest { inserted, ..Default::default() }).expect("save");
        done += count;
    }
}

/// Iterates a batched fetch of `STRATA_BATCHED_ROWS` clips (default 1,000,000) in batches of
/// 1,000 and checks peak RSS growth stays under 64 MiB. Run alone, in release, for a clean
/// figure: `cargo test --release -p strata-sqlite --test it batched_fetch_memory -- --ignored --nocapture`
/// (or the `batched_fetch` example).
#[test]
#[ignore = "fills a 1,000,000-row store: run with --ignored, alone, preferably in release"]
fn batched_fetch_memory_stays_flat() {
    let rows: usize =
        std::env::var("STRATA_BATCHED_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store(&dir);
    fill(&store, rows);
    let mut ctx = context(&store);
    // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_kib("VmRSS").expect("VmRSS");
    let start = Instant::now();
    let mut cursor = ctx.fetch_batched(&FetchRequest::new("Clip").batch_size(1_000)).unwrap();
    let (mut seen, mut total) = (0usize, 0.0);
    while let Some(batch) = cursor.next_batch().unwrap() {
        for id in batch {
            total += cursor.context().get::<f64>(id, "score").unwrap();
            seen += 1;
        }
    }
    drop(cursor);
    let elapsed = start.elapsed();
    let peak = status_kib("VmHWM").expect("VmHWM");
    let growth_mib = peak.saturating_sub(before) as f64 / 1024.0;
    println!(
        "{seen} rows in {elapsed:.2?}: RSS {before} KiB before, peak {peak} KiB, growth {growth_mib:.1} MiB"
    );
    assert_eq!(seen, rows);
    assert_eq!(total, (0..rows).map(|i| (i % 100) as f64).sum::<f64>());
    assert!(growth_mib < 64.0, "peak RSS grew by {growth_mib:.1} MiB");
}
