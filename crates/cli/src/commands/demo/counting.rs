//! A store that forwards to another and counts the calls it receives, so the tour can show
//! what reaches the SQLite file (one call for a batch of faults, none for a cached row).
//! It is an ordinary implementation of the public `Store` trait: anything an application
//! could write.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use strata::core::store::{SaveRequest, SaveResult, StoreFetchRequest, StoreFetchResult};
use strata::core::{Snapshot, StoreError, StoreMetadata};
use strata::model::Model;
use strata::{ObjectId, Store};

/// Store calls by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Calls {
    /// `fetch` calls.
    pub fetch: usize,
    /// `snapshots` calls (faults filled, rows re-read).
    pub snapshots: usize,
    /// `related` calls (to-many lists).
    pub related: usize,
    /// `save` calls.
    pub save: usize,
}

/// Forwards every call to `inner`, counting it.
pub struct CountingStore {
    inner: Arc<dyn Store>,
    fetch: AtomicUsize,
    snapshots: AtomicUsize,
    related: AtomicUsize,
    save: AtomicUsize,
}

impl CountingStore {
    /// A counting wrapper around `inner`.
    pub fn new(inner: Arc<dyn Store>) -> CountingStore {
        CountingStore {
            inner,
            fetch: AtomicUsize::new(0),
            snapshots: AtomicUsize::new(0),
            related: AtomicUsize::new(0),
            save: AtomicUsize::new(0),
        }
    }

    /// The calls so far.
    pub fn calls(&self) -> Calls {
        Calls {
            fetch: self.fetch.load(Ordering::Relaxed),
            snapshots: self.snapshots.load(Ordering::Relaxed),
            related: self.related.load(Ordering::Relaxed),
            save: self.save.load(Ordering::Relaxed),
        }
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
        self.fetch.fetch_add(1, Ordering::Relaxed);
        self.inner.fetch(request)
    }

    fn snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>, StoreError> {
        self.snapshots.fetch_add(1, Ordering::Relaxed);
        self.inner.snapshots(ids)
    }

    fn related(&self, sources: &[ObjectId], relationship: usize) -> Result<Vec<Vec<ObjectId>>, StoreError> {
        self.related.fetch_add(1, Ordering::Relaxed);
        self.inner.related(sources, relationship)
    }

    fn save(&self, request: &SaveRequest) -> Result<SaveResult, StoreError> {
        self.save.fetch_add(1, Ordering::Relaxed);
        self.inner.save(request)
    }
}
