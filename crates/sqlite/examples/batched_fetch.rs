//! Bench: a batched fetch of many rows from a SQLite store, iterated to the end, with the
//! peak memory growth it cost (Linux: `/proc/self/status`).
//!
//! ```text
//! cargo run --release -p strata-sqlite --example batched_fetch -- [rows] [batch]
//! ```
//!
//! Defaults: 1,000,000 rows in batches of 1,000. The store is filled first (straight through
//! the store contract, 50,000 rows per save); then the peak-RSS mark is reset and the fetch
//! runs through a context's `fetch_batched` cursor, reading one attribute of every object.

use std::error::Error;
use std::sync::Arc;
use std::time::Instant;

use strata_core::store::{InsertedRow, SaveRequest};
use strata_core::{Context, Coordinator, FetchRequest, ObjectId, Store};
use strata_model::{Model, Value};
use strata_sqlite::{SqliteOptions, SqliteStore};

const MODEL: &str = r#"{ "name": "Bench", "version": 1, "entities": [
  { "name": "Clip",
    "attributes": [ { "name": "title", "type": "string" }, { "name": "score", "type": "double" } ] }
] }"#;

/// A field of `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1_000_000);
    let batch: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1_000);
    let dir = tempfile::tempdir()?;
    let model = Arc::new(Model::from_json(MODEL)?);
    let store = Arc::new(SqliteStore::create(
        dir.path().join("bench.sqlite"),
        model.clone(),
        SqliteOptions::default(),
    )?);
    let clip = model.entity("Clip").ok_or("no Clip entity")?.index();
    let fill = Instant::now();
    let mut done = 0;
    while done < rows {
        let count = (rows - done).min(50_000);
        let inserted = (done..done + count)
            .map(|i| InsertedRow {
                id: ObjectId::new_temporary(clip),
                values: vec![Value::from(format!("clip number {i}")), Value::Double((i % 100) as f64)],
                to_one: Vec::new(),
            })
            .collect();
        store.save(&SaveRequest { inserted, ..Default::default() })?;
        done += count;
    }
    println!("filled {rows} rows in {:.2?}", fill.elapsed());

    let coordinator = Coordinator::new(model);
    coordinator.add_store("Default", store.clone())?;
    let mut context = Context::new(coordinator);
    // Writing 5 to clear_refs resets VmHWM to the current RSS.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = status_kib("VmRSS").ok_or("no /proc/self/status")?;
    let start = Instant::now();
    let statements = store.statement_count();
    let mut cursor = context.fetch_batched(&FetchRequest::new("Clip").batch_size(batch))?;
    let (mut seen, mut total, mut most) = (0usize, 0.0, 0usize);
    while let Some(ids) = cursor.next_batch()? {
        for id in ids {
            total += cursor.context().get::<f64>(id, "score")?;
            seen += 1;
        }
        most = most.max(cursor.context().registered_count());
    }
    drop(cursor);
    let elapsed = start.elapsed();
    let peak = status_kib("VmHWM").ok_or("no VmHWM")?;
    let growth = peak.saturating_sub(before) as f64 / 1024.0;
    println!(
        "iterated {seen} rows (score total {total}) in {elapsed:.2?} with batches of {batch}: \
         {} SQL statements, at most {most} objects registered",
        store.statement_count() - statements
    );
    println!(
        "RSS before {before} KiB, peak {peak} KiB: growth {growth:.1} MiB{}",
        if reset { "" } else { " (peak not reset: includes the fill)" }
    );
    if growth >= 64.0 {
        return Err(format!("peak RSS growth {growth:.1} MiB is not under 64 MiB").into());
    }
    Ok(())
}
