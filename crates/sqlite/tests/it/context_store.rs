//! Runs strata-core's context suite (`crates/core/tests/it/context`) on SQLite files: the
//! suite asks `crate::context_store::new_store` for each store, and this one is a real file
//! in its own temporary directory, removed when the store is dropped.

use std::sync::Arc;

use strata_core::Store;
use strata_core::store::{
    SaveRequest, SaveResult, StoreError, StoreFetchRequest, StoreFetchResult, StoreMetadata,
};
use strata_core::{ObjectId, Snapshot};
use strata_model::Model;
use strata_sqlite::{SqliteOptions, SqliteStore};

/// A SQLite store that owns the temporary directory holding its file.
struct TempSqlite {
    store: SqliteStore,
    _dir: tempfile::TempDir,
}

/// A new, empty SQLite store for `model`, in a fresh temporary directory.
pub fn new_store(model: Arc<Model>) -> Arc<dyn Store> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::create(dir.path().join("context.sqlite"), model, SqliteOptions::default())
        .expect("a new store");
    Arc::new(TempSqlite { store, _dir: dir })
}

impl Store for TempSqlite {
    fn metadata(&self) -> StoreMetadata {
        self.store.metadata()
    }

    fn model(&self) -> &Arc<Model> {
        self.store.model()
    }

    fn set_user_metadata(&self, user: serde_json::Map<String, serde_json::Value>) -> Result<(), StoreError> {
        self.store.set_user_metadata(user)
    }

    fn fetch(&self, request: &StoreFetchRequest) -> Result<StoreFetchResult, StoreError> {
        self.store.fetch(request)
    }

    fn snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>, StoreError> {
        self.store.snapshots(ids)
    }

    fn related(&self, sources: &[ObjectId], relationship: usize) -> Result<Vec<Vec<ObjectId>>, StoreError> {
        self.store.related(sources, relationship)
    }

    fn save(&self, request: &SaveRequest) -> Result<SaveResult, StoreError> {
        self.store.save(request)
    }

    fn open_generation(&self) -> Result<strata_core::store::GenerationHandle, StoreError> {
        self.store.open_generation()
    }
}
