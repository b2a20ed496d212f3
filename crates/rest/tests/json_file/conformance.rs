//! The JSON-file store against the store conformance suite, one file per store.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use strata_core::{Store, conformance};
use strata_rest::JsonFileStore;

#[test]
fn json_file_store_conforms() {
    let dir = tempfile::tempdir().expect("temp dir");
    let n = AtomicUsize::new(0);
    conformance::run_all(&|model| {
        let path = dir.path().join(format!("store-{}.json", n.fetch_add(1, Ordering::Relaxed)));
        Arc::new(JsonFileStore::create(&path, model).expect("create a store")) as Arc<dyn Store>
    });
}

/// The suite again, with every store reopened from its file right after creation, so the
/// checks also run on data that went through the file rather than the creating instance.
#[test]
fn reopened_json_file_store_conforms() {
    let dir = tempfile::tempdir().expect("temp dir");
    let n = AtomicUsize::new(0);
    conformance::run_all(&|model| {
        let path = dir.path().join(format!("store-{}.json", n.fetch_add(1, Ordering::Relaxed)));
        drop(JsonFileStore::create(&path, model.clone()).expect("create a store"));
        Arc::new(JsonFileStore::open(&path, model).expect("reopen the store")) as Arc<dyn Store>
    });
}
