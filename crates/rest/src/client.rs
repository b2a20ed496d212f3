//! The contract between a [`RestStore`](crate::RestStore) and a remote API: the
//! [`RestClient`] trait a user implements for their API (or takes ready-made for a
//! conventional REST API), and the plain values that cross it — HTTP requests and responses,
//! and [`Representation`]s, the API's objects reduced to a resource identifier, attribute
//! values and related resource identifiers.
//!
//! A client builds requests and parses responses; it never touches the cache, a context or
//! an object ID, and it never retries (the store does, with its configured backoff). Every
//! method may be called from any worker thread, concurrently.

use std::time::Duration;

use strata_model::{Entity, Model, Relationship, Value};
use strata_predicate::{Predicate, SortDescriptor};

use crate::RestError;

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`: read.
    Get,
    /// `POST`: create.
    Post,
    /// `PUT`: replace.
    Put,
    /// `PATCH`: change some fields.
    Patch,
    /// `DELETE`: delete.
    Delete,
}

impl HttpMethod {
    /// The method's name as sent on the wire (`"GET"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// One HTTP request, as a client builds it and the store sends it (adding conditional
/// headers such as `If-None-Match` itself when it has a cached validator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method.
    pub method: HttpMethod,
    /// The absolute URL, query string included.
    pub url: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body (JSON for the ready client), if any.
    pub body: Option<Vec<u8>>,
}

impl HttpRequest {
    /// A `GET` of `url` with no header and no body.
    pub fn get(url: impl Into<String>) -> HttpRequest {
        HttpRequest { method: HttpMethod::Get, url: url.into(), headers: Vec::new(), body: None }
    }

    /// The value of the first header named `name` (ASCII case-insensitive), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// One HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code (200, 304, 404, …).
    pub status: u16,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The value of the first header named `name` (ASCII case-insensitive), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// A fetch the store wants answered by the server: the cached answer has already been
/// given; the response will be merged into the cache.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RemoteFetch<'a> {
    /// The model.
    pub model: &'a Model,
    /// The fetched entity.
    pub entity: &'a Entity,
    /// The condition, checked against `entity`; a client may send what its API can filter
    /// on and ignore the rest (the cache evaluates the whole predicate when answering).
    pub predicate: Option<&'a Predicate>,
    /// The sort, most significant key first.
    pub sort: &'a [SortDescriptor],
    /// Objects to skip.
    pub offset: usize,
    /// Most objects wanted.
    pub limit: Option<usize>,
}

/// The value of one relationship in a [`Representation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelationshipValue {
    /// A to-one relationship: the destination's resource identifier, or none.
    ToOne(Option<String>),
    /// A to-many relationship: the destinations' resource identifiers.
    ToMany(Vec<String>),
}

/// One object as the API describes it: its resource identifier (the server's ID, unique per
/// entity), the attribute values the response carried, and the related objects' resource
/// identifiers. Attributes or relationships absent from a response are left unchanged in
/// the cache, so an API may send partial objects.
#[derive(Debug, Clone, PartialEq)]
pub struct Representation {
    /// The entity (the fetched entity, or a sub-entity a client recognised in the response).
    pub entity: String,
    /// The server's identifier of the object.
    pub resource_id: String,
    /// Attribute values by attribute name, already fitted to the attributes' types.
    pub attributes: Vec<(String, Value)>,
    /// Relationship values by relationship name.
    pub relationships: Vec<(String, RelationshipValue)>,
    /// The object's `ETag`, when the response gave one for it.
    pub etag: Option<String>,
    /// The object's `Last-Modified`, when the response gave one for it.
    pub last_modified: Option<String>,
}

/// One page of a list response: its objects, and the request of the next page if the API
/// says there is one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// The objects of this page, in the server's order.
    pub representations: Vec<Representation>,
    /// The request for the next page, `None` on the last page.
    pub next: Option<HttpRequest>,
}

/// What a [`RestStore`](crate::RestStore) needs to know about a remote API. Implement it for
/// an API of your own, or use the ready client for conventional REST APIs.
///
/// Request builders return `Ok(None)` where the API has no such request (the store then
/// answers from the cache alone, or fails a save with [`RestError::NotSupportedByApi`]).
pub trait RestClient: Send + Sync + 'static {
    /// The request answering a fetch (its first page).
    fn fetch_request(&self, fetch: &RemoteFetch<'_>) -> Result<Option<HttpRequest>, RestError>;

    /// The request reading one object by resource identifier.
    fn object_request(&self, entity: &Entity, resource_id: &str) -> Result<Option<HttpRequest>, RestError>;

    /// The request reading the destinations of `relationship` of one object.
    fn relationship_request(
        &self,
        entity: &Entity,
        resource_id: &str,
        relationship: &Relationship,
    ) -> Result<Option<HttpRequest>, RestError>;

    /// The request creating an object from `representation` (its `resource_id` is empty: the
    /// server assigns it, and [`RestClient::parse_object`] reads it from the response).
    fn insert_request(
        &self,
        entity: &Entity,
        representation: &Representation,
    ) -> Result<Option<HttpRequest>, RestError>;

    /// The request changing an object to `representation` (the changed values only).
    fn update_request(
        &self,
        entity: &Entity,
        representation: &Representation,
    ) -> Result<Option<HttpRequest>, RestError>;

    /// The request deleting an object.
    fn delete_request(&self, entity: &Entity, resource_id: &str) -> Result<Option<HttpRequest>, RestError>;

    /// Parses a successful list response (to a fetch or relationship request) of `entity`.
    /// Malformed bodies are [`RestError::MalformedResponse`] with the line and column.
    fn parse_page(
        &self,
        entity: &Entity,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<Page, RestError>;

    /// Parses a successful response describing one object (to an object, insert or update
    /// request); `Ok(None)` when the body carries no object (a `204 No Content`, say).
    fn parse_object(
        &self,
        entity: &Entity,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<Option<Representation>, RestError>;

    /// Sends one request and waits at most `timeout` for the whole response. Transport
    /// failures are [`RestError::Network`] or [`RestError::Timeout`]; any status, 4xx and
    /// 5xx included, is a response (the store decides what a status means).
    fn send(&self, request: &HttpRequest, timeout: Duration) -> Result<HttpResponse, RestError>;
}
