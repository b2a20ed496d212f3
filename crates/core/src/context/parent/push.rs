//! A child's save: its changes pushed into its parent.
//!
//! The save validates like any save (the shared `prepare_save`: loading what validation
//! reads, through the parent), then locks the parent once and:
//!
//! 1. **Conflicts**: an updated or deleted object whose parent state (row plus pending
//!    edits; attributes and to-one relationships) differs from what the child read is a
//!    conflict, resolved by the child's [`MergePolicy`](crate::MergePolicy), the parent's
//!    current state standing for "the store": `Error` fails the save with a
//!    [`ConflictError`] (nothing changes anywhere); `MergeByPropertyObjectTrump` keeps the
//!    child's changes over the parent's current state; `MergeByPropertyStoreTrump` keeps the
//!    parent's value of every property both changed; `Overwrite` writes the child's whole
//!    state; `Rollback` drops the object's edits; a custom handler is asked per object (an
//!    answer of `MergeResolution::Values` is not supported here and fails the save). A
//!    deletion conflicting with a parent change is pushed under `ObjectTrump` and `Overwrite`
//!    and fails the save otherwise; an object the parent deleted meanwhile has its edits
//!    dropped unless the policy is `Error`.
//! 2. **Push**, through the parent's methods: inserts keep their temporary IDs, attribute
//!    values become the parent's pending edits, to-one changes (and to-many changes whose
//!    inverse is to-many or absent) are replayed with the parent maintaining its inverses —
//!    one-to-many changes travel as their to-one side — and deletions run the parent's
//!    delete rules. If any step fails, the parent's objects and change sets are put back
//!    as they were before the push (its undo stack keeps what the failed push recorded).
//! 3. **Commit** in the child: what was pushed is forgotten (inserted objects) or turned
//!    back into faults, to be read again from the parent.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::super::Context;
use super::super::error::{ConflictError, ObjectConflict};
use super::super::policy::MergeResolution;
use super::super::save::Prepared;
use super::super::state::{ObjectState, OrderedIdSet};
use crate::object_id::IdMap;
use crate::{ObjectId, Result, SaveOutcome, Snapshot};

/// The parent's change-tracking state, kept to undo a push that failed halfway.
struct Backup {
    objects: IdMap<ObjectState>,
    inserted: OrderedIdSet,
    deleted: BTreeSet<ObjectId>,
    changed: BTreeSet<ObjectId>,
}

impl Backup {
    fn of(context: &Context) -> Backup {
        Backup {
            objects: context.objects.clone(),
            inserted: context.inserted.clone(),
            deleted: context.deleted.clone(),
            changed: context.changed.clone(),
        }
    }

    fn restore(self, context: &mut Context) {
        context.objects = self.objects;
        context.inserted = self.inserted;
        context.deleted = self.deleted;
        context.changed = self.changed;
    }
}

/// How one conflicting object is settled.
enum Settle {
    /// Edits rebased on the parent's current row, as the resolution says.
    Rebase(Arc<Snapshot>, Resolution),
    /// The object is gone from the parent: the child forgets its edits.
    Forget,
}

/// The built-in resolutions a push can apply (a failing one stops the save instead).
#[derive(Clone, Copy, PartialEq)]
enum Resolution {
    ObjectTrump,
    StoreTrump,
    Overwrite,
    Rollback,
}

impl Context {
    /// [`Context::save`] of a child (see the module docs).
    pub(crate) fn save_to_parent(&mut self) -> Result<SaveOutcome> {
        let Some(parent) = self.parent.clone() else { return Ok(SaveOutcome::default()) };
        let (prepared, _request) = self.prepare_save()?;
        let mut guard = parent.lock();
        let target: &mut Context = &mut guard;
        self.settle_parent_conflicts(target, &prepared)?;
        let backup = Backup::of(target);
        // Pushed changes are not undoable in the parent (changes from elsewhere, as merges).
        if let Err(e) = target.unrecorded(|parent| self.push_into(parent, &prepared)) {
            backup.restore(target);
            return Err(e);
        }
        target.lineage.generation += 1;
        drop(guard);
        Ok(self.commit_pushed(&prepared))
    }

