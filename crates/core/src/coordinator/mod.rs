//! [`Coordinator`]: the shared hub between contexts and stores.
//!
//! A coordinator owns the [`Model`], the stores (each added under a *configuration* name)
//! and the [row cache](RowCache) every context reads through. It routes each request to
//! the store that holds the entity, turns object IDs into URIs and back, splits saves per
//! store, keeps the cache current after saves, and publishes a [`DidSave`] per store saved.
//!
//! # Configurations
//!
//! As in Core Data, configurations partition the model's entities among stores: every
//! entity is routed to exactly one store, and an inheritance hierarchy always lives in one
//! store (so a fetch of a parent entity reaches its sub-entities with one store request).
//! [`Coordinator::add_store`] takes every entity not yet routed; [`Coordinator::add_store_for`]
//! takes the named entities (with their hierarchies). Relationships stay within a store.
//!
//! # Saves across stores
//!
//! A save whose objects live in several stores is one atomic save *per store*, in the order
//! the stores were added, not one atomic save across stores (as in Core Data). If a later
//! store fails after an earlier one committed, the error is
//! [`CoordinatorError::PartialSave`], which lists what was stored.
//!
//! # Changes from elsewhere
//!
//! [`Coordinator::merge_remote`] brings changes saved by another coordinator or process into
//! the row cache and into the contexts the caller passes.
//!
//! # Several coordinators on one store
//!
//! Each coordinator keeps its own row cache, so rows another coordinator (or process) saved
//! reach it only when it reads the store again: by [`Coordinator::merge_remote`] (or a
//! context's `refresh`), or when a cached row is older than the coordinator's
//! [staleness interval](Coordinator::set_staleness_interval) as a fault fires. URIs name
//! stores by UUID, so a URI made by one coordinator resolves in every coordinator that
//! added the same store.
//!
//! # Query generations
//!
//! [`Coordinator::open_generation`] opens a read view of every store at once
//! ([`QueryGeneration`]); the `*_at` reads answer from it and never touch the row cache
//! (its rows may be older than the cache's). Contexts pin one with
//! `Context::pin_query_generation`.
//!
//! The coordinator is `Send + Sync` and shared as `Arc<Coordinator>`. It never holds one of
//! its locks while calling a store, and never calls into a context on its own (only into the
//! contexts a caller hands to `merge_remote`, on the caller's thread).

mod batch;
mod error;
mod generation;
mod notification;
mod remote;
mod remote_changes;
mod save;

use std::sync::mpsc::Receiver;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use strata_model::{EntityIndex, Model};

pub use error::CoordinatorError;
pub use generation::QueryGeneration;
pub use notification::DidSave;
pub use remote::RemoteObject;
pub use remote_changes::RemoteChanges;
pub use save::SavedChanges;

use crate::row_cache::{DEFAULT_CAPACITY, RowCache};
use crate::store::{StoreFetchRequest, StoreFetchResult};
use crate::{ObjectId, Result, Snapshot, Store, StoreId};

/// Routes requests to stores and caches their rows; shared by every context (see the
/// [module docs](self)).
///
/// ```
/// # use std::sync::Arc;
/// # use strata_core::{Coordinator, memory_store::MemoryStore};
/// # let model = Arc::new(strata_model::Model::from_json(r#"{"name":"M","version":1,"entities":[{"name":"Note","attributes":[{"name":"text","type":"string"}]}]}"#).unwrap());
/// let coordinator = Coordinator::new(model.clone());
/// let store = coordinator.add_store("Default", Arc::new(MemoryStore::new(model)))?;
/// assert_eq!(coordinator.store_for("Note")?, store);
/// # Ok::<(), strata_core::CoordinatorError>(())
/// ```
pub struct Coordinator {
    model: Arc<Model>,
    registry: RwLock<Registry>,
    cache: RowCache,
    subscribers: notification::Subscribers,
    /// How old a cached row may be and still fill a fault; `None`: any age.
    staleness: RwLock<Option<Duration>>,
}

