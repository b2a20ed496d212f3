//! Stores written only against Strata's public store contract ([`strata_core::Store`]), as a
//! third party would write them: [`JsonFileStore`] keeps its data in one JSON file, and
//! [`RestStore`] puts the objects of a remote HTTP JSON API behind a local SQLite cache
//! (the AFIncrementalStore design, with errors reported instead of logged).
//!
//! Nothing here reaches into another crate's internals: if one of these stores needs
//! something the contract does not offer, the contract grows, in `strata-core`.

pub mod client;
pub mod error;

pub use client::{
    HttpMethod, HttpRequest, HttpResponse, Page, RelationshipValue, RemoteFetch, Representation, RestClient,
};
pub use error::RestError;
