//! Merging changes saved elsewhere into a context: [`Context::merge_changes`] (a
//! [`DidSave`] of this coordinator, or any [`MergeRequest`] — a list of inserted, updated
//! and deleted IDs), automatic merging of the coordinator's notifications, and the
//! [`ContextInbox`] through which another thread sends merges to a context's owner.
//!
//! A merge re-reads the updated objects the context holds (one batched
//! [`Coordinator::refresh_snapshots`](crate::Coordinator::refresh_snapshots) call, so the
//! row cache cannot serve a stale version), keeps the context's own pending edits on top,
//! resolves edits the merged rows collide with by the context's [`MergePolicy`], forgets
//! deleted objects and marks to-many lists that may have changed for a lazy reload.
//!
//! The submodules apply the merge policies at save time (`resolve`: version conflicts;
//! `upsert`: uniqueness conflicts) with the per-object operations in `edits`. Nothing here
//! runs on another thread than the context's owner, and nothing holds a coordinator lock.

mod edits;
mod inbox;
mod resolve;
mod upsert;

use std::sync::Arc;
use std::sync::mpsc::Receiver;

pub use inbox::{ContextInbox, InboxClosed, MergeSender};
pub(crate) use upsert::Upsert;

use super::Context;
use super::policy::MergePolicy;
use crate::coordinator::DidSave;
use crate::object_id::{IdMap, IdSet};
use crate::{ObjectId, Result, Snapshot};

/// What a context keeps for merging (a field of [`Context`]).
#[derive(Default)]
pub(crate) struct MergeState {
    /// The merge policy.
    pub(crate) policy: MergePolicy,
    /// Objects whose edits collided with a merged change that the policy left to the next
    /// save: the snapshot the edits were made on, whose version that save expects (so it
    /// meets the conflict, and the policy resolves it there).
    pub(crate) held: IdMap<Arc<Snapshot>>,
    /// With automatic merging: the coordinator's notifications, not yet merged.
    pub(crate) inbox: Option<Receiver<Arc<DidSave>>>,
    /// Notifications of this context's own saves still queued in `inbox` (skipped there).
    pub(crate) own: Vec<Arc<DidSave>>,
}

/// Changes saved elsewhere, to merge into a context: IDs inserted, updated and deleted.
/// Made from a [`DidSave`] (`From`), or built from any other source (history transactions,
/// remote notifications) with [`MergeRequest::new`]. `Send`, so it can travel to the thread
/// owning the context ([`ContextInbox`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MergeRequest {
    /// Objects inserted.
    pub inserted: Vec<ObjectId>,
    /// Objects updated.
    pub updated: Vec<ObjectId>,
    /// Objects deleted.
    pub deleted: Vec<ObjectId>,
}

impl MergeRequest {
    /// A request of these inserted, updated and deleted IDs.
    pub fn new(inserted: Vec<ObjectId>, updated: Vec<ObjectId>, deleted: Vec<ObjectId>) -> MergeRequest {
        MergeRequest { inserted, updated, deleted }
    }

    /// Whether the request names no object.
    pub fn is_empty(&self) -> bool {
        self.inserted.is_empty() && self.updated.is_empty() && self.deleted.is_empty()
    }

    /// Adds a later request's changes (a deletion wins over earlier inserts and updates).
    pub fn append(&mut self, later: MergeRequest) {
        self.inserted.extend(later.inserted);
        self.updated.extend(later.updated);
        self.deleted.extend(later.deleted);
    }
}

impl From<&DidSave> for MergeRequest {
    fn from(n: &DidSave) -> MergeRequest {
        MergeRequest::new(n.inserted.clone(), n.updated.clone(), n.deleted.clone())
    }
}

impl From<DidSave> for MergeRequest {
    fn from(n: DidSave) -> MergeRequest {
        MergeRequest::new(n.inserted, n.updated, n.deleted)
    }
}

impl From<&Arc<DidSave>> for MergeRequest {
    fn from(n: &Arc<DidSave>) -> MergeRequest {
        MergeRequest::from(&**n)
    }
}

impl From<Arc<DidSave>> for MergeRequest {
    fn from(n: Arc<DidSave>) -> MergeRequest {
        MergeRequest::from(&*n)
    }
}

/// What a merge did to the context.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MergeOutcome {
    /// Loaded objects that took a newer row (their pending edits kept on top, except those
    /// the policy dropped).
    pub refreshed: Vec<ObjectId>,
    /// Objects whose pending edits collided with a merged change (both changed the same
    /// property, or the context deleted an object changed elsewhere).
    pub collided: Vec<ObjectId>,
    /// Those of `collided` left to the next save by the policy (`Error`, `Overwrite`,
    /// `Custom`): the save meets them as version conflicts.
    pub deferred: Vec<ObjectId>,
    /// Objects forgotten because they were deleted elsewhere.
    pub forgotten: Vec<ObjectId>,
    /// Those of `forgotten` that had pending changes (edits or a deletion), now lost.
    pub lost_changes: Vec<ObjectId>,
}

