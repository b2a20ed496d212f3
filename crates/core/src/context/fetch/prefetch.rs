//! Relationship prefetching: after a fetch, the destinations of the requested relationship
//! key paths are loaded with a constant number of coordinator calls per key, so walking them
//! costs no store call (no N+1 queries).
//!
//! Per key of a path, over all the objects reached so far: a to-one key reads the
//! destinations from the rows (already loaded by the fetch) and a to-many key loads the
//! lists with one `related` call per entity; then every destination's row is loaded with
//! one `snapshots` call (row-cache hits cost no store call at all). Prefetching never
//! changes pending edits; objects deleted in the context are not walked.

use strata_model::Property;

use super::super::Context;
use super::super::error::{ContextError, KeyPathProblem};
use super::super::lookup::relationship_named;
use crate::fetch_request::FetchError;
use crate::object_id::IdSet;
use crate::{ObjectId, Result};

impl Context {
    /// Checks a prefetch key path: every key a relationship (to-one or to-many).
    pub(super) fn check_prefetch_path(
        &self,
        entity: strata_model::EntityIndex,
        path: &str,
    ) -> Result<Vec<String>> {
        let root = self.model.entity_at(entity);
        let keys: Vec<String> = path.split('.').map(str::to_owned).collect();
        let mut current = root;
        for key in &keys {
            let error = |problem| ContextError::InvalidKeyPath {
                entity: root.name().to_owned(),
                key_path: path.to_owned(),
                problem,
            };
            match current.property(key) {
                _ if key.is_empty() => return Err(error(KeyPathProblem::EmptyKey).into()),
                None => {
                    let suggestion = current.nearest_property(key).map(str::to_owned);
                    return Err(error(KeyPathProblem::UnknownKey { key: key.clone(), suggestion }).into());
                }
                Some(Property::Attribute(_)) => {
                    return Err(FetchError::PrefetchNotRelationship {
                        entity: root.name().to_owned(),
                        key_path: path.to_owned(),
                        key: key.clone(),
                    }
                    .into());
                }
                Some(Property::Relationship(r)) => current = self.model.entity_at(r.destination()),
            }
        }
        Ok(keys)
    }

    /// Loads the destinations of every path in `paths` from `ids` (see the module docs).
    pub(crate) fn prefetch_relationships(&mut self, ids: &[ObjectId], paths: &[Vec<String>]) -> Result<()> {
        for keys in paths {
            let mut current: Vec<ObjectId> =
                ids.iter().copied().filter(|id| self.objects.get(id).is_some_and(|s| !s.deleted)).collect();
            for key in keys {
                self.load_existing(&current)?;
                let mut to_many = Vec::new();
                let mut next = Vec::new();
                let mut seen = IdSet::default();
                for &id in &current {
                    let Some(entity) = self.model.entities().get(id.entity().get()) else { continue };
                    let Some(index) = relationship_named(entity, key) else { continue };
                    if entity.relationships()[index].is_to_many() {
                        to_many.push(id);
                    } else if let Some(destination) = self.current_to_one(id, index)
                        && seen.insert(destination)
                    {
                        next.push(destination);
                    }
                }
                if !to_many.is_empty() {
                    self.load_to_many_named(&to_many, key)?;
                    for &id in &to_many {
                        let Some(entity) = self.model.entities().get(id.entity().get()) else { continue };
                        let Some(index) = relationship_named(entity, key) else { continue };
                        for destination in self.current_to_many(id, index).unwrap_or_default() {
                            if seen.insert(destination) {
                                next.push(destination);
                            }
                        }
                    }
                }
                let mut registered = Vec::with_capacity(next.len());
                for id in next {
                    registered.push(self.register(id)?);
                }
                current = registered;
            }
            // Destinations whose rows are gone (a dangling key) stay faults, as they would
            // when walked one at a time: only objects that exist are loaded.
            self.load_existing(&current)?;
        }
        Ok(())
    }

    /// Loads the faults among `ids` in one coordinator call, ignoring rows that are gone.
    fn load_existing(&mut self, ids: &[ObjectId]) -> Result<()> {
        match self.ensure_loaded(ids) {
            Err(crate::Error::Context(ContextError::ObjectNotFound { .. })) => Ok(()),
            other => other,
        }
    }
}
