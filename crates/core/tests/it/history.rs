//! Persistent history on the in-memory store: the conformance checks with history on,
//! tombstones, old and new values, history off, and merging a history transaction into a
//! context that holds edited objects.

use std::sync::Arc;

use strata_core::conformance;
use strata_core::memory_store::MemoryStore;
use strata_core::store::{ChangeKind, HistoryRequest};
use strata_core::{Context, Coordinator, Store, StoreError, Value};
use strata_model::Model;

const MODEL: &str = r#"{ "name": "History", "version": 1, "entities": [
  { "name": "Clip",
    "attributes": [
      { "name": "title", "type": "string", "preserveAfterDeletion": true },
      { "name": "score", "type": "double", "default": 1 },
      { "name": "code", "type": "string" } ] }
] }"#;

fn model() -> Arc<Model> {
    Arc::new(Model::from_json(MODEL).unwrap())
}

#[test]
fn memory_store_passes_the_history_checks() {
    conformance::run_history(&|model| Arc::new(MemoryStore::with_history(model, false)) as Arc<dyn Store>);
}

/// A coordinator on `store`.
fn coordinator(store: &Arc<MemoryStore>) -> Arc<Coordinator> {
    let coordinator = Coordinator::new(store.model().clone());
    coordinator.add_store("Default", store.clone()).unwrap();
    coordinator
}

#[test]
fn deletes_keep_a_tombstone_and_updates_old_and_new_values() {
    let store = Arc::new(MemoryStore::with_history(model(), true));
    let mut context = Context::new(coordinator(&store));
    context.set_transaction_author(Some("editor"));
    let clip = context.insert("Clip").unwrap();
    context.set(clip, "title", "first").unwrap();
    context.set(clip, "code", "ABC").unwrap();
    context.save().unwrap();
    let clip = context.permanent_id(clip).unwrap_or(clip);
    context.set(clip, "score", 4.5).unwrap();
    context.save().unwrap();
    context.delete(clip).unwrap();
    context.save().unwrap();

    let history = store.history(&HistoryRequest::all()).unwrap();
    assert_eq!(history.len(), 3);
    let update = &history[1].changes[0];
    assert_eq!((update.kind, update.updated.clone()), (ChangeKind::Update, vec!["score".to_owned()]));
    assert_eq!(update.old_values, vec![("score".to_owned(), Value::Double(1.0))]);
    assert_eq!(update.new_values, vec![("score".to_owned(), Value::Double(4.5))]);
    let delete = &history[2].changes[0];
    assert_eq!(delete.kind, ChangeKind::Delete);
    assert_eq!(
        delete.tombstone,
        vec![("title".to_owned(), Value::String("first".into()))],
        "only preserved attributes"
    );
    assert_eq!(history[2].author.as_deref(), Some("editor"));
}

#[test]
fn values_are_not_recorded_unless_asked() {
    let store = Arc::new(MemoryStore::with_history(model(), false));
    let mut context = Context::new(coordinator(&store));
    let clip = context.insert("Clip").unwrap();
    context.save().unwrap();
    let clip = context.permanent_id(clip).unwrap_or(clip);
    context.set(clip, "score", 2.0).unwrap();
    context.save().unwrap();
    let history = store.history(&HistoryRequest::all()).unwrap();
    assert_eq!(history[1].changes[0].updated, vec!["score".to_owned()]);
    assert!(history[1].changes[0].old_values.is_empty() && history[1].changes[0].new_values.is_empty());
}

#[test]
fn a_store_without_history_records_nothing() {
    let store = Arc::new(MemoryStore::new(model()));
    let mut context = Context::new(coordinator(&store));
    context.insert("Clip").unwrap();
    context.save().unwrap();
    assert!(!store.metadata().history);
    assert!(matches!(store.history(&HistoryRequest::all()), Err(StoreError::Unsupported { .. })));
    assert!(matches!(store.current_history_token(), Err(StoreError::Unsupported { .. })));
}

#[test]
fn a_history_transaction_merges_into_a_context_holding_edits() {
    let store = Arc::new(MemoryStore::with_history(model(), false));
    let mut setup = Context::new(coordinator(&store));
    let (a, b) = (setup.insert("Clip").unwrap(), setup.insert("Clip").unwrap());
    setup.set(a, "title", "a").unwrap();
    setup.set(b, "title", "b").unwrap();
    setup.save().unwrap();
    let (a, b) = (setup.permanent_id(a).unwrap_or(a), setup.permanent_id(b).unwrap_or(b));

    // The reader: another coordinator (as another process would be), with pending edits.
    let mut reader = Context::new(coordinator(&store));
    reader.set(a, "code", "XYZ").unwrap();
    assert_eq!(reader.get::<String>(b, "title").unwrap(), "b");
    let seen = store.current_history_token().unwrap();

    let mut writer = Context::new(coordinator(&store));
    writer.set(a, "title", "A").unwrap();
    writer.delete(b).unwrap();
    writer.save().unwrap();

    let transactions = store.history(&HistoryRequest::after(seen)).unwrap();
    assert_eq!(transactions.len(), 1);
    let outcome = reader.merge_changes(transactions[0].object_id_notification()).unwrap();
    assert_eq!((outcome.refreshed, outcome.forgotten), (vec![a], vec![b]));
    assert_eq!(reader.get::<String>(a, "title").unwrap(), "A", "the merged change");
    assert_eq!(reader.get::<String>(a, "code").unwrap(), "XYZ", "the pending edit survives");
    reader.save().expect("the merged row is the new base: no conflict");
}
