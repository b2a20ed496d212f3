//! [`QueryGeneration`]: a read view of every store of a coordinator, frozen when it was
//! opened, and the coordinator's reads at a generation.
//!
//! Reads at a generation go to the stores' [`GenerationHandle`]s, batched per store like
//! the coordinator's other reads, and never read or fill the row cache: the cache holds the
//! newest rows, a generation may be behind them. Nothing here writes.

use std::sync::Arc;
use std::time::Instant;

use super::{Batches, Coordinator, CoordinatorError};
use crate::store::{GenerationHandle, StoreFetchRequest, StoreFetchResult};
use crate::{ObjectId, Result, Snapshot, StoreId};

/// A query generation of a coordinator: one [`GenerationHandle`] per store, opened
/// together. Cheap to clone; the stores' views are released when the last clone drops.
#[derive(Clone, Debug)]
pub struct QueryGeneration {
    stores: Arc<[(StoreId, GenerationHandle)]>,
    opened_at: Instant,
}

impl QueryGeneration {
    /// When the generation was opened.
    pub fn opened_at(&self) -> Instant {
        self.opened_at
    }

    /// The stores the generation has a view of.
    pub fn stores(&self) -> Vec<StoreId> {
        self.stores.iter().map(|(id, _)| *id).collect()
    }

    /// The view of store `id`.
    pub fn handle(&self, id: StoreId) -> Result<&GenerationHandle, CoordinatorError> {
        self.stores
            .iter()
            .find(|(store, _)| *store == id)
            .map(|(_, handle)| handle)
            .ok_or(CoordinatorError::StoreNotInGeneration { store: id.uuid() })
    }

    /// Whether two values are clones of one generation.
    pub fn same_generation(&self, other: &QueryGeneration) -> bool {
        Arc::ptr_eq(&self.stores, &other.stores)
    }
}

impl Coordinator {
    /// Opens a [`QueryGeneration`]: a read view of each store as it is now. Stores are
    /// asked one after the other, so with several stores the views are each consistent but
    /// not taken at one instant across stores (saves across stores are not atomic either).
    /// Errors with [`StoreError::Unsupported`](crate::StoreError::Unsupported) if a store
    /// has no query generations.
    pub fn open_generation(&self) -> Result<QueryGeneration> {
        let (registered, _) = self.registered();
        let mut stores = Vec::with_capacity(registered.len());
        for r in registered {
            stores.push((r.id, r.store.open_generation()?));
        }
        Ok(QueryGeneration { stores: stores.into(), opened_at: Instant::now() })
    }

    /// [`Coordinator::fetch`] at `generation`; snapshot results do not enter the row cache.
    pub fn fetch_at(
        &self,
        request: &StoreFetchRequest,
        generation: &QueryGeneration,
    ) -> Result<StoreFetchResult> {
        let store = self.route(request.entity)?;
        Ok(generation.handle(store)?.fetch(request)?)
    }

    /// [`Coordinator::snapshots`] at `generation`: every row is read from the generation's
    /// views (one call per store), never from or into the row cache.
    pub fn snapshots_at(
        &self,
        ids: &[ObjectId],
        generation: &QueryGeneration,
    ) -> Result<Vec<Option<Arc<Snapshot>>>> {
        let mut out = vec![None; ids.len()];
        let mut batches = Batches::default();
        for (i, &id) in ids.iter().enumerate() {
            if !id.is_temporary() {
                batches.add(self, id, i)?;
            }
        }
        for batch in batches.0 {
            let found = generation.handle(batch.id)?.snapshots(&batch.ids)?;
            for (snapshot, position) in found.into_iter().zip(batch.positions) {
                out[position] = snapshot;
            }
        }
        Ok(out)
    }

    /// [`Coordinator::related`] at `generation`.
    pub fn related_at(
        &self,
        sources: &[ObjectId],
        relationship: usize,
        generation: &QueryGeneration,
    ) -> Result<Vec<Vec<ObjectId>>> {
        self.related_by(sources, |batch| {
            Ok(generation.handle(batch.id)?.related(&batch.ids, relationship)?)
        })
    }
}
