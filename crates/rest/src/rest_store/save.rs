//! Saves: the server first, then the cache. A [`SaveRequest`] is checked against the cache
//! (versions, IDs) before anything is sent, turned into the API's requests — inserts in an
//! order that lets each name the objects inserted before it, updates with many-to-many
//! changes folded in, deletes last — and only what the server accepted is applied to the
//! cache, in one cache save, translated into the cache's layout with the server's own values
//! (the resource identifiers it assigned, normalised attributes, validators) on top.
//!
//! The store's write lock is held from the version check to the cache save, so no response
//! merge can move a version in between. Nothing here retries a save: `transport` retries
//! single requests.

use std::collections::HashSet;
use std::sync::Arc;

use strata_core::store::{
    DeletedRow, InsertedRow, SaveRequest, SaveResult, ToManyChange, UpdatedRow, VersionConflict,
};
use strata_core::{IdMap, IdSet, ObjectId, Snapshot, Store, StoreError};
use strata_model::{Entity, Value};

use crate::{HttpRequest, RelationshipValue, Representation, RestError};

use super::events::{RestChanges, RestEvent};
use super::transport::{self, http_error};
use super::{Inner, STORE_TYPE};

/// What the server accepted, with what it answered.
#[derive(Default)]
struct Accepted {
    inserted: IdMap<Option<Representation>>,
    updated: IdMap<Option<Representation>>,
    deleted: IdSet,
}

/// Runs one save (see [`RestStore`](super::RestStore) for the failure rules).
pub(super) fn save(inner: &Arc<Inner>, request: &SaveRequest) -> Result<SaveResult, StoreError> {
    if request.is_empty() {
        return Ok(SaveResult::default());
    }
    let _write = inner.write.lock().unwrap_or_else(|e| e.into_inner());
    let (request, adopted) = inner.adopt(request)?;
    let request: &SaveRequest = &request;
    let rows = check(inner, request)?;
    let objects = request.inserted.len() + request.updated.len() + request.deleted.len();
    inner.events.send(RestEvent::SaveStarted { objects });
    let mut sender = Sender { inner, request, rows, rids: IdMap::default(), accepted: Accepted::default() };
    let outcome = sender.send_all();
    let cache_request = sender.cache_request();
    match outcome {
        Ok(()) => match inner.cache.save(&cache_request) {
            Ok(mut result) => {
                let changes = RestChanges {
                    inserted: result.permanent_ids.iter().map(|&(_, p)| p).collect(),
                    updated: request.updated.iter().map(|u| u.id).collect(),
                    deleted: request.deleted.iter().map(|d| d.id).collect(),
                };
                inner.forget_adopted(&adopted);
                result.permanent_ids.extend(adopted);
                inner.events.send(RestEvent::SaveFinished { changes });
                Ok(result)
            }
            Err(error) => {
                tracing::error!(%error, "the server accepted a save the REST cache then refused");
                inner.events.send(RestEvent::SaveFailed { error: RestError::Store(error.clone()) });
                Err(error)
            }
        },
        Err(error) => {
            if !cache_request.is_empty() {
                match inner.cache.save(&cache_request) {
                    Ok(result) => inner.remember_adopted(&result.permanent_ids),
                    Err(cache_error) => {
                        tracing::error!(%cache_error, "cannot record the part of a failed save the server accepted");
                    }
                }
            }
            inner.events.send(RestEvent::SaveFailed { error: error.clone() });
            Err(error.into_store_error(STORE_TYPE))
        }
    }
}

