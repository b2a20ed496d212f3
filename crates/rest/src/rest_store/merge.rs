//! Writing what the server said into the cache: a page of [`Representation`]s is
//! inserted-or-updated by resource identifier in one cache save, relationships resolved by
//! resource identifier (unknown destinations become not-yet-loaded placeholders), and
//! objects the server no longer has are removed with the to-one links that pointed at them.
//!
//! Every function here holds the store's write lock for its whole look-up-then-save, so two
//! responses naming one resource can never insert it twice. Nothing here sends a request.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use strata_core::store::{
    DeletedRow, InsertedRow, SaveInfo, SaveRequest, StoreFetchRequest, StoreFetchResult, StoreResultType,
    ToManyChange, UpdatedRow,
};
use strata_core::{IdMap, IdSet, ObjectId, Snapshot, Store, StoreError};
use strata_model::{Entity, EntityIndex, Value};
use strata_predicate::{Argument, Predicate, PredicateError};

use crate::{RelationshipValue, Representation, RestError};

use super::Inner;
use super::augment::{ETAG, LAST_MODIFIED, LOADED, RESOURCE_ID};
use super::events::RestChanges;

/// What merging one page did.
pub(super) struct Merged {
    pub(super) changes: RestChanges,
    /// Cache rows of the placeholders made, to load.
    pub(super) placeholders: Vec<Arc<Snapshot>>,
    /// (entity, resource identifier) of each object of the page.
    pub(super) resources: Vec<(String, String)>,
}

/// A resource's key in the cache: its hierarchy's root entity and its identifier.
type ResourceKey = (EntityIndex, String);

/// The cache save being built for one page.
#[derive(Default)]
struct Plan {
    inserted: Vec<InsertedRow>,
    new_ids: HashMap<ResourceKey, ObjectId>,
    placeholders: Vec<ObjectId>,
    rows: IdMap<Arc<Snapshot>>,
    updated: IdMap<UpdatedRow>,
    update_order: Vec<ObjectId>,
    to_many: Vec<ToManyChange>,
    /// Existing objects whose user-visible values or relationships changed.
    changed: IdSet,
}

impl Plan {
    fn inserted_mut(&mut self, id: ObjectId) -> Option<&mut InsertedRow> {
        self.inserted.iter_mut().find(|row| row.id == id)
    }

    fn update_mut(&mut self, row: &Arc<Snapshot>) -> &mut UpdatedRow {
        let id = row.id();
        if !self.updated.contains_key(&id) {
            self.update_order.push(id);
        }
        self.updated.entry(id).or_insert_with(|| UpdatedRow {
            id,
            expected_version: row.version(),
            values: Vec::new(),
            to_one: Vec::new(),
        })
    }

    fn set_value(&mut self, row: &Arc<Snapshot>, index: usize, value: Value, visible: bool) {
        if row.value(index) == Some(&value) {
            return;
        }
        let update = self.update_mut(row);
        update.values.retain(|(i, _)| *i != index);
        update.values.push((index, value));
        if visible {
            self.changed.insert(row.id());
        }
    }

    fn into_request(self) -> SaveRequest {
        let mut updated = self.updated;
        SaveRequest {
            inserted: self.inserted,
            updated: self.update_order.iter().filter_map(|id| updated.remove(id)).collect(),
            deleted: Vec::new(),
            to_many: self.to_many,
            info: SaveInfo { author: Some("strata.rest".into()), context_name: None },
        }
    }
}

