//! [`SqliteStore`] and its [`Store`] implementation: the dispatch from the contract's
//! methods to the reader pool (fetch, snapshots, related) and the writer (save, metadata).
//!
//! Reads always go to a reader inside one read transaction and writes always to the writer
//! inside one `IMMEDIATE` transaction: no method here reads on the writer outside a save or
//! writes anywhere else, so reads never wait for a save and never see half of one. Query
//! generations (`generation.rs`) read on a dedicated reader of their own.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use strata_core::store::{GenerationHandle, SaveRequest, SaveResult, StoreFetchRequest, StoreFetchResult};
use strata_core::{ObjectId, Snapshot, Store, StoreError, StoreId, StoreMetadata};
use strata_model::Model;

use crate::connection::{Readers, Writer};
use crate::error::{DbResult, corrupt, misfit};
use crate::generation::SqliteGeneration;
use crate::layout::{EntityLayout, Layout};
use crate::metadata::{USER_KEY, write_value};

/// A persistent store in one SQLite file (plus SQLite's `-wal` and `-shm` files beside it).
///
/// The file holds one table per entity hierarchy, join tables for many-to-many
/// relationships, indexes and unique indexes as the model asks (the layout of
/// `strata_predicate::sql::DefaultSchema`), and Strata's own tables: `Z_METADATA` (store
/// UUID, type, model hash, the model itself, history flag, user metadata, layout version)
/// and `Z_PRIMARYKEY` (the last primary key handed out per hierarchy, so keys are never
/// reused); a store created with history adds `Z_HISTORY_TRANSACTION` and
/// `Z_HISTORY_CHANGE`, written in each save's own transaction. Files are created readable
/// and writable by their owner only (0600).
///
/// One writer connection serializes saves inside the process; a pool of reader connections
/// serves fetches and look-ups without ever waiting for a save (WAL). Other processes may
/// open the same file at the same time: saves wait for each other's write lock inside the
/// store (up to [`SqliteOptions::busy_timeout`](crate::SqliteOptions::busy_timeout)), and
/// every read sees a consistent, committed state.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use strata_core::Store;
/// use strata_sqlite::{SqliteOptions, SqliteStore};
/// # let dir = tempfile::tempdir()?;
/// let model = Arc::new(strata_model::Model::from_json(r#"{"name": "Notes", "version": 1,
///     "entities": [{"name": "Note", "attributes": [{"name": "text", "type": "string"}]}]}"#)?);
/// let path = dir.path().join("notes.sqlite");
/// let store = SqliteStore::create(&path, model.clone(), SqliteOptions::default())?;
/// let uuid = store.metadata().uuid;
/// drop(store);
/// let store = SqliteStore::open(&path, model, SqliteOptions::default())?;
/// assert_eq!((store.metadata().uuid, store.metadata().store_type.as_str()), (uuid, "SQLite"));
/// # Ok(()) }
/// ```
pub struct SqliteStore {
    pub(crate) shared: Arc<Shared>,
    pub(crate) metadata: RwLock<StoreMetadata>,
    pub(crate) writer: Writer,
    pub(crate) readers: Readers,
    pub(crate) notifier: crate::notify::Notifier,
}

/// What every operation reads and nothing changes after opening.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The model the store was opened with.
    pub model: Arc<Model>,
    /// Tables and slots.
    pub layout: Layout,
    /// The store's interned ID.
    pub store_id: StoreId,
    /// The database file.
    pub path: PathBuf,
    /// Whether the store records persistent history (from its metadata).
    pub history: bool,
    /// Whether history records old and new values (`SqliteOptions::history_values`).
    pub history_values: bool,
}

impl Shared {
    /// A [`StoreError::Corrupt`] about stored data.
    pub(crate) fn corrupt(&self, reason: String) -> StoreError {
        corrupt(&self.path, reason)
    }

    /// A refusal of a request that does not fit the model (see `error::misfit`).
    pub(crate) fn misfit(&self, reason: String) -> StoreError {
        misfit(&self.path, reason)
    }

    /// The layout of `id`'s entity, if `id` is a permanent ID of this store; otherwise
    /// [`StoreError::ForeignObject`] (another store, or temporary) or
    /// [`StoreError::MissingObject`] (an entity this model does not have).
    pub(crate) fn own(&self, id: ObjectId) -> Result<&EntityLayout, StoreError> {
        if id.is_temporary() || id.store() != Some(self.store_id) {
            return Err(StoreError::ForeignObject { id });
        }
        self.layout.entity(id.entity()).ok_or(StoreError::MissingObject { id })
    }
}

impl SqliteStore {
    /// The database file.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// How many SQL statements this store has run for reads (fetches, fault-filling and
    /// to-many look-ups) since it opened, each read transaction's `BEGIN` and `ROLLBACK`
    /// included, as SQLite's statement trace counts them. A diagnostic, for tests that
    /// assert a constant number of statements (no N+1 queries); saves are not counted.
    pub fn statement_count(&self) -> u64 {
        self.readers.statement_count()
    }