/// The cached rows the save names, after checking IDs and versions (rule 3: every conflict
/// at once, nothing sent).
fn check(inner: &Inner, request: &SaveRequest) -> Result<IdMap<Arc<Snapshot>>, StoreError> {
    let store = inner.cache.metadata().store_id();
    let mut ids: Vec<ObjectId> = Vec::new();
    ids.extend(request.updated.iter().map(|u| u.id));
    ids.extend(request.deleted.iter().map(|d| d.id));
    ids.extend(request.inserted.iter().flat_map(|r| r.to_one.iter().flatten().copied()));
    ids.extend(request.updated.iter().flat_map(|u| u.to_one.iter().filter_map(|(_, d)| *d)));
    ids.extend(request.to_many.iter().flat_map(|c| std::iter::once(c.source).chain(c.added.iter().copied())));
    let mut seen = IdSet::default();
    ids.retain(|id| !id.is_temporary() && seen.insert(*id));
    if let Some(&id) = ids.iter().find(|id| id.store() != Some(store)) {
        return Err(StoreError::ForeignObject { id });
    }
    let rows: IdMap<Arc<Snapshot>> =
        inner.cache.snapshots(&ids)?.into_iter().flatten().map(|r| (r.id(), r)).collect();
    let mut conflicts = Vec::new();
    let versions = request
        .updated
        .iter()
        .map(|u| (u.id, u.expected_version))
        .chain(request.deleted.iter().map(|d| (d.id, d.expected_version)));
    for (id, expected_version) in versions {
        match rows.get(&id) {
            Some(row) if row.version() == expected_version => {}
            current => conflicts.push(VersionConflict {
                id,
                expected_version,
                current: current.and_then(|r| inner.map.to_user(r)),
            }),
        }
    }
    if !conflicts.is_empty() {
        return Err(StoreError::Conflict { conflicts });
    }
    let inserted: IdSet = request.inserted.iter().map(|r| r.id).collect();
    if let Some(&id) = ids.iter().find(|id| !rows.contains_key(id) && !inserted.contains(id)) {
        return Err(StoreError::MissingObject { id });
    }
    Ok(rows)
}

struct Sender<'a> {
    inner: &'a Inner,
    request: &'a SaveRequest,
    rows: IdMap<Arc<Snapshot>>,
    /// Resource identifiers by ID, filled as needed and as inserts are accepted.
    rids: IdMap<String>,
    accepted: Accepted,
}