impl Context {
    /// Merges changes saved elsewhere (a [`DidSave`] of this coordinator, or a
    /// [`MergeRequest`]) into this context, keeping its own pending edits:
    ///
    /// - **Updated (and inserted) objects the context holds** are re-read from their stores
    ///   in one batched call ([`Coordinator::refresh_snapshots`](crate::Coordinator::refresh_snapshots),
    ///   which also refreshes the row cache); faults stay faults and fire on the refreshed
    ///   row. A loaded object takes the newer row and keeps its edits on top. Where an edit
    ///   *collides* — the merged row changed a property the context edited to another value,
    ///   or the context deleted the object — the merge policy decides:
    ///   `MergeByPropertyObjectTrump` keeps the edit (and a deletion);
    ///   `MergeByPropertyStoreTrump` takes the merged value (a deletion stands);
    ///   `Rollback` drops all the object's pending changes (a deletion included);
    ///   `Error`, `Overwrite` and `Custom` keep the edit and leave the conflict to the next
    ///   save, which expects the version the edits were made on and so meets a version
    ///   conflict that the policy resolves there (`Error`: the save fails).
    /// - **To-many relationships** of refreshed objects, and the inverse lists of to-one
    ///   relationships that moved, reload lazily on next access, pending additions and
    ///   removals kept.
    /// - **Deleted objects** are forgotten, with their pending edits or deletion (listed in
    ///   [`MergeOutcome::lost_changes`]): an object deleted elsewhere is never resurrected.
    ///   They leave every loaded to-many list of the context; a pending edit of another
    ///   object that still points at one fails the next save with the store's
    ///   missing-object error. An updated object whose row turns out to be gone is treated
    ///   as deleted.
    ///
    /// IDs the context does not hold are ignored (nothing to merge); temporary IDs too.
    pub fn merge_changes(&mut self, changes: impl Into<MergeRequest>) -> Result<MergeOutcome> {
        let request = changes.into();
        let deleted: IdSet = request.deleted.iter().copied().collect();
        let mut seen = IdSet::default();
        let ids: Vec<ObjectId> = request
            .inserted
            .iter()
            .chain(&request.updated)
            .copied()
            .filter(|id| !id.is_temporary() && !deleted.contains(id) && self.objects.contains_key(id))
            .filter(|id| seen.insert(*id))
            .collect();
        let rows = if ids.is_empty() { Vec::new() } else { self.coordinator.refresh_snapshots(&ids)? };
        // Observers hear of every object named, held or not (`observe.rs`).
        let named = |list: &[ObjectId]| -> Vec<ObjectId> {
            list.iter().copied().filter(|id| !id.is_temporary() && !deleted.contains(id)).collect()
        };
        let reported = (named(&request.inserted), named(&request.updated));
        Ok(self.merge_rows_reporting(&request.deleted, ids.into_iter().zip(rows), reported))
    }

    /// Merges rows already read (by [`Context::merge_changes`] or the coordinator's
    /// `merge_remote`): `None` rows are deletions, like `deleted`.
    pub(crate) fn merge_rows(
        &mut self,
        deleted: &[ObjectId],
        rows: impl IntoIterator<Item = (ObjectId, Option<Arc<Snapshot>>)>,
    ) -> MergeOutcome {
        self.merge_rows_reporting(deleted, rows, (Vec::new(), Vec::new()))
    }

    /// [`Context::merge_rows`], reporting to the context's observers the merged rows as
    /// updated and the gone ones as deleted, besides the (`inserted`, `updated`) objects
    /// named by the merge's source.
    fn merge_rows_reporting(
        &mut self,
        deleted: &[ObjectId],
        rows: impl IntoIterator<Item = (ObjectId, Option<Arc<Snapshot>>)>,
        (inserted, mut updated): (Vec<ObjectId>, Vec<ObjectId>),
    ) -> MergeOutcome {
        let mut outcome = MergeOutcome::default();
        let mut gone: Vec<ObjectId> = deleted.to_vec();
        // What observers are told is built only when someone listens.
        let observed = !self.observers.is_empty();
        let mut named: IdSet =
            if observed { inserted.iter().chain(&updated).copied().collect() } else { IdSet::default() };
        for (id, row) in rows {
            match row {
                Some(row) => {
                    if observed && named.insert(id) {
                        updated.push(id);
                    }
                    self.merge_row(id, row, &mut outcome)
                }
                None => gone.push(id),
            }
        }
        self.forget_deleted(&gone, &mut outcome);
        if !observed {
            return outcome;
        }
        let gone_set: IdSet = gone.iter().copied().collect();
        updated.retain(|id| !gone_set.contains(id));
        let inserted = inserted.into_iter().filter(|id| !gone_set.contains(id)).collect();
        self.note_merged(inserted, updated, gone);
        outcome
    }

