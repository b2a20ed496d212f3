//! The context's change log: [`Context::observe_changes`] hands out receivers of
//! [`ObjectChanges`], one message after each save, merge, refresh or reset that changed what
//! the context knows of its stores; and the evaluation the
//! [fetched-results observer](crate::fetched_results) runs over the context's view of the
//! objects it names.
//!
//! The log reports *saved* state only — what the context's own saves wrote and what it merged
//! or re-read — never pending (unsaved) edits. Senders are plain `std::sync::mpsc` channels
//! owned by the context (which belongs to one thread); a message is sent only when something
//! changed, and receivers that were dropped are pruned at the next send. This module never
//! blocks, never calls a store while sending, and never sends to another context.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};

use strata_model::{EntityIndex, Value};
use strata_predicate::{Predicate, PredicateError, SortDescriptor};

use super::Context;
use super::view::Reader;
use crate::store::{StoreFetchRequest, StoreFetchResult, StoreResultType};
use crate::{ObjectId, Result, Snapshot};

/// What caused an [`ObjectChanges`] message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeCause {
    /// The context saved ([`Context::save`], or the stored part of a partial save).
    Save,
    /// The context merged changes saved elsewhere ([`Context::merge_changes`],
    /// [`ContextInbox`](crate::ContextInbox), automatic merging,
    /// [`Coordinator::merge_remote`](crate::Coordinator::merge_remote), advancing a query
    /// generation).
    Merge,
    /// The context re-read objects ([`Context::refresh`]).
    Refresh,
    /// The context forgot or re-read everything ([`Context::reset`]): any object may have
    /// changed ([`ObjectChanges::everything_changed`]).
    Reset,
}

/// The objects one save, merge, refresh or reset changed in a context, as IDs of saved
/// objects (see [`Context::observe_changes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectChanges {
    /// What happened.
    pub cause: ChangeCause,
    /// Objects that became known as saved: inserted by this context's save (their permanent
    /// IDs) or inserted elsewhere and merged.
    pub inserted: Vec<ObjectId>,
    /// Saved objects whose stored values may have changed: updated by the save or the
    /// merge, or re-read by a refresh.
    pub updated: Vec<ObjectId>,
    /// Objects deleted by the save or the merge, or found gone by a refresh.
    pub deleted: Vec<ObjectId>,
    /// `(temporary, permanent)` IDs of the objects the save inserted.
    pub permanent_ids: Vec<(ObjectId, ObjectId)>,
    /// Whether any object may have changed (a reset): observers start over.
    pub everything_changed: bool,
}

impl ObjectChanges {
    /// A message of `cause` naming no object.
    pub fn new(cause: ChangeCause) -> ObjectChanges {
        ObjectChanges {
            cause,
            inserted: Vec::new(),
            updated: Vec::new(),
            deleted: Vec::new(),
            permanent_ids: Vec::new(),
            everything_changed: false,
        }
    }

    /// Whether the message reports nothing.
    pub fn is_empty(&self) -> bool {
        !self.everything_changed
            && self.inserted.is_empty()
            && self.updated.is_empty()
            && self.deleted.is_empty()
    }

    /// Every object the message names (inserted, updated, deleted).
    pub fn objects(&self) -> impl Iterator<Item = ObjectId> + '_ {
        self.inserted.iter().chain(&self.updated).chain(&self.deleted).copied()
    }
}

/// The receivers a context sends [`ObjectChanges`] to (a field of [`Context`]).
pub(crate) struct Observers {
    /// Identifies the context to its observers (unique in the process).
    token: u64,
    senders: Vec<Sender<Arc<ObjectChanges>>>,
}

impl Default for Observers {
    fn default() -> Observers {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Observers { token: NEXT.fetch_add(1, Ordering::Relaxed), senders: Vec::new() }
    }
}

