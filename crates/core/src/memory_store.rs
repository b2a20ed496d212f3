//! [`MemoryStore`]: a store that keeps everything in memory, for tests, previews and caches.
//!
//! It follows every rule of the store contract (atomic saves, optimistic locking, uniqueness
//! constraints, exact predicate semantics) using only the public API of `strata-predicate`;
//! it is also the reference the conformance suite compares other stores against. It favours
//! clarity over speed: fetches scan the entity's rows, to-many look-ups scan the destination.
//! Each save swaps in a new immutable `Arc` of the data, so reads work on the version they
//! started with without holding the lock, and a query generation is that `Arc` kept.
//! It must never hold its lock while calling back into anything outside this file.

mod contents;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use strata_model::{EntityIndex, Model, Uuid, Value};
use strata_predicate::{EvalError, Field, ObjectView, Predicate, compare_objects};

use crate::history::{HistoryLog, ids_to_capture};
use crate::object_id::{IdMap, IdSet};
use crate::store::dictionary::{self, RowObject};
use crate::store::{
    GenerationHandle, GenerationReader, HistoryDeleteRequest, HistoryRequest, HistoryToken,
    HistoryTransaction, SaveRequest, SaveResult, Store, StoreError, StoreFetchRequest, StoreFetchResult,
    StoreMetadata, StoreResultType, VersionConflict,
};
use crate::{ObjectId, Snapshot, StoreId};

pub use contents::MemoryContents;

/// A store whose data lives in memory and dies with it.
///
/// ```
/// # use std::sync::Arc;
/// # use strata_core::{Store, memory_store::MemoryStore};
/// # let model = Arc::new(strata_model::Model::from_json(r#"{"name":"M","version":1,"entities":[{"name":"Note","attributes":[{"name":"text","type":"string"}]}]}"#).unwrap());
/// let store = MemoryStore::new(model);
/// assert_eq!(store.metadata().store_type, "Memory");
/// ```
pub struct MemoryStore {
    model: Arc<Model>,
    store_id: StoreId,
    metadata: RwLock<StoreMetadata>,
    /// The current data version: saves build a new `Data` and swap the `Arc`, never mutate
    /// one in place, so a query generation is just a clone of the `Arc`.
    data: RwLock<Arc<Data>>,
    /// The persistent history, when the store keeps it: appended to while the data lock is
    /// held for writing, so it always matches the data.
    history: Option<Mutex<HistoryLog>>,
}

#[derive(Default, Clone)]
struct Data {
    /// Every row, by ID (ordered by entity, then key).
    rows: BTreeMap<ObjectId, Arc<Snapshot>>,
    /// Join-stored to-many links: (source, relationship index) → destinations.
    links: rustc_hash::FxHashMap<(ObjectId, usize), BTreeSet<ObjectId>>,
    /// Next primary key per inheritance root.
    next_key: HashMap<EntityIndex, i64>,
}

impl MemoryStore {
    /// An empty store for `model`, with a new UUID.
    pub fn new(model: Arc<Model>) -> MemoryStore {
        MemoryStore::with_uuid(model, Uuid::new_v4())
    }

    /// An empty store for `model` with the given UUID.
    pub fn with_uuid(model: Arc<Model>, uuid: Uuid) -> MemoryStore {
        let metadata = StoreMetadata {
            uuid,
            store_type: "Memory".to_owned(),
            model_hash: model.hash(),
            history: false,
            user: serde_json::Map::new(),
        };
        MemoryStore {
            store_id: StoreId::from_uuid(uuid),
            model,
            metadata: RwLock::new(metadata),
            data: RwLock::new(Arc::new(Data::default())),
            history: None,
        }
    }