    /// Detects and resolves conflicts with the parent's current state; fails without
    /// changing anything if the policy fails any of them.
    fn settle_parent_conflicts(&mut self, parent: &mut Context, prepared: &Prepared) -> Result<()> {
        let ids: Vec<ObjectId> = prepared.updated.iter().chain(&prepared.deleted).copied().collect();
        if ids.is_empty() {
            return Ok(());
        }
        let rows = parent.current_rows(&ids)?;
        let mut failed = Vec::new();
        let mut settled = Vec::new();
        for (id, current) in ids.into_iter().zip(rows) {
            let read = self.objects.get(&id).and_then(|s| s.snapshot.clone());
            let deleted = self.is_deleted(id);
            let unchanged = match (&read, &current) {
                (Some(r), Some(c)) => r.values() == c.values() && r.to_one() == c.to_one(),
                (None, None) => deleted,
                _ => false,
            };
            if unchanged || (deleted && current.is_none()) {
                continue;
            }
            let conflict = self.parent_conflict(id, read, current.clone());
            let resolution = match self.merging.policy.resolution(&conflict) {
                MergeResolution::ObjectTrump => Some(Resolution::ObjectTrump),
                MergeResolution::StoreTrump => Some(Resolution::StoreTrump),
                MergeResolution::Overwrite => Some(Resolution::Overwrite),
                MergeResolution::Rollback => Some(Resolution::Rollback),
                _ => None,
            };
            match (resolution, current) {
                (None, _) => failed.push(conflict),
                (Some(r), _) if deleted && !matches!(r, Resolution::ObjectTrump | Resolution::Overwrite) => {
                    failed.push(conflict)
                }
                (Some(_), None) => settled.push((id, Settle::Forget)),
                (Some(r), Some(current)) => settled.push((id, Settle::Rebase(current, r))),
            }
        }
        if !failed.is_empty() {
            return Err(ConflictError::new(failed).into());
        }
        for (id, settle) in settled {
            match settle {
                Settle::Forget => {
                    self.objects.remove(&id);
                    self.changed.remove(&id);
                    self.deleted.remove(&id);
                }
                Settle::Rebase(current, resolution) => self.rebase(id, current, resolution),
            }
        }
        Ok(())
    }

    /// The conflict of `id` with its parent, described as a store conflict would be.
    fn parent_conflict(
        &self,
        id: ObjectId,
        read: Option<Arc<Snapshot>>,
        current: Option<Arc<Snapshot>>,
    ) -> ObjectConflict {
        let entity = self.entity_of(id).map(|e| e.name().to_owned()).unwrap_or_default();
        let mut changed = Vec::new();
        if let (Some(state), Ok(e)) = (self.objects.get(&id), self.entity_of(id)) {
            changed.extend(
                state.attributes.keys().filter_map(|i| e.attributes().get(*i)).map(|a| a.name().to_owned()),
            );
            changed.extend(
                state.to_one.keys().filter_map(|i| e.relationships().get(*i)).map(|r| r.name().to_owned()),
            );
            let to_many = state.to_many.iter().filter(|(_, t)| t.is_changed());
            changed
                .extend(to_many.filter_map(|(i, _)| e.relationships().get(*i)).map(|r| r.name().to_owned()));
        }
        ObjectConflict {
            id,
            entity,
            expected_version: read.as_ref().map_or(0, |r| r.version()),
            read,
            current,
            changed,
            deleted: self.is_deleted(id),
            values: self.object_values(id),
            to_many: self.membership_changes(id),
        }
    }