impl Observers {
    /// Whether nobody listens: reporting can be skipped, and with it the work of building
    /// the report (a save of 100,000 objects would otherwise copy their IDs for nobody).
    pub(crate) fn is_empty(&self) -> bool {
        self.senders.is_empty()
    }

    /// Sends `changes` to every live receiver (nothing when it is empty).
    pub(crate) fn send(&mut self, changes: ObjectChanges) {
        if self.senders.is_empty() || changes.is_empty() {
            return;
        }
        let changes = Arc::new(changes);
        self.senders.retain(|sender| sender.send(changes.clone()).is_ok());
    }
}

/// What the fetched-results observer asks of a context: objects of `entity` (and its
/// sub-entities when `subentities`) for which the checked `predicate` holds, with the values
/// of the `sort` keys.
pub(crate) struct ObservedQuery<'a> {
    pub(crate) entity: EntityIndex,
    pub(crate) subentities: bool,
    pub(crate) predicate: Option<&'a Predicate>,
    pub(crate) sort: &'a [SortDescriptor],
}

impl Context {
    /// A receiver of what this context's saves, merges, refreshes and resets change, one
    /// [`ObjectChanges`] message per operation that changed something. Only saved state is
    /// reported, never pending edits; a message names every object its source named (a
    /// merge's objects whether the context holds them or not). Messages queue until received: drain the receiver regularly,
    /// or drop it to stop (nothing is queued for receivers made later). The
    /// [fetched-results observer](crate::fetched_results) drains one.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use strata_core::{Context, Coordinator, memory_store::MemoryStore};
    /// # let model = Arc::new(strata_model::Model::from_json(r#"{"name":"M","version":1,"entities":[{"name":"Note","attributes":[{"name":"text","type":"string"}]}]}"#).unwrap());
    /// # let coordinator = Coordinator::new(model.clone());
    /// # coordinator.add_store("Default", Arc::new(MemoryStore::new(model)))?;
    /// let mut context = Context::new(coordinator);
    /// let changes = context.observe_changes();
    /// let note = context.insert("Note")?;
    /// assert!(changes.try_recv().is_err(), "unsaved edits are not reported");
    /// let saved = context.save()?.permanent_id(note).unwrap();
    /// assert_eq!(changes.try_recv().unwrap().inserted, vec![saved]);
    /// # Ok::<(), strata_core::Error>(())
    /// ```
    pub fn observe_changes(&mut self) -> Receiver<Arc<ObjectChanges>> {
        let (sender, receiver) = mpsc::channel();
        self.observers.senders.push(sender);
        receiver
    }

    /// The token that tells this context from others (for observers' checks).
    pub(crate) fn observer_token(&self) -> u64 {
        self.observers.token
    }

    /// Whether the context saves into a parent context rather than to stores.
    pub(crate) fn has_parent(&self) -> bool {
        self.parent.is_some()
    }

    /// Reports the part of a save applied to the context.
    pub(crate) fn note_saved(&mut self, outcome: &super::SaveOutcome) {
        if self.observers.is_empty() {
            return;
        }
        let mut changes = ObjectChanges::new(ChangeCause::Save);
        changes.inserted = outcome.permanent_ids.iter().map(|(_, p)| *p).collect();
        changes.permanent_ids = outcome.permanent_ids.clone();
        changes.updated = outcome.updated.clone();
        changes.deleted = outcome.deleted.clone();
        self.observers.send(changes);
    }

    /// Reports a merge: `inserted` and `updated` as the source named them, `deleted` with
    /// the objects found gone.
    pub(crate) fn note_merged(
        &mut self,
        inserted: Vec<ObjectId>,
        updated: Vec<ObjectId>,
        deleted: Vec<ObjectId>,
    ) {
        let mut changes = ObjectChanges::new(ChangeCause::Merge);
        changes.inserted = inserted;
        changes.updated = updated;
        changes.deleted = deleted;
        self.observers.send(changes);
    }

