//! Changing relationships with their inverses maintained on both sides, in the context.
//!
//! | relationship | inverse  | setting `a.r = b` / adding `b` to `a.r` also…                         |
//! |--------------|----------|----------------------------------------------------------------------|
//! | to-one       | none     | nothing                                                              |
//! | to-one       | to-many  | removes `a` from `old.inverse`, adds it to `b.inverse`               |
//! | to-one       | to-one   | clears `old.inverse`, clears `b`'s previous partner, sets `b.inverse` |
//! | to-many      | none     | nothing                                                              |
//! | to-many      | to-one   | is `b.inverse = a` (so `b` leaves its previous `a`)                  |
//! | to-many      | to-many  | adds `a` to `b.inverse`                                              |
//!
//! Rows are loaded where the old value must be known (the old destination of a to-one); a
//! to-many list is never loaded just to record an addition or a removal.

use std::collections::HashSet;

use super::Context;
use super::lookup::Kind;
use crate::object_id::IdSet;
use crate::{ObjectId, Result};

impl Context {
    /// Sets to-one relationship `name` of `id` to `destination` (or clears it), maintaining
    /// the inverse on the old and new destinations.
    pub fn set_to_one(&mut self, id: ObjectId, name: &str, destination: Option<ObjectId>) -> Result<()> {
        self.undo_boundary();
        let id = self.register_live(id)?;
        let index = self.property_index(id, name, Kind::ToOne)?;
        let destination = match destination {
            Some(d) => {
                let d = self.register_live(d)?;
                self.check_destination(id, index, d)?;
                Some(d)
            }
            None => None,
        };
        self.link_to_one(id, index, destination)
    }

    /// Adds `destination` to to-many relationship `name` of `id`, maintaining the inverse.
    pub fn add_to_many(&mut self, id: ObjectId, name: &str, destination: ObjectId) -> Result<()> {
        self.undo_boundary();
        let (id, index) = self.resolve_to_many(id, name)?;
        let destination = self.checked_member(id, index, destination)?;
        self.link_member(id, index, destination)
    }

    /// Removes `destination` from to-many relationship `name` of `id`, maintaining the
    /// inverse. Removing an object that is not a destination changes nothing.
    pub fn remove_to_many(&mut self, id: ObjectId, name: &str, destination: ObjectId) -> Result<()> {
        self.undo_boundary();
        let (id, index) = self.resolve_to_many(id, name)?;
        let destination = self.checked_member(id, index, destination)?;
        self.unlink_member(id, index, destination)
    }

    /// Makes `destinations` the destinations of to-many relationship `name` of `id`
    /// (duplicates ignored), maintaining inverses of everything added and removed.
    pub fn set_to_many(&mut self, id: ObjectId, name: &str, destinations: &[ObjectId]) -> Result<()> {
        self.undo_boundary();
        let (id, index) = self.resolve_to_many(id, name)?;
        let mut wanted = Vec::with_capacity(destinations.len());
        let mut seen = HashSet::with_capacity(destinations.len());
        for &d in destinations {
            let d = self.checked_member(id, index, d)?;
            if seen.insert(d) {
                wanted.push(d);
            }
        }
        self.load_to_many(&[id], index)?;
        let current = self.current_to_many(id, index).unwrap_or_default();
        let removed: Vec<ObjectId> = current.iter().copied().filter(|d| !seen.contains(d)).collect();
        let current: IdSet = current.into_iter().collect();
        let added: Vec<ObjectId> = wanted.into_iter().filter(|d| !current.contains(d)).collect();
        // Every old and new destination whose to-one inverse changes must be loaded; do it
        // in one batch rather than one call per object.
        if self.inverse_is_to_many(id, index) == Some(false) {
            let all: Vec<ObjectId> = removed.iter().chain(&added).copied().collect();
            self.ensure_loaded(&all)?;
        }
        for d in removed {
            self.unlink_member(id, index, d)?;
        }
        for d in added {
            self.link_member(id, index, d)?;
        }
        Ok(())
    }

    fn resolve_to_many(&mut self, id: ObjectId, name: &str) -> Result<(ObjectId, usize)> {
        let id = self.register_live(id)?;
        let index = self.property_index(id, name, Kind::ToMany)?;
        Ok((id, index))
    }

    fn checked_member(&mut self, id: ObjectId, index: usize, destination: ObjectId) -> Result<ObjectId> {
        let destination = self.register_live(destination)?;
        self.check_destination(id, index, destination)?;
        Ok(destination)
    }

    /// `id.r = destination` with the inverse maintained (see the module docs).
    pub(crate) fn link_to_one(
        &mut self,
        id: ObjectId,
        index: usize,
        destination: Option<ObjectId>,
    ) -> Result<()> {
        self.ensure_loaded(&[id])?;
        let old = self.current_to_one(id, index);
        if old == destination {
            return Ok(());
        }
        match self.inverse_is_to_many(id, index) {
            None => self.record_to_one(id, index, destination),
            Some(true) => {
                self.record_to_one(id, index, destination);
                if let Some(old) = old
                    && let Some(inverse) = self.inverse_index(id, index, old)
                {
                    self.record_remove(old, inverse, id);
                }
                if let Some(new) = destination
                    && let Some(inverse) = self.inverse_index(id, index, new)
                {
                    self.record_add(new, inverse, id);
                }
            }
            Some(false) => {
                if let Some(new) = destination {
                    self.ensure_loaded(&[new])?;
                }
                self.record_to_one(id, index, destination);
                if let Some(old) = old
                    && let Some(inverse) = self.inverse_index(id, index, old)
                {
                    self.record_to_one(old, inverse, None);
                }
                if let Some(new) = destination
                    && let Some(inverse) = self.inverse_index(id, index, new)
                {
                    let previous = self.current_to_one(new, inverse);
                    if let Some(previous) = previous.filter(|p| *p != id)
                        && let Some(back) = self.inverse_index(new, inverse, previous)
                    {
                        self.record_to_one(previous, back, None);
                    }
                    self.record_to_one(new, inverse, Some(id));
                }
            }
        }
        Ok(())
    }

    /// Adds `destination` to `id.r` with the inverse maintained.
    fn link_member(&mut self, id: ObjectId, index: usize, destination: ObjectId) -> Result<()> {
        let inverse = self.inverse_index(id, index, destination);
        match (self.inverse_is_to_many(id, index), inverse) {
            (Some(false), Some(inverse)) => self.link_to_one(destination, inverse, Some(id)),
            (Some(true), Some(inverse)) => {
                self.record_add(id, index, destination);
                self.record_add(destination, inverse, id);
                Ok(())
            }
            _ => {
                self.record_add(id, index, destination);
                Ok(())
            }
        }
    }

    /// Removes `destination` from `id.r` with the inverse maintained.
    fn unlink_member(&mut self, id: ObjectId, index: usize, destination: ObjectId) -> Result<()> {
        let inverse = self.inverse_index(id, index, destination);
        match (self.inverse_is_to_many(id, index), inverse) {
            (Some(false), Some(inverse)) => {
                self.ensure_loaded(&[destination])?;
                if self.current_to_one(destination, inverse) == Some(id) {
                    self.link_to_one(destination, inverse, None)?;
                }
                Ok(())
            }
            (Some(true), Some(inverse)) => {
                self.record_remove(id, index, destination);
                self.record_remove(destination, inverse, id);
                Ok(())
            }
            _ => {
                self.record_remove(id, index, destination);
                Ok(())
            }
        }
    }
}
