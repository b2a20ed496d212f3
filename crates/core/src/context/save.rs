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
//! than what changed: full rows only for inserts, changed values for updates. The inserted
//! rows' values move into the request (and on into the row cache's snapshots) rather than
//! being copied; a save that fails hands the request back and they move back first.

use std::collections::HashSet;
use std::sync::Arc;

use strata_model::{Entity, Value};

use super::Context;
use super::error::{ConflictError, ObjectConflict, ValidationError};
use super::merge::Upsert;
use super::policy::MAX_CONFLICT_ROUNDS;
use super::state::{ObjectState, OrderedIdSet};
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
            let prepared = self.prepare_checked()?;
            // The inserted rows' values move into the request; a failed save hands the
            // request back and they move back before anything reads them.
            let request = self.build_request(&prepared, true);
            if request.is_empty() {
                self.commit(&prepared, &SavedChanges::default(), None);
                return Ok(SaveOutcome { permanent_ids: upserts, ..Default::default() });
            }
            let error = match self.coordinator.save_returning(request) {
                Ok(saved) => {
                    self.note_own_notifications(&saved.notifications);
                    let mut outcome = self.commit(&prepared, &saved, None);
                    outcome.permanent_ids.extend(upserts);
                    self.advance_after_save();
                    return Ok(outcome);
                }
                Err(refused) => {
                    let (error, request) = *refused;
                    self.restore_values(request);
                    error
                }
            };
            match error {
                Error::Store(StoreError::Conflict { conflicts }) => {
                    let conflict = self.describe_conflicts(conflicts);
                    rounds += 1;
                    if rounds > MAX_CONFLICT_ROUNDS {
                        return Err(conflict.into());
                    }
                    self.resolve_version_conflicts(conflict)?;
                }
                Error::Store(error @ StoreError::Uniqueness { .. }) => {
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
                Error::Coordinator(CoordinatorError::PartialSave { saved, failed_store, source }) => {
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
                e => return Err(e),
            }
        }
    }

    /// Loads what validation reads, validates, and builds the request (its values copied
    /// from the objects).
    pub(crate) fn prepare_save(&mut self) -> Result<(Prepared, SaveRequest)> {
        let prepared = self.prepare_checked()?;
        let request = self.build_request(&prepared, false);
        Ok((prepared, request))
    }

    /// Loads what validation reads and validates: the objects a save covers.
    fn prepare_checked(&mut self) -> Result<Prepared> {
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
        Ok(Prepared { inserted, updated, deleted })
    }

    /// (object, relationship) pairs with join-stored changes whose stored list is unknown.
    fn unloaded_join_changes(&self, inserted: &[ObjectId], updated: &[ObjectId]) -> Vec<(ObjectId, usize)> {
        let mut out = Vec::new();
        let entities = self.model.entities();
        for &id in inserted.iter().chain(updated) {
            // Only entities with to-many relationships can have such changes: skip the
            // look-up (a cache miss per object in a large context) for the others.
            let has_to_many = |e: &strata_model::Entity| e.relationships().iter().any(|r| r.is_to_many());
            if !entities.get(id.entity().get()).is_some_and(has_to_many) {
                continue;
            }
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

    /// The request for `prepared`: full rows for inserts (their values moved out of the
    /// objects with `take`, else copied), changed values for updates.
    fn build_request(&mut self, prepared: &Prepared, take: bool) -> SaveRequest {
        let (inserted, updated, deleted) = (&prepared.inserted, &prepared.updated, &prepared.deleted);
        let mut request = SaveRequest {
            info: SaveInfo { author: self.author.clone(), context_name: self.name.clone() },
            ..Default::default()
        };
        request.inserted.reserve(inserted.len());
        let model = Arc::clone(&self.model);
        for &id in inserted {
            let Some(entity) = model.entities().get(id.entity().get()) else { continue };
            let to_one = self.current_to_ones(id, entity);
            let Some(state) = self.objects.get_mut(&id) else { continue };
            let values = inserted_values(state, entity, take);
            request.inserted.push(InsertedRow { id, values, to_one });
        }
        let gone = |id: &ObjectId| self.objects.get(id).is_none_or(|s| s.deleted);
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

    /// Puts back the values [`Context::build_request`] moved into a request that was not
    /// saved.
    fn restore_values(&mut self, request: SaveRequest) {
        for row in request.inserted {
            let Some(state) = self.objects.get_mut(&row.id) else { continue };
            let mut values = row.values;
            for (&i, slot) in state.attributes.iter_mut() {
                if let Some(value) = values.get_mut(i) {
                    *slot = std::mem::take(value);
                }
            }
        }
    }

    /// Applies a successful save (or, with `only`, the part stored in those stores).
    fn commit(&mut self, prepared: &Prepared, saved: &SavedChanges, only: Option<&[StoreId]>) -> SaveOutcome {
        let in_scope = |ctx: &Context, id: ObjectId| match only {
            None => true,
            Some(stores) => ctx.coordinator.store_of(id).is_ok_and(|(s, _)| stores.contains(&s)),
        };
        let mut permanent = InOrder::new(&saved.permanent_ids, |&(temporary, _)| temporary);
        let mut snapshots = InOrder::new(&saved.snapshots, |s| s.id());
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
        // The new IDs, by temporary ID, for the lists of committed objects that name them;
        // built only if such a list exists (or part of the save failed, see below).
        let mut new_ids: Option<IdMap<ObjectId>> = None;
        let new_ids_map = |new_ids: &mut Option<IdMap<ObjectId>>| -> IdMap<ObjectId> {
            new_ids.take().unwrap_or_else(|| saved.permanent_ids.iter().copied().collect())
        };
        let mut committed: Vec<ObjectId> = Vec::with_capacity(inserted.len());
        outcome.permanent_ids.reserve(inserted.len());
        self.permanent.reserve(inserted.len());
        for temporary in inserted {
            let Some(&(_, id)) = permanent.get(temporary) else { continue };
            let Some(mut state) = self.objects.remove(&temporary) else { continue };
            committed.push(temporary);
            state.inserted = false;
            state.snapshot = snapshots.get(id).cloned();
            state.attributes.clear();
            state.to_one.clear();
            if !state.to_many.is_empty() {
                state.to_many.values_mut().for_each(|t| t.commit());
                if only.is_none() {
                    let map = new_ids_map(&mut new_ids);
                    state.remap(&map);
                    new_ids = Some(map);
                }
            }
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
            state.snapshot = snapshots.get(id).cloned();
            state.attributes.clear();
            state.to_one.clear();
            if !state.to_many.is_empty() {
                state.to_many.values_mut().for_each(|t| t.commit());
                if only.is_none() && !saved.permanent_ids.is_empty() {
                    let map = new_ids_map(&mut new_ids);
                    state.remap(&map);
                    new_ids = Some(map);
                }
            }
            self.changed.remove(&id);
            self.merging.held.remove(&id);
            outcome.updated.push(id);
        }
        if committed.len() == self.inserted.len() {
            // Every inserted object was committed (those of a prepared save are all the
            // context's inserts).
            self.inserted = OrderedIdSet::default();
        } else if !committed.is_empty() {
            // One pass, not a removal per object: saves of many inserts stay linear.
            let committed: IdSet = committed.into_iter().collect();
            let remaining = self.inserted.iter().filter(|id| !committed.contains(id)).collect();
            self.inserted = OrderedIdSet::from_vec(remaining);
        }
        if only.is_some() && !saved.permanent_ids.is_empty() {
            // Part of the save failed: objects left uncommitted may still refer to saved ones.
            let map = new_ids_map(&mut new_ids);
            self.objects.values_mut().for_each(|state| state.remap(&map));
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

/// The row of an inserted object: every attribute's pending value, else its default. With
/// `take` the pending values move out of `state`, leaving `Null` under their keys (so that
/// the keys still say which values were set, and [`Context::restore_values`] can put them
/// back); else they are copied.
fn inserted_values(state: &mut ObjectState, entity: &Entity, take: bool) -> Vec<Value> {
    let mut values = Vec::with_capacity(entity.attributes().len());
    // Keys are attribute indexes, in order: one merge pass, defaults only for the gaps.
    let mut pending = state.attributes.iter_mut().peekable();
    for (i, attribute) in entity.attributes().iter().enumerate() {
        values.push(match pending.next_if(|(k, _)| **k == i) {
            Some((_, value)) if take => std::mem::take(value),
            Some((_, value)) => value.clone(),
            None => attribute.default_value().clone(),
        });
    }
    values
}

/// Items a save returned, in the order of the objects a commit walks, looked up by ID: each
/// look-up checks the item after the previous match first, and a map is built only if the
/// items come in another order.
struct InOrder<'a, T> {
    items: &'a [T],
    key: fn(&T) -> ObjectId,
    next: usize,
    map: Option<IdMap<usize>>,
}

impl<'a, T> InOrder<'a, T> {
    fn new(items: &'a [T], key: fn(&T) -> ObjectId) -> InOrder<'a, T> {
        InOrder { items, key, next: 0, map: None }
    }

    fn get(&mut self, id: ObjectId) -> Option<&'a T> {
        if let Some(item) = self.items.get(self.next).filter(|item| (self.key)(item) == id) {
            self.next += 1;
            return Some(item);
        }
        let (items, key) = (self.items, self.key);
        let map = self
            .map
            .get_or_insert_with(|| items.iter().enumerate().map(|(i, item)| (key(item), i)).collect());
        let at = *map.get(&id)?;
        self.next = at + 1;
        items.get(at)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use strata_model::{Model, Value};

    use crate::memory_store::MemoryStore;
    use crate::{Context, Coordinator, Error, FetchRequest, StoreError};

    const MODEL: &str = r#"{"name":"M","version":1,"entities":[{"name":"Note","attributes":[
        {"name":"key","type":"string"},{"name":"text","type":"string"},
        {"name":"rank","type":"int64","default":5}],
        "uniquenessConstraints":[["key"]]}]}"#;

    /// A save the store refuses hands its moved values back: the inserted objects read the
    /// same values, their set values are still the only pending ones (not the defaults the
    /// row carried), and saving again stores them.
    #[test]
    fn a_refused_save_leaves_the_inserted_values_in_place() {
        let model = Arc::new(Model::from_json(MODEL).unwrap());
        let coordinator = Coordinator::new(model.clone());
        coordinator.add_store("Default", Arc::new(MemoryStore::new(model))).unwrap();
        let mut first = Context::new(coordinator.clone());
        let stored = first.insert("Note").unwrap();
        first.set(stored, "key", "k").unwrap();
        first.save().unwrap();

        let mut context = Context::new(coordinator.clone());
        let other = context.insert("Note").unwrap();
        context.set(other, "text", "first").unwrap();
        context.set(other, "key", "other").unwrap();
        let duplicate = context.insert("Note").unwrap();
        context.set(duplicate, "text", "hello").unwrap();
        context.set(duplicate, "key", "k").unwrap();
        match context.save() {
            Err(Error::Store(StoreError::Uniqueness { .. })) => {}
            other => panic!("expected the uniqueness refusal, got {other:?}"),
        }
        let names =
            |context: &Context, id| context.changed_values(id).unwrap().into_keys().collect::<BTreeSet<_>>();
        let set: BTreeSet<String> = ["key", "text"].map(str::to_owned).into();
        assert_eq!(names(&context, duplicate), set, "only the values set are pending");
        assert_eq!(names(&context, other), set);
        assert_eq!(context.value(duplicate, "text").unwrap(), Value::from("hello"));
        assert_eq!(context.value(duplicate, "rank").unwrap(), Value::Int64(5), "the default");
        assert_eq!(context.value(other, "text").unwrap(), Value::from("first"));

        context.set(duplicate, "key", "new").unwrap();
        let outcome = context.save().unwrap();
        let saved = outcome.permanent_id(duplicate).unwrap();
        let mut fresh = Context::new(coordinator);
        assert_eq!(fresh.value(saved, "text").unwrap(), Value::from("hello"));
        assert_eq!(fresh.value(saved, "rank").unwrap(), Value::Int64(5));
        assert_eq!(fresh.count(&FetchRequest::new("Note")).unwrap(), 3);
        assert!(!context.has_changes());
        assert!(context.changed_values(duplicate).unwrap().is_empty(), "saved values are no edits");
    }

    /// Across stores the request is split; a failure hands back a copy taken before, so the
    /// values of the part that was not stored are in place, whichever store failed.
    #[test]
    fn a_refused_save_across_stores_leaves_the_unsaved_values_in_place() {
        let model = Arc::new(
            Model::from_json(
                r#"{"name":"M","version":1,"entities":[
                {"name":"Note","attributes":[{"name":"key","type":"string"}],"uniquenessConstraints":[["key"]]},
                {"name":"Tag","attributes":[{"name":"name","type":"string"}],"uniquenessConstraints":[["name"]]}]}"#,
            )
            .unwrap(),
        );
        let coordinator = Coordinator::new(model.clone());
        coordinator.add_store_for("Tags", Arc::new(MemoryStore::new(model.clone())), &["Tag"]).unwrap();
        coordinator.add_store("Main", Arc::new(MemoryStore::new(model))).unwrap();
        let mut seed = Context::new(coordinator.clone());
        let (note, tag) = (seed.insert("Note").unwrap(), seed.insert("Tag").unwrap());
        seed.set(note, "key", "k").unwrap();
        seed.set(tag, "name", "t").unwrap();
        seed.save().unwrap();

        // The first store ("Tags") refuses: nothing is stored.
        let mut context = Context::new(coordinator.clone());
        let (note, tag) = (context.insert("Note").unwrap(), context.insert("Tag").unwrap());
        context.set(note, "key", "fresh").unwrap();
        context.set(tag, "name", "t").unwrap();
        assert!(matches!(context.save(), Err(Error::Store(StoreError::Uniqueness { .. }))));
        assert_eq!(context.value(note, "key").unwrap(), Value::from("fresh"));
        assert_eq!(context.value(tag, "name").unwrap(), Value::from("t"));

        // The second store ("Main") refuses: the tag is stored, the note keeps its value.
        context.set(tag, "name", "u").unwrap();
        context.set(note, "key", "k").unwrap();
        match context.save() {
            Err(Error::Coordinator(crate::CoordinatorError::PartialSave { .. })) => {}
            other => panic!("expected a partial save, got {other:?}"),
        }
        assert!(context.permanent_id(tag).is_some(), "the tag was stored");
        assert_eq!(context.value(note, "key").unwrap(), Value::from("k"));
        assert_eq!(context.value(tag, "name").unwrap(), Value::from("u"));
        context.set(note, "key", "m").unwrap();
        let saved = context.save().unwrap().permanent_id(note).unwrap();
        assert_eq!(Context::new(coordinator).value(saved, "key").unwrap(), Value::from("m"));
    }

    /// The commit finds what a save returned by position, and by ID when the order differs.
    #[test]
    fn in_order_finds_items_in_any_order() {
        let model = Model::from_json(MODEL).unwrap();
        let ids: Vec<_> =
            (0..4).map(|_| crate::ObjectId::new_temporary(model.entities()[0].index())).collect();
        let mut items = super::InOrder::new(&ids, |id| *id);
        for id in [ids[0], ids[1], ids[3], ids[2], ids[3]] {
            assert_eq!(items.get(id), Some(&id));
        }
        let missing = crate::ObjectId::new_temporary(model.entities()[0].index());
        assert_eq!(items.get(missing), None);
    }
}
