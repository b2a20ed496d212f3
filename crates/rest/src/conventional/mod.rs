//! [`ConventionalClient`]: a ready [`RestClient`] for conventional JSON REST APIs — one path
//! per entity (`GET /palettes`, `GET|PATCH|DELETE /palettes/{id}`, `POST /palettes`),
//! objects as JSON objects with an identifier key, lists as JSON arrays (or an envelope
//! object holding one), paged by page number or offset. Configure it with a base URL, an
//! [`EntityMapping`] per entity and a [`Paging`]; it sends with ureq.
//!
//! It only translates and sends: it never retries, never touches the cache, and never
//! fails on a status (the store decides what a 404 or a 500 means). It ignores a fetch's
//! predicate, and its sort unless [`ConventionalClientBuilder::sort_param`] is set (the
//! store's cache evaluates both on what the API returned). A fetch's `limit` stops the paging
//! once that many objects came back.
//!
//! ```no_run
//! # fn main() -> Result<(), strata_rest::RestError> {
//! # let model = strata_model::Model::from_json(r#"{"name":"P","version":1,"entities":[{"name":"Palette","attributes":[{"name":"title","type":"string"}]}]}"#).unwrap();
//! use strata_rest::conventional::{ConventionalClient, EntityMapping, Paging};
//! let client = ConventionalClient::builder("http://127.0.0.1:8080")
//!     .entity(EntityMapping::new("Palette", "/palettes").numeric_ids(true))
//!     .paging(Paging::page_number("page", "per_page", 20))
//!     .build(&model)?;
//! # Ok(()) }
//! ```

mod json;
mod mapping;
mod paging;
mod transport;

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value as Json;
use strata_model::{Entity, Model, Relationship};

use mapping::Resolved;
pub use mapping::{EntityMapping, Paging};
use paging::Windows;

use crate::{
    HttpMethod, HttpRequest, HttpResponse, Page, RemoteFetch, Representation, RestClient, RestError,
};

/// The most bytes of a response body read by default (64 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// Builds a [`ConventionalClient`]; see [`ConventionalClient::builder`].
#[derive(Debug, Clone)]
pub struct ConventionalClientBuilder {
    base_url: String,
    mappings: Vec<EntityMapping>,
    paging: Paging,
    items_key: String,
    next_key: String,
    sort_param: Option<String>,
    headers: Vec<(String, String)>,
    user_agent: String,
    max_response_bytes: u64,
}

impl ConventionalClientBuilder {
    /// Maps one entity (and its sub-entities that have no mapping of their own).
    pub fn entity(mut self, mapping: EntityMapping) -> ConventionalClientBuilder {
        self.mappings.push(mapping);
        self
    }

    /// How lists are paged (default: [`Paging::Unpaged`]).
    pub fn paging(mut self, paging: Paging) -> ConventionalClientBuilder {
        self.paging = paging;
        self
    }

    /// The key of the array in list responses that are JSON objects (default `"items"`).
    pub fn items_key(mut self, key: impl Into<String>) -> ConventionalClientBuilder {
        self.items_key = key.into();
        self
    }

    /// The key of the next page's URL in list responses that are JSON objects (default
    /// `"next"`; a `null` there means the last page).
    pub fn next_key(mut self, key: impl Into<String>) -> ConventionalClientBuilder {
        self.next_key = key.into();
        self
    }

    /// Sends a fetch's sort as `?{param}=key,-other` (JSON keys, `-` for descending), when
    /// every sort key is an attribute of the fetched entity (no key path through a
    /// relationship); otherwise the fetch is sent unsorted. Default: never sent.
    pub fn sort_param(mut self, param: impl Into<String>) -> ConventionalClientBuilder {
        self.sort_param = Some(param.into());
        self
    }