#[derive(Default)]
struct Registry {
    stores: Vec<Registered>,
    /// The store of each entity, by entity index.
    route: Vec<Option<StoreId>>,
}

#[derive(Clone)]
struct Registered {
    id: StoreId,
    configuration: String,
    store: Arc<dyn Store>,
}

impl Registry {
    fn get(&self, id: StoreId) -> Option<&Registered> {
        self.stores.iter().find(|r| r.id == id)
    }
}

impl Coordinator {
    /// A coordinator for `model` with no stores and a row cache of the default capacity.
    pub fn new(model: Arc<Model>) -> Arc<Coordinator> {
        Coordinator::with_cache_capacity(model, DEFAULT_CAPACITY)
    }

    /// A coordinator whose row cache keeps at most `capacity` unreferenced rows.
    pub fn with_cache_capacity(model: Arc<Model>, capacity: usize) -> Arc<Coordinator> {
        let route = vec![None; model.entities().len()];
        Arc::new(Coordinator {
            model,
            registry: RwLock::new(Registry { stores: Vec::new(), route }),
            cache: RowCache::new(capacity),
            subscribers: Default::default(),
            staleness: RwLock::new(None),
        })
    }

    /// The model.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// The row cache shared by every context of this coordinator.
    pub fn row_cache(&self) -> &RowCache {
        &self.cache
    }

