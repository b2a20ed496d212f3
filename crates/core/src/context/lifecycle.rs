//! Discarding and re-reading: [`Context::rollback`], [`Context::reset`],
//! [`Context::refresh`], [`Context::refresh_all_objects`] and [`Context::existing_object`].
//!
//! `rollback` and `reset` never call a store; `refresh` and `existing_object` make at most
//! one coordinator call for the one object (plus, with automatic merging on, the merge of
//! queued notifications they start with); `refresh_all_objects` one batched call.

use super::Context;
use super::MergeOutcome;
use super::error::ContextError;
use crate::{ObjectId, Result};

impl Context {
    /// Discards every pending change: inserted objects are forgotten, deleted ones come
    /// back, edits are dropped. Loaded rows and to-many lists stay loaded.
    pub fn rollback(&mut self) {
        for id in self.inserted.iter().collect::<Vec<_>>() {
            self.objects.remove(&id);
        }
        self.inserted = Default::default();
        for state in self.objects.values_mut() {
            state.discard_edits();
            state.deleted = false;
        }
        self.deleted.clear();
        self.changed.clear();
        self.merging.held.clear();
        self.undo.clear();
    }

    /// Forgets every object, pending changes included: the context is as new (its name and
    /// author stay).
    pub fn reset(&mut self) {
        self.objects.clear();
        self.inserted = Default::default();
        self.deleted.clear();
        self.changed.clear();
        self.permanent.clear();
        self.merging.held.clear();
        self.undo.clear();
        self.note_everything_changed();
    }

    /// Re-reads `id`'s row from its store. Without `merge_changes` the object's own pending
    /// changes are dropped (a deletion included; changes made to other objects through
    /// inverses stay, as in Core Data); with it they are kept on top of the new row. To-many
    /// relationships reload on next access. If the row is gone the object is forgotten and
    /// the error is [`ContextError::ObjectNotFound`]. Inserted objects have nothing to re-read.
    ///
    /// Either way the new row becomes the base of the object's edits: a conflict a merge
    /// left for the next save (see [`Context::merge_changes`]) is settled.
    pub fn refresh(&mut self, id: ObjectId, merge_changes: bool) -> Result<()> {
        self.auto_merge()?;
        let id = self.register(id)?;
        self.merging.held.remove(&id);
        if self.objects.get(&id).is_some_and(|s| s.inserted) {
            return Ok(());
        }
        let fresh = self.store_refresh(&[id])?.into_iter().next().flatten();
        let Some(snapshot) = fresh else {
            self.objects.remove(&id);
            self.deleted.remove(&id);
            self.changed.remove(&id);
            self.note_refreshed(id, true);
            return Err(ContextError::ObjectNotFound { id }.into());
        };
        self.note_refreshed(id, false);
        let Some(state) = self.objects.get_mut(&id) else { return Ok(()) };
        state.snapshot = Some(snapshot);
        state.fault_group = None;
        if merge_changes {
            state.prune();
            for to_many in state.to_many.values_mut() {
                to_many.stored = None;
            }
        } else {
            state.discard_edits();
            state.to_many.clear();
            if state.deleted {
                state.deleted = false;
                self.deleted.remove(&id);
            }
            self.changed.remove(&id);
        }
        Ok(())
    }

    /// Re-reads every registered object, as Core Data's `refreshAllObjects`: what to do
    /// when changes made elsewhere can no longer be listed (history expired). Loaded objects
    /// are re-read in one batched call (which refreshes the row cache); those without
    /// pending changes become faults that fire on the fresh row, those with pending changes
    /// take it with their edits kept on top, collisions settled by the merge policy as in
    /// [`Context::merge_changes`]. Faults' cached rows are dropped from the row cache so they
    /// fire on the store's current row. Objects whose row is gone are forgotten (listed in
    /// the outcome). Inserted objects are untouched.
    pub fn refresh_all_objects(&mut self) -> Result<MergeOutcome> {
        self.auto_merge()?;
        let mut loaded = Vec::new();
        for (id, state) in &self.objects {
            if state.inserted || id.is_temporary() {
                continue;
            }
            if state.snapshot.is_some() {
                loaded.push(*id);
            } else if self.parent().is_none() {
                self.coordinator.row_cache().remove(*id);
            }
        }
        let rows = if loaded.is_empty() { Vec::new() } else { self.store_refresh(&loaded)? };
        let mut edited = Vec::new();
        let mut gone = Vec::new();
        let mut faulted = Vec::new();
        for (id, row) in loaded.into_iter().zip(rows) {
            let Some(state) = self.objects.get_mut(&id) else { continue };
            match row {
                None => gone.push(id),
                Some(row) if state.deleted || state.has_edits() => edited.push((id, Some(row))),
                Some(_) => {
                    state.snapshot = None;
                    state.fault_group = None;
                    state.to_many.clear();
                    faulted.push(id);
                }
            }
        }
        let mut outcome = self.merge_rows(&gone, edited);
        // Unchanged objects turned into faults count as refreshed: they fire on the new row.
        outcome.refreshed.extend(faulted);
        self.note_everything_changed();
        Ok(outcome)
    }

