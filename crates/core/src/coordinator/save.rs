//! Saving through the coordinator: one [`SaveRequest`] split into one request per store,
//! each stored atomically by its store, the row cache brought up to date from what each
//! store confirmed, and a [`DidSave`] published per store.
//!
//! Splitting never reorders or drops anything of the request; it refuses relationships that
//! would cross stores before any store is called.

use std::sync::Arc;

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
        let (registered, single) = self.registered();
        let parts = match registered.as_slice() {
            // One store holding every entity: nothing to split and no relationship can cross
            // stores; the store itself refuses IDs of other stores.
            [only] if single && !request.is_empty() => vec![(only.clone(), request)],
            _ => self.split(&registered, request)?,
        };
        let mut saved = SavedChanges::default();
        for (store, part) in parts {
            let result = match store.store.save(&part) {
                Ok(result) => result,
                Err(e) if saved.stores.is_empty() => return Err(e.into()),
                Err(e) => {
                    return Err(CoordinatorError::PartialSave {
                        saved: Box::new(saved),
                        failed_store: store.id.uuid(),
                        source: Box::new(Error::Store(e)),
                    }
                    .into());
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
        let permanent: IdMap<ObjectId> = result.permanent_ids.iter().copied().collect();
        let versions: IdMap<u64> = result.versions.iter().copied().collect();
        let resolve = |id: ObjectId| permanent.get(&id).copied().unwrap_or(id);
        let mut notification = DidSave {
            store,
            inserted: Vec::with_capacity(part.inserted.len()),
            updated: Vec::with_capacity(part.updated.len()),
            deleted: Vec::with_capacity(part.deleted.len()),
            author: part.info.author,
            context_name: part.info.context_name,
        };
        for row in part.inserted {
            let Some(&id) = permanent.get(&row.id) else { continue };
            let to_one = row.to_one.iter().map(|d| d.map(resolve)).collect();
            let version = versions.get(&id).copied().unwrap_or(1);
            let snapshot = Snapshot::new(id, version, row.values, to_one);
            saved.snapshots.push(self.cache.insert(Arc::new(snapshot)));
            notification.inserted.push(id);
        }
        for row in part.updated {
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
            let version = versions.get(&row.id).copied().unwrap_or(row.expected_version + 1);
            let snapshot = Snapshot::new(row.id, version, values, to_one);
            saved.snapshots.push(self.cache.insert(Arc::new(snapshot)));
        }
        for row in part.deleted {
            self.cache.remove(row.id);
            saved.deleted.push(row.id);
            notification.deleted.push(row.id);
        }
        notification
    }
}
