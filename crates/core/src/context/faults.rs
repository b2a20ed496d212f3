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
use super::lookup::Kind;
use super::state::{ObjectState, OrderedIdSet};
use crate::object_id::IdSet;
use crate::{ObjectId, Result, Snapshot};

/// How many faults of one fetch fire together.
pub(crate) const FAULT_BATCH: usize = 100;

/// What an attribute without a value reads as, for borrowed reads.
static NULL: Value = Value::Null;

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
            fill_state(state, snapshot);
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
        self.attribute_ref(id, index).clone()
    }

    /// [`Context::attribute_value`], borrowed.
    #[inline]
    pub(crate) fn attribute_ref(&self, id: ObjectId, index: usize) -> &Value {
        match self.objects.get(&id) {
            Some(state) => self.state_value(id, state, index),
            None => &NULL,
        }
    }

    /// The current value of attribute `index` of the object whose state is `state`.
    fn state_value<'a>(&'a self, id: ObjectId, state: &'a ObjectState, index: usize) -> &'a Value {
        if let Some(value) = state.attributes.get(&index) {
            return value;
        }
        if state.inserted {
            return self
                .model
                .entities()
                .get(id.entity().get())
                .and_then(|e| e.attributes().get(index))
                .map_or(&NULL, |a| a.default_value());
        }
        state.snapshot.as_ref().and_then(|s| s.value(index)).unwrap_or(&NULL)
    }

    /// The value of attribute `name` of `id` when the context answers it as it stands:
    /// `id` registered and not a fault, `name` an attribute of its entity. This is what
    /// [`Context::value`] answers then, found with one identity-map look-up instead of
    /// registering, checking and loading; `None` sends the caller down that general path
    /// (which also reports unknown names and objects).
    pub(crate) fn loaded_value(&self, id: ObjectId, name: &str) -> Option<&Value> {
        let id = self.resolve(id);
        let state = self.objects.get(&id)?;
        let index = self.loaded_index(id, state, name)?;
        Some(self.state_value(id, state, index))
    }

    /// The index of attribute `name` of `id` (resolved) when [`Context::loaded_value`]
    /// answers for it.
    fn loaded_index(&self, id: ObjectId, state: &ObjectState, name: &str) -> Option<usize> {
        if state.is_fault() {
            return None;
        }
        let entity = self.model.entities().get(id.entity().get())?;
        super::lookup::attribute_named(entity, name)
    }

    /// The value of attribute `name` of `id`, with pending changes, borrowed from the
    /// context: [`Context::value`] without the copy (no allocation for text or binary
    /// values). Fires the object's fault if needed, as `value` does; the borrow ends at the
    /// context's next use.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use strata_core::{Context, Coordinator, Value, memory_store::MemoryStore};
    /// # let model = Arc::new(strata_model::Model::from_json(r#"{"name":"M","version":1,"entities":[{"name":"Note","attributes":[{"name":"text","type":"string"}]}]}"#).unwrap());
    /// # let coordinator = Coordinator::new(model.clone());
    /// # coordinator.add_store("Default", Arc::new(MemoryStore::new(model)))?;
    /// let mut context = Context::new(coordinator);
    /// let note = context.insert("Note")?;
    /// context.set(note, "text", "hello")?;
    /// assert_eq!(context.value_ref(note, "text")?.as_str(), Some("hello"));
    /// # Ok::<(), strata_core::Error>(())
    /// ```
    pub fn value_ref(&mut self, id: ObjectId, name: &str) -> Result<&Value> {
        // Two identity-map look-ups but one name search on the fast path: returning the
        // first borrow from inside a branch would keep `self` borrowed on the general path.
        // The general path is a function of its own so that this one stays small (it runs
        // for every attribute an application reads).
        let resolved = self.resolve(id);
        let fast = self.objects.get(&resolved).and_then(|state| self.loaded_index(resolved, state, name));
        match fast {
            Some(index) => Ok(self.attribute_ref(resolved, index)),
            None => self.value_ref_general(id, name),
        }
    }

    /// [`Context::value_ref`] for an object that is a fault or not registered, or a name
    /// that is not one of its attributes: registers, checks and loads, reporting what is
    /// wrong.
    #[cold]
    #[inline(never)]
    fn value_ref_general(&mut self, id: ObjectId, name: &str) -> Result<&Value> {
        let id = self.register(id)?;
        let index = self.property_index(id, name, Kind::Attribute)?;
        self.ensure_loaded(&[id])?;
        Ok(self.attribute_ref(id, index))
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
        (values, self.current_to_ones(id, entity))
    }

    /// The current destination of each to-one relationship of `id` (of `entity`), pending
    /// changes included; `None` in the slots of to-many relationships, as rows carry them.
    pub(crate) fn current_to_ones(
        &self,
        id: ObjectId,
        entity: &strata_model::Entity,
    ) -> Vec<Option<ObjectId>> {
        entity
            .relationships()
            .iter()
            .enumerate()
            .map(|(i, r)| if r.is_to_many() { None } else { self.current_to_one(id, i) })
            .collect()
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

/// [`Context::fill`] on an object's state.
pub(crate) fn fill_state(state: &mut ObjectState, snapshot: Arc<Snapshot>) {
    state.snapshot = Some(snapshot);
    state.fault_group = None;
    state.prune();
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use strata_model::{Model, Value};

    use crate::memory_store::MemoryStore;
    use crate::{Context, ContextError, Coordinator, Error, FetchRequest, ObjectId};

    const MODEL: &str = r#"{"name":"M","version":1,"entities":[
        {"name":"Note","attributes":[{"name":"text","type":"string"},
            {"name":"rank","type":"int64","default":7}],
         "relationships":[{"name":"next","destination":"Note","toMany":false}]}]}"#;

    /// A coordinator holding notes "a" (rank 1) and "b" (rank 2), and their IDs.
    fn setup() -> (Arc<Coordinator>, [ObjectId; 2]) {
        let model = Arc::new(Model::from_json(MODEL).unwrap());
        let coordinator = Coordinator::new(model.clone());
        coordinator.add_store("Default", Arc::new(MemoryStore::new(model))).unwrap();
        let mut context = Context::new(coordinator.clone());
        let ids = [("a", 1_i64), ("b", 2)].map(|(text, rank)| {
            let id = context.insert("Note").unwrap();
            context.set(id, "text", text).unwrap();
            context.set(id, "rank", rank).unwrap();
            id
        });
        let outcome = context.save().unwrap();
        (coordinator, ids.map(|id| outcome.permanent_id(id).unwrap()))
    }

    fn kind_of(error: Error) -> &'static str {
        match error {
            Error::Context(ContextError::UnknownProperty { .. }) => "unknown",
            Error::Context(ContextError::WrongPropertyKind { .. }) => "wrong kind",
            Error::Context(ContextError::UnknownObject { .. }) => "unknown object",
            _ => "other",
        }
    }

    /// `value` (fast path on loaded objects, general path otherwise) and `value_ref` answer
    /// alike in every state an object can be in: loaded, edited, a fault, unregistered,
    /// inserted (with a default), and saved under a temporary ID.
    #[test]
    fn borrowed_and_owned_reads_agree_in_every_state() {
        let (coordinator, [a, b]) = setup();
        let mut context = Context::new(coordinator.clone());
        context.fetch(&FetchRequest::new("Note").filter("text == 'a'", &[]).unwrap()).unwrap();
        assert!(!context.is_fault(a) && !context.is_registered(b));
        assert_eq!(context.value_ref(a, "text").unwrap(), &Value::from("a"));
        assert_eq!(context.value(a, "rank").unwrap(), Value::Int64(1));

        context.set(a, "text", "edited").unwrap();
        assert_eq!(context.value(a, "text").unwrap(), Value::from("edited"));
        assert_eq!(context.value_ref(a, "text").unwrap(), &Value::from("edited"));

        // Unregistered: registered and loaded on the way.
        assert_eq!(context.value_ref(b, "text").unwrap(), &Value::from("b"));
        assert!(context.is_registered(b) && !context.is_fault(b));

        let mut faults = Context::new(coordinator);
        faults.fetch(&FetchRequest::new("Note").returns_faults(true)).unwrap();
        assert!(faults.is_fault(b));
        assert_eq!(faults.value(b, "rank").unwrap(), Value::Int64(2));
        assert!(!faults.is_fault(b), "the read fired the fault");

        let inserted = context.insert("Note").unwrap();
        assert_eq!(context.value_ref(inserted, "rank").unwrap(), &Value::Int64(7));
        assert_eq!(context.value(inserted, "text").unwrap(), Value::Null);
        context.set(inserted, "text", "new").unwrap();
        context.save().unwrap();
        assert_eq!(context.value(inserted, "text").unwrap(), Value::from("new"), "temporary ID after save");
        assert_eq!(context.value_ref(inserted, "text").unwrap(), &Value::from("new"));
        assert_eq!(context.value(a, "text").unwrap(), Value::from("edited"));
    }

    /// The fast path never swallows an error the general path reports.
    #[test]
    fn wrong_names_are_errors_on_loaded_objects() {
        let (coordinator, [a, _]) = setup();
        let mut context = Context::new(coordinator);
        context.fetch(&FetchRequest::new("Note")).unwrap();
        assert!(!context.is_fault(a));
        assert_eq!(kind_of(context.value(a, "txt").unwrap_err()), "unknown");
        assert_eq!(kind_of(context.value_ref(a, "txt").unwrap_err()), "unknown");
        assert_eq!(kind_of(context.value(a, "next").unwrap_err()), "wrong kind");
        assert_eq!(kind_of(context.value_ref(a, "next").unwrap_err()), "wrong kind");
        let bogus = ObjectId::new_temporary(a.entity());
        assert!(context.value(bogus, "text").is_err());
        assert!(context.value_ref(bogus, "text").is_err());
    }
}