    /// Moves `id`'s edits onto the parent's current row as `resolution` says.
    fn rebase(&mut self, id: ObjectId, current: Arc<Snapshot>, resolution: Resolution) {
        let Ok(entity) = self.entity_of(id) else { return };
        let attributes = entity.attributes().len();
        let to_ones: Vec<usize> = entity
            .relationships()
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.is_to_many())
            .map(|(i, _)| i)
            .collect();
        // The child's whole view, for Overwrite, before the snapshot changes under it.
        let whole: Vec<_> = (0..attributes).map(|i| self.attribute_value(id, i)).collect();
        let whole_to_one: Vec<_> = to_ones.iter().map(|&i| (i, self.current_to_one(id, i))).collect();
        let Some(state) = self.objects.get_mut(&id) else { return };
        let read = state.snapshot.replace(current.clone());
        match resolution {
            Resolution::ObjectTrump => {}
            Resolution::Rollback => state.discard_edits(),
            Resolution::StoreTrump => {
                let moved = |i: usize| read.as_ref().map(|r| r.value(i)) != Some(current.value(i));
                state.attributes.retain(|i, _| !moved(*i));
                let moved_to_one =
                    |i: usize| read.as_ref().map(|r| r.to_one().get(i)) != Some(current.to_one().get(i));
                state.to_one.retain(|i, _| !moved_to_one(*i));
            }
            Resolution::Overwrite => {
                for (i, value) in whole.into_iter().enumerate() {
                    state.attributes.insert(i, value);
                }
                for (i, destination) in whole_to_one {
                    state.to_one.insert(i, destination);
                }
            }
        }
        state.prune();
    }

    /// Replays the prepared changes in `parent` (see the module docs).
    fn push_into(&self, parent: &mut Context, prepared: &Prepared) -> Result<()> {
        for &id in &prepared.inserted {
            if self.objects.get(&id).is_some_and(|s| s.inserted && !s.deleted) {
                parent.objects.insert(id, ObjectState { inserted: true, ..Default::default() });
                parent.inserted.insert(id);
            }
        }
        let live = |id: &&ObjectId| self.objects.get(id).is_some_and(|s| !s.deleted);
        let pushed: Vec<ObjectId> =
            prepared.inserted.iter().chain(&prepared.updated).filter(live).copied().collect();
        for &id in &pushed {
            let Some(state) = self.objects.get(&id) else { continue };
            if state.attributes.is_empty() {
                continue;
            }
            let target = parent.register_live(id)?;
            parent.ensure_loaded(&[target])?;
            for (&i, value) in &state.attributes {
                parent.record_attribute(target, i, value.clone());
            }
        }
        for &id in &pushed {
            let Some(state) = self.objects.get(&id) else { continue };
            for (&i, &destination) in &state.to_one {
                let Some(relationship) = self.relationship_at(id, i) else { continue };
                parent.set_to_one(id, relationship.name(), destination)?;
            }
        }
        for &id in &pushed {
            let Some(state) = self.objects.get(&id) else { continue };
            for (&i, to_many) in &state.to_many {
                // One-to-many changes travel as their to-one side (always edited too).
                if !to_many.is_changed() || self.inverse_is_to_many(id, i) == Some(false) {
                    continue;
                }
                let Some(relationship) = self.relationship_at(id, i) else { continue };
                for destination in to_many.added.iter() {
                    parent.add_to_many(id, relationship.name(), destination)?;
                }
                for &destination in &to_many.removed {
                    if !self.is_deleted(destination) {
                        parent.remove_to_many(id, relationship.name(), destination)?;
                    }
                }
            }
        }
        let deleted: Vec<ObjectId> =
            prepared.deleted.iter().copied().filter(|id| self.is_deleted(*id)).collect();
        parent.delete_objects(&deleted)
    }

    /// Forgets what was pushed: inserted and deleted objects go, the others become faults
    /// read again from the parent.
    fn commit_pushed(&mut self, prepared: &Prepared) -> SaveOutcome {
        let mut outcome = SaveOutcome::default();
        for &id in &prepared.inserted {
            self.objects.remove(&id);
            self.inserted.remove(id);
        }
        for &id in &prepared.deleted {
            if self.objects.remove(&id).is_some() {
                outcome.deleted.push(id);
            }
            self.deleted.remove(&id);
        }
        for &id in &prepared.updated {
            if self.objects.contains_key(&id) {
                outcome.updated.push(id);
            }
        }
        for id in std::mem::take(&mut self.changed) {
            if let Some(state) = self.objects.get_mut(&id) {
                *state = ObjectState::default();
            }
        }
        self.merging.held.clear();
        outcome
    }
}
