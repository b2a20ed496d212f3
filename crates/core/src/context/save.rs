//! Saving a context: prepare (load what validation reads, validate, build one
//! [`SaveRequest`]), send it through the coordinator, then commit (temporary IDs become
//! permanent everywhere, new snapshots replace the old, pending edits are cleared).
//!
//! A failure before or during the store's save leaves every edit in place, so the caller can
//! fix what was reported and save again. A version conflict is described
//! ([`ConflictError`]: what the context read and holds, what the store holds now) and a
//! uniqueness refusal of an insert is handed over as is; the context's merge policy
//! (`context/policy.rs`, applied by `merge/resolve.rs` and `merge/upsert.rs`) either fails
//! the save or updates the context, and the save is retried — at most
//! [`MAX_CONFLICT_ROUNDS`] times for version conflicts.
//!
//! Nothing reaches a store before every check passed, and the request never carries more
//! than what changed: full rows only for inserts, changed values for updates.

use std::collections::HashSet;
use std::sync::Arc;

use super::Context;
use super::error::{ConflictError, ObjectConflict, ValidationError};
use super::merge::Upsert;
use super::policy::MAX_CONFLICT_ROUNDS;
use super::state::OrderedIdSet;
use crate::coordinator::{CoordinatorError, DidSave, SavedChanges};
use crate::object_id::{IdMap, IdSet};
use crate::store::{
    DeletedRow, InsertedRow, SaveInfo, SaveRequest, StoreError, ToManyChange, UpdatedRow, VersionConflict,
};
use crate::{Error, ObjectId, Result, Snapshot, StoreId};

/// What a successful [`Context::save`] did.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct SaveOutcome {
    /// (temporary ID, permanent ID) of every inserted object, in insertion order.
    pub permanent_ids: Vec<(ObjectId, ObjectId)>,
    /// The updated objects.
    pub updated: Vec<ObjectId>,
    /// The deleted objects.
    pub deleted: Vec<ObjectId>,
    /// The notifications published (one per store saved to).
    pub notifications: Vec<Arc<DidSave>>,
}

impl SaveOutcome {
    /// The permanent ID `temporary` received.
    pub fn permanent_id(&self, temporary: ObjectId) -> Option<ObjectId> {
        self.permanent_ids.iter().find(|(t, _)| *t == temporary).map(|(_, p)| *p)
    }
}

/// The objects a prepared save covers.
pub(crate) struct Prepared {
    pub(crate) inserted: Vec<ObjectId>,
    pub(crate) updated: Vec<ObjectId>,
    pub(crate) deleted: Vec<ObjectId>,
}

impl Context {
    /// Saves every pending change as one save through the coordinator (one atomic save per
    /// store; see the coordinator's docs on saves across stores).
    ///
    /// Validates every inserted and updated object and the deny rules of deleted ones first,
    /// reporting every violation at once ([`ValidationError`]); a version conflict is a
    /// [`ConflictError`]. On any error the context keeps all its edits. On success
    /// temporary IDs become permanent in the whole context (the old IDs keep working in
    /// every method and [`Context::permanent_id`] maps them) and the new snapshots are the
    /// row cache's.
    ///
    /// A child context ([`Context::new_child`]) saves into its parent instead: validated the
    /// same way, conflicts with the parent settled by the merge policy, no store call; the
    /// outcome names no permanent IDs (the parent's save gives them). A save clears the undo and redo stacks when it succeeds, and what a
    /// merge policy changes while saving is not recorded for undo.
    pub fn save(&mut self) -> Result<SaveOutcome> {
        self.undo_boundary();
        let result = self.unrecorded(Context::save_unrecorded);
        if result.is_ok() {
            self.undo.clear();
        }
        result
    }

