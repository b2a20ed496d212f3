//! Parent and child contexts (Core Data's child contexts, made Rust-safe).
//!
//! A parent is shared by its children, so it lives in a [`SharedContext`]: a cloneable handle
//! around `Arc<Mutex<Context>>`. [`Context::new_child`] makes a child on the parent's
//! coordinator; a parent may have many children, each on any thread, and a child may itself
//! be shared and have children (a chain of any depth).
//!
//! **Reads go through the parent.** Where a context reads its store (firing faults, loading
//! to-many lists, fetching), a child asks its parent instead, and gets the parent's *current*
//! state: its snapshot with its pending edits on top, its unsaved inserts (under their
//! temporary IDs) included, its deleted objects left out. A fetch runs as the parent's fetch
//! with pending changes included, then the child's own pending changes apply as usual.
//!
//! **A child's save pushes into the parent** and never touches a store (`parent/push.rs`):
//! it validates like any save, then, with the parent locked, checks for conflicts (objects
//! the parent changed since the child read them; the child's [merge
//! policy](crate::MergePolicy) decides), and replays its changes through the parent's own
//! methods — inserts keep their temporary IDs, updates become the parent's pending edits,
//! relationship changes maintain the parent's inverses and deletions run the parent's delete
//! rules, as if the parent's user made them. The parent's save persists them; temporary IDs
//! stay valid along the chain: after the parent saves, [`Context::permanent_id`] of a child
//! maps a temporary ID it inserted, and the child's methods accept both IDs.
//!
//! Locking: a child locks its parent for the length of one operation (one fault batch, one
//! fetch, one save), never across user code, and always in the order child → parent →
//! grandparent, so a chain cannot deadlock. The user of a parent must not hold its lock
//! while using one of its children (the child would wait for it forever).
//!
//! **Merging from the parent.** A child sees its parent's later changes when it reads an
//! object again (after its own save, which turns what it pushed back into faults, or for
//! objects it had not read). With
//! [`Context::set_automatically_merges_changes_from_parent`], it also re-reads, before each
//! fetch and save, every object it did not change once the parent changed (the parent
//! counts its saves and its children's pushes), and adopts the permanent IDs of the
//! parent's saved inserts.
//!
//! [`Context::refresh`] and [`Context::existing_object`] of a child read its parent too.
//!
//! Limits: grouped and aggregated rows ([`Context::fetch_rows`]), asynchronous fetches and
//! [`Context::merge_changes`] read the stores, not the parent's pending state; query
//! generations are for root contexts only; conflicts are detected on attributes and to-one relationships (a
//! to-many membership the parent changed meanwhile is merged, not reported).
//!
//! This module reads stores only through the context's store reads (`generation.rs`), for
//! a root context, and never holds a parent's lock when it returns.

mod push;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::Context;
use super::error::ContextError;
use super::state::ObjectState;
use crate::fetch_request::{FetchRequest, FetchResult, ResultType};
use crate::object_id::IdMap;
use crate::store::{StoreFetchRequest, StoreFetchResult, StoreResultType};
use crate::{ObjectId, Result, Snapshot};

/// Change generations between a parent and its children.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Lineage {
    /// Bumped by each of this context's saves and each push of a child into it.
    pub(crate) generation: u64,
    /// The parent's generation this child last merged.
    seen: u64,
    /// Whether this child merges its parent's changes before fetches and saves.
    merges_from_parent: bool,
}

/// A context shared by its children (and by any thread holding a clone of the handle).
///
/// A child ([`Context::new_child`]) reads through its parent — faults, to-many lists and
/// fetches see the parent's current state, its unsaved inserts and edits included — and its
/// [`save`](Context::save) validates, settles conflicts with the parent by the child's
/// merge policy, and pushes its changes into the parent's pending changes without touching
/// a store. Temporary IDs stay valid along the chain: once the saving ancestor saved,
/// [`Context::permanent_id`] of a child maps them. A child locks its parent for one
/// operation at a time; never hold the guard of [`SharedContext::lock`] while using a child
/// of that context on the same thread.
///
/// ```
/// # use std::sync::Arc;
/// # use strata_core::{Context, Coordinator, SharedContext, memory_store::MemoryStore};
/// # let model = Arc::new(strata_model::Model::from_json(r#"{"name":"M","version":1,"entities":[{"name":"Note","attributes":[{"name":"text","type":"string"}]}]}"#).unwrap());
/// # let coordinator = Coordinator::new(model.clone());
/// # coordinator.add_store("Default", Arc::new(MemoryStore::new(model)))?;
/// let parent = SharedContext::new(Context::new(coordinator));
/// let mut child = Context::new_child(&parent);
/// let note = child.insert("Note")?;
/// child.set(note, "text", "draft")?;
/// child.save()?; // into the parent, not the store
/// assert_eq!(parent.lock().get::<String>(note, "text")?, "draft");
/// parent.lock().save()?; // now in the store
/// let saved = child.permanent_id(note).unwrap();
/// assert_eq!(child.get::<String>(saved, "text")?, "draft");
/// # Ok::<(), strata_core::Error>(())
/// ```
#[derive(Clone)]
pub struct SharedContext {
    inner: Arc<Mutex<Context>>,
}

