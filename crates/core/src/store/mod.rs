//! The store contract: the one trait every backend implements — SQLite, in-memory,
//! PostgreSQL, a JSON file, a REST API — and a third party's too.
//!
//! This is Core Data's `NSIncrementalStore` done the Rust way. A coordinator owns stores
//! behind `Arc<dyn Store>` and sends them plain requests ([`StoreFetchRequest`],
//! [`SaveRequest`]); stores answer with IDs and shared [`Snapshot`]s. Stores never see a
//! context or an object: only IDs, values and checked predicates. Built-in stores use
//! nothing that is not in this module.
//!
//! # Rules every store follows
//!
//! 1. **Thread safety.** A store is `Send + Sync`; any method may be called from any thread,
//!    concurrently. Reads must not wait for a write in progress longer than the backend's
//!    own locking requires, and must never observe half of a save.
//! 2. **Atomic saves.** [`Store::save`] stores everything in the request or nothing; after
//!    an error the stored data is exactly as before.
//! 3. **Optimistic locking.** Each row has a version, 1 when inserted, incremented by every
//!    save that updates it. A save whose [`UpdatedRow::expected_version`] or
//!    [`DeletedRow::expected_version`] differs from the stored version (or names a row that
//!    is gone) fails with [`StoreError::Conflict`] listing *every* conflicting object with
//!    its current snapshot, and stores nothing.
//! 4. **Identity.** A store has a UUID, created with it and persisted with its data; it
//!    assigns permanent IDs (positive keys, never reused for another object of the same
//!    hierarchy while the store exists) to inserted objects during the save.
//! 5. **Faithful predicates.** A fetch returns exactly the objects for which the request's
//!    predicate holds under the semantics of `docs/predicates.md`: a store may compile it
//!    (e.g. [`strata_predicate::sql`]) and evaluate what it cannot compile in memory, but
//!    never approximate.
//! 6. **Errors, not panics.** Bad requests (unknown IDs, IDs of other stores, values that do
//!    not fit) are errors; nothing in a request can make a store panic or corrupt its data.

mod batch;
mod batch_apply;
pub mod dictionary;
mod error;
mod generation;
mod history;
mod request;

use std::sync::Arc;

use strata_model::{Model, ModelHash, Uuid};

pub use batch::{BatchOptions, BatchProgress, BatchRequest, BatchResult};
pub use batch_apply::{check_batch_value, execute_batch_with_saves};
pub use dictionary::{ColumnValue, RowColumn, RowsRequest, StoreKeyPath};
pub use error::{StoreError, VersionConflict};
pub use generation::{GenerationHandle, GenerationReader};
pub use history::{
    ChangeKind, HistoryChange, HistoryDeleteRequest, HistoryRequest, HistoryToken, HistoryTransaction,
    RemoteChange, RemoteChangeHandler, RemoteChangeSubscription,
};
pub use request::{
    DeletedRow, InsertedRow, SaveInfo, SaveRequest, SaveResult, StoreFetchRequest, StoreFetchResult,
    StoreResultType, ToManyChange, UpdatedRow,
};

use crate::{ObjectId, Snapshot, StoreId};

/// What a store says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreMetadata {
    /// The store's UUID, created with the store and never changed.
    pub uuid: Uuid,
    /// The store's type (`"SQLite"`, `"Memory"`, …), for messages and tools.
    pub store_type: String,
    /// The hash of the model the store was created with.
    pub model_hash: ModelHash,
    /// Whether the store records persistent history.
    pub history: bool,
    /// Application-defined metadata (a JSON object), stored with the data.
    pub user: serde_json::Map<String, serde_json::Value>,
}

impl StoreMetadata {
    /// The interned ID of this store, as found in its objects' IDs.
    pub fn store_id(&self) -> StoreId {
        StoreId::from_uuid(self.uuid)
    }
}

