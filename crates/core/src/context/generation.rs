//! Query generations of a context (Core Data's `setQueryGenerationFrom(.current)`):
//! [`Context::pin_query_generation`], [`Context::advance_query_generation`],
//! [`Context::unpin_query_generation`], and the store reads every other part of the context
//! goes through (`store_snapshots`, `store_related`, `store_fetch`, `store_refresh`), which
//! read at the pinned generation when there is one.
//!
//! A pinned context reads every row, to-many list and fetch result from the stores'
//! generation views, never from the coordinator's row cache (whose rows may be newer), so
//! faults and fetches stay consistent with one another while other contexts, coordinators
//! or processes save. Its saves go to the stores' current state as usual (optimistic
//! locking reports what changed since it read as conflicts), and a successful save
//! advances the generation to include it, as Core Data does (a save that reached only some
//! of several stores, `CoordinatorError::PartialSave`, leaves the generation as it was).
//!
//! Not at the generation (documented limits): merges (`merge_changes`, `merge_remote`)
//! and the conflict handling of saves read the current rows, since they are about the
//! current state; [`Context::existing_object`] may answer from the row cache; grouped rows
//! ([`Context::fetch_rows`]), batched and asynchronous fetches read the current state.
//!
//! This module only calls the coordinator's public reads; it never holds a lock.

use std::sync::Arc;

use super::Context;
use super::error::ContextError;
use crate::coordinator::QueryGeneration;
use crate::store::{StoreFetchRequest, StoreFetchResult};
use crate::{ObjectId, Result, Snapshot};

impl Context {
    /// Pins the context to the stores' state of this moment: from now on faults, to-many
    /// look-ups and fetches read that state, whatever is saved since, until
    /// [`Context::advance_query_generation`] or [`Context::unpin_query_generation`].
    /// Objects already loaded are re-read at the new generation (one batched read per
    /// store; pending edits kept, as a merge keeps them) and loaded to-many lists reload on
    /// next access, so everything the context shows belongs to one state.
    ///
    /// Errors with [`StoreError::Unsupported`](crate::StoreError::Unsupported) if a store
    /// has no query generations, and with [`ContextError::GenerationOfChild`] for a child
    /// context. A pinned generation holds store resources (for SQLite, a read transaction
    /// that keeps the WAL from being checkpointed past it): advance or unpin when the unit
    /// of work is done.
    pub fn pin_query_generation(&mut self) -> Result<()> {
        if self.parent().is_some() {
            return Err(ContextError::GenerationOfChild.into());
        }
        let generation = self.coordinator.open_generation()?;
        self.generation = Some(generation);
        self.reload_loaded_objects()
    }

    /// Moves a pinned context to the stores' current state (and pins an unpinned one):
    /// the same as [`Context::pin_query_generation`].
    pub fn advance_query_generation(&mut self) -> Result<()> {
        self.pin_query_generation()
    }

    /// Unpins the context: it reads the current state again (through the row cache).
    /// Loaded objects are re-read from their stores in one batched read per store, pending
    /// edits kept. Does nothing on an unpinned context.
    pub fn unpin_query_generation(&mut self) -> Result<()> {
        if self.generation.take().is_none() {
            return Ok(());
        }
        self.reload_loaded_objects()
    }

    /// The pinned query generation, if any.
    pub fn query_generation(&self) -> Option<&QueryGeneration> {
        self.generation.as_ref()
    }

    /// Whether the context is pinned to a query generation.
    pub fn is_pinned(&self) -> bool {
        self.generation.is_some()
    }

    /// After a successful save of a pinned context: a new generation that includes the
    /// save, so the context's next fetches find what it saved. Loaded objects are not
    /// re-read (the saved ones already hold their new rows). If the stores refuse a new
    /// generation now, the context is unpinned: the current state is the one that includes
    /// the save.
    pub(crate) fn advance_after_save(&mut self) {
        if self.generation.is_some() {
            self.generation = self.coordinator.open_generation().ok();
        }
    }

    /// Re-reads every loaded stored object at the context's read source and drops loaded
    /// to-many lists, keeping pending edits.
    fn reload_loaded_objects(&mut self) -> Result<()> {
        let ids: Vec<ObjectId> = self
            .objects
            .iter()
            .filter(|(_, state)| !state.inserted && state.snapshot.is_some())
            .map(|(id, _)| *id)
            .collect();
        let rows = if ids.is_empty() { Vec::new() } else { self.store_refresh(&ids)? };
        for state in self.objects.values_mut().filter(|s| !s.inserted) {
            state.to_many.values_mut().for_each(|t| t.stored = None);
        }
        // A generation may be older than a row the context loaded before (saved by it
        // since): merging only ever takes newer versions, so no edit is based on a row
        // older than the one it was made on.
        self.merge_rows(&[], ids.into_iter().zip(rows));
        Ok(())
    }

    /// Rows of `ids` from the stores: at the pinned generation, or through the row cache.
    pub(crate) fn store_snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>> {
        match &self.generation {
            Some(generation) => self.coordinator.snapshots_at(ids, generation),
            None => self.coordinator.snapshots(ids),
        }
    }

    /// Rows of `ids` read from the stores, never from the row cache: at the pinned
    /// generation, or the current rows.
    pub(crate) fn store_refresh(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>> {
        if self.parent().is_some() {
            // A child refreshes from its parent's current state (`parent.rs`).
            return self.source_snapshots(ids);
        }
        match &self.generation {
            Some(generation) => self.coordinator.snapshots_at(ids, generation),
            None => self.coordinator.refresh_snapshots(ids),
        }
    }

    /// To-many destinations from the stores, at the pinned generation if any.
    pub(crate) fn store_related(&self, sources: &[ObjectId], index: usize) -> Result<Vec<Vec<ObjectId>>> {
        match &self.generation {
            Some(generation) => self.coordinator.related_at(sources, index, generation),
            None => self.coordinator.related(sources, index),
        }
    }

    /// A store fetch, at the pinned generation if any.
    pub(crate) fn store_fetch(&self, request: &StoreFetchRequest) -> Result<StoreFetchResult> {
        match &self.generation {
            Some(generation) => self.coordinator.fetch_at(request, generation),
            None => self.coordinator.fetch(request),
        }
    }
}