impl SharedContext {
    /// Shares `context` so that children can be made on it.
    pub fn new(context: Context) -> SharedContext {
        SharedContext { inner: Arc::new(Mutex::new(context)) }
    }

    /// Locks the context for the caller's use. Hold the guard briefly, and never while
    /// using one of its children on the same thread. A panic while the lock was held does not
    /// make the context unusable: every context operation leaves it consistent between calls.
    pub fn lock(&self) -> MutexGuard<'_, Context> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new child of this context ([`Context::new_child`]).
    pub fn new_child(&self) -> Context {
        Context::new_child(self)
    }
}

impl std::fmt::Debug for SharedContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedContext").finish_non_exhaustive()
    }
}

impl Context {
    /// A child of `parent` on the same coordinator: it reads through the parent and saves
    /// into it (see [`SharedContext`]).
    pub fn new_child(parent: &SharedContext) -> Context {
        let coordinator = parent.lock().coordinator.clone();
        let mut child = Context::new(coordinator);
        child.lineage.seen = parent.lock().lineage.generation;
        child.parent = Some(parent.clone());
        child
    }

    /// Whether this child merges its parent's changes automatically.
    pub fn automatically_merges_changes_from_parent(&self) -> bool {
        self.lineage.merges_from_parent
    }

    /// Makes this child merge its parent's changes (the parent's saves, and pushes of its
    /// other children) before each fetch and save: when the parent changed since the last
    /// merge, every object the child read and did not change becomes a fault read again
    /// from the parent, and temporary IDs the parent saved take their permanent IDs. Objects
    /// the child changed keep the state they were read in; their conflicts with the parent
    /// are settled when the child saves, by its merge policy. No effect on a context without
    /// a parent.
    pub fn set_automatically_merges_changes_from_parent(&mut self, on: bool) {
        self.lineage.merges_from_parent = on;
    }

    /// With automatic merging from the parent on, merges the parent's changes since the last
    /// merge (see [`Context::set_automatically_merges_changes_from_parent`]).
    pub(crate) fn merge_from_parent(&mut self) -> Result<()> {
        if !self.lineage.merges_from_parent {
            return Ok(());
        }
        let Some(parent) = self.parent.clone() else { return Ok(()) };
        let (generation, renamed) = {
            let p = parent.lock();
            if p.lineage.generation == self.lineage.seen {
                return Ok(());
            }
            let renamed: IdMap<ObjectId> = self
                .objects
                .keys()
                .filter(|id| id.is_temporary() && !self.inserted.contains(**id))
                .filter_map(|&t| p.permanent_id(t).map(|permanent| (t, permanent)))
                .collect();
            (p.lineage.generation, renamed)
        };
        self.lineage.seen = generation;
        for (&temporary, &permanent) in &renamed {
            if let Some(state) = self.objects.remove(&temporary) {
                self.objects.entry(permanent).or_insert(state);
            }
            self.permanent.insert(temporary, permanent);
            if self.changed.remove(&temporary) {
                self.changed.insert(permanent);
            }
            if self.deleted.remove(&temporary) {
                self.deleted.insert(permanent);
            }
        }
        if !renamed.is_empty() {
            self.objects.values_mut().for_each(|state| state.remap(&renamed));
        }
        for state in self.objects.values_mut() {
            if !state.inserted && !state.deleted && !state.has_edits() {
                state.snapshot = None;
                state.to_many.clear();
                state.fault_group = None;
            }
        }
        Ok(())
    }

    /// The parent this context reads through and saves into; `None` for a context on its
    /// coordinator's stores.
    pub fn parent(&self) -> Option<&SharedContext> {
        self.parent.as_ref()
    }

    /// Shares this context, so that children can be made on it.
    pub fn into_shared(self) -> SharedContext {
        SharedContext::new(self)
    }

    /// Whether `id`'s row can be read from the stores or the parent (a temporary ID only
    /// from a parent, which may hold it as an insert).
    pub(crate) fn readable_from_source(&self, id: ObjectId) -> bool {
        !id.is_temporary() || self.parent.is_some()
    }

    /// The permanent ID the parent chain gave `temporary` (after the saving ancestor saved).
    pub(crate) fn parent_permanent_id(&self, temporary: ObjectId) -> Option<ObjectId> {
        self.parent.as_ref().and_then(|p| p.lock().permanent_id(temporary))
    }

    /// Registers a temporary ID this context did not hand out, if its parent knows it (an
    /// object the parent inserted, or one this context pushed and forgot): as a fault filled
    /// from the parent, or under its permanent ID once the parent saved it.
    pub(crate) fn register_from_parent(&mut self, id: ObjectId) -> Result<ObjectId> {
        let Some(parent) = self.parent.clone() else { return Err(ContextError::UnknownObject { id }.into()) };
        let known = parent.lock().register(id).ok();
        let Some(resolved) = known else { return Err(ContextError::UnknownObject { id }.into()) };
        if resolved != id {
            self.permanent.insert(id, resolved);
        }
        self.objects.entry(resolved).or_default();
        Ok(resolved)
    }

