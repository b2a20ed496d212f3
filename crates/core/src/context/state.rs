//! The state a context keeps per object, and the primitive changes to it.
//!
//! An object is a *fault* (its ID only), *loaded* (an `Arc<Snapshot>` shared with the row
//! cache) or *inserted* (a temporary ID, values starting at the attribute defaults); any of
//! them may carry *pending edits*: changed attribute values, changed to-one destinations
//! and, per to-many relationship, the destinations added and removed relative to what the
//! store holds. Edits are kept per property beside the snapshot, never merged into it, so
//! that a newer snapshot can be compared with them property by property (merging, issue 4).
//!
//! Every change to object state goes through the primitives at the end of this file
//! (`record_inserted`, `record_attribute`, `record_to_one`, `record_add`, `record_remove`,
//! `record_deleted`), so that undo records each one's inverse in one place (`undo.rs`).
//! Nothing here calls a store.

mod attributes;
mod index_map;

use std::sync::Arc;

use strata_model::Value;

use attributes::AttributeMap;
use index_map::IndexMap;

use super::Context;
use super::error::ContextError;
use super::undo::{Change, Forgotten};
use crate::object_id::{IdMap, IdSet};
use crate::{ObjectId, Snapshot};

/// A set of IDs that keeps insertion order.
#[derive(Debug, Clone, Default)]
pub(crate) struct OrderedIdSet {
    order: Vec<ObjectId>,
    members: IdSet,
}

impl OrderedIdSet {
    pub(crate) fn from_vec(ids: Vec<ObjectId>) -> OrderedIdSet {
        let mut set = OrderedIdSet::default();
        for id in ids {
            set.insert(id);
        }
        set
    }

    pub(crate) fn insert(&mut self, id: ObjectId) -> bool {
        let new = self.members.insert(id);
        if new {
            self.order.push(id);
        }
        new
    }

    pub(crate) fn remove(&mut self, id: ObjectId) -> bool {
        let present = self.members.remove(&id);
        if present {
            self.order.retain(|x| *x != id);
        }
        present
    }

    pub(crate) fn contains(&self, id: ObjectId) -> bool {
        self.members.contains(&id)
    }

    /// Where `id` is in the order.
    pub(crate) fn position(&self, id: ObjectId) -> Option<usize> {
        if !self.members.contains(&id) {
            return None;
        }
        self.order.iter().position(|x| *x == id)
    }

