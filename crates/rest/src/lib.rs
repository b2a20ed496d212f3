//! Stores written only against Strata's public store contract ([`strata_core::Store`]), as a
//! third party would write them: [`JsonFileStore`] keeps its data in one JSON file, and
//! [`RestStore`] puts the objects of a remote HTTP JSON API behind a local SQLite cache
//! (the AFIncrementalStore design, with errors reported instead of logged).
//!
//! Nothing here reaches into another crate's internals: if one of these stores needs
//! something the contract does not offer, the contract grows, in `strata-core`.

pub mod client;
pub mod conventional;
pub mod error;
pub mod fixture;
pub mod json_file;
pub mod rest_store;

pub use client::{
    HttpMethod, HttpRequest, HttpResponse, Page, RelationshipValue, RemoteFetch, Representation, RestClient,
};
pub use conventional::{ConventionalClient, EntityMapping, Paging};
pub use error::RestError;
pub use fixture::{PalettesOptions, PalettesServer};
pub use json_file::JsonFileStore;
pub use rest_store::{RemoteKind, RestChanges, RestEvent, RestOptions, RestStore};