    /// An empty store for `model`, with a new UUID, that records persistent history; with
    /// `values`, the history also records old and new values of updated attributes.
    pub fn with_history(model: Arc<Model>, values: bool) -> MemoryStore {
        let mut store = MemoryStore::new(model);
        let uuid = store.metadata().uuid;
        store.metadata.get_mut().unwrap_or_else(|e| e.into_inner()).history = true;
        store.history = Some(Mutex::new(HistoryLog::new(uuid, values)));
        store
    }

    /// The history log, or `Unsupported` when the store keeps none.
    fn history_log(&self) -> Result<MutexGuard<'_, HistoryLog>, StoreError> {
        match &self.history {
            // A panic while appending leaves at worst the log without the last transaction,
            // whose data was not swapped in either.
            Some(log) => Ok(log.lock().unwrap_or_else(|e| e.into_inner())),
            None => Err(self.unsupported("persistent history")),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Arc<Data>> {
        // A panic while holding the lock cannot leave `Data` half-written: saves build the new
        // state in a copy and swap it in, so a poisoned lock still guards consistent data.
        self.data.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Arc<Data>> {
        self.data.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// An object of a [`MemoryStore`] as the predicate evaluator sees it.
#[derive(Clone)]
struct View<'a> {
    model: &'a Model,
    data: &'a Data,
    row: &'a Arc<Snapshot>,
}

impl<'a> View<'a> {
    fn of(&self, id: ObjectId) -> Option<View<'a>> {
        self.data.rows.get(&id).map(|row| View { model: self.model, data: self.data, row })
    }
}

impl ObjectView for View<'_> {
    fn field(&self, key: &str) -> Result<Field<Self>, EvalError> {
        let entity = self.model.entity_at(self.row.id().entity());
        if let Some(i) = entity.attributes().iter().position(|a| a.name() == key) {
            return Ok(Field::Value(self.row.values()[i].clone()));
        }
        let Some(r) = entity.relationships().iter().position(|r| r.name() == key) else {
            return Err(EvalError::UnknownKey { key: key.to_owned() });
        };
        if !entity.relationships()[r].is_to_many() {
            return Ok(Field::ToOne(self.row.to_one()[r].and_then(|id| self.of(id))));
        }
        let ids = related_ids(self.model, self.data, self.row.id(), r);
        Ok(Field::ToMany(ids.into_iter().filter_map(|id| self.of(id)).collect()))
    }
}

impl RowObject for View<'_> {
    fn object_id(&self) -> ObjectId {
        self.row.id()
    }
}

/// The destinations of to-many relationship `r` of `source`, in ID order.
fn related_ids(model: &Model, data: &Data, source: ObjectId, r: usize) -> Vec<ObjectId> {
    let entity = model.entity_at(source.entity());
    let relationship = &entity.relationships()[r];
    let inverse = model.inverse_of(relationship).filter(|inv| !inv.is_to_many());
    match inverse {
        // The inverse's to-one slots hold the link: scan the destination hierarchy.
        Some(inv) => {
            let destination = model.entity_at(relationship.destination());
            let slot = |e: EntityIndex| {
                model.entity_at(e).relationships().iter().position(|x| x.name() == inv.name())
            };
            data.rows
                .values()
                .filter(|row| model.is_kind_of(row.id().entity(), destination.index()))
                .filter(|row| slot(row.id().entity()).and_then(|i| row.to_one()[i]) == Some(source))
                .map(|row| row.id())
                .collect()
        }
        None => data.links.get(&(source, r)).map(|set| set.iter().copied().collect()).unwrap_or_default(),
    }
}

