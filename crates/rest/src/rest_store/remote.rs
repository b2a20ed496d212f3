//! Remote reads: building a fetch's or an object's request on the caller's thread (pure,
//! no I/O), running it on the worker pool (coalesced with identical requests in flight),
//! following pages, answering `304`s from the recorded validators, merging each page into
//! the cache, removing what a complete list no longer holds, and announcing it all.
//!
//! Nothing here runs a request on the caller's thread or writes the cache except through
//! `merge`.

use std::collections::HashSet;
use std::sync::Arc;

use strata_core::store::StoreFetchRequest;
use strata_core::{ObjectId, Snapshot, Store};
use strata_model::EntityIndex;

use crate::{HttpRequest, RemoteFetch, RestError};

use super::Inner;
use super::augment::ModelMap;
use super::events::{RemoteKind, RestChanges, RestEvent};
use super::pool::{Flight, FlightKey, FlightResult};
use super::transport::{self, Validator, http_error};

/// What a list read does once every page is in.
#[derive(Debug, Clone, Copy)]
enum Then {
    /// Nothing more (a filtered or paged fetch).
    Nothing,
    /// Remove the cached objects the list did not name (an unfiltered, unpaged fetch).
    RemoveUnlisted,
    /// Make the listed objects the members of a to-many relationship of `source`.
    SetMembers { source: ObjectId, index: usize },
}

/// Most pages one fetch follows (a guard against an API whose `next` never ends).
const MAX_PAGES: usize = 100_000;

impl Inner {
    /// Starts (or joins) the remote fetch answering `request`; `None` when the API has no
    /// request for it. Returns the flight and the first request's URL.
    pub(super) fn start_fetch(
        self: &Arc<Self>,
        request: &StoreFetchRequest,
    ) -> Result<Option<(Arc<Flight>, String)>, RestError> {
        let Some(entity) = self.map.user.entities().get(request.entity.get()) else { return Ok(None) };
        let fetch = RemoteFetch {
            model: &self.map.user,
            entity,
            predicate: request.predicate.as_ref(),
            sort: &request.sort,
            offset: request.offset,
            limit: request.limit,
        };
        let http = match self.client.fetch_request(&fetch) {
            Ok(Some(http)) => http,
            Ok(None) => return Ok(None),
            Err(error) => {
                self.events.send(RestEvent::FetchFailed {
                    kind: RemoteKind::Fetch,
                    entity: entity.name().to_owned(),
                    url: String::new(),
                    error: error.clone(),
                });
                return Err(error);
            }
        };
        let complete = request.predicate.is_none() && request.offset == 0 && request.limit.is_none();
        let key = FlightKey::new(if complete { "list" } else { "fetch" }, &http);
        let url = http.url.clone();
        let inner = Arc::clone(self);
        let index = request.entity;
        let then = if complete { Then::RemoveUnlisted } else { Then::Nothing };
        let flight = self
            .flights
            .start(&self.pool, key, move || inner.run_fetch(RemoteKind::Fetch, index, http, then));
        Ok(Some((flight, url)))
    }

    fn run_fetch(
        self: &Arc<Self>,
        kind: RemoteKind,
        entity: EntityIndex,
        first: HttpRequest,
        then: Then,
    ) -> FlightResult {
        let name = self.map.user.entity_at(entity).name().to_owned();
        let url = first.url.clone();
        self.events.send(RestEvent::FetchStarted { kind, entity: name.clone(), url: url.clone() });
        let mut recorded = false;
        let outcome = self.fetch_pages(entity, first, then, &mut recorded);
        if recorded {
            self.persist_validators();
        }
        self.announce(kind, name, url, &outcome);
        outcome
    }

