//! Discarding and re-reading: [`Context::rollback`], [`Context::reset`],
//! [`Context::refresh`], and [`Context::existing_object`].
//!
//! `rollback` and `reset` never call a store; `refresh` and `existing_object` make at most
//! one coordinator call for the one object (plus, with automatic merging on, the merge of
//! queued notifications they start with).

use super::Context;
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
            return Err(ContextError::ObjectNotFound { id }.into());
        };
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