impl Inner {
    /// Inserts or updates `representations` (a response about `fetched`) in one cache save.
    pub(super) fn merge_page(
        &self,
        fetched: EntityIndex,
        representations: &[Representation],
        url: &str,
    ) -> Result<Merged, RestError> {
        let model = Arc::clone(&self.map.cache);
        let bad = |message: String| RestError::MalformedResponse {
            url: url.to_owned(),
            line: 0,
            column: 0,
            message,
        };
        // The last representation of a resource wins, as the server's latest word.
        let mut items: Vec<(&Entity, &Representation)> = Vec::new();
        let mut positions: HashMap<ResourceKey, usize> = HashMap::new();
        for rep in representations {
            let entity =
                model.entity(&rep.entity).ok_or_else(|| bad(format!("unknown entity {:?}", rep.entity)))?;
            if model.root_of(entity.index()) != model.root_of(fetched) {
                return Err(bad(format!(
                    "a {} object in a response about {}",
                    rep.entity,
                    model.entity_at(fetched).name()
                )));
            }
            if rep.resource_id.is_empty() {
                return Err(bad(format!("a {} object without resource identifier", rep.entity)));
            }
            let key = (model.root_of(entity.index()), rep.resource_id.clone());
            match positions.get(&key) {
                Some(&i) => items[i] = (entity, rep),
                None => {
                    positions.insert(key, items.len());
                    items.push((entity, rep));
                }
            }
        }
        let resources = items.iter().map(|(e, r)| (e.name().to_owned(), r.resource_id.clone())).collect();

        let _write = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let mut wanted: HashMap<EntityIndex, HashSet<String>> = HashMap::new();
        for (entity, rep) in &items {
            wanted.entry(model.root_of(entity.index())).or_default().insert(rep.resource_id.clone());
            for (name, value) in &rep.relationships {
                let Some(rel) = entity.relationship(name) else { continue };
                let ids: Vec<&String> = match value {
                    RelationshipValue::ToOne(id) => id.iter().collect(),
                    RelationshipValue::ToMany(ids) => ids.iter().collect(),
                };
                wanted.entry(model.root_of(rel.destination())).or_default().extend(ids.into_iter().cloned());
            }
        }
        let known = self.lookup(&wanted)?;
        let mut plan = Plan::default();
        for row in known.values() {
            plan.rows.insert(row.id(), Arc::clone(row));
        }

        // Values first, so relationships can point at every object of the page.
        let mut sources = Vec::with_capacity(items.len());
        for &(listed, rep) in &items {
            let key = (model.root_of(listed.index()), rep.resource_id.clone());
            // A cached object keeps its entity (a placeholder made for a relationship's
            // destination may be of an ancestor of the listed one): names resolve in it.
            let entity = known.get(&key).map_or(listed, |row| model.entity_at(row.id().entity()));
            let map = self.entity_map(entity.index())?;
            let mut values: Vec<(usize, Value)> = Vec::with_capacity(rep.attributes.len() + 3);
            for (name, value) in &rep.attributes {
                match entity.attributes().iter().position(|a| a.name() == name) {
                    Some(i) if !is_private(name) => values.push((i, value.clone())),
                    _ => {
                        tracing::debug!(entity = entity.name(), attribute = %name, "unknown attribute skipped")
                    }
                }
            }
            let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
            let private = [
                (map.etag, text(&rep.etag)),
                (map.last_modified, text(&rep.last_modified)),
                (map.loaded, Value::Bool(true)),
            ];
            let id = match known.get(&key) {
                Some(row) => {
                    let row = Arc::clone(row);
                    for (i, value) in values {
                        plan.set_value(&row, i, value, true);
                    }
                    let was_loaded = self.map.is_loaded(&row);
                    for (i, value) in private {
                        plan.set_value(&row, i, value, !was_loaded);
                    }
                    row.id()
                }
                None => {
                    let mut row_values: Vec<Value> =
                        entity.attributes().iter().map(|a| a.default_value().clone()).collect();
                    for (i, value) in values.into_iter().chain(private) {
                        row_values[i] = value;
                    }
                    row_values[map.resource_id] = Value::String(rep.resource_id.clone());
                    let id = ObjectId::new_temporary(entity.index());
                    plan.inserted.push(InsertedRow {
                        id,
                        values: row_values,
                        to_one: vec![None; entity.relationships().len()],
                    });
                    plan.new_ids.insert(key, id);
                    id
                }
            };
            sources.push((id, entity));
        }

        for (&(_, rep), &(source, entity)) in items.iter().zip(&sources) {
            for (name, value) in &rep.relationships {
                let Some(index) = entity.relationships().iter().position(|r| r.name() == name) else {
                    tracing::debug!(entity = entity.name(), relationship = %name, "unknown relationship skipped");
                    continue;
                };
                let rel = &entity.relationships()[index];
                match value {
                    RelationshipValue::ToOne(dest) if !rel.is_to_many() => {
                        let dest = match dest {
                            Some(rid) => self.resolve(&mut plan, &known, rel.destination(), rid),
                            None => None,
                        };
                        self.set_to_one(&mut plan, source, index, dest)?;
                    }
                    RelationshipValue::ToMany(rids) if rel.is_to_many() => {
                        self.link_many(&mut plan, &known, source, index, rids)?;
                    }
                    _ => return Err(bad(format!("{}.{name} has the wrong cardinality", entity.name()))),
                }
            }
        }

        let (changes, placeholders) = self.save_plan(plan, url)?;
        Ok(Merged { changes, placeholders, resources })
    }