    fn save_unrecorded(&mut self) -> Result<SaveOutcome> {
        self.auto_merge()?;
        self.merge_from_parent()?;
        if !self.has_changes() {
            return Ok(SaveOutcome::default());
        }
        if self.parent.is_some() {
            return self.save_to_parent();
        }
        self.lineage.generation += 1;
        let mut rounds = 0;
        // Each insert-or-update removes an insert, so their number is bounded by the inserts.
        let mut upserts: Vec<(ObjectId, ObjectId)> = Vec::new();
        loop {
            let (prepared, request) = self.prepare_save()?;
            if request.is_empty() {
                self.commit(&prepared, &SavedChanges::default(), None);
                return Ok(SaveOutcome { permanent_ids: upserts, ..Default::default() });
            }
            match self.coordinator.save(request) {
                Ok(saved) => {
                    self.note_own_notifications(&saved.notifications);
                    let mut outcome = self.commit(&prepared, &saved, None);
                    outcome.permanent_ids.extend(upserts);
                    self.advance_after_save();
                    return Ok(outcome);
                }
                Err(Error::Store(StoreError::Conflict { conflicts })) => {
                    let conflict = self.describe_conflicts(conflicts);
                    rounds += 1;
                    if rounds > MAX_CONFLICT_ROUNDS {
                        return Err(conflict.into());
                    }
                    self.resolve_version_conflicts(conflict)?;
                }
                Err(Error::Store(error @ StoreError::Uniqueness { .. })) => {
                    match self.resolve_uniqueness(error.clone())? {
                        Upsert::Merged(inserted, existing) => upserts.push((inserted, existing)),
                        Upsert::Retry => {
                            rounds += 1;
                            if rounds > MAX_CONFLICT_ROUNDS {
                                return Err(error.into());
                            }
                        }
                    }
                }
                Err(Error::Coordinator(CoordinatorError::PartialSave { saved, failed_store, source })) => {
                    self.note_own_notifications(&saved.notifications);
                    let stores = saved.stores.clone();
                    self.commit(&prepared, &saved, Some(&stores));
                    let source = match *source {
                        Error::Store(StoreError::Conflict { conflicts }) => {
                            Error::Conflict(self.describe_conflicts(conflicts))
                        }
                        other => other,
                    };
                    return Err(CoordinatorError::PartialSave {
                        saved,
                        failed_store,
                        source: Box::new(source),
                    }
                    .into());
                }
                Err(e) => return Err(e),
            }
        }
    }

