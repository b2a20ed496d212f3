//! The per-object operations merges and merge policies are made of: take a newer row with
//! the edits on top, drop edits (undoing the inverse bookkeeping they made on other objects),
//! roll an object back, forget an object deleted elsewhere, and describe an object's values.
//!
//! These change only the context's state; none calls a store.

use std::collections::BTreeMap;
use std::sync::Arc;

use strata_model::Value;

use super::super::Context;
use super::super::error::{ContextError, MembershipChange};
use super::super::lookup::Kind;
use super::super::state::OrderedIdSet;
use crate::object_id::IdSet;
use crate::{ObjectId, PropertyValue, Result, Snapshot};

impl Context {
    /// Gives `id` the newer `row`, keeping its edits on top (those equal to the row are
    /// dropped); its to-many lists, and the inverse lists of to-one relationships the row
    /// moved, reload on next access.
    pub(crate) fn take_row(&mut self, id: ObjectId, row: Arc<Snapshot>) {
        let old = self.objects.get(&id).and_then(|s| s.snapshot.clone());
        if let Some(old) = &old {
            self.mark_inverse_lists_stale(id, old, &row);
        }
        let Some(state) = self.objects.get_mut(&id) else { return };
        state.snapshot = Some(row);
        state.fault_group = None;
        state.prune();
        for to_many in state.to_many.values_mut() {
            to_many.stored = None;
        }
    }

    /// Store-trump for one object: drops the edits of properties the store changed since
    /// `base` (the row the edits were made on), then takes `row`.
    pub(crate) fn store_trump(&mut self, id: ObjectId, base: &Snapshot, row: Arc<Snapshot>) {
        let Some(state) = self.objects.get_mut(&id) else { return };
        state.attributes.retain(|i, _| row.value(*i) == base.value(*i));
        let moved: Vec<usize> =
            state.to_one.keys().copied().filter(|i| row.to_one().get(*i) != base.to_one().get(*i)).collect();
        for index in moved {
            self.drop_to_one_edit(id, index);
        }
        self.take_row(id, row);
    }

    /// Drops every pending change of `id` (a deletion included, and the mirror entries its
    /// relationship changes made on other objects) and gives it `row`.
    pub(crate) fn rollback_object(&mut self, id: ObjectId, row: Arc<Snapshot>) {
        let to_one: Vec<usize> =
            self.objects.get(&id).map(|s| s.to_one.keys().copied().collect()).unwrap_or_default();
        for index in to_one {
            self.drop_to_one_edit(id, index);
        }
        self.drop_to_many_mirrors(id);
        if self.objects.get(&id).is_some_and(|s| s.deleted) {
            self.undo_nullify(id);
        }
        if let Some(state) = self.objects.get_mut(&id) {
            state.discard_edits();
            state.deleted = false;
        }
        self.deleted.remove(&id);
        self.changed.remove(&id);
        self.take_row(id, row);
        self.merging.held.remove(&id);
    }

    /// Undoes what the nullify rules of a deletion of `id` recorded on other objects (its
    /// removal from their to-many lists, their to-one relationships to it set to nil), so
    /// that an object brought back by a rollback keeps its links. A removal of `id` the user
    /// made explicitly is undone too: nothing tells the two apart, and keeping the object's
    /// links is what bringing it back means.
    fn undo_nullify(&mut self, id: ObjectId) {
        for state in self.objects.values_mut() {
            for to_many in state.to_many.values_mut() {
                to_many.removed.remove(&id);
            }
            let Some(snapshot) = &state.snapshot else { continue };
            state.to_one.retain(|i, d| !(d.is_none() && snapshot.to_one().get(*i) == Some(&Some(id))));
        }
    }

    /// Drops the pending to-one edit `index` of `id` and the inverse bookkeeping it made on
    /// its old and new destinations.
    pub(crate) fn drop_to_one_edit(&mut self, id: ObjectId, index: usize) {
        let Some(state) = self.objects.get_mut(&id) else { return };
        let Some(new) = state.to_one.remove(&index) else { return };
        let old = state.snapshot.as_ref().and_then(|s| s.to_one().get(index).copied().flatten());
        let Some(to_many_inverse) = self.inverse_is_to_many(id, index) else { return };
        for (destination, was_new) in new.map(|n| (n, true)).into_iter().chain(old.map(|o| (o, false))) {
            let Some(inverse) = self.inverse_index(id, index, destination) else { continue };
            let Some(other) = self.objects.get_mut(&destination) else { continue };
            if to_many_inverse {
                if let Some(list) = other.to_many.get_mut(&inverse) {
                    if was_new {
                        list.added.remove(id);
                    } else {
                        list.removed.remove(&id);
                    }
                }
            } else {
                let mirror = if was_new { Some(id) } else { None };
                if other.to_one.get(&inverse) == Some(&mirror) {
                    other.to_one.remove(&inverse);
                }
            }
        }
    }