    /// Whether [`Store::execute_batch`] runs `request` as one SQL statement (a batch update
    /// whose predicate compiles fully to SQL, touching no uniqueness constraint, on a store
    /// that records no old values) rather than through a fetch and a save. Both give the same
    /// result; this says which one is taken, for tools and tests. Errors as `execute_batch`
    /// would for a value that does not fit.
    pub fn runs_batch_directly(
        &self,
        request: &strata_core::store::BatchRequest,
    ) -> Result<bool, StoreError> {
        Ok(self.shared.plan_direct_update(request)?.is_some())
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.shared.path)
            .field("store_id", &self.shared.store_id)
            .finish()
    }
}

impl Store for SqliteStore {
    fn metadata(&self) -> StoreMetadata {
        self.metadata.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn model(&self) -> &Arc<Model> {
        &self.shared.model
    }

    fn set_user_metadata(&self, user: serde_json::Map<String, serde_json::Value>) -> Result<(), StoreError> {
        let text = serde_json::Value::Object(user.clone()).to_string();
        self.writer.write(|conn| write_value(conn, USER_KEY, &text).db())?;
        self.metadata.write().unwrap_or_else(|e| e.into_inner()).user = user;
        Ok(())
    }

    fn fetch(&self, request: &StoreFetchRequest) -> Result<StoreFetchResult, StoreError> {
        let plan = self.shared.plan_fetch(request)?;
        self.readers.read(|conn| self.shared.run_fetch(conn, &plan, request))
    }

    fn snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.readers.read(|conn| self.shared.load_snapshots(conn, ids))
    }

    fn related(&self, sources: &[ObjectId], relationship: usize) -> Result<Vec<Vec<ObjectId>>, StoreError> {
        if sources.is_empty() {
            return Ok(Vec::new());
        }
        self.readers.read(|conn| self.shared.load_related(conn, sources, relationship))
    }

    /// Wakes on every other instance's commit, in any process (see the `notify` module:
    /// inotify on the `-notify` sidecar, a one-second fallback check for foreign writers).
    fn subscribe_remote_changes(
        &self,
        handler: strata_core::store::RemoteChangeHandler,
    ) -> Result<strata_core::store::RemoteChangeSubscription, StoreError> {
        let metadata = self.metadata();
        let watched = crate::notify::Watched { uuid: metadata.uuid, history: metadata.history };
        self.notifier.subscribe(watched, handler)
    }

    /// Reads on a reader, one transaction at a time (see `history.rs`).
    fn history(
        &self,
        request: &strata_core::store::HistoryRequest,
    ) -> Result<Vec<strata_core::store::HistoryTransaction>, StoreError> {
        self.readers.read(|conn| self.shared.read_history(conn, request))
    }

    fn delete_history(
        &self,
        request: &strata_core::store::HistoryDeleteRequest,
    ) -> Result<usize, StoreError> {
        self.writer.write(|conn| self.shared.delete_history(conn, request))
    }

    fn current_history_token(&self) -> Result<strata_core::store::HistoryToken, StoreError> {
        self.readers.read(|conn| self.shared.current_history_token(conn))
    }

    /// A dedicated reader connection holding a read transaction open from now until the
    /// handle drops (WAL gives it the snapshot of its first read). While it is open, the
    /// WAL cannot be checkpointed past that snapshot and so keeps growing with every save:
    /// hold generations for a unit of work, not for the life of the process.
    fn open_generation(&self) -> Result<GenerationHandle, StoreError> {
        let conn = self.readers.open_snapshot()?;
        Ok(GenerationHandle::new(SqliteGeneration::new(self.shared.clone(), conn)))
    }

    fn save(&self, request: &SaveRequest) -> Result<SaveResult, StoreError> {
        if request.is_empty() {
            return Ok(SaveResult::default());
        }
        let plan = self.shared.plan_save(request)?;
        self.writer
            .write(|conn| self.shared.run_save(conn, request, &plan))
            .inspect(|_| self.notifier.announce())
    }

    /// Updates run as one `UPDATE … RETURNING` statement where that is exactly equivalent
    /// (see the `batch` module); everything else is carried out through [`Store::save`] by
    /// [`strata_core::store::execute_batch_with_saves`] (one snapshot fetch, one save
    /// transaction), so history, announcements and uniqueness checks are the save's.
    fn execute_batch(
        &self,
        request: &strata_core::store::BatchRequest,
        options: &strata_core::store::BatchOptions,
    ) -> Result<strata_core::store::BatchResult, StoreError> {
        use strata_core::store::BatchResult;
        if let Some(update) = self.shared.plan_direct_update(request)? {
            let result = self.writer.write(|conn| self.shared.run_direct_update(conn, &update, options))?;
            if !matches!(&result, BatchResult::Count(0))
                && !matches!(&result, BatchResult::ObjectIds(ids) if ids.is_empty())
            {
                self.notifier.announce();
            }
            return Ok(result);
        }
        strata_core::store::execute_batch_with_saves(self, request, options)
    }
}
