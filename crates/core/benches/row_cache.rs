//! Micro-benchmarks of the coordinator's row cache ([`RowCache`]), which every fault and
//! every fetched row goes through: a hit, a miss, an insert of a new row, an insert of a row
//! already cached at the same version (every re-fetch), and inserts into a full cache where
//! each one evicts an unreferenced row. Rows are clips-like snapshots of seven values.
//!
//! `cargo bench -p strata-core --bench row_cache` (add `-- --quick` for a short run).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use strata_core::row_cache::RowCache;
use strata_core::{ObjectId, Snapshot, StoreId};
use strata_model::{Date, EntityIndex, Uuid, Value};

/// Rows in the cache for hits and misses, and per timed batch of inserts.
const ROWS: i64 = 10_000;

fn store() -> StoreId {
    StoreId::from_uuid(Uuid::from_u128(0x5eed_0000_0000_4000_8000_0000_0000_0001))
}

fn id(store: StoreId, key: i64) -> ObjectId {
    // Keys start at 1, so every key here is a valid permanent key.
    ObjectId::permanent(store, EntityIndex(0), key).unwrap_or_else(|| panic!("key {key} is not positive"))
}

fn snapshot(store: StoreId, key: i64, version: u64) -> Arc<Snapshot> {
    let values = vec![
        Value::String(format!("Clip {key:05}: notes on topic {}", key % 97)),
        Value::String(format!("https://example.com/clips/{key}")),
        Value::Date(Date::from_unix_micros(1_704_067_200_000_000 + key * 60_000_000)),
        Value::Double((key % 40) as f64 / 4.0),
        Value::Int64(key % 1000),
        Value::Bool(key % 3 == 0),
        Value::Uuid(Uuid::from_u128(key as u128)),
    ];
    Arc::new(Snapshot::new(id(store, key), version, values, Vec::new()))
}

/// A cache of `capacity` holding rows `1..=rows`, none referenced outside it.
fn filled(capacity: usize, rows: i64) -> RowCache {
    let (cache, store) = (RowCache::new(capacity), store());
    for key in 1..=rows {
        cache.insert(snapshot(store, key, 1));
    }
    cache
}

fn lookups(c: &mut Criterion) {
    let store = store();
    let cache = filled(2 * ROWS as usize, ROWS);
    assert_eq!(cache.len(), ROWS as usize, "every row cached");
    let mut group = c.benchmark_group("row_cache");
    let mut key = 0;
    group.bench_function("hit", |b| {
        b.iter(|| {
            key = key % ROWS + 1;
            cache.get(black_box(id(store, key)))
        })
    });
    group.bench_function("miss", |b| {
        b.iter(|| {
            key = key % ROWS + 1;
            cache.get(black_box(id(store, ROWS + key)))
        })
    });
    group.finish();
}

fn inserts(c: &mut Criterion) {
    let store = store();
    let fresh = || (1..=ROWS).map(|key| snapshot(store, key, 1)).collect::<Vec<_>>();
    let mut group = c.benchmark_group("row_cache");
    group.throughput(Throughput::Elements(ROWS as u64));
    // Room for every row: no eviction. The cache is returned so its drop is not timed.
    group.bench_function("insert_new", |b| {
        b.iter_batched(
            || (RowCache::new(2 * ROWS as usize), fresh()),
            |(cache, rows)| {
                for row in rows {
                    cache.insert(row);
                }
                cache
            },
            BatchSize::LargeInput,
        )
    });
    // The same rows again at the same version, as a re-fetch brings them: the cache keeps
    // its own `Arc`, so the time includes dropping each duplicate, as a re-fetch pays.
    group.bench_function("insert_same_version", |b| {
        b.iter_batched(
            || (filled(2 * ROWS as usize, ROWS), fresh()),
            |(cache, rows)| {
                for row in rows {
                    cache.insert(row);
                }
                cache
            },
            BatchSize::LargeInput,
        )
    });
    // A full cache of unreferenced rows: each insert of a new row evicts (and frees) an old
    // one.
    group.bench_function("insert_evicting", |b| {
        b.iter_batched(
            || {
                let cache = filled(ROWS as usize, ROWS);
                let rows = (ROWS + 1..=2 * ROWS).map(|key| snapshot(store, key, 1)).collect::<Vec<_>>();
                (cache, rows)
            },
            |(cache, rows)| {
                for row in rows {
                    cache.insert(row);
                }
                cache
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
    // The eviction case must evict, or it times the no-eviction case twice.
    let cache = filled(ROWS as usize, 2 * ROWS);
    assert!(cache.len() <= ROWS as usize + ROWS as usize / 4 + 1, "a full cache evicts: {}", cache.len());
}

criterion_group!(benches, lookups, inserts);
criterion_main!(benches);
