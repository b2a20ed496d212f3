//! Test support: the suite's model, an environment (coordinator on a counting store) and
//! a few builders.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use strata_core::store::{SaveRequest, SaveResult, StoreFetchRequest, StoreFetchResult};
use strata_core::{Context, Coordinator, Error, ObjectId, Snapshot, Store, StoreError, StoreMetadata};
use strata_model::Model;

const MODEL: &str = r#"{ "name": "ContextSuite", "version": 1, "entities": [
  { "name": "Folder",
    "attributes": [
      { "name": "name", "type": "string", "optional": false, "minLength": 1, "maxLength": 20 },
      { "name": "position", "type": "int32", "default": 0, "min": 0, "max": 100 } ],
    "relationships": [
      { "name": "clips", "destination": "Clip", "toMany": true, "inverse": "folder", "deleteRule": "cascade" },
      { "name": "parent", "destination": "Folder", "toMany": false, "inverse": "children", "deleteRule": "nullify" },
      { "name": "children", "destination": "Folder", "toMany": true, "inverse": "parent", "deleteRule": "cascade" },
      { "name": "owner", "destination": "Owner", "toMany": false, "inverse": "folders", "deleteRule": "nullify" } ] },
  { "name": "Clip",
    "attributes": [
      { "name": "title", "type": "string", "optional": false },
      { "name": "score", "type": "double", "default": 1, "min": 0, "max": 10 },
      { "name": "pinned", "type": "bool", "default": false },
      { "name": "visits", "type": "int16", "default": 0 },
      { "name": "created", "type": "date" },
      { "name": "code", "type": "string", "regex": "[A-Z]{3}" },
      { "name": "uuid", "type": "uuid" } ],
    "relationships": [
      { "name": "folder", "destination": "Folder", "toMany": false, "inverse": "clips", "deleteRule": "nullify" },
      { "name": "tags", "destination": "Tag", "toMany": true, "inverse": "clips", "deleteRule": "nullify", "maxCount": 3 },
      { "name": "note", "destination": "Note", "toMany": false, "inverse": "clip", "deleteRule": "cascade" } ],
    "uniquenessConstraints": [["uuid"]] },
  { "name": "Tag",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [
      { "name": "clips", "destination": "Clip", "toMany": true, "inverse": "tags", "deleteRule": "nullify" } ],
    "uniquenessConstraints": [["name"]] },
  { "name": "Note",
    "attributes": [ { "name": "text", "type": "string" } ],
    "relationships": [
      { "name": "clip", "destination": "Clip", "toMany": false, "inverse": "note", "deleteRule": "nullify" } ] },
  { "name": "Owner",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [
      { "name": "folders", "destination": "Folder", "toMany": true, "inverse": "owner", "deleteRule": "deny" } ] },
  { "name": "Playlist",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [
      { "name": "items", "destination": "Clip", "toMany": true, "minCount": 1, "deleteRule": "nullify" },
      { "name": "pick", "destination": "Clip", "toMany": false, "optional": false, "deleteRule": "noAction" } ] },
  { "name": "Node",
    "attributes": [ { "name": "label", "type": "string" } ],
    "relationships": [
      { "name": "next", "destination": "Node", "toMany": false, "inverse": "prev", "deleteRule": "cascade" },
      { "name": "prev", "destination": "Node", "toMany": false, "inverse": "next", "deleteRule": "cascade" } ] },
  { "name": "Shape", "abstract": true,
    "attributes": [ { "name": "name", "type": "string" } ] },
  { "name": "Circle", "parent": "Shape",
    "attributes": [ { "name": "radius", "type": "double" } ] },
  { "name": "Square", "parent": "Shape",
    "attributes": [ { "name": "side", "type": "double" } ] }
] }"#;

/// The suite's model: every relationship kind and delete rule, validation rules of every
/// kind, uniqueness constraints, and an abstract entity with two sub-entities.
pub fn model() -> Arc<Model> {
    Arc::new(Model::from_json(MODEL).unwrap_or_else(|e| panic!("the suite model is valid: {e}")))
}

/// Store calls, by method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Calls {
    pub fetch: usize,
    pub snapshots: usize,
    pub related: usize,
    pub save: usize,
}

/// A store that counts the calls it forwards and keeps the last save request.
pub struct CountingStore {
    inner: Arc<dyn Store>,
    fetch: AtomicUsize,
    snapshots: AtomicUsize,
    related: AtomicUsize,
    save: AtomicUsize,
    last_save: Mutex<Option<SaveRequest>>,
}