    pub(crate) fn prepare_save(&mut self) -> Result<(Prepared, SaveRequest)> {
        let inserted: Vec<ObjectId> = self.inserted.iter().collect();
        let deleted: Vec<ObjectId> = self.deleted.iter().copied().collect();
        let candidates: Vec<ObjectId> = self
            .changed
            .iter()
            .copied()
            .filter(|id| self.objects.get(id).is_some_and(|s| !s.deleted && !s.inserted && s.has_edits()))
            .collect();
        // Versions (and pruning edits against what is stored) need the rows.
        let rows: Vec<ObjectId> = candidates.iter().chain(&deleted).copied().collect();
        self.ensure_loaded(&rows)?;
        // Join-stored changes are sent exactly: load the stored lists they apply to.
        let mut groups: Vec<((u16, usize), Vec<ObjectId>)> = Vec::new();
        for (id, index) in self.unloaded_join_changes(&inserted, &candidates) {
            let key = (id.entity().0, index);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, ids)) => ids.push(id),
                None => groups.push((key, vec![id])),
            }
        }
        for ((_, index), ids) in groups {
            self.load_to_many(&ids, index)?;
        }
        let updated: Vec<ObjectId> =
            candidates.into_iter().filter(|id| self.objects.get(id).is_some_and(|s| s.has_edits())).collect();
        let pending: Vec<ObjectId> = inserted.iter().chain(&updated).copied().collect();
        for (of_deleted, name) in self.validation_lists(&pending, &deleted) {
            let ids = if of_deleted { &deleted } else { &pending };
            self.load_to_many_named(ids, &name)?;
        }
        let violations = self.violations(&inserted, &updated, &deleted);
        if !violations.is_empty() {
            return Err(ValidationError::new(violations).into());
        }
        let request = self.build_request(&inserted, &updated, &deleted);
        Ok((Prepared { inserted, updated, deleted }, request))
    }

    /// (object, relationship) pairs with join-stored changes whose stored list is unknown.
    fn unloaded_join_changes(&self, inserted: &[ObjectId], updated: &[ObjectId]) -> Vec<(ObjectId, usize)> {
        let mut out = Vec::new();
        for &id in inserted.iter().chain(updated) {
            let Some(state) = self.objects.get(&id) else { continue };
            for (&index, to_many) in &state.to_many {
                if to_many.stored.is_none() && to_many.is_changed() && self.join_stored(id, index) {
                    out.push((id, index));
                }
            }
        }
        out
    }

    /// Whether to-many relationship `index` of `id` is stored as links (its inverse is not
    /// to-one), so its changes travel as [`ToManyChange`]s.
    fn join_stored(&self, id: ObjectId, index: usize) -> bool {
        self.inverse_is_to_many(id, index) != Some(false)
    }

    /// The version `id`'s edits were made on: that of the row a merge left a conflict on
    /// (so the save meets it), else that of its snapshot.
    fn base_version(&self, id: ObjectId, snapshot: &Snapshot) -> u64 {
        self.merging.held.get(&id).map_or(snapshot.version(), |held| held.version())
    }

    fn build_request(
        &self,
        inserted: &[ObjectId],
        updated: &[ObjectId],
        deleted: &[ObjectId],
    ) -> SaveRequest {
        let gone = |id: &ObjectId| self.objects.get(id).is_none_or(|s| s.deleted);
        let mut request = SaveRequest {
            info: SaveInfo { author: self.author.clone(), context_name: self.name.clone() },
            ..Default::default()
        };
        for &id in inserted {
            let Ok(entity) = self.entity_of(id) else { continue };
            let (values, to_one) = self.current_row_values(id, entity);
            request.inserted.push(InsertedRow { id, values, to_one });
        }
        for &id in updated {
            let Some(state) = self.objects.get(&id) else { continue };
            let Some(snapshot) = &state.snapshot else { continue };
            request.updated.push(UpdatedRow {
                id,
                expected_version: self.base_version(id, snapshot),
                values: state.attributes.iter().map(|(i, v)| (*i, v.clone())).collect(),
                to_one: state.to_one.iter().map(|(i, d)| (*i, *d)).collect(),
            });
        }
        for &id in deleted {
            let snapshot = self.objects.get(&id).and_then(|s| s.snapshot.as_ref());
            let version = snapshot.map_or(0, |s| self.base_version(id, s));
            request.deleted.push(DeletedRow { id, expected_version: version });
        }
        for &id in inserted.iter().chain(updated) {
            let Some(state) = self.objects.get(&id) else { continue };
            for (&index, to_many) in &state.to_many {
                if !to_many.is_changed() || !self.join_stored(id, index) {
                    continue;
                }
                // A deleted destination's links go with its row.
                let added: Vec<ObjectId> = to_many.added.iter().collect();
                let removed: Vec<ObjectId> = to_many.removed.iter().copied().filter(|d| !gone(d)).collect();
                if !added.is_empty() || !removed.is_empty() {
                    request.to_many.push(ToManyChange { source: id, relationship: index, added, removed });
                }
            }
        }
        request
    }

    /// Applies a successful save (or, with `only`, the part stored in those stores).
    fn commit(&mut self, prepared: &Prepared, saved: &SavedChanges, only: Option<&[StoreId]>) -> SaveOutcome {
        let in_scope = |ctx: &Context, id: ObjectId| match only {
            None => true,
            Some(stores) => ctx.coordinator.store_of(id).is_ok_and(|(s, _)| stores.contains(&s)),
        };
        let permanent: IdMap<ObjectId> = saved.permanent_ids.iter().copied().collect();
        let snapshots: IdMap<_> = saved.snapshots.iter().map(|s| (s.id(), s.clone())).collect();
        let mut outcome = SaveOutcome { notifications: saved.notifications.clone(), ..Default::default() };
        let deleted: Vec<ObjectId> =
            prepared.deleted.iter().copied().filter(|id| in_scope(self, *id)).collect();
        for id in deleted {
            self.merging.held.remove(&id);
            self.objects.remove(&id);
            self.deleted.remove(&id);
            self.changed.remove(&id);
            outcome.deleted.push(id);
        }
        let inserted: Vec<ObjectId> =
            prepared.inserted.iter().copied().filter(|id| in_scope(self, *id)).collect();
        let mut committed: IdSet =
            IdSet::with_capacity_and_hasher(inserted.len() + prepared.updated.len(), Default::default());
        for temporary in inserted {
            let Some(&id) = permanent.get(&temporary) else { continue };
            let Some(mut state) = self.objects.remove(&temporary) else { continue };
            committed.insert(temporary);
            state.inserted = false;
            state.snapshot = snapshots.get(&id).cloned();
            state.attributes.clear();
            state.to_one.clear();
            state.to_many.values_mut().for_each(|t| t.commit());
            self.objects.insert(id, state);
            self.permanent.insert(temporary, id);
            outcome.permanent_ids.push((temporary, id));
        }
        let updated: Vec<ObjectId> =
            prepared.updated.iter().copied().filter(|id| in_scope(self, *id)).collect();
        for id in updated {
            let Some(state) = self.objects.get_mut(&id) else { continue };
            // Without a new snapshot (the cache did not hold the version read) the object
            // becomes a fault and re-reads its row when next used.
            state.snapshot = snapshots.get(&id).cloned();
            state.attributes.clear();
            state.to_one.clear();
            state.to_many.values_mut().for_each(|t| t.commit());
            self.changed.remove(&id);
            self.merging.held.remove(&id);
            committed.insert(id);
            outcome.updated.push(id);
        }
        if !committed.is_empty() {
            // One pass, not a removal per object: saves of many inserts stay linear.
            let remaining = self.inserted.iter().filter(|id| !committed.contains(id)).collect();
            self.inserted = OrderedIdSet::from_vec(remaining);
        }
        if !permanent.is_empty() {
            // Only committed objects can hold the new IDs (their folded to-many lists), unless
            // part of the save failed and other objects still refer to saved ones.
            if only.is_some() {
                self.objects.values_mut().for_each(|state| state.remap(&permanent));
            } else {
                for id in outcome.permanent_ids.iter().map(|(_, p)| p).chain(&outcome.updated) {
                    if let Some(state) = self.objects.get_mut(id) {
                        state.remap(&permanent);
                    }
                }
            }
        }
        // Edits of committed objects that were not part of the request (moot to-many
        // changes) are gone with them; drop the markers of objects left without edits.
        let objects = &self.objects;
        self.changed.retain(|id| objects.get(id).is_some_and(|s| s.has_edits()));
        // Saved changes cannot be undone, and recorded changes name the temporary IDs.
        self.undo.clear();
        self.note_saved(&outcome);
        outcome
    }

    /// Describes the store's conflicts from the context's side, and refreshes the row cache
    /// with the rows the store reported.
    fn describe_conflicts(&self, conflicts: Vec<VersionConflict>) -> ConflictError {
        let cache = self.coordinator.row_cache();
        let mut out = Vec::with_capacity(conflicts.len());
        let mut seen = HashSet::new();
        for conflict in conflicts {
            if !seen.insert(conflict.id) {
                continue;
            }
            match &conflict.current {
                Some(current) => {
                    cache.insert(current.clone());
                }
                None => cache.remove(conflict.id),
            }
            let entity = self.entity_of(conflict.id).map(|e| e.name().to_owned()).unwrap_or_default();
            let state = self.objects.get(&conflict.id);
            let mut changed = Vec::new();
            if let (Some(state), Ok(e)) = (state, self.entity_of(conflict.id)) {
                let attributes = state.attributes.keys().filter_map(|i| e.attributes().get(*i));
                changed.extend(attributes.map(|a| a.name().to_owned()));
                let to_one = state.to_one.keys().filter_map(|i| e.relationships().get(*i));
                changed.extend(to_one.map(|r| r.name().to_owned()));
                let to_many = state.to_many.iter().filter(|(_, t)| t.is_changed());
                changed.extend(
                    to_many.filter_map(|(i, _)| e.relationships().get(*i)).map(|r| r.name().to_owned()),
                );
            }
            let held = self.merging.held.get(&conflict.id).cloned();
            out.push(ObjectConflict {
                id: conflict.id,
                entity,
                expected_version: conflict.expected_version,
                read: held.or_else(|| state.and_then(|s| s.snapshot.clone())),
                current: conflict.current,
                changed,
                deleted: state.is_some_and(|s| s.deleted),
                values: self.object_values(conflict.id),
                to_many: self.membership_changes(conflict.id),
            });
        }
        ConflictError::new(out)
    }
}
