//! Saving through the coordinator: one [`SaveRequest`] split into one request per store,
//! each stored atomically by its store, the row cache brought up to date from what each
//! store confirmed, and a [`DidSave`] published per store.
//!
//! Splitting never reorders or drops anything of the request; it refuses relationships that
//! would cross stores before any store is called.

use std::sync::Arc;
use std::time::Instant;

use crate::object_id::IdMap;
use crate::store::{SaveRequest, SaveResult};
use crate::{Error, ObjectId, Result, Snapshot, StoreId};

use super::{Coordinator, CoordinatorError, DidSave, Registered};

/// What a save stored: new IDs, new snapshots (as the row cache now holds them) and the
/// notifications published.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct SavedChanges {
    /// (temporary ID, permanent ID) of every inserted object, in insertion order per store.
    pub permanent_ids: Vec<(ObjectId, ObjectId)>,
    /// The new snapshot of every inserted object, and of every updated object whose
    /// previous version was in the row cache (the others left the cache and are re-read
    /// when next needed).
    pub snapshots: Vec<Arc<Snapshot>>,
    /// The deleted objects.
    pub deleted: Vec<ObjectId>,
    /// The stores saved to, in order.
    pub stores: Vec<StoreId>,
    /// The notifications published, one per store.
    pub notifications: Vec<Arc<DidSave>>,
}

impl Coordinator {
    /// Saves `request`: split per store (relationships must not cross stores), each part
    /// stored atomically by its store, in the order the stores were added. After each store
    /// commits, the row cache takes the new snapshots and a [`DidSave`] is published.
    ///
    /// If a store fails after an earlier one committed, the error is
    /// [`CoordinatorError::PartialSave`] (see the [module docs](super) on saves across
    /// stores); if the first store fails, its error is returned as is.
    pub fn save(&self, request: SaveRequest) -> Result<SavedChanges> {
        self.save_keeping(request, false).map_err(|refused| refused.0)
    }

    /// [`Coordinator::save`], handing the request back with any error, for a caller that
    /// moved values into it and must put them back: the request itself on the one-store
    /// path, else a copy taken before splitting (whichever step failed). On a
    /// [`CoordinatorError::PartialSave`] the copy still holds the rows of the stores that
    /// committed.
    pub(crate) fn save_returning(
        &self,
        request: SaveRequest,
    ) -> Result<SavedChanges, Box<(Error, SaveRequest)>> {
        self.save_keeping(request, true).map_err(|refused| {
            let (error, request) = *refused;
            Box::new((error, request.unwrap_or_default()))
        })
    }

    /// The save; with `keep`, any error comes with the request (see
    /// [`Coordinator::save_returning`]).
    fn save_keeping(
        &self,
        request: SaveRequest,
        keep: bool,
    ) -> Result<SavedChanges, Box<(Error, Option<SaveRequest>)>> {
        let (registered, single) = self.registered();
        let (parts, copy) = match registered.as_slice() {
            // One store holding every entity: nothing to split and no relationship can cross
            // stores; the store itself refuses IDs of other stores.
            [only] if single && !request.is_empty() => (vec![(only.clone(), request)], None),
            _ => {
                // Splitting moves the rows: keep a copy to hand back (saves across stores
                // are rare; the common one-store path copies nothing).
                let copy = keep.then(|| request.clone());
                match self.split(&registered, request) {
                    Ok(parts) => (parts, copy),
                    Err(e) => return Err(Box::new((e.into(), copy))),
                }
            }
        };
        let mut saved = SavedChanges::default();
        let mut copy = copy;
        for (store, part) in parts {
            let result = match store.store.save(&part) {
                Ok(result) => result,
                Err(e) if saved.stores.is_empty() => {
                    return Err(Box::new((e.into(), copy.or(keep.then_some(part)))));
                }
                Err(e) => {
                    let error = CoordinatorError::PartialSave {
                        saved: Box::new(saved),
                        failed_store: store.id.uuid(),
                        source: Box::new(Error::Store(e)),
                    };
                    return Err(Box::new((error.into(), copy.take().or(keep.then_some(part)))));
                }
            };
            saved.stores.push(store.id);
            saved.permanent_ids.extend_from_slice(&result.permanent_ids);
            let notification = self.apply_to_cache(store.id, part, &result, &mut saved);
            let notification = Arc::new(notification);
            self.subscribers.publish(&notification);
            saved.notifications.push(notification);
        }
        Ok(saved)
    }

    /// Splits a request per store, refusing relationships across stores.
    fn split(
        &self,
        registered: &[Registered],
        request: SaveRequest,
    ) -> Result<Vec<(Registered, SaveRequest)>, CoordinatorError> {
        let mut parts: Vec<SaveRequest> = registered
            .iter()
            .map(|_| SaveRequest { info: request.info.clone(), ..Default::default() })
            .collect();
        let slot = |id: ObjectId| -> Result<usize, CoordinatorError> {
            let (store, _) = self.store_of(id)?;
            registered
                .iter()
                .position(|r| r.id == store)
                .ok_or(CoordinatorError::UnknownStore { store: store.uuid() })
        };
        let same_store = |source: ObjectId, at: usize, destination: ObjectId| {
            if slot(destination)? == at {
                Ok(())
            } else {
                Err(CoordinatorError::CrossStoreRelationship { object: source, destination })
            }
        };
        for row in request.inserted {
            let at = slot(row.id)?;
            for destination in row.to_one.iter().flatten() {
                same_store(row.id, at, *destination)?;
            }
            parts[at].inserted.push(row);
        }
        for row in request.updated {
            let at = slot(row.id)?;
            for destination in row.to_one.iter().filter_map(|(_, d)| *d) {
                same_store(row.id, at, destination)?;
            }
            parts[at].updated.push(row);
        }
        for row in request.deleted {
            let at = slot(row.id)?;
            parts[at].deleted.push(row);
        }
        for change in request.to_many {
            let at = slot(change.source)?;
            for destination in change.added.iter().chain(&change.removed) {
                same_store(change.source, at, *destination)?;
            }
            parts[at].to_many.push(change);
        }
        Ok(registered.iter().cloned().zip(parts).filter(|(_, part)| !part.is_empty()).collect())
    }

