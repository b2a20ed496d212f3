//! An in-process fake of a conventional JSON API, as a [`RestClient`]: objects per entity
//! with string IDs, paged lists with ETags, `304`s, scripted failures, a request log and a
//! gate that holds every request until the test releases it (latency on demand). No HTTP:
//! the loopback-server tests live in `crates/rest/tests`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value as Json, json};
use strata_model::{Entity, Model, Relationship, Value};

use crate::{
    HttpMethod, HttpRequest, HttpResponse, Page, RelationshipValue, RemoteFetch, Representation, RestClient,
    RestError,
};

const BASE: &str = "http://fake/";

#[derive(Default)]
struct State {
    data: BTreeMap<String, BTreeMap<String, Map<String, Json>>>,
    next_id: u64,
    version: u64,
    page_size: Option<usize>,
    failures: VecDeque<(String, usize, Result<HttpResponse, RestError>)>,
    log: Vec<HttpRequest>,
    held: bool,
    waiting: usize,
}

pub(super) struct FakeApi {
    model: Arc<Model>,
    state: Mutex<State>,
    changed: Condvar,
}

fn response(status: u16, headers: Vec<(String, String)>, body: Json) -> HttpResponse {
    let body = if body.is_null() { Vec::new() } else { body.to_string().into_bytes() };
    HttpResponse { status, headers, body }
}

impl FakeApi {
    pub(super) fn new(model: Arc<Model>) -> Arc<FakeApi> {
        Arc::new(FakeApi { model, state: Mutex::default(), changed: Condvar::new() })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts an object on the server (`fields` without the id).
    pub(super) fn put(&self, entity: &str, id: &str, fields: Json) {
        let mut state = self.state();
        let mut object = fields.as_object().cloned().unwrap_or_default();
        object.insert("id".into(), json!(id));
        state.data.entry(entity.into()).or_default().insert(id.into(), object);
        state.version += 1;
    }

    /// Removes an object from the server.
    pub(super) fn remove(&self, entity: &str, id: &str) {
        let mut state = self.state();
        state.data.entry(entity.into()).or_default().remove(id);
        state.version += 1;
    }

    pub(super) fn object(&self, entity: &str, id: &str) -> Option<Map<String, Json>> {
        self.state().data.get(entity).and_then(|m| m.get(id)).cloned()
    }

    pub(super) fn count(&self, entity: &str) -> usize {
        self.state().data.get(entity).map_or(0, BTreeMap::len)
    }

    pub(super) fn set_page_size(&self, size: usize) {
        self.state().page_size = Some(size);
    }

    /// The next request whose URL contains `url_part` gets `outcome` instead of an answer.
    pub(super) fn fail_next(&self, url_part: &str, outcome: Result<HttpResponse, RestError>) {
        self.fail_after(0, url_part, outcome);
    }

    /// Like [`FakeApi::fail_next`], after `skip` matching requests were answered normally.
    pub(super) fn fail_after(&self, skip: usize, url_part: &str, outcome: Result<HttpResponse, RestError>) {
        self.state().failures.push_back((url_part.into(), skip, outcome));
    }

    pub(super) fn log(&self) -> Vec<HttpRequest> {
        self.state().log.clone()
    }

    /// Holds every request until [`FakeApi::release`].
    pub(super) fn hold(&self) {
        self.state().held = true;
    }

    pub(super) fn release(&self) {
        self.state().held = false;
        self.changed.notify_all();
    }

    /// Waits (bounded) until `n` requests are held at the gate.
    pub(super) fn wait_held(&self, n: usize) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut state = self.state();
        while state.waiting < n {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else { return false };
            state = self.changed.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        true
    }

    fn url(&self, entity: &Entity, rest: &str) -> String {
        format!("{BASE}{}{rest}", entity.name())
    }

    fn body(&self, entity: &Entity, rep: &Representation) -> Vec<u8> {
        let mut object = Map::new();
        for (name, value) in &rep.attributes {
            object.insert(name.clone(), value.to_json().unwrap_or(Json::Null));
        }
        for (name, value) in &rep.relationships {
            object.insert(
                name.clone(),
                match value {
                    RelationshipValue::ToOne(id) => json!(id),
                    RelationshipValue::ToMany(ids) => json!(ids),
                },
            );
        }
        let _ = entity;
        Json::Object(object).to_string().into_bytes()
    }

    fn representation(&self, entity: &Entity, object: &Json, url: &str) -> Result<Representation, RestError> {
        let bad =
            |message: String| RestError::MalformedResponse { url: url.into(), line: 0, column: 0, message };
        let object = object.as_object().ok_or_else(|| bad("an item is not an object".into()))?;
        // "_entity" names a sub-entity, as an API with inheritance would.
        let entity = object
            .get("_entity")
            .and_then(Json::as_str)
            .and_then(|name| self.model.entity(name))
            .unwrap_or(entity);
        let resource_id = object
            .get("id")
            .and_then(Json::as_str)
            .ok_or_else(|| bad("an item has no id".into()))?
            .to_owned();
        let mut attributes = Vec::new();
        for a in entity.attributes() {
            if let Some(v) = object.get(a.name()) {
                attributes.push((
                    a.name().to_owned(),
                    Value::from_json(v, a.attribute_type()).map_err(|e| bad(e.to_string()))?,
                ));
            }
        }
        let mut relationships = Vec::new();
        for r in entity.relationships() {
            let Some(v) = object.get(r.name()) else { continue };
            let value = if r.is_to_many() {
                let ids =
                    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect());
                RelationshipValue::ToMany(ids.unwrap_or_default())
            } else {
                RelationshipValue::ToOne(v.as_str().map(str::to_owned))
            };
            relationships.push((r.name().to_owned(), value));
        }
        let etag = object.get("etag").and_then(Json::as_str).map(str::to_owned);
        Ok(Representation {
            entity: entity.name().to_owned(),
            resource_id,
            attributes,
            relationships,
            etag,
            last_modified: None,
        })
    }