    /// Sets the members of the to-many relationship at `index` of `source` to the cached
    /// objects `rids` name (a relationship request's answer, merged already).
    pub(super) fn merge_members(
        &self,
        source: ObjectId,
        index: usize,
        rids: &[String],
        url: &str,
    ) -> Result<RestChanges, RestError> {
        let model = Arc::clone(&self.map.cache);
        let Some(rel) = model.entity_at(source.entity()).relationships().get(index) else {
            return Ok(RestChanges::default());
        };
        let _write = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let Some(row) = self.cache.snapshots(&[source])?.into_iter().next().flatten() else {
            return Ok(RestChanges::default());
        };
        let wanted = HashMap::from([(model.root_of(rel.destination()), rids.iter().cloned().collect())]);
        let known = self.lookup(&wanted)?;
        let mut plan = Plan::default();
        plan.rows.insert(source, row);
        for row in known.values() {
            plan.rows.insert(row.id(), Arc::clone(row));
        }
        self.link_many(&mut plan, &known, source, index, rids)?;
        Ok(self.save_plan(plan, url)?.0)
    }

    /// Makes `rids` the members of the to-many relationship at `index` of `source`: through
    /// the inverse to-one of each member when it has one, else as a join-table change.
    fn link_many(
        &self,
        plan: &mut Plan,
        known: &HashMap<ResourceKey, Arc<Snapshot>>,
        source: ObjectId,
        index: usize,
        rids: &[String],
    ) -> Result<(), RestError> {
        let model = Arc::clone(&self.map.cache);
        let Some(rel) = model.entity_at(source.entity()).relationships().get(index) else { return Ok(()) };
        let ids: Vec<ObjectId> =
            rids.iter().filter_map(|rid| self.resolve(plan, known, rel.destination(), rid)).collect();
        let current = if source.is_temporary() {
            Vec::new()
        } else {
            self.cache.related(&[source], index)?.into_iter().next().unwrap_or_default()
        };
        let added: Vec<ObjectId> = ids.iter().filter(|id| !current.contains(id)).copied().collect();
        let removed: Vec<ObjectId> = current.iter().filter(|id| !ids.contains(id)).copied().collect();
        match model.inverse_of(rel).filter(|inverse| !inverse.is_to_many()) {
            Some(inverse) => {
                for (ids, dest) in [(&added, Some(source)), (&removed, None)] {
                    for &id in ids {
                        let slot = model
                            .entity_at(id.entity())
                            .relationships()
                            .iter()
                            .position(|r| r.name() == inverse.name());
                        if let Some(slot) = slot {
                            self.set_to_one(plan, id, slot, dest)?;
                        }
                    }
                }
            }
            None if !added.is_empty() || !removed.is_empty() => {
                if !source.is_temporary() {
                    plan.changed.insert(source);
                }
                plan.to_many.push(ToManyChange { source, relationship: index, added, removed });
            }
            None => {}
        }
        Ok(())
    }