    /// Removes the entries `id`'s many-to-many changes made on the other side.
    pub(crate) fn drop_to_many_mirrors(&mut self, id: ObjectId) {
        let Some(state) = self.objects.get(&id) else { return };
        let mut mirrors: Vec<(ObjectId, usize, bool)> = Vec::new();
        for (&index, to_many) in &state.to_many {
            if self.inverse_is_to_many(id, index) != Some(true) {
                continue;
            }
            for d in to_many.added.iter() {
                mirrors.extend(self.inverse_index(id, index, d).map(|inv| (d, inv, true)));
            }
            for &d in &to_many.removed {
                mirrors.extend(self.inverse_index(id, index, d).map(|inv| (d, inv, false)));
            }
        }
        for (destination, inverse, added) in mirrors {
            let Some(list) = self.objects.get_mut(&destination).and_then(|s| s.to_many.get_mut(&inverse))
            else {
                continue;
            };
            if added {
                list.added.remove(id);
            } else {
                list.removed.remove(&id);
            }
        }
    }

    /// Marks for reload the inverse lists of to-one relationships of `id` that differ
    /// between two rows (the old and new destinations' lists no longer match the store).
    fn mark_inverse_lists_stale(&mut self, id: ObjectId, old: &Snapshot, new: &Snapshot) {
        let mut stale: Vec<(ObjectId, usize)> = Vec::new();
        for (index, (a, b)) in old.to_one().iter().zip(new.to_one()).enumerate() {
            if a == b || self.inverse_is_to_many(id, index) != Some(true) {
                continue;
            }
            for destination in a.iter().chain(b) {
                stale.extend(self.inverse_index(id, index, *destination).map(|inv| (*destination, inv)));
            }
        }
        for (destination, inverse) in stale {
            if let Some(list) = self.objects.get_mut(&destination).and_then(|s| s.to_many.get_mut(&inverse)) {
                list.stored = None;
            }
        }
    }

    /// Forgets a stored object altogether (deleted elsewhere).
    pub(crate) fn forget_object(&mut self, id: ObjectId) {
        self.objects.remove(&id);
        self.deleted.remove(&id);
        self.changed.remove(&id);
        self.merging.held.remove(&id);
    }

    /// Removes forgotten objects from every loaded to-many list and pending removal.
    pub(crate) fn purge_lists(&mut self, gone: &IdSet) {
        if gone.is_empty() {
            return;
        }
        for state in self.objects.values_mut() {
            for to_many in state.to_many.values_mut() {
                if let Some(stored) = &to_many.stored
                    && stored.iter().any(|d| gone.contains(&d))
                {
                    to_many.stored =
                        Some(OrderedIdSet::from_vec(stored.iter().filter(|d| !gone.contains(d)).collect()));
                }
                to_many.removed.retain(|d| !gone.contains(d));
            }
        }
    }

    /// The object's attributes and to-one relationships as the context holds them, by name.
    pub(crate) fn object_values(&self, id: ObjectId) -> BTreeMap<String, PropertyValue> {
        let mut out = BTreeMap::new();
        let Ok(entity) = self.entity_of(id) else { return out };
        for (i, attribute) in entity.attributes().iter().enumerate() {
            out.insert(attribute.name().to_owned(), PropertyValue::Value(self.attribute_value(id, i)));
        }
        for (i, relationship) in entity.relationships().iter().enumerate() {
            if !relationship.is_to_many() {
                out.insert(relationship.name().to_owned(), PropertyValue::Object(self.current_to_one(id, i)));
            }
        }
        out
    }

    /// The object's pending to-many membership changes, by relationship name.
    pub(crate) fn membership_changes(&self, id: ObjectId) -> BTreeMap<String, MembershipChange> {
        let mut out = BTreeMap::new();
        let (Some(state), Ok(entity)) = (self.objects.get(&id), self.entity_of(id)) else { return out };
        for (&i, to_many) in state.to_many.iter().filter(|(_, t)| t.is_changed()) {
            let Some(relationship) = entity.relationships().get(i) else { continue };
            let mut removed: Vec<ObjectId> = to_many.removed.iter().copied().collect();
            removed.sort();
            let change = MembershipChange { added: to_many.added.iter().collect(), removed };
            out.insert(relationship.name().to_owned(), change);
        }
        out
    }

    /// Attribute values by name, checked and fitted to `id`'s attributes (as
    /// [`Context::set`] fits them), by attribute index.
    pub(crate) fn checked_values(
        &self,
        id: ObjectId,
        values: &[(String, Value)],
    ) -> Result<Vec<(usize, Value)>> {
        let mut out = Vec::with_capacity(values.len());
        for (name, value) in values {
            let index = self.property_index(id, name, Kind::Attribute)?;
            let entity = self.entity_of(id)?;
            let Some(attribute) = entity.attributes().get(index) else { continue };
            let value = value.clone().coerce(attribute.attribute_type()).map_err(|source| {
                ContextError::InvalidValue {
                    entity: entity.name().to_owned(),
                    attribute: name.clone(),
                    source,
                }
            })?;
            out.push((index, value));
        }
        Ok(out)
    }
}