    /// The rows of `ids`: the stores' (through the row cache, or at the pinned query
    /// generation), or for a child its parent's current state.
    pub(crate) fn source_snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>> {
        match &self.parent {
            None => self.store_snapshots(ids),
            Some(parent) => parent.lock().current_rows(ids),
        }
    }

    /// The stored destinations of relationship `index` of `sources`, or for a child its
    /// parent's current ones.
    pub(crate) fn source_related(&self, sources: &[ObjectId], index: usize) -> Result<Vec<Vec<ObjectId>>> {
        match &self.parent {
            None => self.store_related(sources, index),
            Some(parent) => parent.lock().current_lists(sources, index),
        }
    }

    /// Runs a store request: on the stores, or for a child as its parent's fetch with the
    /// parent's pending changes included.
    pub(crate) fn source_fetch(&self, request: &StoreFetchRequest) -> Result<StoreFetchResult> {
        match &self.parent {
            None => self.store_fetch(request),
            Some(parent) => parent.lock().fetch_for_child(request),
        }
    }

    /// The current rows of `ids` as this context sees them (row plus pending edits; `None`
    /// for an object deleted here, gone from its store, or unknown), loading faults in one
    /// call.
    pub(crate) fn current_rows(&mut self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>> {
        let resolved: Vec<Option<ObjectId>> = ids.iter().map(|&id| self.register(id).ok()).collect();
        let faults: Vec<ObjectId> = resolved
            .iter()
            .flatten()
            .copied()
            .filter(|id| self.objects.get(id).is_some_and(|s| s.is_fault() && !s.deleted))
            .collect();
        if !faults.is_empty() {
            let rows = self.source_snapshots(&faults)?;
            for (id, row) in faults.into_iter().zip(rows) {
                if let Some(row) = row {
                    self.fill(id, row);
                }
            }
        }
        Ok(ids
            .iter()
            .zip(resolved)
            .map(|(&asked, id)| id.and_then(|id| self.current_row(asked, id)))
            .collect())
    }

    /// The current row of registered object `id`, named `asked`.
    fn current_row(&self, asked: ObjectId, id: ObjectId) -> Option<Arc<Snapshot>> {
        let state: &ObjectState = self.objects.get(&id)?;
        if state.deleted || state.is_fault() {
            return None;
        }
        let entity = self.entity_of(id).ok()?;
        let (values, to_one) = self.current_row_values(id, entity);
        let version = state.snapshot.as_ref().map_or(0, |s| s.version());
        Some(Snapshot::new(asked, version, values, to_one).into_shared())
    }

    /// The current destinations of relationship `index` of `sources` (objects deleted here
    /// left out; an unknown source has none).
    fn current_lists(&mut self, sources: &[ObjectId], index: usize) -> Result<Vec<Vec<ObjectId>>> {
        let resolved: Vec<Option<ObjectId>> = sources.iter().map(|&id| self.register(id).ok()).collect();
        let known: Vec<ObjectId> = resolved.iter().flatten().copied().collect();
        self.load_to_many(&known, index)?;
        Ok(resolved
            .into_iter()
            .map(|id| {
                let list = id.and_then(|id| self.current_to_many(id, index)).unwrap_or_default();
                list.into_iter().filter(|d| !self.is_deleted(*d)).collect()
            })
            .collect())
    }

    /// A child's store request, answered by this context's fetch with pending changes.
    fn fetch_for_child(&mut self, request: &StoreFetchRequest) -> Result<StoreFetchResult> {
        let result_type = match request.result {
            StoreResultType::Count => ResultType::Count,
            StoreResultType::Ids | StoreResultType::Snapshots => ResultType::ObjectIds,
            // Grouped rows read the stores (see the module docs).
            StoreResultType::Rows(_) => return self.source_fetch(request),
        };
        let entity = self.model.entity_at(request.entity).name().to_owned();
        let mut fetch = FetchRequest::new(entity)
            .include_subentities(request.include_subentities)
            .sort(request.sort.iter().cloned())
            .offset(request.offset)
            .result_type(result_type);
        if let Some(predicate) = &request.predicate {
            fetch = fetch.predicate(predicate.clone());
        }
        if let Some(limit) = request.limit {
            fetch = fetch.limit(limit);
        }
        match self.fetch(&fetch)? {
            FetchResult::Count(n) => Ok(StoreFetchResult::Count(n)),
            FetchResult::ObjectIds(ids) if request.result == StoreResultType::Snapshots => {
                Ok(StoreFetchResult::Snapshots(self.current_rows(&ids)?.into_iter().flatten().collect()))
            }
            other => Ok(StoreFetchResult::Ids(other.ids())),
        }
    }
}