    /// Brings the row cache up to date with a committed part (whose rows it takes over,
    /// rather than copying them) and describes it.
    fn apply_to_cache(
        &self,
        store: StoreId,
        part: SaveRequest,
        result: &SaveResult,
        saved: &mut SavedChanges,
    ) -> DidSave {
        let mut permanent = Pairs::new(&result.permanent_ids);
        let mut versions = Pairs::new(&result.versions);
        // Only rows linking to objects inserted by the same save need temporary IDs mapped.
        let links_new = |d: &Option<ObjectId>| d.is_some_and(|d| d.is_temporary());
        let map: IdMap<ObjectId> = if part.inserted.iter().any(|r| r.to_one.iter().any(links_new))
            || part.updated.iter().any(|r| r.to_one.iter().any(|(_, d)| links_new(d)))
        {
            result.permanent_ids.iter().copied().collect()
        } else {
            IdMap::default()
        };
        let resolve = |id: ObjectId| map.get(&id).copied().unwrap_or(id);
        let mut notification = DidSave {
            store,
            inserted: Vec::with_capacity(part.inserted.len()),
            updated: Vec::with_capacity(part.updated.len()),
            deleted: Vec::with_capacity(part.deleted.len()),
            author: part.info.author,
            context_name: part.info.context_name,
        };
        let fetched_at = Instant::now();
        saved.snapshots.reserve(part.inserted.len() + part.updated.len());
        // Stores list versions for the inserted rows, then for the updated ones.
        let first_update = part.inserted.len();
        // New rows go in as one batch: the cache grows once for them, not row by row.
        let mut new_rows = Vec::with_capacity(part.inserted.len());
        for (n, row) in part.inserted.into_iter().enumerate() {
            let Some(id) = permanent.get(n, row.id) else { continue };
            let to_one = row.to_one.iter().map(|d| d.map(resolve)).collect();
            let version = versions.get(n, id).unwrap_or(1);
            new_rows.push(Arc::new(Snapshot::new(id, version, row.values, to_one)));
            notification.inserted.push(id);
        }
        saved.snapshots.extend(self.cache.insert_all(new_rows));
        for (n, row) in part.updated.into_iter().enumerate() {
            notification.updated.push(row.id);
            let base = self.cache.get(row.id).filter(|s| s.version() == row.expected_version);
            let Some(base) = base else {
                // The cache does not hold the version this update applies to: whatever it
                // holds is stale now.
                self.cache.remove(row.id);
                continue;
            };
            let mut values = base.values().to_vec();
            let mut to_one = base.to_one().to_vec();
            let fits = row.values.iter().all(|(i, _)| *i < values.len())
                && row.to_one.iter().all(|(i, _)| *i < to_one.len());
            if !fits {
                self.cache.remove(row.id);
                continue;
            }
            for (i, value) in row.values {
                values[i] = value;
            }
            for (i, destination) in row.to_one {
                to_one[i] = destination.map(resolve);
            }
            let version = versions.get(first_update + n, row.id).unwrap_or(row.expected_version + 1);
            let snapshot = Snapshot::new(row.id, version, values, to_one);
            saved.snapshots.push(self.cache.insert_at(Arc::new(snapshot), fetched_at));
        }
        for row in part.deleted {
            self.cache.remove(row.id);
            saved.deleted.push(row.id);
            notification.deleted.push(row.id);
        }
        notification
    }
}

/// (ID, value) pairs a store returned, looked up by ID. Stores list them in the request's
/// order, so the pair at the row's position is checked first; a map is built only if a
/// store lists them otherwise.
struct Pairs<'a, T> {
    pairs: &'a [(ObjectId, T)],
    map: Option<IdMap<T>>,
}

impl<'a, T: Copy> Pairs<'a, T> {
    fn new(pairs: &'a [(ObjectId, T)]) -> Pairs<'a, T> {
        Pairs { pairs, map: None }
    }

    /// The value paired with `id` (or with the temporary ID `id`), expected at `at`.
    fn get(&mut self, at: usize, id: ObjectId) -> Option<T> {
        match self.pairs.get(at) {
            Some(&(key, value)) if key == id => Some(value),
            _ => self.map.get_or_insert_with(|| self.pairs.iter().copied().collect()).get(&id).copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use strata_model::EntityIndex;

    use super::Pairs;
    use crate::ObjectId;

    /// Pairs are found at their expected position, and by ID when a store lists them in
    /// another order.
    #[test]
    fn pairs_are_found_in_any_order() {
        let ids: Vec<ObjectId> = (0..3).map(|_| ObjectId::new_temporary(EntityIndex(0))).collect();
        let pairs: Vec<(ObjectId, u64)> = vec![(ids[0], 10), (ids[2], 12), (ids[1], 11)];
        let mut found = Pairs::new(&pairs);
        assert_eq!(found.get(0, ids[0]), Some(10), "in place");
        assert_eq!(found.get(1, ids[1]), Some(11), "elsewhere");
        assert_eq!(found.get(2, ids[2]), Some(12));
        assert_eq!(found.get(0, ObjectId::new_temporary(EntityIndex(0))), None);
    }
}