    /// A header sent with every request (an `Authorization` token, say).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> ConventionalClientBuilder {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The `User-Agent` sent (default `strata-rest/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> ConventionalClientBuilder {
        self.user_agent = user_agent.into();
        self
    }

    /// The most bytes of a response body read; a longer body is a network error (default
    /// [`DEFAULT_MAX_RESPONSE_BYTES`]).
    pub fn max_response_bytes(mut self, bytes: u64) -> ConventionalClientBuilder {
        self.max_response_bytes = bytes;
        self
    }

    /// Checks the configuration against `model` and builds the client.
    ///
    /// Fails with [`RestError::Configuration`] for a base URL that is not `http://` or
    /// `https://`, a mapped entity or property the model does not have, an entity mapped
    /// twice, two properties sharing a JSON key, or a page size of 0.
    pub fn build(self, model: &Model) -> Result<ConventionalClient, RestError> {
        let base = &self.base_url;
        let has_host = ["http://", "https://"].iter().any(|scheme| {
            base.strip_prefix(scheme).is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        });
        if !has_host || base.contains(['?', '#']) {
            return Err(RestError::Configuration {
                reason: format!("base URL {base:?} is not an http:// or https:// URL without query"),
            });
        }
        if self.paging.page_size() == Some(0) {
            return Err(RestError::Configuration { reason: "the page size is 0".to_owned() });
        }
        let resolved = mapping::resolve(model, &self.mappings)?;
        Ok(ConventionalClient {
            agent: transport::agent(&self.user_agent),
            base_url: self.base_url.trim_end_matches('/').to_owned(),
            resolved,
            paging: self.paging,
            items_key: self.items_key,
            next_key: self.next_key,
            sort_param: self.sort_param,
            headers: self.headers,
            max_response_bytes: self.max_response_bytes,
            windows: Windows::default(),
        })
    }
}

/// A [`RestClient`] for conventional JSON REST APIs (see the module docs).
#[derive(Debug)]
pub struct ConventionalClient {
    agent: ureq::Agent,
    base_url: String,
    resolved: HashMap<String, Resolved>,
    paging: Paging,
    items_key: String,
    next_key: String,
    sort_param: Option<String>,
    headers: Vec<(String, String)>,
    max_response_bytes: u64,
    windows: Windows,
}