    /// Starts (or joins) the request reading the members of the to-many relationship at
    /// `index` (in the cache's layout) of a cached object (`row`, in the cache's layout);
    /// `None` when the API has no such request.
    pub(super) fn start_relationship(self: &Arc<Self>, row: &Snapshot, index: usize) -> Option<Arc<Flight>> {
        let resource_id = self.map.resource_id(row)?.to_owned();
        let source = row.id();
        let user_entity = self.map.user.entities().get(source.entity().get())?;
        let user_index = self.map.entity(source.entity())?.relationships.iter().position(|&c| c == index)?;
        let relationship = user_entity.relationships().get(user_index).filter(|r| r.is_to_many())?;
        let request = match self.client.relationship_request(user_entity, &resource_id, relationship) {
            Ok(Some(request)) => request,
            Ok(None) => return None,
            Err(error) => {
                tracing::warn!(%error, "no relationship request");
                return None;
            }
        };
        let destination = relationship.destination();
        let key = FlightKey::new("relationship", &request);
        let inner = Arc::clone(self);
        let then = Then::SetMembers { source, index };
        Some(self.flights.start(&self.pool, key, move || {
            inner.run_fetch(RemoteKind::Relationship, destination, request, then)
        }))
    }

    fn announce(&self, kind: RemoteKind, entity: String, url: String, outcome: &FlightResult) {
        if matches!(outcome, Ok((changes, _)) if !changes.is_empty()) {
            self.remote_handlers.notify(self.cache.metadata().uuid);
        }
        self.events.send(match outcome {
            Ok((changes, not_modified)) => RestEvent::FetchFinished {
                kind,
                entity,
                url,
                changes: changes.clone(),
                not_modified: *not_modified,
            },
            Err(error) => RestEvent::FetchFailed { kind, entity, url, error: error.clone() },
        });
    }

    fn fetch_pages(
        self: &Arc<Self>,
        entity: EntityIndex,
        first: HttpRequest,
        then: Then,
        recorded: &mut bool,
    ) -> FlightResult {
        let user_entity = self.map.user.entity_at(entity);
        let url = first.url.clone();
        let mut changes = RestChanges::default();
        let mut not_modified = true;
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let mut listed: Vec<String> = Vec::new();
        let mut listed_entities: HashSet<String> = HashSet::new();
        let mut all_known = true;
        let mut next = Some(first);
        let mut pages = 0;
        let mut requested: HashSet<String> = HashSet::new();
        while let Some(request) = next.take() {
            pages += 1;
            if pages > MAX_PAGES {
                all_known = false;
                break;
            }
            if !requested.insert(request.url.clone()) {
                return Err(RestError::MalformedResponse {
                    url: request.url,
                    line: 0,
                    column: 0,
                    message: "the next page is a page already read (the API's paging loops)".into(),
                });
            }
            let validator = self.validator(&request.url);
            let sent = Validator::apply(
                validator.as_ref().and_then(|v| v.etag.as_deref()),
                validator.as_ref().and_then(|v| v.last_modified.as_deref()),
                &request,
            );
            let response = transport::send(&*self.client, &self.options, &sent)?;
            if response.status == 304 {
                match validator {
                    Some(v) => {
                        for (e, rid) in &v.resources {
                            listed_entities.insert(e.clone());
                            listed.push(rid.clone());
                        }
                        seen.extend(v.resources);
                        next = v.next;
                    }
                    // A 304 to an unconditional request: nothing to learn, and the list is
                    // not known, so nothing may be removed.
                    None => all_known = false,
                }
                continue;
            }
            if !response.is_success() {
                return Err(http_error(&request, &response));
            }
            not_modified = false;
            let page = self.client.parse_page(user_entity, &request, &response)?;
            let merged = self.merge_page(entity, &page.representations, &request.url)?;
            for (e, rid) in &merged.resources {
                listed_entities.insert(e.clone());
                listed.push(rid.clone());
            }
            seen.extend(merged.resources.iter().cloned());
            self.load_placeholders(&merged.placeholders);
            changes.append(merged.changes);
            *recorded |= self.record_validator(
                &request.url,
                Validator::from_response(&response).map(|v| Validator {
                    next: page.next.clone(),
                    resources: merged.resources,
                    ..v
                }),
            );
            next = page.next;
        }
        let after = match then {
            _ if !all_known => RestChanges::default(),
            Then::Nothing => RestChanges::default(),
            Then::RemoveUnlisted => self.remove_unlisted(entity, &listed_entities, &seen)?,
            Then::SetMembers { source, index } => self.merge_members(source, index, &listed, &url)?,
        };
        if !after.is_empty() {
            not_modified = false;
        }
        changes.append(after);
        Ok((changes, not_modified))
    }

