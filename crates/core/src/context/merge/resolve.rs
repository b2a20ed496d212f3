//! Version conflicts at save time: the context's [`MergePolicy`](super::super::MergePolicy)
//! decides per object (rules in `context/policy.rs`), every decision is taken before
//! anything changes, and the resolved objects get the store's current row as their new base
//! so that the retried save expects the current version.
//!
//! Store calls: one `related` call per join-stored to-many list an `Overwrite` rewrites.

use std::collections::BTreeMap;
use std::sync::Arc;

use strata_model::Value;

use super::super::Context;
use super::super::error::ConflictError;
use super::super::policy::MergeResolution;
use super::super::state::OrderedIdSet;
use crate::object_id::IdSet;
use crate::{ObjectId, Result, Snapshot};

/// One conflicting object and what to do with it.
struct Decision {
    id: ObjectId,
    read: Option<Arc<Snapshot>>,
    current: Option<Arc<Snapshot>>,
    resolution: MergeResolution,
    /// For `Values`: the checked values, by attribute index.
    values: Vec<(usize, Value)>,
}

impl Context {
    /// Resolves the conflicts of a refused save by the merge policy: `Ok` when every object
    /// was resolved (the caller retries the save), `Err` with the whole [`ConflictError`]
    /// when the policy fails one of them or one cannot be resolved (an object edited here
    /// and deleted in the store under `ObjectTrump`, `Overwrite` or `Values`); the context
    /// is unchanged then.
    pub(crate) fn resolve_version_conflicts(&mut self, conflict: ConflictError) -> Result<()> {
        let policy = self.merging.policy.clone();
        let mut decisions = Vec::with_capacity(conflict.conflicts.len());
        for c in &conflict.conflicts {
            let resolution = policy.resolution(c);
            let resurrects = c.current.is_none()
                && !c.deleted
                && matches!(
                    resolution,
                    MergeResolution::ObjectTrump | MergeResolution::Overwrite | MergeResolution::Values(_)
                );
            if resolution == MergeResolution::Fail || resurrects {
                return Err(conflict.into());
            }
            let values = match &resolution {
                MergeResolution::Values(values) => self.checked_values(c.id, values)?,
                _ => Vec::new(),
            };
            decisions.push(Decision {
                id: c.id,
                read: c.read.clone(),
                current: c.current.clone(),
                resolution,
                values,
            });
        }
        // Overwrite needs the store's current lists; read them before changing anything.
        let mut lists = BTreeMap::new();
        for d in decisions.iter().filter(|d| d.resolution == MergeResolution::Overwrite) {
            for index in self.loaded_join_lists(d.id) {
                let list = self.coordinator.related(&[d.id], index)?.into_iter().next().unwrap_or_default();
                lists.insert((d.id, index), list);
            }
        }
        let mut forgotten = IdSet::default();
        for d in decisions {
            let Some(current) = d.current else {
                // Deleted in the store: the deletion is accepted (see the checks above).
                self.forget_object(d.id);
                forgotten.insert(d.id);
                continue;
            };
            let deleted_here = self.objects.get(&d.id).is_some_and(|s| s.deleted);
            let read = d.read.unwrap_or_else(|| current.clone());
            match d.resolution {
                MergeResolution::Rollback => self.rollback_object(d.id, current),
                MergeResolution::Values(_) => {
                    self.rollback_object(d.id, current);
                    for (index, value) in d.values {
                        self.record_attribute(d.id, index, value);
                    }
                }
                _ if deleted_here => self.take_row(d.id, current),
                MergeResolution::ObjectTrump => self.take_row(d.id, current),
                MergeResolution::StoreTrump => self.store_trump(d.id, &read, current),
                MergeResolution::Overwrite => self.overwrite(d.id, current, &lists),
                MergeResolution::Fail => {}
            }
            self.merging.held.remove(&d.id);
        }
        self.purge_lists(&forgotten);
        Ok(())
    }

    /// The join-stored to-many relationships of `id` whose stored list the context loaded.
    fn loaded_join_lists(&self, id: ObjectId) -> Vec<usize> {
        let Some(state) = self.objects.get(&id) else { return Vec::new() };
        state
            .to_many
            .iter()
            .filter(|(i, t)| t.stored.is_some() && self.inverse_is_to_many(id, **i) != Some(false))
            .map(|(i, _)| *i)
            .collect()
    }

    /// Overwrite for one object: every attribute and to-one as the object holds it (the row
    /// it holds, which a merge may have refreshed, with its edits), and every loaded
    /// join-stored list as the context sees it, over `current` and the store's `lists`.
    fn overwrite(
        &mut self,
        id: ObjectId,
        current: Arc<Snapshot>,
        lists: &BTreeMap<(ObjectId, usize), Vec<ObjectId>>,
    ) {
        let Some(state) = self.objects.get(&id) else { return };
        let values: Vec<(usize, Value)> =
            (0..current.values().len()).map(|i| (i, self.attribute_value(id, i))).collect();
        let to_one: Vec<(usize, Option<ObjectId>)> = (0..current.to_one().len())
            .filter(|i| self.relationship_at(id, *i).is_some_and(|r| !r.is_to_many()))
            .map(|i| (i, self.current_to_one(id, i)))
            .collect();
        let wanted: Vec<(usize, Vec<ObjectId>)> = lists
            .keys()
            .filter(|(o, _)| *o == id)
            .filter_map(|(_, i)| Some((*i, state.to_many.get(i)?.current()?)))
            .collect();
        self.take_row(id, current.clone());
        let Some(state) = self.objects.get_mut(&id) else { return };
        for (i, value) in values {
            if current.value(i) == Some(&value) {
                state.attributes.remove(&i);
            } else {
                state.attributes.insert(i, value);
            }
        }
        for (i, destination) in to_one {
            if current.to_one().get(i) == Some(&destination) {
                state.to_one.remove(&i);
            } else {
                state.to_one.insert(i, destination);
            }
        }
        let mut stale: Vec<ObjectId> = Vec::new();
        for (i, wanted) in wanted {
            let Some(stored) = lists.get(&(id, i)) else { continue };
            let Some(to_many) = state.to_many.get_mut(&i) else { continue };
            let stored_set: IdSet = stored.iter().copied().collect();
            let wanted_set: IdSet = wanted.iter().copied().collect();
            to_many.added =
                OrderedIdSet::from_vec(wanted.iter().copied().filter(|d| !stored_set.contains(d)).collect());
            to_many.removed = stored.iter().copied().filter(|d| !wanted_set.contains(d)).collect();
            to_many.stored = Some(OrderedIdSet::from_vec(stored.clone()));
            stale.extend(to_many.added.iter().chain(to_many.removed.iter().copied()));
        }
        self.changed.insert(id);
        // The other sides' lists no longer match: they reload on next access. Registering
        // them also keeps the removals in the request (removals of objects the context does
        // not hold are taken for links that went with a deleted row).
        for destination in stale {
            for to_many in self.objects.entry(destination).or_default().to_many.values_mut() {
                to_many.stored = None;
            }
        }
    }
}