/// A persistent store. See the [module docs](self) for the rules every method follows.
pub trait Store: Send + Sync + 'static {
    /// The store's metadata. Cheap: stores keep it in memory.
    fn metadata(&self) -> StoreMetadata;

    /// The model the store was opened with (whose hash equals the stored one).
    fn model(&self) -> &Arc<Model>;

    /// Replaces the application-defined metadata, atomically.
    fn set_user_metadata(&self, user: serde_json::Map<String, serde_json::Value>) -> Result<(), StoreError>;

    /// Runs a fetch. The predicate and sort descriptors have been checked against the
    /// request's entity by the caller; the store must honour them exactly (rule 5), apply
    /// `offset` and `limit` after sorting, and break ties by primary key ascending so that
    /// results are deterministic. Snapshot results carry each row's current version.
    /// [`StoreResultType::Rows`] requests follow the rules of [`dictionary`] (the in-memory
    /// [`dictionary::group_rows`] and [`dictionary::finish_rows`] implement them).
    fn fetch(&self, request: &StoreFetchRequest) -> Result<StoreFetchResult, StoreError>;

    /// Snapshots of the given objects, for filling faults: one entry per ID, in order;
    /// `None` where the object does not exist (deleted, or never saved). IDs of another store
    /// are an error. Implementations should answer a whole batch with a constant number of
    /// backend round trips.
    fn snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>, StoreError>;

    /// The destinations of the to-many relationship at `relationship` (an index into the
    /// source entity's relationships) for each source, in primary-key order; one list per
    /// source, in order; an empty list for a missing source. Batched like
    /// [`Store::snapshots`].
    fn related(&self, sources: &[ObjectId], relationship: usize) -> Result<Vec<Vec<ObjectId>>, StoreError>;

    /// Stores one save atomically (rules 2–4), assigning permanent IDs to inserted objects.
    /// Relationship destinations may be temporary IDs of objects inserted by the same save.
    /// Fails with [`StoreError::Conflict`], [`StoreError::Uniqueness`],
    /// [`StoreError::MissingObject`] or a backend error, storing nothing.
    fn save(&self, request: &SaveRequest) -> Result<SaveResult, StoreError>;

    /// Applies a batch change directly in the store, atomically, without contexts. The
    /// default answers [`StoreError::Unsupported`]; a store that implements it must record
    /// the change in its history like any save ([`execute_batch_with_saves`] does it all
    /// through [`Store::save`]).
    fn execute_batch(
        &self,
        request: &BatchRequest,
        options: &BatchOptions,
    ) -> Result<BatchResult, StoreError> {
        let _ = (request, options);
        Err(self.unsupported("batch requests"))
    }

    /// The transactions of the store's persistent history that `request` selects, oldest
    /// first. The default answers [`StoreError::Unsupported`].
    fn history(&self, request: &HistoryRequest) -> Result<Vec<HistoryTransaction>, StoreError> {
        let _ = request;
        Err(self.unsupported("persistent history"))
    }

    /// Deletes the transactions `request` selects from the store's persistent history and
    /// returns how many were deleted; readers asking after an older token then get
    /// [`StoreError::HistoryExpired`]. The default answers [`StoreError::Unsupported`].
    fn delete_history(&self, request: &HistoryDeleteRequest) -> Result<usize, StoreError> {
        let _ = request;
        Err(self.unsupported("persistent history"))
    }

    /// The token of the store's latest transaction. The default answers
    /// [`StoreError::Unsupported`].
    fn current_history_token(&self) -> Result<HistoryToken, StoreError> {
        Err(self.unsupported("persistent history"))
    }

    /// Calls `handler` after every change committed to the store by any process or
    /// coordinator other than this one, until the returned subscription is dropped; changes
    /// may be coalesced, but the latest token always arrives. The default answers
    /// [`StoreError::Unsupported`].
    fn subscribe_remote_changes(
        &self,
        handler: RemoteChangeHandler,
    ) -> Result<RemoteChangeSubscription, StoreError> {
        let _ = handler;
        Err(self.unsupported("remote-change notifications"))
    }

    /// Opens a [query generation](GenerationHandle): a read view frozen at the store's current
    /// state, which reads through the handle see until it drops, whatever is saved since.
    /// The default answers [`StoreError::Unsupported`]. A store that wraps another (to
    /// count calls, say) must forward this method, or its users silently lose generations.
    fn open_generation(&self) -> Result<GenerationHandle, StoreError> {
        Err(self.unsupported("query generations"))
    }

    /// The [`StoreError::Unsupported`] error for `operation`, naming this store's type.
    fn unsupported(&self, operation: &'static str) -> StoreError {
        StoreError::Unsupported { store_type: self.metadata().store_type, operation }
    }
}