    fn validator(&self, url: &str) -> Option<Validator> {
        self.validators.lock().unwrap_or_else(|e| e.into_inner()).get(url).cloned()
    }

    /// Records (or forgets) the validator of `url` in memory; whether that changed it. The
    /// caller persists once per read ([`Inner::persist_validators`]), not once per page.
    fn record_validator(&self, url: &str, validator: Option<Validator>) -> bool {
        let mut validators = self.validators.lock().unwrap_or_else(|e| e.into_inner());
        match validator {
            Some(v) => validators.insert(url.to_owned(), v.clone()).as_ref() != Some(&v),
            None => validators.remove(url).is_some(),
        }
    }

    /// Sends object requests for placeholders just made, in the background.
    fn load_placeholders(self: &Arc<Self>, placeholders: &[Arc<Snapshot>]) {
        for row in placeholders {
            let _ = self.start_object(row);
        }
    }

    /// Starts (or joins) the request reading one cached object (`row`, in the cache's
    /// layout); `None` when the API has no such request or the row has no resource id.
    pub(super) fn start_object(self: &Arc<Self>, row: &Snapshot) -> Option<Arc<Flight>> {
        let resource_id = self.map.resource_id(row)?.to_owned();
        let id = row.id();
        let entity = self.map.user.entities().get(id.entity().get())?;
        let request = match self.client.object_request(entity, &resource_id) {
            Ok(Some(request)) => request,
            Ok(None) => return None,
            Err(error) => {
                tracing::warn!(%error, "no object request");
                return None;
            }
        };
        let map = self.map.entity(id.entity())?;
        let etag = ModelMap::text(row, map.etag).map(str::to_owned);
        let last_modified = ModelMap::text(row, map.last_modified).map(str::to_owned);
        let key = FlightKey::new("object", &request);
        let inner = Arc::clone(self);
        Some(self.flights.start(&self.pool, key, move || inner.run_object(id, request, etag, last_modified)))
    }

    fn run_object(
        self: &Arc<Self>,
        id: ObjectId,
        request: HttpRequest,
        etag: Option<String>,
        last_modified: Option<String>,
    ) -> FlightResult {
        let entity = self.map.user.entity_at(id.entity());
        let url = request.url.clone();
        self.events.send(RestEvent::FetchStarted {
            kind: RemoteKind::Object,
            entity: entity.name().to_owned(),
            url: url.clone(),
        });
        let outcome = (|| {
            let validator = self.validator(&request.url);
            let (etag, last_modified) = match &validator {
                Some(v) => (v.etag.clone(), v.last_modified.clone()),
                None => (etag, last_modified),
            };
            let sent = Validator::apply(etag.as_deref(), last_modified.as_deref(), &request);
            let response = transport::send(&*self.client, &self.options, &sent)?;
            match response.status {
                304 => return Ok((RestChanges::default(), true)),
                404 => {
                    let changes = self.remove_objects(&[id])?;
                    if self.record_validator(&request.url, None) {
                        self.persist_validators();
                    }
                    return Ok((changes, false));
                }
                _ if !response.is_success() => return Err(http_error(&request, &response)),
                _ => {}
            }
            let Some(representation) = self.client.parse_object(entity, &request, &response)? else {
                return Ok((RestChanges::default(), false));
            };
            let merged = self.merge_page(id.entity(), std::slice::from_ref(&representation), &request.url)?;
            self.load_placeholders(&merged.placeholders);
            if self.record_validator(&request.url, Validator::from_response(&response)) {
                self.persist_validators();
            }
            Ok((merged.changes, false))
        })();
        self.announce(RemoteKind::Object, entity.name().to_owned(), url, &outcome);
        outcome
    }
}