    /// `id` if its object exists: inserted in this context, or with a row in its store. A
    /// loaded object whose row the row cache still holds needs no store call; otherwise the
    /// row is read (and the object registered). Errors with
    /// [`ContextError::ObjectNotFound`] if the row is gone.
    pub fn existing_object(&mut self, id: ObjectId) -> Result<ObjectId> {
        self.auto_merge()?;
        let was_registered = self.is_registered(id);
        let id = self.register(id)?;
        let Some(state) = self.objects.get(&id) else {
            return Err(ContextError::UnknownObject { id }.into());
        };
        if state.inserted {
            return Ok(id);
        }
        let found = if state.snapshot.is_some() {
            (self.parent().is_none() && self.coordinator.row_cache().get(id).is_some())
                || self.source_snapshots(&[id])?.into_iter().next().flatten().is_some()
        } else {
            match self.ensure_loaded(&[id]) {
                Ok(()) => true,
                Err(crate::Error::Context(ContextError::ObjectNotFound { .. })) => false,
                Err(e) => return Err(e),
            }
        };
        if found {
            return Ok(id);
        }
        if !was_registered {
            self.objects.remove(&id);
        }
        Err(ContextError::ObjectNotFound { id }.into())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use strata_model::Model;

    use crate::context::ContextInbox;
    use crate::memory_store::MemoryStore;
    use crate::{Context, Coordinator, FetchRequest, ObjectId};

    const MODEL: &str = r#"{"name":"M","version":1,"entities":[{"name":"Note","attributes":[
        {"name":"text","type":"string"},{"name":"rank","type":"int64"}]}]}"#;

    /// Two coordinators on one store (so one's saves leave the other's row cache stale),
    /// and notes "a", "b", "c", "d" saved through the first.
    fn setup() -> (Arc<Coordinator>, Arc<Coordinator>, Vec<ObjectId>) {
        let model = Arc::new(Model::from_json(MODEL).unwrap());
        let store = Arc::new(MemoryStore::new(model.clone()));
        let (here, there) = (Coordinator::new(model.clone()), Coordinator::new(model));
        here.add_store("Default", store.clone()).unwrap();
        there.add_store("Default", store).unwrap();
        let mut context = Context::new(here.clone());
        let ids: Vec<ObjectId> = ["a", "b", "c", "d"]
            .iter()
            .map(|t| {
                let id = context.insert("Note").unwrap();
                context.set(id, "text", *t).unwrap();
                id
            })
            .collect();
        let outcome = context.save().unwrap();
        (here, there, ids.iter().map(|id| outcome.permanent_id(*id).unwrap()).collect())
    }

    #[test]
    fn refresh_all_objects_rereads_everything_and_keeps_edits() {
        let (here, there, ids) = setup();
        let [a, b, c, d] = ids[..] else { unreachable!() };
        // The row cache holds every row; the context loads a, b and d, and c as a fault.
        Context::new(here.clone()).fetch(&FetchRequest::new("Note")).unwrap();
        let mut context = Context::new(here);
        for id in [a, b, d] {
            context.get::<String>(id, "text").unwrap();
        }
        context
            .fetch(&FetchRequest::new("Note").filter("text == 'c'", &[]).unwrap().returns_faults(true))
            .unwrap();
        assert!(context.is_fault(c));
        context.set(b, "rank", 7_i64).unwrap();
        let inserted = context.insert("Note").unwrap();
        // Elsewhere: every object changes, d is deleted.
        let mut other = Context::new(there);
        for (id, text) in [(a, "a2"), (b, "b2"), (c, "c2")] {
            other.set(id, "text", text).unwrap();
        }
        other.delete(d).unwrap();
        other.save().unwrap();
        assert_eq!(context.get::<String>(a, "text").unwrap(), "a", "not refreshed yet");

        let outcome = context.refresh_all_objects().unwrap();
        assert_eq!(outcome.forgotten, vec![d]);
        assert!(outcome.refreshed.contains(&a) && outcome.refreshed.contains(&b));
        assert!(context.is_fault(a), "an unchanged object becomes a fault");
        assert_eq!(context.get::<String>(a, "text").unwrap(), "a2");
        assert_eq!(context.get::<String>(b, "text").unwrap(), "b2");
        assert_eq!(context.get::<i64>(b, "rank").unwrap(), 7, "the edit is kept");
        assert_eq!(context.get::<String>(c, "text").unwrap(), "c2", "the fault fires on the new row");
        assert!(!context.is_registered(d));
        assert!(context.inserted_objects().contains(&inserted));
        context.save().expect("the refreshed rows are the base of the edits");
    }

    #[test]
    fn an_inbox_applies_a_refresh_all_request_after_queued_merges() {
        let (here, there, ids) = setup();
        let (sender, inbox) = ContextInbox::new();
        let mut context = Context::new(here);
        context.get::<String>(ids[0], "text").unwrap();
        let mut other = Context::new(there);
        other.set(ids[0], "text", "changed").unwrap();
        other.save().unwrap();
        sender.send(crate::MergeRequest::new(vec![], vec![], vec![ids[3]])).unwrap();
        sender.request_refresh_all().unwrap();
        let outcome = inbox.apply(&mut context).unwrap();
        assert!(outcome.refreshed.contains(&ids[0]));
        assert_eq!(context.get::<String>(ids[0], "text").unwrap(), "changed");
        drop(inbox);
        let closed = sender.request_refresh_all().unwrap_err();
        assert!(closed.request.is_empty());
    }
}
