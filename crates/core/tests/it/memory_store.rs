//! The memory store against the store conformance suite.

use std::sync::Arc;

use strata_core::memory_store::MemoryStore;
use strata_core::{Store, conformance};

#[test]
fn memory_store_conforms() {
    conformance::run_all(&|model| Arc::new(MemoryStore::new(model)) as Arc<dyn Store>);
}

#[test]
fn features_of_later_issues_answer_unsupported() {
    use strata_core::StoreError;
    use strata_core::store::{BatchOptions, BatchRequest, HistoryRequest};

    let model = conformance::conformance_model();
    let store = MemoryStore::new(model.clone());
    let note = model.entity("Note").expect("Note").index();
    let delete = BatchRequest::Delete { entity: note, include_subentities: true, predicate: None };
    let unsupported = |r: Result<(), StoreError>| match r {
        Err(StoreError::Unsupported { store_type, operation }) => {
            assert_eq!(store_type, "Memory");
            operation
        }
        other => panic!("expected Unsupported, got {other:?}"),
    };
    // Batch requests are supported (without history: the history calls below still answer
    // Unsupported).
    assert!(store.execute_batch(&delete, &BatchOptions::default()).is_ok(), "memory stores run batches");
    assert_eq!(unsupported(store.history(&HistoryRequest::default()).map(drop)), "persistent history");
    assert_eq!(unsupported(store.current_history_token().map(drop)), "persistent history");
    let handler = std::sync::Arc::new(|_| {});
    assert_eq!(unsupported(store.subscribe_remote_changes(handler).map(drop)), "remote-change notifications");
}