    /// Runs a plan's cache save; what changed, and the cache rows of the placeholders made.
    fn save_plan(&self, plan: Plan, url: &str) -> Result<(RestChanges, Vec<Arc<Snapshot>>), RestError> {
        let placeholders = plan.placeholders.clone();
        let changed: Vec<ObjectId> =
            plan.update_order.iter().filter(|id| plan.changed.contains(id)).copied().collect();
        let request = plan.into_request();
        let mut changes = RestChanges::default();
        let mut placeholder_rows = Vec::new();
        if !request.is_empty() {
            let result = self.cache.save(&request).map_err(|e| match e {
                StoreError::InvalidRequest { reason } => {
                    RestError::MalformedResponse { url: url.to_owned(), line: 0, column: 0, message: reason }
                }
                other => RestError::Store(other),
            })?;
            let permanent: HashMap<ObjectId, ObjectId> = result.permanent_ids.iter().copied().collect();
            changes.inserted = result.permanent_ids.iter().map(|&(_, p)| p).collect();
            changes.updated = changed;
            let ids: Vec<ObjectId> = placeholders.iter().filter_map(|t| permanent.get(t).copied()).collect();
            if !ids.is_empty() {
                placeholder_rows = self.cache.snapshots(&ids)?.into_iter().flatten().collect();
            }
        }
        Ok((changes, placeholder_rows))
    }

    fn entity_map(&self, entity: EntityIndex) -> Result<&super::augment::EntityMap, RestError> {
        self.map
            .entity(entity)
            .ok_or_else(|| RestError::Configuration { reason: format!("no entity at index {}", entity.0) })
    }

    /// The cached rows of the wanted resources, by key; one fetch per hierarchy.
    pub(super) fn lookup(
        &self,
        wanted: &HashMap<EntityIndex, HashSet<String>>,
    ) -> Result<HashMap<ResourceKey, Arc<Snapshot>>, RestError> {
        let mut found = HashMap::new();
        for (&root, ids) in wanted {
            if ids.is_empty() {
                continue;
            }
            let list = ids.iter().map(|s| Value::String(s.clone())).collect();
            let predicate = Predicate::parse_with(
                "%K IN %@",
                &[Argument::KeyPath(RESOURCE_ID.into()), Argument::List(list)],
            )
            .map_err(PredicateError::from)
            .and_then(|p| p.check(&self.map.cache, root).map_err(PredicateError::from))
            .map_err(|e| RestError::Store(StoreError::Predicate(e)))?;
            for row in self.cached_rows(root, Some(predicate))? {
                if let Some(rid) = self.map.resource_id(&row) {
                    found.insert((root, rid.to_owned()), row);
                }
            }
        }
        Ok(found)
    }

    fn cached_rows(
        &self,
        entity: EntityIndex,
        predicate: Option<Predicate>,
    ) -> Result<Vec<Arc<Snapshot>>, RestError> {
        let request = StoreFetchRequest {
            entity,
            include_subentities: true,
            predicate,
            sort: Vec::new(),
            offset: 0,
            limit: None,
            result: StoreResultType::Snapshots,
        };
        match self.cache.fetch(&request)? {
            StoreFetchResult::Snapshots(rows) => Ok(rows),
            _ => Ok(Vec::new()),
        }
    }

    /// The ID of the resource `rid` of `entity`'s hierarchy: cached, new in this page, or a
    /// new placeholder (`None` for an abstract entity, which cannot have one).
    fn resolve(
        &self,
        plan: &mut Plan,
        known: &HashMap<ResourceKey, Arc<Snapshot>>,
        entity: EntityIndex,
        rid: &str,
    ) -> Option<ObjectId> {
        let key = (self.map.cache.root_of(entity), rid.to_owned());
        if let Some(row) = known.get(&key) {
            return Some(row.id());
        }
        if let Some(&id) = plan.new_ids.get(&key) {
            return Some(id);
        }
        let cache_entity = self.map.cache.entity_at(entity);
        let map = self.map.entity(entity)?;
        if cache_entity.is_abstract() {
            tracing::warn!(
                entity = cache_entity.name(),
                rid,
                "cannot make a placeholder of an abstract entity"
            );
            return None;
        }
        let mut values = vec![Value::Null; cache_entity.attributes().len()];
        values[map.resource_id] = Value::String(rid.to_owned());
        values[map.loaded] = Value::Bool(false);
        let id = ObjectId::new_temporary(entity);
        plan.inserted.push(InsertedRow {
            id,
            values,
            to_one: vec![None; cache_entity.relationships().len()],
        });
        plan.new_ids.insert(key, id);
        plan.placeholders.push(id);
        Some(id)
    }

