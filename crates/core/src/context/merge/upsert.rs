//! Uniqueness conflicts at save time: an inserted object the store refused because a stored
//! object has the same constrained values becomes an update of that stored object
//! (insert-or-update), by the rules in `context/policy.rs`.
//!
//! The inserted object's temporary ID is replaced by the stored object's ID everywhere in
//! the context (identity map, relationships of every object, and the temporary-to-permanent
//! map behind [`Context::permanent_id`]). One store call: the stored object's current row.

use strata_model::Value;

use super::super::Context;
use super::super::policy::{ConstraintConflict, MergeResolution};
use super::super::state::ObjectState;
use crate::object_id::IdMap;
use crate::store::StoreError;
use crate::{Error, ObjectId, Result};

/// What became of a uniqueness conflict the policy accepted.
pub(crate) enum Upsert {
    /// The inserted object (first) is now the stored object (second).
    Merged(ObjectId, ObjectId),
    /// The stored object is gone since: the save can simply be retried.
    Retry,
}

impl Context {
    /// Resolves a [`StoreError::Uniqueness`] by the merge policy; `Err` (the store's error,
    /// or what stopped the resolution) when the policy fails it or it cannot be resolved
    /// (not an inserted object, no stored object named, the stored object deleted here).
    pub(crate) fn resolve_uniqueness(&mut self, error: StoreError) -> Result<Upsert> {
        let StoreError::Uniqueness { entity, properties, id, existing: Some(existing) } = &error else {
            return Err(error.into());
        };
        let (inserted, existing) = (*id, *existing);
        // Values merge by attribute index: only an object of the same entity can take them.
        let resolvable = inserted.is_temporary()
            && inserted.entity() == existing.entity()
            && self.inserted.contains(inserted)
            && !self.objects.get(&existing).is_some_and(|s| s.deleted || s.inserted)
            && !matches!(self.merging.policy, super::super::MergePolicy::Error);
        if !resolvable {
            return Err(error.into());
        }
        let Some(current) = self.coordinator.refresh_snapshots(&[existing])?.into_iter().next().flatten()
        else {
            return Ok(Upsert::Retry);
        };
        let conflict = ConstraintConflict {
            inserted,
            existing,
            entity: entity.clone(),
            properties: properties.clone(),
            values: self.object_values(inserted),
            current: current.clone(),
        };
        let resolution = self.merging.policy.clone().constraint_resolution(&conflict);
        let values = match &resolution {
            MergeResolution::Fail => return Err(Error::Store(error)),
            MergeResolution::Values(values) => self.checked_values(inserted, values)?,
            _ => Vec::new(),
        };
        // The stored object's state: registered with its current row (edits it already has
        // keep the version they were made on, so a concurrent change still conflicts).
        match self.objects.get(&existing).and_then(|s| s.snapshot.clone()) {
            None => {
                let state = self.objects.entry(existing).or_default();
                state.snapshot = Some(current.clone());
                state.fault_group = None;
                state.prune();
            }
            Some(old) if old.version() < current.version() => {
                let pending = self.objects.get(&existing).is_some_and(ObjectState::has_edits);
                if pending {
                    self.merging.held.entry(existing).or_insert(old);
                }
                self.take_row(existing, current.clone());
            }
            Some(_) => {}
        }
        let Some(entity) = self.model.entities().get(inserted.entity().get()) else {
            return Err(error.into());
        };
        let (attributes, relationships) = (entity.attributes().len(), entity.relationships().len());
        let taken: Vec<(usize, Value)> = match resolution {
            MergeResolution::ObjectTrump => self
                .objects
                .get(&inserted)
                .map(|s| s.attributes.clone().into_iter().collect())
                .unwrap_or_default(),
            MergeResolution::Overwrite => {
                (0..attributes).map(|i| (i, self.attribute_value(inserted, i))).collect()
            }
            _ => values,
        };
        let to_one: Vec<(usize, Option<ObjectId>)> = match resolution {
            MergeResolution::ObjectTrump => self
                .objects
                .get(&inserted)
                .map(|s| s.to_one.clone().into_iter().collect())
                .unwrap_or_default(),
            MergeResolution::Overwrite => (0..relationships)
                .filter(|i| self.relationship_at(inserted, *i).is_some_and(|r| !r.is_to_many()))
                .map(|i| (i, self.current_to_one(inserted, i)))
                .collect(),
            _ => Vec::new(),
        };
        // The inserted object's to-one edits made inverse entries on their destinations;
        // they are re-made below, from the stored object, where the policy keeps them.
        let edits: Vec<usize> =
            self.objects.get(&inserted).map(|s| s.to_one.keys().copied().collect()).unwrap_or_default();
        for index in edits {
            self.drop_to_one_edit(inserted, index);
        }
        let Some(state) = self.objects.remove(&inserted) else { return Err(error.into()) };
        self.inserted.remove(inserted);
        self.permanent.insert(inserted, existing);
        let map: IdMap<ObjectId> = [(inserted, existing)].into_iter().collect();
        for other in self.objects.values_mut() {
            other.remap(&map);
        }
        for (index, to_many) in state.to_many {
            for destination in to_many.added.iter() {
                let destination = map.get(&destination).copied().unwrap_or(destination);
                self.record_add(existing, index, destination);
            }
        }
        for (index, value) in taken {
            self.record_attribute(existing, index, value);
        }
        for (index, destination) in to_one {
            let destination = destination.map(|d| map.get(&d).copied().unwrap_or(d));
            self.link_to_one(existing, index, destination)?;
        }
        Ok(Upsert::Merged(inserted, existing))
    }
}