impl Store for MemoryStore {
    fn metadata(&self) -> StoreMetadata {
        self.metadata.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn model(&self) -> &Arc<Model> {
        &self.model
    }

    fn set_user_metadata(&self, user: serde_json::Map<String, serde_json::Value>) -> Result<(), StoreError> {
        self.metadata.write().unwrap_or_else(|e| e.into_inner()).user = user;
        Ok(())
    }

    fn fetch(&self, request: &StoreFetchRequest) -> Result<StoreFetchResult, StoreError> {
        let data = self.read().clone();
        fetch_in(&self.model, &data, request)
    }

    fn snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>, StoreError> {
        let data = self.read().clone();
        snapshots_in(self.store_id, &self.model, &data, ids)
    }

    fn related(&self, sources: &[ObjectId], relationship: usize) -> Result<Vec<Vec<ObjectId>>, StoreError> {
        let data = self.read().clone();
        related_in(self.store_id, &self.model, &data, sources, relationship)
    }

    fn save(&self, request: &SaveRequest) -> Result<SaveResult, StoreError> {
        let mut data = self.write();
        // Build the new state in a copy and swap it in only when every check passed: the
        // store is unchanged by a failed save, whatever failed. The old version stays
        // intact for the generations that hold it.
        let mut next = Data::clone(&data);
        let result = apply_save(&self.model, self.store_id, &mut next, request)?;
        if !request.is_empty()
            && let Ok(mut log) = self.history_log()
        {
            let ids = ids_to_capture(&self.model, request, log.records_values());
            let before = ids.into_iter().filter_map(|id| Some((id, data.rows.get(&id)?.clone()))).collect();
            log.append(&self.model, request, &result, &before);
        }
        *data = Arc::new(next);
        Ok(result)
    }

    fn history(&self, request: &HistoryRequest) -> Result<Vec<HistoryTransaction>, StoreError> {
        self.history_log()?.read(&self.model, request)
    }

    fn delete_history(&self, request: &HistoryDeleteRequest) -> Result<usize, StoreError> {
        self.history_log()?.delete(request)
    }

    /// Carried out through [`Store::save`] by [`crate::store::execute_batch_with_saves`].
    fn execute_batch(
        &self,
        request: &crate::store::BatchRequest,
        options: &crate::store::BatchOptions,
    ) -> Result<crate::store::BatchResult, StoreError> {
        crate::store::execute_batch_with_saves(self, request, options)
    }

    fn current_history_token(&self) -> Result<HistoryToken, StoreError> {
        Ok(self.history_log()?.current())
    }

    fn open_generation(&self) -> Result<GenerationHandle, StoreError> {
        let data = self.read().clone();
        Ok(GenerationHandle::new(MemoryGeneration {
            model: self.model.clone(),
            store_id: self.store_id,
            data,
        }))
    }
}

/// A [`MemoryStore`] generation: the data version current when it was opened.
struct MemoryGeneration {
    model: Arc<Model>,
    store_id: StoreId,
    data: Arc<Data>,
}

impl GenerationReader for MemoryGeneration {
    fn fetch(&self, request: &StoreFetchRequest) -> Result<StoreFetchResult, StoreError> {
        fetch_in(&self.model, &self.data, request)
    }

    fn snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>, StoreError> {
        snapshots_in(self.store_id, &self.model, &self.data, ids)
    }