    /// Sets the to-one relationship at `index` of `id` (new or cached) to `dest`.
    fn set_to_one(
        &self,
        plan: &mut Plan,
        id: ObjectId,
        index: usize,
        dest: Option<ObjectId>,
    ) -> Result<(), RestError> {
        if let Some(row) = plan.inserted_mut(id) {
            if let Some(slot) = row.to_one.get_mut(index) {
                *slot = dest;
            }
            return Ok(());
        }
        let row = match plan.rows.get(&id) {
            Some(row) => Arc::clone(row),
            None => {
                let Some(row) = self.cache.snapshots(&[id])?.into_iter().next().flatten() else {
                    return Ok(());
                };
                plan.rows.insert(id, Arc::clone(&row));
                row
            }
        };
        if row.to_one().get(index).copied().flatten() == dest {
            return Ok(());
        }
        let update = plan.update_mut(&row);
        update.to_one.retain(|(i, _)| *i != index);
        update.to_one.push((index, dest));
        plan.changed.insert(id);
        Ok(())
    }

    /// Removes the cached objects of `entity` (and of the sub-entities `listed` names) that
    /// are not among `seen` ((entity name, resource id) pairs a complete list returned).
    pub(super) fn remove_unlisted(
        &self,
        entity: EntityIndex,
        listed: &HashSet<String>,
        seen: &HashSet<(String, String)>,
    ) -> Result<RestChanges, RestError> {
        let model = &self.map.cache;
        let seen: HashSet<ResourceKey> = seen
            .iter()
            .filter_map(|(e, rid)| Some((model.root_of(model.entity(e)?.index()), rid.clone())))
            .collect();
        let _write = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let gone: Vec<Arc<Snapshot>> = self
            .cached_rows(entity, None)?
            .into_iter()
            .filter(|row| {
                let e = row.id().entity();
                (e == entity || listed.contains(model.entity_at(e).name()))
                    && self
                        .map
                        .resource_id(row)
                        .is_some_and(|rid| !seen.contains(&(model.root_of(e), rid.to_owned())))
            })
            .collect();
        self.remove_rows(&gone)
    }

    /// Removes cached objects (an object request answered 404).
    pub(super) fn remove_objects(&self, ids: &[ObjectId]) -> Result<RestChanges, RestError> {
        let _write = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let rows: Vec<Arc<Snapshot>> = self.cache.snapshots(ids)?.into_iter().flatten().collect();
        self.remove_rows(&rows)
    }

    /// Deletes `rows` from the cache with the to-one links that point at them (found through
    /// inverse relationships), in one save. The caller holds the write lock.
    fn remove_rows(&self, rows: &[Arc<Snapshot>]) -> Result<RestChanges, RestError> {
        if rows.is_empty() {
            return Ok(RestChanges::default());
        }
        let model = Arc::clone(&self.map.cache);
        let gone: IdSet = rows.iter().map(|r| r.id()).collect();
        let mut plan = Plan::default();
        for row in rows {
            let entity = model.entity_at(row.id().entity());
            for (index, rel) in entity.relationships().iter().enumerate() {
                let Some(inverse) = model.inverse_of(rel).filter(|inverse| !inverse.is_to_many()) else {
                    continue;
                };
                let others = if rel.is_to_many() {
                    self.cache.related(&[row.id()], index)?.into_iter().next().unwrap_or_default()
                } else {
                    row.to_one().get(index).copied().flatten().into_iter().collect()
                };
                for other in others.into_iter().filter(|o| !gone.contains(o)) {
                    let slot = model
                        .entity_at(other.entity())
                        .relationships()
                        .iter()
                        .position(|r| r.name() == inverse.name());
                    if let Some(slot) = slot {
                        self.set_to_one(&mut plan, other, slot, None)?;
                    }
                }
            }
        }
        let updated: Vec<ObjectId> = plan.update_order.clone();
        let mut request = plan.into_request();
        request.deleted =
            rows.iter().map(|r| DeletedRow { id: r.id(), expected_version: r.version() }).collect();
        self.cache.save(&request)?;
        Ok(RestChanges { inserted: Vec::new(), updated, deleted: gone.into_iter().collect() })
    }
}

fn is_private(name: &str) -> bool {
    [RESOURCE_ID, ETAG, LAST_MODIFIED, LOADED].contains(&name)
}
