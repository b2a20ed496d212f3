//! The SQLite store against the store conformance suite, on real files.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use strata_core::{Store, conformance};
use strata_sqlite::{SqliteOptions, SqliteStore};

#[test]
fn sqlite_store_conforms() {
    let dir = tempfile::tempdir().expect("temp dir");
    let n = AtomicUsize::new(0);
    conformance::run_all(&|model| {
        let path = dir.path().join(format!("store-{}.sqlite", n.fetch_add(1, Ordering::Relaxed)));
        let store = SqliteStore::create(&path, model, SqliteOptions::default()).expect("create a store");
        Arc::new(store) as Arc<dyn Store>
    });
}