    fn related(&self, sources: &[ObjectId], relationship: usize) -> Result<Vec<Vec<ObjectId>>, StoreError> {
        related_in(self.store_id, &self.model, &self.data, sources, relationship)
    }
}

/// Checks that `id` is a permanent ID of the store `store_id`, of an entity of `model`.
fn own(store_id: StoreId, model: &Model, id: ObjectId) -> Result<(), StoreError> {
    if id.is_temporary() || id.store() != Some(store_id) {
        return Err(StoreError::ForeignObject { id });
    }
    if id.entity().get() >= model.entities().len() {
        return Err(StoreError::MissingObject { id });
    }
    Ok(())
}

/// [`Store::fetch`] on one data version.
fn fetch_in(model: &Model, data: &Data, request: &StoreFetchRequest) -> Result<StoreFetchResult, StoreError> {
    if request.entity.get() >= model.entities().len() {
        return Err(StoreError::Unsupported {
            store_type: "Memory".into(),
            operation: "fetching an unknown entity",
        });
    }
    let wanted = |e: EntityIndex| {
        if request.include_subentities { model.is_kind_of(e, request.entity) } else { e == request.entity }
    };
    let mut matches = Vec::new();
    for row in data.rows.values().filter(|row| wanted(row.id().entity())) {
        let view = View { model, data, row };
        if matches_predicate(request.predicate.as_ref(), &view)? {
            matches.push(view);
        }
    }
    // Rows iterate by ID (entity first); the contract's order is by primary key, which
    // differs across a hierarchy. The sort below is stable, so ties keep this order.
    matches.sort_by_key(|v| v.row.id().primary_key());
    if let StoreResultType::Rows(rows) = &request.result {
        let grouped = dictionary::group_rows(rows, &matches)?;
        let finished = dictionary::finish_rows(rows, &request.sort, request.offset, request.limit, grouped)?;
        return Ok(StoreFetchResult::Rows(finished));
    }
    if !request.sort.is_empty() {
        let mut failure = None;
        matches.sort_by(|a, b| {
            compare_objects(&request.sort, a, b).unwrap_or_else(|e| {
                failure.get_or_insert(e);
                Ordering::Equal
            })
        });
        if let Some(e) = failure {
            return Err(StoreError::Predicate(e.into()));
        }
    }
    let page = matches.into_iter().skip(request.offset).take(request.limit.unwrap_or(usize::MAX));
    Ok(match request.result {
        StoreResultType::Ids => StoreFetchResult::Ids(page.map(|v| v.row.id()).collect()),
        StoreResultType::Snapshots => StoreFetchResult::Snapshots(page.map(|v| v.row.clone()).collect()),
        StoreResultType::Count => StoreFetchResult::Count(page.count() as u64),
        // Answered above, before the objects were sorted.
        StoreResultType::Rows(_) => StoreFetchResult::Rows(Vec::new()),
    })
}

/// [`Store::snapshots`] on one data version.
fn snapshots_in(
    store_id: StoreId,
    model: &Model,
    data: &Data,
    ids: &[ObjectId],
) -> Result<Vec<Option<Arc<Snapshot>>>, StoreError> {
    ids.iter().try_for_each(|&id| own(store_id, model, id))?;
    Ok(ids.iter().map(|id| data.rows.get(id).cloned()).collect())
}

/// [`Store::related`] on one data version.
fn related_in(
    store_id: StoreId,
    model: &Model,
    data: &Data,
    sources: &[ObjectId],
    relationship: usize,
) -> Result<Vec<Vec<ObjectId>>, StoreError> {
    sources.iter().try_for_each(|&id| own(store_id, model, id))?;
    sources
        .iter()
        .map(|&source| {
            let entity = model.entity_at(source.entity());
            match entity.relationships().get(relationship) {
                Some(r) if r.is_to_many() => Ok(if data.rows.contains_key(&source) {
                    related_ids(model, data, source, relationship)
                } else {
                    Vec::new()
                }),
                _ => Err(StoreError::Unsupported {
                    store_type: "Memory".into(),
                    operation: "to-many look-ups of a relationship that is not to-many",
                }),
            }
        })
        .collect()
}

fn matches_predicate(predicate: Option<&Predicate>, view: &View<'_>) -> Result<bool, StoreError> {
    match predicate {
        None => Ok(true),
        Some(p) => p.evaluate(view).map_err(|e| StoreError::Predicate(e.into())),
    }
}

fn apply_save(
    model: &Model,
    store: StoreId,
    data: &mut Data,
    request: &SaveRequest,
) -> Result<SaveResult, StoreError> {
    let own = |id: ObjectId| -> Result<(), StoreError> {
        if id.store() == Some(store) && id.entity().get() < model.entities().len() {
            Ok(())
        } else {
            Err(StoreError::ForeignObject { id })
        }
    };
    // 1. Optimistic locking, reporting every conflict at once.
    let mut conflicts = Vec::new();
    let expected = request.updated.iter().map(|u| (u.id, u.expected_version));
    for (id, expected_version) in expected.chain(request.deleted.iter().map(|d| (d.id, d.expected_version))) {
        own(id)?;
        let current = data.rows.get(&id);
        if current.map(|s| s.version()) != Some(expected_version) {
            conflicts.push(VersionConflict { id, expected_version, current: current.cloned() });
        }
    }
    if !conflicts.is_empty() {
        return Err(StoreError::Conflict { conflicts });
    }
    // 2. Permanent IDs for inserted objects.
    let mut permanent = IdMap::default();
    let mut result = SaveResult::default();
    for row in &request.inserted {
        if !row.id.is_temporary() || row.id.entity().get() >= model.entities().len() {
            return Err(StoreError::ForeignObject { id: row.id });
        }
        let root = model.root_of(row.id.entity());
        let next = data.next_key.entry(root).or_insert(1);
        let id = ObjectId::permanent(store, row.id.entity(), *next)
            .ok_or(StoreError::MissingObject { id: row.id })?;
        *next += 1;
        permanent.insert(row.id, id);
        result.permanent_ids.push((row.id, id));
    }
    let deleted: IdSet = request.deleted.iter().map(|d| d.id).collect();
    let resolve = |id: ObjectId| -> Result<ObjectId, StoreError> {
        if let Some(&p) = permanent.get(&id) {
            return Ok(p);
        }
        own(id)?;
        if data.rows.contains_key(&id) && !deleted.contains(&id) {
            Ok(id)
        } else {
            Err(StoreError::MissingObject { id })
        }
    };
    // 3. New rows: inserts at version 1, updates one version up.
    let mut written = Vec::new();
    for row in &request.inserted {
        let id = permanent[&row.id];
        let entity = model.entity_at(id.entity());
        if row.values.len() != entity.attributes().len() || row.to_one.len() != entity.relationships().len() {
            return Err(StoreError::InvalidRequest {
                reason: format!("inserted {} row does not fit the entity", entity.name()),
            });
        }
        if entity.relationships().iter().zip(&row.to_one).any(|(r, d)| r.is_to_many() && d.is_some()) {
            return Err(misfit(entity.name()));
        }
        let to_one = row.to_one.iter().map(|d| d.map(resolve).transpose()).collect::<Result<Vec<_>, _>>()?;
        written.push(Snapshot::new(id, 1, row.values.clone(), to_one));
    }
    for row in &request.updated {
        let current = &data.rows[&row.id];
        let entity = model.entity_at(row.id.entity());
        let mut values = current.values().to_vec();
        let mut to_one = current.to_one().to_vec();
        for (i, value) in &row.values {
            *values.get_mut(*i).ok_or_else(|| misfit(entity.name()))? = value.clone();
        }
        for (i, destination) in &row.to_one {
            if entity.relationships().get(*i).is_none_or(|r| r.is_to_many()) {
                return Err(misfit(entity.name()));
            }
            *to_one.get_mut(*i).ok_or_else(|| misfit(entity.name()))? =
                destination.map(resolve).transpose()?;
        }
        written.push(Snapshot::new(row.id, current.version() + 1, values, to_one));
    }
    // 4. Join links, resolved before anything changes: (from, relationship, to, add?).
    let mut link_ops = Vec::new();
    for change in &request.to_many {
        if deleted.contains(&change.source) && change.added.is_empty() {
            continue;
        }
        let source = resolve(change.source)?;
        let relationship = model.entity_at(source.entity()).relationships().get(change.relationship);
        let Some(relationship) = relationship.filter(|r| r.is_to_many()) else {
            return Err(misfit(model.entity_at(source.entity()).name()));
        };
        let inverse = model.inverse_of(relationship).and_then(|inv| {
            let destination = model.entity_at(relationship.destination());
            destination.relationships().iter().position(|r| r.name() == inv.name())
        });
        for (destinations, add) in [(&change.added, true), (&change.removed, false)] {
            for &d in destinations {
                // Unlinking an object this save deletes is harmless (its links go with it);
                // linking to one is an error.
                if !add && deleted.contains(&d) {
                    continue;
                }
                let d = resolve(d)?;
                link_ops.push((source, change.relationship, d, add));
                if let Some(i) = inverse {
                    link_ops.push((d, i, source, add));
                }
            }
        }
    }
    // 5. Apply: deletions with their links, written rows, join links.
    for id in &deleted {
        data.rows.remove(id);
    }
    data.links.retain(|(source, _), destinations| {
        destinations.retain(|d| !deleted.contains(d));
        !deleted.contains(source)
    });
    for snapshot in written {
        result.versions.push((snapshot.id(), snapshot.version()));
        data.rows.insert(snapshot.id(), Arc::new(snapshot));
    }
    for (from, r, to, add) in link_ops {
        let set = data.links.entry((from, r)).or_default();
        if add {
            set.insert(to);
        } else {
            set.remove(&to);
        }
    }
    check_uniqueness(model, data, request, &permanent)?;
    Ok(result)
}

fn misfit(entity: &str) -> StoreError {
    StoreError::InvalidRequest { reason: format!("a saved {entity} row does not fit the entity") }
}

/// Refuses the save if two rows of a constrained entity share the constrained values
/// (rows with a `nil` among them are exempt, as in SQL unique indexes).
fn check_uniqueness(
    model: &Model,
    data: &Data,
    request: &SaveRequest,
    permanent: &IdMap<ObjectId>,
) -> Result<(), StoreError> {
    let touched: IdSet = request
        .inserted
        .iter()
        .map(|r| permanent[&r.id])
        .chain(request.updated.iter().map(|r| r.id))
        .collect();
    if touched.is_empty() {
        return Ok(());
    }
    let back: IdMap<ObjectId> = permanent.iter().map(|(&t, &p)| (p, t)).collect();
    for entity in model.entities() {
        for constraint in entity.uniqueness_constraints() {
            let mut seen: HashMap<Vec<String>, ObjectId> = HashMap::new();
            for row in data.rows.values().filter(|r| model.is_kind_of(r.id().entity(), entity.index())) {
                let concrete = model.entity_at(row.id().entity());
                let mut key = Vec::with_capacity(constraint.len());
                for name in constraint {
                    let value = match concrete.attributes().iter().position(|a| a.name() == name) {
                        Some(i) => row.values()[i].clone(),
                        None => match concrete.relationships().iter().position(|r| r.name() == name) {
                            Some(i) => {
                                row.to_one()[i].map_or(Value::Null, |id| Value::String(format!("{id:?}")))
                            }
                            None => Value::Null,
                        },
                    };
                    key.push(value);
                }
                if key.iter().any(Value::is_null) {
                    continue;
                }
                let key: Vec<String> = key.iter().map(canonical).collect();
                if let Some(&other) = seen.get(&key) {
                    let (id, existing) =
                        if touched.contains(&row.id()) { (row.id(), other) } else { (other, row.id()) };
                    return Err(StoreError::Uniqueness {
                        entity: entity.name().to_owned(),
                        properties: constraint.clone(),
                        id: back.get(&id).copied().unwrap_or(id),
                        existing: Some(existing).filter(|e| !touched.contains(e)),
                    });
                }
                seen.insert(key, row.id());
            }
        }
    }
    Ok(())
}

/// A text key under which equal values of one attribute collide. Every value of an attribute
/// has the attribute's type, so only the representations of one type need reconciling.
fn canonical(value: &Value) -> String {
    match value {
        // -0.0 == 0.0; adding 0.0 turns the former into the latter.
        Value::Double(_) | Value::Float(_) => format!("{:?}", value.as_f64().unwrap_or(0.0) + 0.0),
        Value::Decimal(d) => d.normalize().to_string(),
        _ => format!("{value:?}"),
    }
}