impl ConventionalClient {
    /// A builder for a client of the API at `base_url` (`"https://api.example.com/v1"`).
    pub fn builder(base_url: impl Into<String>) -> ConventionalClientBuilder {
        ConventionalClientBuilder {
            base_url: base_url.into(),
            mappings: Vec::new(),
            paging: Paging::Unpaged,
            items_key: "items".to_owned(),
            next_key: "next".to_owned(),
            sort_param: None,
            headers: Vec::new(),
            user_agent: concat!("strata-rest/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The URL listing `entity`'s objects, if the entity is mapped.
    pub fn list_url(&self, entity: &Entity) -> Option<String> {
        self.resolved.get(entity.name()).map(|r| paging::join(&self.base_url, &r.path))
    }

    /// The URL of one object of `entity`, if the entity is mapped.
    pub fn object_url(&self, entity: &Entity, resource_id: &str) -> Option<String> {
        let list = self.list_url(entity)?;
        Some(format!("{list}/{}", paging::encode(resource_id)))
    }

    fn request(&self, method: HttpMethod, url: String, body: Option<Vec<u8>>) -> HttpRequest {
        let mut headers = vec![("Accept".to_owned(), "application/json".to_owned())];
        if body.is_some() {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        headers.extend(self.headers.iter().cloned());
        HttpRequest { method, url, headers, body }
    }

    /// The first page's URL of a list at `list`, for objects from `offset` on, and how
    /// many objects the fetch wants counted from that page's first object.
    fn first_page(&self, list: &str, offset: usize, limit: Option<usize>) -> (String, Option<usize>) {
        match &self.paging {
            Paging::Unpaged => (list.to_owned(), None),
            Paging::PageNumber { page_param, size_param, page_size, first_page } => {
                let page = offset / page_size;
                let url = paging::with_params(
                    list,
                    &[(page_param, (first_page + page).to_string()), (size_param, page_size.to_string())],
                );
                (url, limit.map(|l| offset - page * page_size + l))
            }
            Paging::OffsetLimit { offset_param, limit_param, page_size } => {
                let size = limit.map_or(*page_size, |l| l.clamp(1, *page_size));
                let url = paging::with_params(
                    list,
                    &[(offset_param, offset.to_string()), (limit_param, size.to_string())],
                );
                (url, limit)
            }
        }
    }

    /// The next page after `count` objects from the page at `url`, when the API does not
    /// say: a short (or empty) page is the last one.
    fn counted_next(&self, url: &str, count: usize, remaining: Option<usize>) -> Option<String> {
        match &self.paging {
            Paging::Unpaged => None,
            Paging::PageNumber { page_param, size_param, page_size, first_page } => {
                let size =
                    paging::query_param(url, size_param).and_then(|s| s.parse().ok()).unwrap_or(*page_size);
                if count == 0 || count < size {
                    return None;
                }
                let page: usize =
                    paging::query_param(url, page_param).and_then(|p| p.parse().ok()).unwrap_or(*first_page);
                Some(paging::with_params(url, &[(page_param, (page + 1).to_string())]))
            }
            Paging::OffsetLimit { offset_param, limit_param, page_size } => {
                let size =
                    paging::query_param(url, limit_param).and_then(|s| s.parse().ok()).unwrap_or(*page_size);
                if count == 0 || count < size {
                    return None;
                }
                let offset: usize =
                    paging::query_param(url, offset_param).and_then(|o| o.parse().ok()).unwrap_or(0);
                let size = remaining.map_or(*page_size, |r| r.clamp(1, *page_size));
                Some(paging::with_params(
                    url,
                    &[(offset_param, (offset + count).to_string()), (limit_param, size.to_string())],
                ))
            }
        }
    }

    /// The sort parameter and its value for `fetch`, when configured and expressible.
    fn sort_value<'s>(&'s self, fetch: &RemoteFetch<'_>) -> Option<(&'s str, String)> {
        let param = self.sort_param.as_deref()?;
        let resolved = self.resolved(fetch.entity)?;
        if fetch.sort.is_empty() {
            return None;
        }
        let keys = fetch
            .sort
            .iter()
            .map(|sort| {
                let key = resolved.attributes.iter().find(|a| a.name == sort.key_path)?;
                let sign = if sort.ascending { "" } else { "-" };
                Some(format!("{sign}{}", paging::encode(&key.json_key)))
            })
            .collect::<Option<Vec<_>>>()?;
        Some((param, keys.join(",")))
    }

    fn resolved(&self, entity: &Entity) -> Option<&Resolved> {
        self.resolved.get(entity.name())
    }
}

/// The error for parsing a response of an entity the client has no mapping for.
fn unmapped(entity: &Entity, operation: &'static str) -> RestError {
    RestError::NotSupportedByApi { operation, entity: entity.name().to_owned() }
}

impl RestClient for ConventionalClient {
    fn fetch_request(&self, fetch: &RemoteFetch<'_>) -> Result<Option<HttpRequest>, RestError> {
        let Some(list) = self.list_url(fetch.entity) else { return Ok(None) };
        let list = match self.sort_value(fetch) {
            Some((param, value)) => paging::with_params(&list, &[(param, value)]),
            None => list,
        };
        let (url, remaining) = self.first_page(&list, fetch.offset, fetch.limit);
        self.windows.set(&url, remaining);
        Ok(Some(self.request(HttpMethod::Get, url, None)))
    }

    fn object_request(&self, entity: &Entity, resource_id: &str) -> Result<Option<HttpRequest>, RestError> {
        Ok(self.object_url(entity, resource_id).map(|url| self.request(HttpMethod::Get, url, None)))
    }

    fn relationship_request(
        &self,
        entity: &Entity,
        resource_id: &str,
        relationship: &Relationship,
    ) -> Result<Option<HttpRequest>, RestError> {
        let Some(resolved) = self.resolved(entity) else { return Ok(None) };
        let Some(key) = resolved.relationships.iter().find(|r| r.name == relationship.name()) else {
            return Ok(None);
        };
        let (Some(sub_path), Some(object)) = (&key.sub_path, self.object_url(entity, resource_id)) else {
            return Ok(None);
        };
        Ok(Some(self.request(HttpMethod::Get, paging::join(&object, sub_path), None)))
    }

    fn insert_request(
        &self,
        entity: &Entity,
        representation: &Representation,
    ) -> Result<Option<HttpRequest>, RestError> {
        let (Some(resolved), Some(url)) = (self.resolved(entity), self.list_url(entity)) else {
            return Ok(None);
        };
        let body = json::body(resolved, &self.resolved, representation, true)?;
        Ok(Some(self.request(HttpMethod::Post, url, Some(body))))
    }

    fn update_request(
        &self,
        entity: &Entity,
        representation: &Representation,
    ) -> Result<Option<HttpRequest>, RestError> {
        let (Some(resolved), Some(url)) =
            (self.resolved(entity), self.object_url(entity, &representation.resource_id))
        else {
            return Ok(None);
        };
        let body = json::body(resolved, &self.resolved, representation, false)?;
        Ok(Some(self.request(resolved.update_method, url, Some(body))))
    }

    fn delete_request(&self, entity: &Entity, resource_id: &str) -> Result<Option<HttpRequest>, RestError> {
        Ok(self.object_url(entity, resource_id).map(|url| self.request(HttpMethod::Delete, url, None)))
    }

    fn parse_page(
        &self,
        entity: &Entity,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<Page, RestError> {
        let resolved = self.resolved(entity).ok_or_else(|| unmapped(entity, "read"))?;
        let url = request.url.as_str();
        let body = json::parse_body(url, &response.body)?;
        let (items, next_field) = match &body {
            Json::Array(items) => (items, None),
            Json::Object(envelope) => {
                let Some(Json::Array(items)) = envelope.get(&self.items_key) else {
                    return Err(json::shape_error(
                        url,
                        format!(
                            "expected a JSON array, or an object with an array under {:?}",
                            self.items_key
                        ),
                    ));
                };
                (items, envelope.get(&self.next_key))
            }
            _ => return Err(json::shape_error(url, "expected a JSON array of objects".to_owned())),
        };
        let representations = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                json::representation(entity.name(), resolved, &self.resolved, item, url, &format!("item {i}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let remaining = self.windows.get(url).map(|r| r.saturating_sub(representations.len()));
        let next = if remaining == Some(0) {
            None
        } else if let Some(link) = response.header("Link").and_then(paging::link_next) {
            Some(paging::resolve(url, link))
        } else {
            match next_field {
                Some(Json::String(next)) if !next.is_empty() => Some(paging::resolve(url, next)),
                Some(Json::Null | Json::String(_)) => None,
                Some(_) => {
                    return Err(json::shape_error(
                        url,
                        format!("{:?} is neither a URL nor null", self.next_key),
                    ));
                }
                None => self.counted_next(url, representations.len(), remaining),
            }
        };
        // A fresh request: the store's conditional headers belong to the page they were for.
        let next = next.map(|next| {
            if remaining.is_some() {
                self.windows.set(&next, remaining);
            }
            self.request(HttpMethod::Get, next, None)
        });
        Ok(Page { representations, next })
    }

    fn parse_object(
        &self,
        entity: &Entity,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<Option<Representation>, RestError> {
        let resolved = self.resolved(entity).ok_or_else(|| unmapped(entity, "read"))?;
        if response.status == 204 || response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let body = json::parse_body(&request.url, &response.body)?;
        let mut representation =
            json::representation(entity.name(), resolved, &self.resolved, &body, &request.url, "the body")?;
        representation.etag = response.header("ETag").map(str::to_owned);
        representation.last_modified = response.header("Last-Modified").map(str::to_owned);
        Ok(Some(representation))
    }

    fn send(&self, request: &HttpRequest, timeout: Duration) -> Result<HttpResponse, RestError> {
        transport::send(&self.agent, request, timeout, self.max_response_bytes)
    }
}

#[cfg(test)]
mod tests;