impl CountingStore {
    pub fn new(inner: Arc<dyn Store>) -> Arc<CountingStore> {
        Arc::new(CountingStore {
            inner,
            fetch: AtomicUsize::new(0),
            snapshots: AtomicUsize::new(0),
            related: AtomicUsize::new(0),
            save: AtomicUsize::new(0),
            last_save: Mutex::new(None),
        })
    }

    pub fn calls(&self) -> Calls {
        Calls {
            fetch: self.fetch.load(Ordering::SeqCst),
            snapshots: self.snapshots.load(Ordering::SeqCst),
            related: self.related.load(Ordering::SeqCst),
            save: self.save.load(Ordering::SeqCst),
        }
    }

    pub fn last_save(&self) -> Option<SaveRequest> {
        self.last_save.lock().unwrap().clone()
    }
}

impl Store for CountingStore {
    fn metadata(&self) -> StoreMetadata {
        self.inner.metadata()
    }

    fn model(&self) -> &Arc<Model> {
        self.inner.model()
    }

    fn set_user_metadata(&self, user: serde_json::Map<String, serde_json::Value>) -> Result<(), StoreError> {
        self.inner.set_user_metadata(user)
    }

    fn fetch(&self, request: &StoreFetchRequest) -> Result<StoreFetchResult, StoreError> {
        self.fetch.fetch_add(1, Ordering::SeqCst);
        self.inner.fetch(request)
    }

    fn snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>, StoreError> {
        self.snapshots.fetch_add(1, Ordering::SeqCst);
        self.inner.snapshots(ids)
    }

    fn related(&self, sources: &[ObjectId], relationship: usize) -> Result<Vec<Vec<ObjectId>>, StoreError> {
        self.related.fetch_add(1, Ordering::SeqCst);
        self.inner.related(sources, relationship)
    }

    fn open_generation(&self) -> Result<strata_core::store::GenerationHandle, StoreError> {
        self.inner.open_generation()
    }

    fn save(&self, request: &SaveRequest) -> Result<SaveResult, StoreError> {
        self.save.fetch_add(1, Ordering::SeqCst);
        *self.last_save.lock().unwrap() = Some(request.clone());
        self.inner.save(request)
    }
}

/// A coordinator over one counting store of the suite's model.
pub struct Env {
    pub model: Arc<Model>,
    pub store: Arc<CountingStore>,
    pub coordinator: Arc<Coordinator>,
}

impl Env {
    pub fn new() -> Env {
        let model = model();
        let store = CountingStore::new(crate::context_store::new_store(model.clone()));
        let coordinator = Coordinator::new(model.clone());
        coordinator.add_store("Default", store.clone()).expect("the store fits the model");
        Env { model, store, coordinator }
    }

    pub fn context(&self) -> Context {
        Context::new(self.coordinator.clone())
    }

    pub fn calls(&self) -> Calls {
        self.store.calls()
    }

    /// The calls made by `f`.
    pub fn count<T>(&self, f: impl FnOnce() -> T) -> (T, Calls) {
        let before = self.calls();
        let out = f();
        let after = self.calls();
        let calls = Calls {
            fetch: after.fetch - before.fetch,
            snapshots: after.snapshots - before.snapshots,
            related: after.related - before.related,
            save: after.save - before.save,
        };
        (out, calls)
    }
}

/// Inserts a clip titled `title` with `score`.
pub fn clip(context: &mut Context, title: &str, score: f64) -> ObjectId {
    let id = context.insert("Clip").unwrap();
    context.set(id, "title", title).unwrap();
    context.set(id, "score", score).unwrap();
    id
}

/// Inserts a folder named `name`.
pub fn folder(context: &mut Context, name: &str) -> ObjectId {
    let id = context.insert("Folder").unwrap();
    context.set(id, "name", name).unwrap();
    id
}

/// Saves and maps each temporary ID of `ids` to its permanent ID.
pub fn save_all(context: &mut Context, ids: &[ObjectId]) -> Vec<ObjectId> {
    let outcome = context.save().unwrap_or_else(|e| panic!("save: {e}"));
    ids.iter().map(|id| outcome.permanent_id(*id).or(context.permanent_id(*id)).unwrap_or(*id)).collect()
}

/// The string value of `name` of `id`.
pub fn text(context: &mut Context, id: ObjectId, name: &str) -> Option<String> {
    context.get::<Option<String>>(id, name).unwrap()
}

/// Sorted IDs, for comparing sets.
pub fn sorted(mut ids: Vec<ObjectId>) -> Vec<ObjectId> {
    ids.sort();
    ids
}

/// The context error inside an error, or a panic naming what came instead.
pub fn context_error(error: Error) -> strata_core::ContextError {
    match error {
        Error::Context(e) => e,
        other => panic!("expected a context error, got {other:?}"),
    }
}
