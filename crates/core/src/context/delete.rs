//! Deleting objects and the model's delete rules.
//!
//! `delete` runs the rules at once, in the context, so that reads, fetches with pending
//! changes and the deleted set reflect them before the save:
//!
//! - **cascade** deletes the destinations too, recursively (each object once, so cycles end);
//! - **nullify** removes the deleted object from each destination's inverse (for a to-one
//!   inverse the destination's foreign key becomes nil: an update of the destination);
//! - **deny** is checked when saving: the save fails, naming the object and relationship,
//!   while the relationship holds objects that are not deleted too;
//! - **noAction** does nothing (destinations may keep a dangling reference, which the store
//!   refuses when saved).
//!
//! Rows and to-many lists the rules need are loaded level by level, one coordinator call
//! per level and relationship, before anything is changed: a load that fails leaves the
//! context exactly as it was.

use strata_model::DeleteRule;

use super::Context;
use crate::object_id::IdSet;
use crate::{ObjectId, Result};

impl Context {
    /// Deletes `id` and applies the delete rules of its relationships (see the module docs).
    /// The object stays readable until saved; it can no longer be changed or linked to.
    /// Deleting an inserted object forgets it (and what its rules reach) altogether.
    pub fn delete(&mut self, id: ObjectId) -> Result<()> {
        self.delete_objects(&[id])
    }

    /// Deletes every object of `ids` as [`Context::delete`] does, loading what their delete
    /// rules read in batches (a coordinator call per relationship and level, not per object).
    pub fn delete_objects(&mut self, ids: &[ObjectId]) -> Result<()> {
        self.undo_boundary();
        let mut roots = Vec::with_capacity(ids.len());
        for &id in ids {
            let id = self.register(id)?;
            if !self.objects.get(&id).is_some_and(|s| s.deleted) {
                roots.push(id);
            }
        }
        if roots.is_empty() {
            return Ok(());
        }
        let closure = self.delete_closure(roots)?;
        let members: IdSet = closure.iter().copied().collect();
        for &x in &closure {
            self.record_deleted(x);
        }
        for &x in &closure {
            self.nullify_inverses(x, &members);
        }
        for &x in &closure {
            if self.objects.get(&x).is_some_and(|s| s.inserted) {
                self.forget(x);
            }
        }
        Ok(())
    }

    /// `roots` and every object their cascade rules reach, loading what the rules read.
    fn delete_closure(&mut self, roots: Vec<ObjectId>) -> Result<Vec<ObjectId>> {
        let mut members = IdSet::with_capacity_and_hasher(roots.len(), Default::default());
        let roots: Vec<ObjectId> = roots.into_iter().filter(|id| members.insert(*id)).collect();
        let mut closure = roots.clone();
        let mut frontier = roots;
        while !frontier.is_empty() {
            self.ensure_loaded(&frontier)?;
            self.load_rule_lists(&frontier)?;
            let mut next = Vec::new();
            for &x in &frontier {
                let Some(entity) = self.model.entities().get(x.entity().get()) else { continue };
                let cascading: Vec<usize> = (0..entity.relationships().len())
                    .filter(|&i| entity.relationships()[i].delete_rule() == DeleteRule::Cascade)
                    .collect();
                for index in cascading {
                    for d in self.destinations(x, index) {
                        let live = self.objects.get(&d).is_none_or(|s| !s.deleted);
                        if live && members.insert(d) {
                            if !d.is_temporary() || self.parent.is_some() {
                                self.objects.entry(d).or_default();
                            }
                            closure.push(d);
                            next.push(d);
                        }
                    }
                }
            }
            frontier = next;
        }
        Ok(closure)
    }

    /// Loads the to-many lists that cascade and nullify rules of `ids` read.
    fn load_rule_lists(&mut self, ids: &[ObjectId]) -> Result<()> {
        let mut names: Vec<String> = Vec::new();
        for id in ids {
            let Some(entity) = self.model.entities().get(id.entity().get()) else { continue };
            for r in entity.relationships() {
                let needed = match r.delete_rule() {
                    DeleteRule::Cascade => true,
                    DeleteRule::Nullify => r.inverse_name().is_some(),
                    DeleteRule::Deny | DeleteRule::NoAction => false,
                };
                if r.is_to_many() && needed && !names.iter().any(|n| n == r.name()) {
                    names.push(r.name().to_owned());
                }
            }
        }
        for name in names {
            self.load_to_many_named(ids, &name)?;
        }
        Ok(())
    }

    /// Removes `x` from the inverses of its nullify relationships' destinations (those not
    /// deleted along with it).
    fn nullify_inverses(&mut self, x: ObjectId, deleted: &IdSet) {
        let Some(entity) = self.model.entities().get(x.entity().get()) else { return };
        let nullify: Vec<usize> = (0..entity.relationships().len())
            .filter(|&i| entity.relationships()[i].delete_rule() == DeleteRule::Nullify)
            .collect();
        for index in nullify {
            let Some(to_many_inverse) = self.inverse_is_to_many(x, index) else { continue };
            for d in self.destinations(x, index) {
                if deleted.contains(&d) {
                    continue;
                }
                let Some(inverse) = self.inverse_index(x, index, d) else { continue };
                if to_many_inverse {
                    self.record_remove(d, inverse, x);
                } else {
                    // A fault's to-one is unknown; it can only point back at `x`.
                    let points_back = self.objects.get(&d).is_none_or(|s| s.is_fault())
                        || self.current_to_one(d, inverse) == Some(x);
                    if points_back {
                        self.record_to_one(d, inverse, None);
                    }
                }
            }
        }
    }

    /// Drops an inserted object from the context.
    fn forget(&mut self, id: ObjectId) {
        self.objects.remove(&id);
        self.inserted.remove(id);
        self.changed.remove(&id);
        self.deleted.remove(&id);
    }
}