    /// Inserts `id` at `position` (or last, past the end).
    pub(crate) fn insert_at(&mut self, position: usize, id: ObjectId) {
        if self.members.insert(id) {
            self.order.insert(position.min(self.order.len()), id);
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = ObjectId> + '_ {
        self.order.iter().copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub(crate) fn remap(&mut self, map: &IdMap<ObjectId>) {
        *self =
            OrderedIdSet::from_vec(self.order.iter().map(|id| map.get(id).copied().unwrap_or(*id)).collect());
    }
}

/// One to-many relationship of one object: the destinations the store holds (once loaded)
/// and the pending additions and removals.
#[derive(Debug, Clone, Default)]
pub(crate) struct ToMany {
    /// The store's destinations, in its order; `None` until loaded. Inserted objects start
    /// with an empty list.
    pub(crate) stored: Option<OrderedIdSet>,
    /// Destinations added in this context and not stored.
    pub(crate) added: OrderedIdSet,
    /// Stored destinations removed in this context (possibly before `stored` was loaded).
    pub(crate) removed: IdSet,
}

impl ToMany {
    /// Adds a destination; whether the relationship changed.
    pub(crate) fn add(&mut self, id: ObjectId) -> bool {
        if self.removed.remove(&id) {
            return true;
        }
        if self.stored.as_ref().is_some_and(|s| s.contains(id)) {
            return false;
        }
        self.added.insert(id)
    }

    /// Removes a destination; whether the relationship changed.
    pub(crate) fn remove(&mut self, id: ObjectId) -> bool {
        if self.added.remove(id) {
            return true;
        }
        match &self.stored {
            Some(stored) if !stored.contains(id) => false,
            _ => self.removed.insert(id),
        }
    }

    /// Records the store's destinations and drops pending changes they make moot.
    pub(crate) fn set_stored(&mut self, ids: Vec<ObjectId>) {
        let stored = OrderedIdSet::from_vec(ids);
        let added = std::mem::take(&mut self.added);
        self.added = OrderedIdSet::from_vec(added.iter().filter(|id| !stored.contains(*id)).collect());
        self.removed.retain(|id| stored.contains(*id));
        self.stored = Some(stored);
    }

    /// The current destinations (stored minus removed, then added), once loaded.
    pub(crate) fn current(&self) -> Option<Vec<ObjectId>> {
        let stored = self.stored.as_ref()?;
        let kept = stored.iter().filter(|id| !self.removed.contains(id));
        Some(kept.chain(self.added.iter()).collect())
    }

    pub(crate) fn is_changed(&self) -> bool {
        !self.added.is_empty() || !self.removed.is_empty()
    }

    /// Folds the pending changes into the stored list (after a save).
    pub(crate) fn commit(&mut self) {
        self.stored = self.current().map(OrderedIdSet::from_vec);
        self.added = OrderedIdSet::default();
        self.removed.clear();
    }

    pub(crate) fn discard_changes(&mut self) {
        self.added = OrderedIdSet::default();
        self.removed.clear();
    }

    fn remap(&mut self, map: &IdMap<ObjectId>) {
        if let Some(stored) = &mut self.stored {
            stored.remap(map);
        }
        self.added.remap(map);
        self.removed = self.removed.iter().map(|id| map.get(id).copied().unwrap_or(*id)).collect();
    }
}

/// Where a fault came from: the list a fetch returned, so firing one fault loads its
/// neighbours in the same store call.
#[derive(Debug, Clone)]
pub(crate) struct FaultGroup {
    pub(crate) members: Arc<[ObjectId]>,
    pub(crate) position: usize,
}

/// Everything a context knows about one object.
#[derive(Debug, Clone, Default)]
pub(crate) struct ObjectState {
    /// The row as last read; `None` for a fault and for an inserted object.
    pub(crate) snapshot: Option<Arc<Snapshot>>,
    /// Inserted in this context and not saved yet (its ID is temporary).
    pub(crate) inserted: bool,
    /// Deleted in this context and not saved yet.
    pub(crate) deleted: bool,
    /// Pending attribute values, by attribute index.
    pub(crate) attributes: AttributeMap,
    /// Pending to-one destinations, by relationship index.
    pub(crate) to_one: IndexMap<Option<ObjectId>>,
    /// To-many relationships loaded or changed, by relationship index.
    pub(crate) to_many: IndexMap<ToMany>,
    /// For a fault registered by a fetch: its fetch's list.
    pub(crate) fault_group: Option<FaultGroup>,
}

impl ObjectState {
    pub(crate) fn loaded(snapshot: Arc<Snapshot>) -> ObjectState {
        ObjectState { snapshot: Some(snapshot), ..Default::default() }
    }

    pub(crate) fn is_fault(&self) -> bool {
        !self.inserted && self.snapshot.is_none()
    }

    pub(crate) fn has_edits(&self) -> bool {
        !self.attributes.is_empty()
            || !self.to_one.is_empty()
            || self.to_many.values().any(ToMany::is_changed)
    }

    /// Drops edits that equal the snapshot (a value set back to what is stored).
    pub(crate) fn prune(&mut self) {
        let Some(snapshot) = &self.snapshot else { return };
        self.attributes.retain(|i, v| snapshot.value(*i) != Some(v));
        self.to_one.retain(|i, d| snapshot.to_one().get(*i) != Some(d));
    }

    pub(crate) fn discard_edits(&mut self) {
        self.attributes.clear();
        self.to_one.clear();
        for to_many in self.to_many.values_mut() {
            to_many.discard_changes();
        }
    }

    pub(crate) fn remap(&mut self, map: &IdMap<ObjectId>) {
        for destination in self.to_one.values_mut().flatten() {
            if let Some(p) = map.get(destination) {
                *destination = *p;
            }
        }
        for to_many in self.to_many.values_mut() {
            to_many.remap(map);
        }
    }
}

/// The primitive changes. Callers have checked names, types and liveness; these only
/// record. A missing temporary ID (an inserted object deleted since) is skipped: there is
/// nothing left to update.
///
/// Each `record_*` notes its change's inverse with the undo manager (one boolean test when
/// undo is off) and then applies it with the matching `apply_*`, which undo and redo call
/// directly so that replaying a change records nothing.
impl Context {
    /// The state of `id`, registering a fault for an unknown permanent ID.
    pub(crate) fn state_mut(&mut self, id: ObjectId) -> Option<&mut ObjectState> {
        if id.is_temporary() {
            return self.objects.get_mut(&id);
        }
        Some(self.objects.entry(id).or_default())
    }

    /// [`Context::set`] when `id` is registered, not a fault and not deleted, and `name`
    /// names an attribute of its entity (the common case), with one look-up of its state:
    /// what the general path (registering, checking, loading, then `record_attribute`)
    /// does there. `Err` hands the value back for the general path, which also reports
    /// what is wrong with `id` or `name`.
    pub(crate) fn set_live(
        &mut self,
        id: ObjectId,
        name: &str,
        value: Value,
    ) -> Result<crate::Result<()>, Value> {
        // Until a save, no temporary ID has a permanent one: skip that look-up.
        let id = if self.permanent.is_empty() { id } else { self.resolve(id) };
        let Some(state) = self.objects.get_mut(&id) else { return Err(value) };
        let entity = match self.model.entities().get(id.entity().get()) {
            Some(entity) if !state.is_fault() && !state.deleted => entity,
            _ => return Err(value),
        };
        let Some(index) = super::lookup::attribute_named(entity, name) else {
            return Err(value);
        };
        let value = match value.coerce(entity.attributes()[index].attribute_type()) {
            Ok(value) => value,
            Err(source) => {
                let (entity, attribute) = (entity.name().to_owned(), name.to_owned());
                return Ok(Err(ContextError::InvalidValue { entity, attribute, source }.into()));
            }
        };
        let recording = self.undo.recording();
        let before = if recording {
            let snapshot = || state.snapshot.as_ref().and_then(|r| r.value(index));
            state.attributes.get(&index).or_else(snapshot).cloned()
        } else {
            None
        };
        set_attribute(state, index, Some(value));
        let stored = !state.inserted;
        if recording {
            self.undo.push(Change::Attribute { id, index, value: before });
        }
        if stored {
            self.changed.insert(id);
        }
        Ok(Ok(()))
    }

    /// A new inserted object (its state must not exist yet).
    pub(crate) fn record_inserted(&mut self, id: ObjectId) {
        if self.undo.recording() {
            self.undo.push(Change::Inserted { id });
        }
        self.apply_inserted(id, None);
    }

    pub(crate) fn record_attribute(&mut self, id: ObjectId, index: usize, value: Value) {
        // `apply_attribute` in one look-up of the state: this runs for every value set.
        let recording = self.undo.recording();
        let (before, stored) = match self.state_mut(id) {
            Some(state) => {
                let before = if recording {
                    let snapshot = || state.snapshot.as_ref().and_then(|r| r.value(index));
                    state.attributes.get(&index).or_else(snapshot).cloned()
                } else {
                    None
                };
                set_attribute(state, index, Some(value));
                (before, !state.inserted)
            }
            None => (None, false),
        };
        if recording {
            self.undo.push(Change::Attribute { id, index, value: before });
        }
        if stored {
            self.changed.insert(id);
        }
    }

    pub(crate) fn record_to_one(&mut self, id: ObjectId, index: usize, destination: Option<ObjectId>) {
        if self.undo.recording() {
            let before = self.objects.get(&id).and_then(|s| {
                s.to_one
                    .get(&index)
                    .or_else(|| s.snapshot.as_ref().and_then(|r| r.to_one().get(index)))
                    .copied()
            });
            self.undo.push(Change::ToOne { id, index, value: before });
        }
        self.apply_to_one(id, index, Some(destination));
    }

    pub(crate) fn record_add(&mut self, id: ObjectId, index: usize, destination: ObjectId) {
        // Only an addition that changed the list is recorded: its inverse is then exactly a
        // removal (`ToMany::add` and `ToMany::remove` undo each other when they report a change).
        if self.apply_member(id, index, destination, true) && self.undo.recording() {
            self.undo.push(Change::Member { id, index, destination, added: true });
        }
    }

    pub(crate) fn record_remove(&mut self, id: ObjectId, index: usize, destination: ObjectId) {
        if self.apply_member(id, index, destination, false) && self.undo.recording() {
            self.undo.push(Change::Member { id, index, destination, added: false });
        }
    }

    pub(crate) fn record_deleted(&mut self, id: ObjectId) {
        if self.undo.recording() {
            // An inserted object is forgotten by its deletion: keep its whole state (and its
            // place in the insertion order) to bring it back.
            let forgotten = self.objects.get(&id).filter(|s| s.inserted && !s.deleted).map(|s| {
                Box::new(Forgotten {
                    state: s.clone(),
                    position: self.inserted.position(id).unwrap_or(usize::MAX),
                })
            });
            let was = self.objects.get(&id).is_some_and(|s| s.deleted);
            if !was {
                self.undo.push(Change::Deleted { id, forgotten });
            }
        }
        self.apply_deleted(id, true);
    }

    /// Registers an inserted object: a fresh one, or (`restored`) one an undo brings back.
    pub(crate) fn apply_inserted(&mut self, id: ObjectId, restored: Option<&Forgotten>) {
        match restored {
            Some(f) => {
                self.objects.insert(id, f.state.clone());
                self.inserted.insert_at(f.position, id);
            }
            None => {
                // An inserted object usually receives most of its values: room for all of
                // them at once.
                let attributes =
                    self.model.entities().get(id.entity().get()).map_or(0, |e| e.attributes().len());
                let attributes = AttributeMap::with_capacity(attributes);
                self.objects.insert(id, ObjectState { inserted: true, attributes, ..Default::default() });
                self.inserted.insert(id);
            }
        }
    }

    /// Sets (`Some`) or drops (`None`) the pending value of attribute `index`; a value equal
    /// to the snapshot's is no edit.
    pub(crate) fn apply_attribute(&mut self, id: ObjectId, index: usize, value: Option<Value>) {
        let Some(state) = self.state_mut(id) else { return };
        set_attribute(state, index, value);
        self.note_changed(id);
    }

    /// Sets (`Some`) or drops (`None`) the pending destination of to-one relationship `index`.
    pub(crate) fn apply_to_one(&mut self, id: ObjectId, index: usize, destination: Option<Option<ObjectId>>) {
        let Some(state) = self.state_mut(id) else { return };
        match destination {
            Some(d) if state.snapshot.as_ref().is_none_or(|s| s.to_one().get(index) != Some(&d)) => {
                state.to_one.insert(index, d);
            }
            _ => {
                state.to_one.remove(&index);
            }
        }
        self.note_changed(id);
    }

    /// Adds (`add`) or removes a destination of to-many relationship `index`; whether the
    /// relationship changed.
    pub(crate) fn apply_member(
        &mut self,
        id: ObjectId,
        index: usize,
        destination: ObjectId,
        add: bool,
    ) -> bool {
        let Some(state) = self.state_mut(id) else { return false };
        let inserted = state.inserted;
        let to_many = state.to_many.entry(index).or_default();
        if inserted && to_many.stored.is_none() {
            to_many.stored = Some(OrderedIdSet::default());
        }
        let changed = if add { to_many.add(destination) } else { to_many.remove(destination) };
        if changed {
            self.note_changed(id);
        }
        changed
    }

    /// Marks `id` deleted (or, `deleted == false`, live again). Deleting an inserted object
    /// only marks it: the delete path forgets it after its rules ran.
    pub(crate) fn apply_deleted(&mut self, id: ObjectId, deleted: bool) {
        let Some(state) = self.state_mut(id) else { return };
        state.deleted = deleted;
        if state.inserted {
            return;
        }
        if deleted {
            self.deleted.insert(id);
        } else {
            self.deleted.remove(&id);
        }
    }

    /// Drops an inserted object from the context.
    pub(crate) fn forget_inserted(&mut self, id: ObjectId) {
        self.objects.remove(&id);
        self.inserted.remove(id);
        self.changed.remove(&id);
        self.deleted.remove(&id);
    }

    fn note_changed(&mut self, id: ObjectId) {
        // Objects inserted here are saved whole; any other (a parent's insert, seen by a
        // child under its temporary ID) is an update.
        if self.objects.get(&id).is_some_and(|s| !s.inserted) {
            self.changed.insert(id);
        }
    }
}

/// Sets (`Some`) or drops (`None`) the pending value of attribute `index` of `state`; a value
/// equal to the snapshot's is no edit.
fn set_attribute(state: &mut ObjectState, index: usize, value: Option<Value>) {
    match value {
        Some(value) if !state.snapshot.as_ref().is_some_and(|s| s.value(index) == Some(&value)) => {
            state.attributes.insert(index, value);
        }
        _ => {
            state.attributes.remove(&index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_state_stays_small() {
        // Every registered object has one, in the identity map that every look-up probes
        // and the context's drop walks: the edit maps are one pointer each until used.
        let size = std::mem::size_of::<ObjectState>();
        assert!(size <= 10 * std::mem::size_of::<usize>(), "ObjectState is {size} bytes");
    }
}