impl<'a> Sender<'a> {
    fn entity(&self, id: ObjectId) -> &'a Entity {
        self.inner.map.user.entity_at(id.entity())
    }

    /// The resource identifier of a stored object (or of an insert already accepted).
    fn rid(&mut self, id: ObjectId) -> Result<Option<String>, RestError> {
        if let Some(rid) = self.rids.get(&id) {
            return Ok(Some(rid.clone()));
        }
        if id.is_temporary() {
            return Ok(None);
        }
        let row = match self.rows.get(&id) {
            Some(row) => Arc::clone(row),
            None => match self.inner.cache.snapshots(&[id])?.into_iter().next().flatten() {
                Some(row) => row,
                None => return Ok(None),
            },
        };
        let rid = self.inner.map.resource_id(&row).map(str::to_owned);
        if let Some(rid) = &rid {
            self.rids.insert(id, rid.clone());
        }
        Ok(rid)
    }

    fn send_all(&mut self) -> Result<(), RestError> {
        let request = self.request;
        // Inserts whose to-one destinations are known first; a cycle is broken by inserting
        // without the unknown links and sending them as an update afterwards.
        let mut pending: Vec<&InsertedRow> = request.inserted.iter().collect();
        let mut relink = Vec::new();
        while !pending.is_empty() {
            let ready = pending
                .iter()
                .position(|row| {
                    row.to_one.iter().flatten().all(|d| !d.is_temporary() || self.rids.contains_key(d))
                })
                .unwrap_or(0);
            let row = pending.remove(ready);
            let (rep, complete) = self.insert_representation(row)?;
            let entity = self.entity(row.id);
            let http = self.inner.client.insert_request(entity, &rep)?.ok_or_else(|| {
                RestError::NotSupportedByApi { operation: "insert", entity: entity.name().to_owned() }
            })?;
            let answer = self.send(&http, row.id, false)?;
            let rid = answer.as_ref().map(|r| r.resource_id.clone()).filter(|r| !r.is_empty()).ok_or_else(
                || RestError::MalformedResponse {
                    url: http.url.clone(),
                    line: 0,
                    column: 0,
                    message: "the answer to an insert carries no resource identifier".into(),
                },
            )?;
            self.rids.insert(row.id, rid);
            self.accepted.inserted.insert(row.id, answer);
            if !complete {
                relink.push(row);
            }
        }
        for row in relink {
            let mut rep = self.representation(row.id)?;
            rep.relationships = self.link_values(row.id, row.to_one.iter().copied().enumerate())?.0;
            for change in request.to_many.iter().filter(|c| c.source == row.id) {
                let value = self.members_value(change, true)?;
                if let Some(rel) = self.entity(row.id).relationships().get(change.relationship) {
                    rep.relationships.push((rel.name().to_owned(), value));
                }
            }
            self.send_update(row.id, rep, true)?;
        }
        let mut to_update: Vec<ObjectId> = request.updated.iter().map(|u| u.id).collect();
        let inserted: IdSet = request.inserted.iter().map(|r| r.id).collect();
        for change in &request.to_many {
            // An insert carried its links already (or its relink update did).
            if !inserted.contains(&change.source) && !to_update.contains(&change.source) {
                to_update.push(change.source);
            }
        }
        for id in to_update {
            let mut rep = self.representation(id)?;
            if let Some(update) = request.updated.iter().find(|u| u.id == id) {
                let entity = self.entity(id);
                rep.attributes = update
                    .values
                    .iter()
                    .filter_map(|(i, v)| Some((entity.attributes().get(*i)?.name().to_owned(), v.clone())))
                    .collect();
                rep.relationships = self.link_values(id, update.to_one.iter().map(|(i, d)| (*i, *d)))?.0;
            }
            let changes: Vec<&ToManyChange> = request.to_many.iter().filter(|c| c.source == id).collect();
            for change in changes {
                let value = self.members_value(change, inserted.contains(&id))?;
                if let Some(rel) = self.entity(id).relationships().get(change.relationship) {
                    rep.relationships.push((rel.name().to_owned(), value));
                }
            }
            self.send_update(id, rep, inserted.contains(&id))?;
        }
        for deleted in &request.deleted {
            let entity = self.entity(deleted.id);
            let rid = self.rid(deleted.id)?.ok_or_else(|| no_rid(self.inner, deleted.id))?;
            let http = self.inner.client.delete_request(entity, &rid)?.ok_or_else(|| {
                RestError::NotSupportedByApi { operation: "delete", entity: entity.name().to_owned() }
            })?;
            self.send(&http, deleted.id, true)?;
            self.accepted.deleted.insert(deleted.id);
        }
        Ok(())
    }

    /// An empty representation of a stored (or just inserted) object.
    fn representation(&mut self, id: ObjectId) -> Result<Representation, RestError> {
        let resource_id = self.rid(id)?.ok_or_else(|| no_rid(self.inner, id))?;
        Ok(Representation {
            entity: self.entity(id).name().to_owned(),
            resource_id,
            attributes: Vec::new(),
            relationships: Vec::new(),
            etag: None,
            last_modified: None,
        })
    }

    /// The insert's representation, and whether every link could be named.
    fn insert_representation(&mut self, row: &InsertedRow) -> Result<(Representation, bool), RestError> {
        let entity = self.entity(row.id);
        let attributes = entity
            .attributes()
            .iter()
            .zip(&row.values)
            .map(|(a, v)| (a.name().to_owned(), v.clone()))
            .collect();
        let (mut relationships, mut complete) =
            self.link_values(row.id, row.to_one.iter().copied().enumerate())?;
        for change in self.request.to_many.iter().filter(|c| c.source == row.id) {
            let mut rids = Vec::new();
            for &id in &change.added {
                match self.rid(id)? {
                    Some(rid) => rids.push(rid),
                    None => complete = false,
                }
            }
            if let Some(rel) = self.entity(row.id).relationships().get(change.relationship) {
                relationships.push((rel.name().to_owned(), RelationshipValue::ToMany(rids)));
            }
        }
        let rep = Representation {
            entity: entity.name().to_owned(),
            resource_id: String::new(),
            attributes,
            relationships,
            etag: None,
            last_modified: None,
        };
        Ok((rep, complete))
    }

    /// To-one values by relationship index as the API names them; `false` when a
    /// destination has no resource identifier yet (it is left out).
    fn link_values(
        &mut self,
        id: ObjectId,
        slots: impl Iterator<Item = (usize, Option<ObjectId>)>,
    ) -> Result<(Vec<(String, RelationshipValue)>, bool), RestError> {
        let entity = self.entity(id);
        let rels: Vec<(usize, String, bool)> = entity
            .relationships()
            .iter()
            .enumerate()
            .map(|(i, r)| (i, r.name().to_owned(), r.is_to_many()))
            .collect();
        let mut out = Vec::new();
        let mut complete = true;
        for (index, dest) in slots {
            let Some((_, name, to_many)) = rels.get(index) else { continue };
            if *to_many {
                continue;
            }
            match dest {
                None => out.push((name.clone(), RelationshipValue::ToOne(None))),
                Some(dest) => match self.rid(dest)? {
                    Some(rid) => out.push((name.clone(), RelationshipValue::ToOne(Some(rid)))),
                    None => complete = false,
                },
            }
        }
        Ok((out, complete))
    }

    /// The whole new membership of a to-many relationship after `change`.
    fn members_value(&mut self, change: &ToManyChange, is_new: bool) -> Result<RelationshipValue, RestError> {
        let mut members: Vec<ObjectId> = if is_new {
            Vec::new()
        } else {
            let cache_index = self
                .inner
                .map
                .entity(change.source.entity())
                .and_then(|m| m.relationships.get(change.relationship).copied())
                .unwrap_or(change.relationship);
            self.inner.cache.related(&[change.source], cache_index)?.into_iter().next().unwrap_or_default()
        };
        let removed: HashSet<ObjectId> = change.removed.iter().copied().collect();
        members.retain(|m| !removed.contains(m));
        for &added in &change.added {
            if !members.contains(&added) {
                members.push(added);
            }
        }
        let mut rids = Vec::with_capacity(members.len());
        for id in members {
            if let Some(rid) = self.rid(id)? {
                rids.push(rid);
            }
        }
        Ok(RelationshipValue::ToMany(rids))
    }

    fn send_update(&mut self, id: ObjectId, rep: Representation, is_new: bool) -> Result<(), RestError> {
        let entity = self.entity(id);
        let http = self.inner.client.update_request(entity, &rep)?.ok_or_else(|| {
            RestError::NotSupportedByApi { operation: "update", entity: entity.name().to_owned() }
        })?;
        let answer = self.send(&http, id, false)?;
        if is_new {
            // The server's answer to the insert already went into `accepted.inserted`; a
            // later answer describes the object better.
            if let Some(answer) = answer {
                self.accepted.inserted.insert(id, Some(answer));
            }
        } else {
            self.accepted.updated.insert(id, answer);
        }
        Ok(())
    }

    /// Sends one request; the server's description of the object, if it sent one. A delete
    /// answered 404 counts as done (the object is gone either way).
    fn send(
        &self,
        http: &HttpRequest,
        id: ObjectId,
        delete: bool,
    ) -> Result<Option<Representation>, RestError> {
        let response = transport::send(&*self.inner.client, &self.inner.options, http)?;
        if delete && response.status == 404 {
            return Ok(None);
        }
        if !response.is_success() {
            return Err(http_error(http, &response));
        }
        if delete || response.body.is_empty() {
            return Ok(None);
        }
        self.inner.client.parse_object(self.entity(id), http, &response)
    }

    /// The cache save applying what the server accepted, in the cache's layout.
    fn cache_request(&self) -> SaveRequest {
        let accepted = |id: &ObjectId| !id.is_temporary() || self.accepted.inserted.contains_key(id);
        let map = &self.inner.map;
        let mut out = SaveRequest { info: self.request.info.clone(), ..SaveRequest::default() };
        for row in &self.request.inserted {
            let Some(answer) = self.accepted.inserted.get(&row.id) else { continue };
            let (Some(m), cache_entity) = (map.entity(row.id.entity()), map.cache.entity_at(row.id.entity()))
            else {
                continue;
            };
            let mut values = vec![Value::Null; cache_entity.attributes().len()];
            for (i, v) in row.values.iter().enumerate() {
                if let Some(&ci) = m.attributes.get(i) {
                    values[ci] = v.clone();
                }
            }
            values[m.loaded] = Value::Bool(true);
            if let Some(rid) = self.rids.get(&row.id) {
                values[m.resource_id] = Value::String(rid.clone());
            }
            overlay(cache_entity, m, answer.as_ref(), &mut values);
            let mut to_one = vec![None; cache_entity.relationships().len()];
            for (i, dest) in row.to_one.iter().enumerate() {
                if let Some(&ci) = m.relationships.get(i) {
                    to_one[ci] = dest.filter(accepted);
                }
            }
            out.inserted.push(InsertedRow { id: row.id, values, to_one });
        }
        for update in &self.request.updated {
            let Some(answer) = self.accepted.updated.get(&update.id) else { continue };
            let (Some(m), cache_entity) =
                (map.entity(update.id.entity()), map.cache.entity_at(update.id.entity()))
            else {
                continue;
            };
            let mut values = vec![None; cache_entity.attributes().len()];
            for (i, v) in &update.values {
                if let Some(&ci) = m.attributes.get(*i) {
                    values[ci] = Some(v.clone());
                }
            }
            if let Some(answer) = answer {
                for (name, value) in &answer.attributes {
                    if let Some(ci) = cache_entity.attributes().iter().position(|a| a.name() == name)
                        && m.attributes.contains(&ci)
                    {
                        values[ci] = Some(value.clone());
                    }
                }
                values[m.etag] = Some(answer.etag.clone().map_or(Value::Null, Value::String));
                values[m.last_modified] =
                    Some(answer.last_modified.clone().map_or(Value::Null, Value::String));
            }
            out.updated.push(UpdatedRow {
                id: update.id,
                expected_version: update.expected_version,
                values: values.into_iter().enumerate().filter_map(|(i, v)| Some((i, v?))).collect(),
                to_one: update
                    .to_one
                    .iter()
                    .filter_map(|(i, d)| Some((*m.relationships.get(*i)?, d.filter(accepted))))
                    .collect(),
            });
        }
        for deleted in &self.request.deleted {
            if self.accepted.deleted.contains(&deleted.id) {
                out.deleted.push(DeletedRow { id: deleted.id, expected_version: deleted.expected_version });
            }
        }
        for change in &self.request.to_many {
            let source_done = self.accepted.inserted.contains_key(&change.source)
                || self.accepted.updated.contains_key(&change.source);
            let Some(m) = map.entity(change.source.entity()) else { continue };
            let Some(&relationship) = m.relationships.get(change.relationship) else { continue };
            if source_done {
                out.to_many.push(ToManyChange {
                    source: change.source,
                    relationship,
                    added: change.added.iter().copied().filter(accepted).collect(),
                    removed: change.removed.clone(),
                });
            }
        }
        out
    }
}

/// Puts the server's values (attributes it named, its validators) into a cache row.
fn overlay(
    entity: &Entity,
    m: &super::augment::EntityMap,
    answer: Option<&Representation>,
    values: &mut [Value],
) {
    let Some(answer) = answer else { return };
    for (name, value) in &answer.attributes {
        if let Some(i) = entity.attributes().iter().position(|a| a.name() == name)
            && m.attributes.contains(&i)
        {
            values[i] = value.clone();
        }
    }
    values[m.etag] = answer.etag.clone().map_or(Value::Null, Value::String);
    values[m.last_modified] = answer.last_modified.clone().map_or(Value::Null, Value::String);
}

fn no_rid(inner: &Inner, id: ObjectId) -> RestError {
    RestError::Store(StoreError::Corrupt {
        location: inner.cache.path().display().to_string(),
        reason: format!("cached object {id:?} has no resource identifier"),
    })
}