    fn parse(&self, url: &str, body: &[u8]) -> Result<Json, RestError> {
        serde_json::from_slice(body).map_err(|e| RestError::MalformedResponse {
            url: url.into(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }

    fn serve(&self, state: &mut State, request: &HttpRequest) -> HttpResponse {
        let path = request.url.strip_prefix(BASE).unwrap_or_default();
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let segments: Vec<&str> = path.split('/').collect();
        let page: usize = query.split('&').find_map(|p| p.strip_prefix("page=")?.parse().ok()).unwrap_or(0);
        let body: Map<String, Json> =
            request.body.as_deref().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or_default();
        let not_found = || response(404, Vec::new(), json!({"error": "not found"}));
        match (request.method, segments.as_slice()) {
            (HttpMethod::Get, [entity]) => {
                let objects: Vec<Json> = state
                    .data
                    .get(*entity)
                    .map(|m| m.values().cloned().map(Json::Object).collect())
                    .unwrap_or_default();
                let size = state.page_size.unwrap_or(usize::MAX);
                let start = page.saturating_mul(size).min(objects.len());
                let end = start.saturating_add(size).min(objects.len());
                let etag = format!("\"v{}-{}\"", state.version, page);
                if request.header("If-None-Match") == Some(etag.as_str()) {
                    return response(304, Vec::new(), Json::Null);
                }
                let filter = if query.contains("filtered=1") { "filtered=1&" } else { "" };
                let next = (end < objects.len()).then(|| format!("{BASE}{entity}?{filter}page={}", page + 1));
                response(
                    200,
                    vec![("ETag".into(), etag)],
                    json!({ "items": objects[start..end], "next": next }),
                )
            }
            (HttpMethod::Get, [entity, id]) => match state.data.get(*entity).and_then(|m| m.get(*id)) {
                Some(object) => {
                    let etag = format!("\"o{}\"", state.version);
                    if request.header("If-None-Match") == Some(etag.as_str()) {
                        return response(304, Vec::new(), Json::Null);
                    }
                    response(200, vec![("ETag".into(), etag)], Json::Object(object.clone()))
                }
                None => not_found(),
            },
            (HttpMethod::Get, [entity, id, relationship]) => {
                // Members live under "@<relationship>", out of the objects' representations.
                let destination = self
                    .model
                    .entity(entity)
                    .and_then(|e| e.relationship(relationship))
                    .map(|r| self.model.entity_at(r.destination()).name().to_owned());
                let (Some(object), Some(destination)) =
                    (state.data.get(*entity).and_then(|m| m.get(*id)), destination)
                else {
                    return not_found();
                };
                let members = object.get(&format!("@{relationship}")).and_then(Json::as_array).cloned();
                let items: Vec<Json> = members
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|m| state.data.get(&destination)?.get(m.as_str()?).cloned().map(Json::Object))
                    .collect();
                let etag = format!("\"r{}\"", state.version);
                if request.header("If-None-Match") == Some(etag.as_str()) {
                    return response(304, Vec::new(), Json::Null);
                }
                response(200, vec![("ETag".into(), etag)], json!({ "items": items, "next": null }))
            }
            (HttpMethod::Post, [entity]) => {
                state.next_id += 1;
                let mut object = body;
                object.insert("id".into(), json!(format!("n{}", state.next_id)));
                state
                    .data
                    .entry((*entity).into())
                    .or_default()
                    .insert(format!("n{}", state.next_id), object.clone());
                state.version += 1;
                response(201, Vec::new(), Json::Object(object))
            }
            (HttpMethod::Patch, [entity, id]) => {
                match state.data.get_mut(*entity).and_then(|m| m.get_mut(*id)) {
                    Some(object) => {
                        object.extend(body);
                        let object = object.clone();
                        state.version += 1;
                        response(200, Vec::new(), Json::Object(object))
                    }
                    None => not_found(),
                }
            }
            (HttpMethod::Delete, [entity, id]) => {
                match state.data.get_mut(*entity).and_then(|m| m.remove(*id)) {
                    Some(_) => {
                        state.version += 1;
                        response(204, Vec::new(), Json::Null)
                    }
                    None => not_found(),
                }
            }
            _ => response(400, Vec::new(), json!({"error": "bad request"})),
        }
    }
}

impl RestClient for FakeApi {
    fn fetch_request(&self, fetch: &RemoteFetch<'_>) -> Result<Option<HttpRequest>, RestError> {
        let query = if fetch.predicate.is_some() { "?filtered=1" } else { "" };
        Ok(Some(HttpRequest::get(self.url(fetch.entity, query))))
    }

    fn object_request(&self, entity: &Entity, resource_id: &str) -> Result<Option<HttpRequest>, RestError> {
        Ok(Some(HttpRequest::get(self.url(entity, &format!("/{resource_id}")))))
    }

    fn relationship_request(
        &self,
        entity: &Entity,
        resource_id: &str,
        relationship: &Relationship,
    ) -> Result<Option<HttpRequest>, RestError> {
        Ok(Some(HttpRequest::get(self.url(entity, &format!("/{resource_id}/{}", relationship.name())))))
    }

    fn insert_request(
        &self,
        entity: &Entity,
        rep: &Representation,
    ) -> Result<Option<HttpRequest>, RestError> {
        Ok(Some(HttpRequest {
            method: HttpMethod::Post,
            url: self.url(entity, ""),
            headers: Vec::new(),
            body: Some(self.body(entity, rep)),
        }))
    }

    fn update_request(
        &self,
        entity: &Entity,
        rep: &Representation,
    ) -> Result<Option<HttpRequest>, RestError> {
        Ok(Some(HttpRequest {
            method: HttpMethod::Patch,
            url: self.url(entity, &format!("/{}", rep.resource_id)),
            headers: Vec::new(),
            body: Some(self.body(entity, rep)),
        }))
    }

    fn delete_request(&self, entity: &Entity, resource_id: &str) -> Result<Option<HttpRequest>, RestError> {
        Ok(Some(HttpRequest {
            method: HttpMethod::Delete,
            url: self.url(entity, &format!("/{resource_id}")),
            headers: Vec::new(),
            body: None,
        }))
    }

    fn parse_page(
        &self,
        entity: &Entity,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<Page, RestError> {
        let json = self.parse(&request.url, &response.body)?;
        let items = json.get("items").and_then(Json::as_array).cloned().unwrap_or_default();
        let representations = items
            .iter()
            .map(|item| self.representation(entity, item, &request.url))
            .collect::<Result<_, _>>()?;
        let next = json.get("next").and_then(Json::as_str).map(HttpRequest::get);
        Ok(Page { representations, next })
    }

    fn parse_object(
        &self,
        entity: &Entity,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<Option<Representation>, RestError> {
        if response.body.is_empty() {
            return Ok(None);
        }
        let json = self.parse(&request.url, &response.body)?;
        let mut rep = self.representation(entity, &json, &request.url)?;
        rep.etag = response.header("ETag").map(str::to_owned);
        Ok(Some(rep))
    }

    fn send(&self, request: &HttpRequest, timeout: Duration) -> Result<HttpResponse, RestError> {
        let mut state = self.state();
        state.log.push(request.clone());
        if state.held {
            state.waiting += 1;
            self.changed.notify_all();
            let deadline = Instant::now() + timeout;
            while state.held {
                let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                    state.waiting -= 1;
                    return Err(RestError::Timeout {
                        method: request.method.as_str(),
                        url: request.url.clone(),
                        after: timeout,
                    });
                };
                state = self.changed.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
            }
            state.waiting -= 1;
        }
        if let Some(i) = state.failures.iter().position(|(part, _, _)| request.url.contains(part.as_str())) {
            if state.failures[i].1 > 0 {
                state.failures[i].1 -= 1;
            } else if let Some((_, _, outcome)) = state.failures.remove(i) {
                return outcome;
            }
        }
        Ok(self.serve(&mut state, request))
    }
}