    /// The staleness interval: how long after a store returned it a cached row may still
    /// fill a fault. `None` (the default, as in Core Data) means any age: a cached row is
    /// used until a save, a merge or a refresh replaces it.
    pub fn staleness_interval(&self) -> Option<Duration> {
        *self.staleness.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the [staleness interval](Coordinator::staleness_interval) for every context of
    /// this coordinator (Core Data sets it per context; here it belongs with the cache it
    /// governs, so two contexts never disagree about one cached row). A fault whose cached
    /// row was read longer ago than `interval` re-reads it from the store, batched with the
    /// other rows of the fault group; `Some(Duration::ZERO)` always re-reads.
    /// [`Coordinator::refresh_snapshots`] (and so `Context::refresh`) always re-reads,
    /// whatever the interval.
    pub fn set_staleness_interval(&self, interval: Option<Duration>) {
        *self.staleness.write().unwrap_or_else(|e| e.into_inner()) = interval;
    }

    fn read(&self) -> RwLockReadGuard<'_, Registry> {
        // Registry updates are single assignments after all checks, so a poisoned lock still
        // guards a consistent registry.
        self.registry.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Registry> {
        self.registry.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `store` under `configuration` and routes to it every entity no other store holds.
    ///
    /// Errors if the store's model hash differs from the coordinator's, if the store (by
    /// UUID) or the configuration name is already added.
    pub fn add_store(&self, configuration: &str, store: Arc<dyn Store>) -> Result<StoreId, CoordinatorError> {
        self.add(configuration, store, None)
    }

    /// Adds `store` under `configuration` for the named entities only (each with its whole
    /// inheritance hierarchy). Errors as [`Coordinator::add_store`] does, and if an entity is
    /// unknown or already routed to another store.
    pub fn add_store_for(
        &self,
        configuration: &str,
        store: Arc<dyn Store>,
        entities: &[&str],
    ) -> Result<StoreId, CoordinatorError> {
        self.add(configuration, store, Some(entities))
    }

    fn add(
        &self,
        configuration: &str,
        store: Arc<dyn Store>,
        entities: Option<&[&str]>,
    ) -> Result<StoreId, CoordinatorError> {
        let metadata = store.metadata();
        if metadata.model_hash != self.model.hash() {
            return Err(CoordinatorError::ModelMismatch {
                store: metadata.uuid,
                configuration: configuration.to_owned(),
                expected: self.model.hash(),
                found: metadata.model_hash,
            });
        }
        let id = metadata.store_id();
        let mut registry = self.write();
        if registry.get(id).is_some() {
            return Err(CoordinatorError::DuplicateStore { store: metadata.uuid });
        }
        if registry.stores.iter().any(|r| r.configuration == configuration) {
            return Err(CoordinatorError::DuplicateConfiguration { configuration: configuration.to_owned() });
        }
        let assigned: Vec<EntityIndex> = match entities {
            None => self
                .model
                .entities()
                .iter()
                .map(|e| e.index())
                .filter(|e| registry.route[e.get()].is_none())
                .collect(),
            Some(names) => {
                let mut assigned = Vec::new();
                for name in names {
                    let entity = self.entity_named(name)?;
                    for e in self.model.descendants(self.model.root_of(entity)) {
                        if let Some(other) = registry.route[e.get()] {
                            let configuration =
                                registry.get(other).map(|r| r.configuration.clone()).unwrap_or_default();
                            return Err(CoordinatorError::EntityAlreadyAssigned {
                                entity: self.model.entity_at(e).name().to_owned(),
                                configuration,
                            });
                        }
                        if !assigned.contains(&e) {
                            assigned.push(e);
                        }
                    }
                }
                assigned
            }
        };
        for e in assigned {
            registry.route[e.get()] = Some(id);
        }
        registry.stores.push(Registered { id, configuration: configuration.to_owned(), store });
        Ok(id)
    }

    /// Removes a store: its entities are no longer routed anywhere and its rows leave the
    /// cache. Contexts holding its objects keep what they loaded.
    pub fn remove_store(&self, id: StoreId) -> Result<Arc<dyn Store>, CoordinatorError> {
        let removed = {
            let mut registry = self.write();
            let position = registry
                .stores
                .iter()
                .position(|r| r.id == id)
                .ok_or(CoordinatorError::UnknownStore { store: id.uuid() })?;
            for slot in registry.route.iter_mut().filter(|s| **s == Some(id)) {
                *slot = None;
            }
            registry.stores.remove(position)
        };
        self.cache.remove_store(id);
        Ok(removed.store)
    }

    /// The stores, in the order they were added.
    pub fn stores(&self) -> Vec<StoreId> {
        self.read().stores.iter().map(|r| r.id).collect()
    }

    /// The store with this ID, if it is added.
    pub fn store(&self, id: StoreId) -> Option<Arc<dyn Store>> {
        self.read().get(id).map(|r| r.store.clone())
    }

    /// The configuration name a store was added under.
    pub fn configuration(&self, id: StoreId) -> Option<String> {
        self.read().get(id).map(|r| r.configuration.clone())
    }

    /// The entities routed to a store, in index order.
    pub fn entities_of(&self, id: StoreId) -> Vec<EntityIndex> {
        let registry = self.read();
        (0..registry.route.len())
            .filter(|&i| registry.route[i] == Some(id))
            .filter_map(|i| u16::try_from(i).ok().map(EntityIndex))
            .collect()
    }

    /// The store that holds entity `name`.
    pub fn store_for(&self, name: &str) -> Result<StoreId, CoordinatorError> {
        let entity = self.entity_named(name)?;
        self.route(entity)
    }

    /// The store that holds `entity`.
    pub fn route(&self, entity: EntityIndex) -> Result<StoreId, CoordinatorError> {
        let registry = self.read();
        match registry.route.get(entity.get()) {
            None => Err(CoordinatorError::EntityOutOfRange { index: entity.0 }),
            Some(None) => Err(CoordinatorError::NoStoreForEntity {
                entity: self.model.entity_at(entity).name().to_owned(),
            }),
            Some(Some(id)) => Ok(*id),
        }
    }

    fn entity_named(&self, name: &str) -> Result<EntityIndex, CoordinatorError> {
        self.model.entity(name).map(|e| e.index()).ok_or_else(|| CoordinatorError::UnknownEntity {
            entity: name.to_owned(),
            suggestion: self.model.nearest_entity(name).map(str::to_owned),
        })
    }

    /// The store `id` lives in: its own for a permanent ID (which must be one of this
    /// coordinator's), its entity's for a temporary one.
    pub(crate) fn store_of(&self, id: ObjectId) -> Result<(StoreId, Arc<dyn Store>), CoordinatorError> {
        let registry = self.read();
        let store = match id.store() {
            Some(store) => store,
            None => match registry.route.get(id.entity().get()) {
                None => return Err(CoordinatorError::EntityOutOfRange { index: id.entity().0 }),
                Some(None) => {
                    return Err(CoordinatorError::NoStoreForEntity {
                        entity: self.model.entity_at(id.entity()).name().to_owned(),
                    });
                }
                Some(Some(store)) => *store,
            },
        };
        if id.entity().get() >= self.model.entities().len() {
            return Err(CoordinatorError::EntityOutOfRange { index: id.entity().0 });
        }
        let registered = registry.get(store).ok_or(CoordinatorError::UnknownStore { store: store.uuid() })?;
        Ok((store, registered.store.clone()))
    }

    /// Resolves an object URI (`strata://<store-uuid>/<Entity>/p<key>`, or a temporary URI
    /// made by this process). The store must be one of this coordinator's and hold the
    /// entity; anything else is an error, never a guess.
    pub fn object_id(&self, uri: &str) -> Result<ObjectId> {
        let parsed = ObjectId::parse_uri(uri)?;
        let entity = self.entity_named(parsed.entity)?;
        if let Some(uuid) = parsed.store {
            let store = StoreId::from_uuid(uuid);
            let registry = self.read();
            if registry.get(store).is_none() {
                return Err(CoordinatorError::UnknownStore { store: uuid }.into());
            }
            if registry.route[entity.get()] != Some(store) {
                return Err(CoordinatorError::EntityNotInStore {
                    uri: uri.to_owned(),
                    entity: parsed.entity.to_owned(),
                    store: uuid,
                }
                .into());
            }
        }
        Ok(parsed.to_object_id(entity))
    }

    /// The URI of `id` (see [`ObjectId::uri`]).
    pub fn uri(&self, id: ObjectId) -> Result<String, CoordinatorError> {
        if id.entity().get() >= self.model.entities().len() {
            return Err(CoordinatorError::EntityOutOfRange { index: id.entity().0 });
        }
        Ok(id.uri(&self.model))
    }

    /// Snapshots of `ids`, one per ID in order (`None` where the row does not exist, and for
    /// temporary IDs): from the row cache where present and not older than the
    /// [staleness interval](Coordinator::set_staleness_interval), the rest with one
    /// [`Store::snapshots`] call per store; what the stores return fills the cache.
    pub fn snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>> {
        self.load_snapshots(ids, true)
    }

    /// Like [`Coordinator::snapshots`], but always asks the stores (the cache is refreshed
    /// with what they return, and forgets rows they no longer have).
    pub fn refresh_snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>> {
        self.load_snapshots(ids, false)
    }

    fn load_snapshots(&self, ids: &[ObjectId], use_cache: bool) -> Result<Vec<Option<Arc<Snapshot>>>> {
        let mut out: Vec<Option<Arc<Snapshot>>> = Vec::with_capacity(ids.len());
        let mut misses = Batches::default();
        let max_age = self.staleness_interval();
        for (i, &id) in ids.iter().enumerate() {
            let cached = if use_cache { self.cache.get_fresh(id, max_age) } else { None };
            let hit = cached.is_some();
            out.push(cached);
            if !hit && !id.is_temporary() {
                misses.add(self, id, i)?;
            }
        }
        for batch in misses.0 {
            let found = batch.store.snapshots(&batch.ids)?;
            let now = Instant::now();
            for ((snapshot, position), id) in found.into_iter().zip(batch.positions).zip(batch.ids) {
                out[position] = match snapshot {
                    Some(s) => Some(self.cache.insert_at(s, now)),
                    None => {
                        self.cache.remove(id);
                        None
                    }
                };
            }
        }
        Ok(out)
    }

    /// The destinations of to-many relationship `relationship` (an index into each source's
    /// entity's relationships) for each source, in order: one [`Store::related`] call per
    /// store. Temporary sources have no stored destinations.
    pub fn related(&self, sources: &[ObjectId], relationship: usize) -> Result<Vec<Vec<ObjectId>>> {
        self.related_by(sources, |batch| Ok(batch.store.related(&batch.ids, relationship)?))
    }

    /// Groups the stored sources by store, reads each store's batch once with `read`, and
    /// puts the lists back in the sources' order (temporary sources get empty lists).
    fn related_by(
        &self,
        sources: &[ObjectId],
        read: impl Fn(&Batch) -> Result<Vec<Vec<ObjectId>>>,
    ) -> Result<Vec<Vec<ObjectId>>> {
        let mut out = vec![Vec::new(); sources.len()];
        let mut batches = Batches::default();
        for (i, &id) in sources.iter().enumerate() {
            if !id.is_temporary() {
                batches.add(self, id, i)?;
            }
        }
        for batch in batches.0 {
            for (list, &position) in read(&batch)?.into_iter().zip(&batch.positions) {
                out[position] = list;
            }
        }
        Ok(out)
    }

    /// Runs a fetch on the store holding the request's entity. Snapshot results refresh the
    /// row cache and come back as the cache's (newest) snapshots.
    pub fn fetch(&self, request: &StoreFetchRequest) -> Result<StoreFetchResult> {
        let store_id = self.route(request.entity)?;
        let store = self.store(store_id).ok_or(CoordinatorError::UnknownStore { store: store_id.uuid() })?;
        Ok(match store.fetch(request)? {
            StoreFetchResult::Snapshots(rows) => StoreFetchResult::Snapshots(self.cache.insert_all(rows)),
            other => other,
        })
    }

    /// Subscribes to save notifications: every later save of this coordinator sends one
    /// [`DidSave`] per store it saved to. Dropping the receiver unsubscribes.
    pub fn subscribe(&self) -> Receiver<Arc<DidSave>> {
        self.subscribers.subscribe()
    }

    /// The registered stores, cloned out of the lock so stores are called without it, and
    /// whether a single store holds every entity.
    fn registered(&self) -> (Vec<Registered>, bool) {
        let registry = self.read();
        let single = match registry.stores.as_slice() {
            [only] => registry.route.iter().all(|r| *r == Some(only.id)),
            _ => false,
        };
        (registry.stores.clone(), single)
    }
}

/// IDs grouped by store, each with its position in the caller's list, so that each store
/// answers a whole batch in one call.
#[derive(Default)]
struct Batches(Vec<Batch>);

struct Batch {
    id: StoreId,
    store: Arc<dyn Store>,
    ids: Vec<ObjectId>,
    positions: Vec<usize>,
}

impl Batches {
    fn add(
        &mut self,
        coordinator: &Coordinator,
        id: ObjectId,
        position: usize,
    ) -> Result<(), CoordinatorError> {
        // Most IDs of a batch share a store: skip the registry look-up for them.
        let known = id.store().and_then(|s| self.0.iter_mut().find(|b| b.id == s));
        if let Some(batch) = known.filter(|_| id.entity().get() < coordinator.model.entities().len()) {
            batch.ids.push(id);
            batch.positions.push(position);
            return Ok(());
        }
        let (store_id, store) = coordinator.store_of(id)?;
        match self.0.iter_mut().find(|b| b.id == store_id) {
            Some(batch) => {
                batch.ids.push(id);
                batch.positions.push(position);
            }
            None => self.0.push(Batch { id: store_id, store, ids: vec![id], positions: vec![position] }),
        }
        Ok(())
    }
}

impl std::fmt::Debug for Coordinator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coordinator")
            .field("model", &self.model.name())
            .field("stores", &self.stores())
            .field("cache", &self.cache)
            .finish()
    }
}
