//! Query generations: a read view of a store frozen at the moment it was opened (Core Data's
//! `NSQueryGenerationToken`).
//!
//! A store that supports them answers [`Store::open_generation`](super::Store::open_generation)
//! with a [`GenerationHandle`]; every read made through the handle (fetch, snapshots,
//! to-many look-ups) sees the store exactly as it was when the handle was opened, whatever
//! is saved since, until the handle and its clones drop. Saves are not made through a
//! generation: they always go to the store's current state, and optimistic locking reports
//! the rows that changed since the generation was opened as conflicts, as for any read.
//!
//! The contract adds one method to [`Store`](super::Store) and nothing else: the reads
//! live on the handle (a [`GenerationReader`] the store implements), so existing stores and
//! callers are unchanged and a store without generations just keeps the default
//! `Unsupported` answer.
//!
//! A generation holds resources for as long as it lives (a read transaction for SQLite,
//! which keeps the WAL from being checkpointed past it; an immutable copy of the data for
//! the memory store, which keeps superseded rows alive): pin for a unit of work, not
//! forever. Nothing here calls back into a coordinator or a context.

use std::sync::Arc;

use super::{StoreError, StoreFetchRequest, StoreFetchResult};
use crate::{ObjectId, Snapshot};

/// The reads of a store at one generation. Each method follows the rules of the
/// [`Store`](super::Store) method of the same name, answering from the state the
/// generation was opened on.
pub trait GenerationReader: Send + Sync + 'static {
    /// [`Store::fetch`](super::Store::fetch) at this generation.
    fn fetch(&self, request: &StoreFetchRequest) -> Result<StoreFetchResult, StoreError>;

    /// [`Store::snapshots`](super::Store::snapshots) at this generation.
    fn snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>, StoreError>;

    /// [`Store::related`](super::Store::related) at this generation.
    fn related(&self, sources: &[ObjectId], relationship: usize) -> Result<Vec<Vec<ObjectId>>, StoreError>;
}

/// An open query generation of one store: cheap to clone (clones share the view), released
/// when the last clone drops.
#[derive(Clone)]
pub struct GenerationHandle {
    reader: Arc<dyn GenerationReader>,
}

impl GenerationHandle {
    /// Wraps a store's view (for store implementations).
    pub fn new(reader: impl GenerationReader) -> GenerationHandle {
        GenerationHandle { reader: Arc::new(reader) }
    }

    /// Runs a fetch at this generation.
    pub fn fetch(&self, request: &StoreFetchRequest) -> Result<StoreFetchResult, StoreError> {
        self.reader.fetch(request)
    }

    /// Snapshots at this generation (see [`Store::snapshots`](super::Store::snapshots)).
    pub fn snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>, StoreError> {
        self.reader.snapshots(ids)
    }

    /// To-many destinations at this generation (see [`Store::related`](super::Store::related)).
    pub fn related(
        &self,
        sources: &[ObjectId],
        relationship: usize,
    ) -> Result<Vec<Vec<ObjectId>>, StoreError> {
        self.reader.related(sources, relationship)
    }

    /// Whether two handles are clones of one generation.
    pub fn same_generation(&self, other: &GenerationHandle) -> bool {
        Arc::ptr_eq(&self.reader, &other.reader)
    }
}

impl std::fmt::Debug for GenerationHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenerationHandle").field("holders", &Arc::strong_count(&self.reader)).finish()
    }
}
