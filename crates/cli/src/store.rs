//! Opening a store file the way every store command does: the SQLite store with the model
//! recorded in it (no model file needed), behind a coordinator, as an application would.
//!
//! Nothing here creates a file: a missing path or a file that is not a Strata store is an
//! error naming the path (`StoreError::NotAStore`), and the file is left as it was.

use std::path::Path;
use std::sync::Arc;

use strata::core::{Context, Coordinator};
use strata::model::Model;
use strata::sqlite::{SqliteOptions, SqliteStore};
use strata::{ObjectId, Store};

/// The configuration name the CLI adds its one store under.
pub const CONFIGURATION: &str = "Default";

/// A store opened for a command.
pub struct OpenStore {
    /// The store (also added to `coordinator`).
    pub store: Arc<dyn Store>,
    /// A coordinator holding only this store.
    pub coordinator: Arc<Coordinator>,
}

impl OpenStore {
    /// Opens the existing store at `path` with the model recorded in it.
    pub fn open(path: &Path) -> anyhow::Result<OpenStore> {
        let sqlite = SqliteStore::open_existing(path, SqliteOptions::default())?;
        let store: Arc<dyn Store> = Arc::new(sqlite);
        let coordinator = Coordinator::new(store.model().clone());
        coordinator.add_store(CONFIGURATION, store.clone())?;
        Ok(OpenStore { store, coordinator })
    }

    /// The store's model.
    pub fn model(&self) -> &Arc<Model> {
        self.coordinator.model()
    }

    /// A new context on the store.
    pub fn context(&self) -> Context {
        Context::new(self.coordinator.clone())
    }

    /// The URI of `id`.
    pub fn uri(&self, id: ObjectId) -> String {
        id.uri(self.model())
    }
}
