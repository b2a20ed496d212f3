//! Micro-benchmarks of snapshot decoding: SQLite rows turned into `Arc<Snapshot>`s, which
//! every fetch and fault does. The decoder itself (`Shared::decode_row`) is crate-internal,
//! so it is timed through the smallest public paths that run it: `Store::fetch` returning
//! snapshots (one table scan) and `Store::snapshots` (rows by key, one `rarray` statement).
//! Both include running the SQL; `raw_step` runs the same scan with rusqlite and touches
//! every column without decoding, so decoding's own share is the difference.
//!
//! `cargo bench -p strata-sqlite --bench decode` (add `-- --quick` for a short run).

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rusqlite::{Connection, OpenFlags};
use strata_core::store::{InsertedRow, SaveRequest, StoreFetchRequest, StoreFetchResult, StoreResultType};
use strata_core::{ObjectId, Store};
use strata_model::{Date, EntityIndex, Model, Uuid, Value};
use strata_sqlite::{SqliteOptions, SqliteStore};

/// The bench's clips entity (`strata bench`'s model).
const MODEL: &str = r#"{ "name": "Bench", "version": 1, "entities": [
  { "name": "Clip", "attributes": [
    { "name": "title", "type": "string" }, { "name": "url", "type": "string" },
    { "name": "created", "type": "date", "indexed": true }, { "name": "score", "type": "double" },
    { "name": "visits", "type": "int64" }, { "name": "pinned", "type": "bool" },
    { "name": "uuid", "type": "uuid" } ] } ] }"#;

/// Rows in the store; every scan decodes all of them.
const ROWS: usize = 10_000;

/// Rows read by key per `Store::snapshots` call.
const BY_KEY: usize = 1_000;

fn values(i: usize) -> Vec<Value> {
    vec![
        Value::String(format!("Clip {i:05}: notes on topic {}", i % 97)),
        Value::String(format!("https://example.com/clips/{i}")),
        Value::Date(Date::from_unix_micros(1_704_067_200_000_000 + i as i64 * 60_000_000)),
        Value::Double((i % 40) as f64 / 4.0),
        Value::Int64((i % 1000) as i64),
        Value::Bool(i.is_multiple_of(3)),
        Value::Uuid(Uuid::from_u128(i as u128)),
    ]
}

fn scan(clip: EntityIndex) -> StoreFetchRequest {
    StoreFetchRequest {
        entity: clip,
        include_subentities: true,
        predicate: None,
        sort: Vec::new(),
        offset: 0,
        limit: None,
        result: StoreResultType::Snapshots,
    }
}

fn snapshot_count(result: Result<StoreFetchResult, strata_core::StoreError>) -> usize {
    match result {
        Ok(StoreFetchResult::Snapshots(rows)) => rows.len(),
        other => panic!("a snapshot fetch answered {other:?}"),
    }
}

/// A store at `path` holding `ROWS` clips, and the IDs of the first `BY_KEY`.
fn filled(path: &Path) -> (SqliteStore, EntityIndex, Vec<ObjectId>) {
    let model = Arc::new(Model::from_json(MODEL).unwrap_or_else(|e| panic!("the bench model: {e}")));
    let clip = model.entity("Clip").map(|e| e.index()).unwrap_or_else(|| panic!("no Clip entity"));
    let store = SqliteStore::create(path, model, SqliteOptions::default())
        .unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    let inserted = (0..ROWS)
        .map(|i| InsertedRow { id: ObjectId::new_temporary(clip), values: values(i), to_one: Vec::new() })
        .collect();
    let saved = store
        .save(&SaveRequest { inserted, ..Default::default() })
        .unwrap_or_else(|e| panic!("fill the store: {e}"));
    let ids = saved.permanent_ids.iter().take(BY_KEY).map(|&(_, id)| id).collect();
    (store, clip, ids)
}

fn decode(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary directory: {e}"));
    let path = dir.path().join("decode.sqlite");
    let (store, clip, ids) = filled(&path);
    let request = scan(clip);
    assert_eq!(snapshot_count(store.fetch(&request)), ROWS, "the scan decodes every row");
    let by_key = store.snapshots(&ids).unwrap_or_else(|e| panic!("snapshots: {e}"));
    assert!(by_key.len() == BY_KEY && by_key.iter().all(Option::is_some), "every key decodes");

    let raw = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut select = raw
        .prepare(r#"SELECT "Z_PK", "Z_ENT", "Z_OPT", "title", "url", "created", "score", "visits", "pinned", "uuid" FROM "Clip""#)
        .unwrap_or_else(|e| panic!("the raw select: {e}"));

    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("store_fetch_snapshots", |b| {
        b.iter(|| snapshot_count(store.fetch(black_box(&request))))
    });
    group.bench_function("raw_step", |b| {
        b.iter(|| {
            let mut rows = select.query([]).unwrap_or_else(|e| panic!("the raw select: {e}"));
            let mut touched = 0usize;
            while let Ok(Some(row)) = rows.next() {
                for column in 0..10 {
                    touched += usize::from(row.get_ref(column).is_ok());
                }
            }
            touched
        })
    });
    group.throughput(Throughput::Elements(BY_KEY as u64));
    group.bench_function("store_snapshots_by_key", |b| {
        b.iter(|| store.snapshots(black_box(&ids)).map(|s| s.len()))
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