    /// Gives a registered object a newer row, resolving collisions with its edits.
    fn merge_row(&mut self, id: ObjectId, row: Arc<Snapshot>, outcome: &mut MergeOutcome) {
        let Some(state) = self.objects.get(&id) else { return };
        // A fault has no row to merge (it fires on the refreshed one), but its loaded lists
        // may be stale.
        let Some(old) = state.snapshot.clone() else {
            if let Some(state) = self.objects.get_mut(&id) {
                state.to_many.values_mut().for_each(|t| t.stored = None);
            }
            return;
        };
        if row.version() <= old.version() {
            return;
        }
        let collides = state.deleted
            || state
                .attributes
                .iter()
                .any(|(i, v)| row.value(*i) != old.value(*i) && row.value(*i) != Some(v))
            || state.to_one.iter().any(|(i, d)| {
                row.to_one().get(*i) != old.to_one().get(*i) && row.to_one().get(*i) != Some(d)
            });
        outcome.refreshed.push(id);
        if !collides {
            self.take_row(id, row);
            return;
        }
        outcome.collided.push(id);
        match self.merging.policy {
            MergePolicy::MergeByPropertyObjectTrump => self.take_row(id, row),
            MergePolicy::MergeByPropertyStoreTrump => self.store_trump(id, &old, row),
            MergePolicy::Rollback => self.rollback_object(id, row),
            MergePolicy::Error | MergePolicy::Overwrite | MergePolicy::Custom(_) => {
                self.merging.held.entry(id).or_insert(old);
                self.take_row(id, row);
                if self.objects.get(&id).is_some_and(|s| s.deleted || s.has_edits()) {
                    outcome.deferred.push(id);
                } else {
                    self.merging.held.remove(&id);
                }
            }
        }
    }

    /// Forgets objects deleted elsewhere, and removes them from the context's loaded lists.
    fn forget_deleted(&mut self, ids: &[ObjectId], outcome: &mut MergeOutcome) {
        let mut forgotten = IdSet::default();
        for &id in ids {
            let Some(state) = self.objects.get(&id) else { continue };
            if state.inserted {
                continue;
            }
            if state.deleted || state.has_edits() {
                outcome.lost_changes.push(id);
            }
            self.forget_object(id);
            forgotten.insert(id);
            outcome.forgotten.push(id);
        }
        self.purge_lists(&forgotten);
    }

    /// Whether the context merges the coordinator's save notifications by itself.
    pub fn automatically_merges_changes(&self) -> bool {
        self.merging.inbox.is_some()
    }

    /// Turns automatic merging on or off. When on, the context subscribes to its
    /// coordinator's [`DidSave`] notifications and merges those of other contexts (its own
    /// saves are skipped) as [`Context::merge_changes`] does, all that arrived merged at
    /// once, at the start of its next [`Context::save`], [`Context::fetch`] (and `count`),
    /// [`Context::fetch_batched`], [`Context::refresh`], [`Context::existing_object`] or
    /// [`Context::merge_pending_notifications`] call — never between two reads of values
    /// (a unit of work sees stable objects), never in the middle of another operation, and
    /// never on another thread. Only saves made
    /// after it was turned on are merged. Turning it off drops what is queued.
    pub fn set_automatically_merges_changes(&mut self, on: bool) {
        if on && self.merging.inbox.is_none() {
            self.merging.inbox = Some(self.coordinator.subscribe());
        } else if !on {
            self.merging.inbox = None;
            self.merging.own.clear();
        }
    }

    /// With automatic merging on, merges every notification queued so far (see
    /// [`Context::set_automatically_merges_changes`]); otherwise does nothing.
    pub fn merge_pending_notifications(&mut self) -> Result<MergeOutcome> {
        let mut request = MergeRequest::default();
        if let Some(inbox) = &self.merging.inbox {
            while let Ok(notification) = inbox.try_recv() {
                match self.merging.own.iter().position(|n| Arc::ptr_eq(n, &notification)) {
                    Some(at) => {
                        self.merging.own.remove(at);
                    }
                    None => request.append(MergeRequest::from(&*notification)),
                }
            }
        }
        if request.is_empty() {
            return Ok(MergeOutcome::default());
        }
        self.merge_changes(request)
    }

    /// Merges queued notifications if automatic merging is on.
    pub(crate) fn auto_merge(&mut self) -> Result<()> {
        if self.merging.inbox.is_some() {
            self.merge_pending_notifications()?;
        }
        Ok(())
    }

    /// Remembers notifications of this context's own save, to skip them when merging.
    pub(crate) fn note_own_notifications(&mut self, notifications: &[Arc<DidSave>]) {
        if self.merging.inbox.is_some() {
            self.merging.own.extend(notifications.iter().cloned());
        }
    }
}
