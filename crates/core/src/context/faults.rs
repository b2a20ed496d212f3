//! Faults and lazy relationships: loading rows and to-many lists in batches, and reading an
//! object's current values (snapshot plus pending edits).
//!
//! A fault fires with its fetch's neighbours ([`FAULT_BATCH`] rows per coordinator call),
//! and the coordinator answers from the row cache before asking a store, so iterating over
//! a fetch of faults costs one store call per batch, not one per object. Nothing here
//! changes an object's pending edits except dropping those a loaded row makes moot.

use std::sync::Arc;

use strata_model::Value;

use super::Context;
use super::error::ContextError;
use super::state::OrderedIdSet;
use crate::object_id::IdSet;
use crate::{ObjectId, Result, Snapshot};

/// How many faults of one fetch fire together.
pub(crate) const FAULT_BATCH: usize = 100;

impl Context {
    /// Loads the rows of every fault among `ids` in one coordinator call (one store call per
    /// store for the rows the row cache lacks). IDs the context has not seen are registered
    /// first. Errors if an ID is not valid here or its row no longer exists.
    pub fn fill_faults(&mut self, ids: &[ObjectId]) -> Result<()> {
        let mut registered = Vec::with_capacity(ids.len());
        for &id in ids {
            registered.push(self.register(id)?);
        }
        self.ensure_loaded(&registered)
    }

    /// Loads the faults among `ids` (registered IDs); a lone fault brings its fetch
    /// neighbours along. Errors with the first of `ids` whose row is gone.
    pub(crate) fn ensure_loaded(&mut self, ids: &[ObjectId]) -> Result<()> {
        let is_fault = |ctx: &Context, id: &ObjectId| ctx.objects.get(id).is_some_and(|s| s.is_fault());
        let mut wanted: Vec<ObjectId> = ids.iter().copied().filter(|id| is_fault(self, id)).collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let required: IdSet = wanted.iter().copied().collect();
        if wanted.len() < FAULT_BATCH {
            let mut seen = required.clone();
            for id in wanted.clone() {
                let Some(group) = self.objects.get(&id).and_then(|s| s.fault_group.clone()) else { continue };
                for &member in group.members.iter().skip(group.position).take(FAULT_BATCH) {
                    if wanted.len() >= FAULT_BATCH {
                        break;
                    }
                    if seen.insert(member) && is_fault(self, &member) {
                        wanted.push(member);
                    }
                }
            }
        }
        let snapshots = self.source_snapshots(&wanted)?;
        let mut missing = None;
        for (id, snapshot) in wanted.into_iter().zip(snapshots) {
            match snapshot {
                Some(snapshot) => self.fill(id, snapshot),
                None if missing.is_none() && required.contains(&id) => missing = Some(id),
                None => {}
            }
        }
        match missing {
            Some(id) => Err(ContextError::ObjectNotFound { id }.into()),
            None => Ok(()),
        }
    }

    /// Gives a registered object its row, dropping edits the row makes moot.
    pub(crate) fn fill(&mut self, id: ObjectId, snapshot: Arc<Snapshot>) {
        if let Some(state) = self.objects.get_mut(&id) {
            state.snapshot = Some(snapshot);
            state.fault_group = None;
            state.prune();
        }
    }

    /// Loads to-many relationship `index` of the objects among `ids` that have not loaded it,
    /// with one coordinator call. All of `ids` must have the relationship at `index`.
    pub(crate) fn load_to_many(&mut self, ids: &[ObjectId], index: usize) -> Result<()> {
        let mut need = Vec::new();
        for &id in ids {
            let Some(state) = self.objects.get_mut(&id) else { continue };
            let inserted = state.inserted;
            let to_many = state.to_many.entry(index).or_default();
            if to_many.stored.is_some() {
                continue;
            }
            if inserted {
                to_many.stored = Some(OrderedIdSet::default());
            } else {
                need.push(id);
            }
        }
        if need.is_empty() {
            return Ok(());
        }
        let lists = self.source_related(&need, index)?;
        for (id, list) in need.into_iter().zip(lists) {
            if let Some(state) = self.objects.get_mut(&id) {
                state.to_many.entry(index).or_default().set_stored(list);
            }
        }
        Ok(())
    }

    /// [`Context::load_to_many`] for objects of several entities: grouped so each call
    /// names one entity's relationship.
    pub(crate) fn load_to_many_named(&mut self, ids: &[ObjectId], name: &str) -> Result<()> {
        let mut groups: Vec<(usize, Vec<ObjectId>)> = Vec::new();
        for &id in ids {
            let Some(entity) = self.model.entities().get(id.entity().get()) else { continue };
            let Some(index) = super::lookup::relationship_named(entity, name) else { continue };
            match groups.iter_mut().find(|g| g.0 == index) {
                Some(group) => group.1.push(id),
                None => groups.push((index, vec![id])),
            }
        }
        for (index, group) in groups {
            self.load_to_many(&group, index)?;
        }
        Ok(())
    }

    /// The current value of attribute `index` of a loaded or inserted object (`Null` for a
    /// fault or an unknown object).
    pub(crate) fn attribute_value(&self, id: ObjectId, index: usize) -> Value {
        let Some(state) = self.objects.get(&id) else { return Value::Null };
        if let Some(value) = state.attributes.get(&index) {
            return value.clone();
        }
        if state.inserted {
            return self
                .model
                .entities()
                .get(id.entity().get())
                .and_then(|e| e.attributes().get(index))
                .map_or(Value::Null, |a| a.default_value().clone());
        }
        state.snapshot.as_ref().and_then(|s| s.value(index)).cloned().unwrap_or_default()
    }

    /// The current destination of to-one relationship `index` of a loaded or inserted
    /// object.
    pub(crate) fn current_to_one(&self, id: ObjectId, index: usize) -> Option<ObjectId> {
        let state = self.objects.get(&id)?;
        if let Some(destination) = state.to_one.get(&index) {
            return *destination;
        }
        state.snapshot.as_ref().and_then(|s| s.to_one().get(index).copied().flatten())
    }

    /// The current row of a loaded or inserted object of `entity`: every attribute's value
    /// and every to-one destination (`None` in to-many slots), in the entity's order — the
    /// layout of a [`Snapshot`](crate::Snapshot) and of an inserted row.
    pub(crate) fn current_row_values(
        &self,
        id: ObjectId,
        entity: &strata_model::Entity,
    ) -> (Vec<Value>, Vec<Option<ObjectId>>) {
        let values = (0..entity.attributes().len()).map(|i| self.attribute_value(id, i)).collect();
        let to_one = entity
            .relationships()
            .iter()
            .enumerate()
            .map(|(i, r)| if r.is_to_many() { None } else { self.current_to_one(id, i) })
            .collect();
        (values, to_one)
    }

    /// The current destinations of to-many relationship `index`, once loaded.
    pub(crate) fn current_to_many(&self, id: ObjectId, index: usize) -> Option<Vec<ObjectId>> {
        let state = self.objects.get(&id)?;
        match state.to_many.get(&index) {
            Some(to_many) => to_many.current(),
            None if state.inserted => Some(Vec::new()),
            None => None,
        }
    }

    /// The current destinations of relationship `index` (to-one or to-many) of a loaded
    /// object, for relationships whose lists were loaded.
    pub(crate) fn destinations(&self, id: ObjectId, index: usize) -> Vec<ObjectId> {
        match self.relationship_at(id, index) {
            Some(r) if r.is_to_many() => self.current_to_many(id, index).unwrap_or_default(),
            Some(_) => self.current_to_one(id, index).into_iter().collect(),
            None => Vec::new(),
        }
    }
}