    /// Reports a refresh of `id`: re-read, or found gone.
    pub(crate) fn note_refreshed(&mut self, id: ObjectId, gone: bool) {
        let mut changes = ObjectChanges::new(ChangeCause::Refresh);
        if gone {
            changes.deleted.push(id)
        } else {
            changes.updated.push(id)
        }
        self.observers.send(changes);
    }

    /// Reports that any object may have changed.
    pub(crate) fn note_everything_changed(&mut self) {
        let mut changes = ObjectChanges::new(ChangeCause::Reset);
        changes.everything_changed = true;
        self.observers.send(changes);
    }

    /// Every saved object `query` matches, with its sort values, in no particular order: one
    /// store (or parent) fetch, evaluated over the rows it returned. Nothing is registered.
    pub(crate) fn observed_fetch(
        &mut self,
        query: &ObservedQuery<'_>,
    ) -> Result<Vec<(ObjectId, Vec<Value>)>> {
        let request = StoreFetchRequest {
            entity: query.entity,
            include_subentities: query.subentities,
            predicate: query.predicate.cloned(),
            sort: Vec::new(),
            offset: 0,
            limit: None,
            result: StoreResultType::Snapshots,
        };
        let rows = match self.source_fetch(&request)? {
            StoreFetchResult::Snapshots(rows) => rows,
            _ => Vec::new(),
        };
        let reader = Reader::new(self, false, &rows);
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push((row.id(), sort_values(&reader, row.id(), query.sort)?));
        }
        match reader.take_failure() {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// For each of `ids`: its sort values if it is a saved object `query` matches, as the
    /// context knows it (its loaded row; objects the context has not loaded are read from
    /// their store in one call, refreshing the row cache), else `None`.
    pub(crate) fn observed_values(
        &mut self,
        query: &ObservedQuery<'_>,
        ids: &[ObjectId],
    ) -> Result<Vec<Option<Vec<Value>>>> {
        // IDs a merge's source named may be of another model or store: they match nothing.
        let of_kind = |ctx: &Context, id: ObjectId| {
            ctx.readable_from_source(id)
                && ctx.model.entities().get(id.entity().get()).is_some()
                && ctx.entity_matches(id.entity(), query.entity, query.subentities)
                && ctx.coordinator.store_of(id).is_ok()
        };
        let loaded = |ctx: &Context, id: ObjectId| ctx.objects.get(&id).and_then(|s| s.snapshot.clone());
        let unloaded: Vec<ObjectId> =
            ids.iter().copied().filter(|&id| of_kind(self, id) && loaded(self, id).is_none()).collect();
        let fresh: Vec<Arc<Snapshot>> = if unloaded.is_empty() {
            Vec::new()
        } else {
            self.store_refresh(&unloaded)?.into_iter().flatten().collect()
        };
        let exists: crate::object_id::IdSet = fresh.iter().map(|s| s.id()).collect();
        let reader = Reader::new(self, false, &fresh);
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            if !of_kind(self, id) || !(exists.contains(&id) || loaded(self, id).is_some()) {
                out.push(None);
                continue;
            }
            let holds = match query.predicate {
                None => true,
                Some(p) => match p.evaluate(&reader.view(id)) {
                    Ok(holds) => holds,
                    Err(e) => {
                        return Err(reader.take_failure().unwrap_or_else(|| PredicateError::from(e).into()));
                    }
                },
            };
            out.push(if holds { Some(sort_values(&reader, id, query.sort)?) } else { None });
        }
        match reader.take_failure() {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }
}

/// The values of `sort`'s keys for `id`.
fn sort_values(reader: &Reader<'_>, id: ObjectId, sort: &[SortDescriptor]) -> Result<Vec<Value>> {
    let view = reader.view(id);
    let mut values = Vec::with_capacity(sort.len());
    for descriptor in sort {
        match descriptor.value_of(&view) {
            Ok(value) => values.push(value),
            Err(e) => return Err(reader.take_failure().unwrap_or_else(|| PredicateError::from(e).into())),
        }
    }
    Ok(values)
}
