//! Strata's core: the layer applications and stores meet in.
//!
//! - [`value`]: attribute values (defined in `strata-model`, where model defaults and
//!   validation bounds need them, and re-exported here).
//! - [`ObjectId`]: the small `Copy` identity of an object, and its URI form.
//! - [`Snapshot`]: the immutable, shared image of a stored row.
//! - [`store`]: the store contract every backend implements;
//!   [`memory_store::MemoryStore`] implements it in memory.
//! - [`Coordinator`]: routes requests to stores by configuration, keeps the shared
//!   [row cache](row_cache), maps IDs to URIs, publishes [`DidSave`] notifications.
//! - [`Context`]: the identity map and unit of work applications use; fetches take a
//!   [`FetchRequest`].
//! - [`FetchedResults`]: a live sorted (and sectioned) list of a request's objects, kept
//!   current as a context saves and merges ([`fetched_results`]).
//! - [`Error`]: the umbrella error of the public API.
//!
//! Threading rules are in `docs/concurrency.md`; the architecture in `docs/design.md`.

pub mod value {
    //! Attribute values and their conversions (to Rust types, JSON and SQL).
    pub use strata_model::{AttributeType, Date, Decimal, FromValue, SqlValue, Uuid, Value, ValueError};
}

#[cfg(feature = "conformance")]
pub mod conformance;
pub mod context;
pub mod coordinator;
mod error;
pub mod fetch_request;
pub mod fetched_results;
pub mod history;
pub mod memory_store;
mod object_id;
pub mod row_cache;
mod snapshot;
pub mod store;

pub use context::SharedContext;
pub use context::{AsyncFetch, BatchedFetch, CancelToken, FetchProgress};
pub use context::{ChangeCause, ObjectChanges};
pub use context::{
    ConflictError, Context, ContextError, ObjectConflict, ObjectRef, Problem, SaveOutcome, ValidationError,
    Violation,
};
pub use context::{
    ContextInbox, MergeOutcome, MergePolicy, MergePolicyHandler, MergeRequest, MergeResolution,
};
pub use coordinator::{
    Coordinator, CoordinatorError, DidSave, QueryGeneration, RemoteChanges, RemoteObject, SavedChanges,
};
pub use error::{Error, Result};
pub use fetch_request::{
    Aggregate, AggregateFunction, Dictionary, FetchError, FetchRequest, FetchResult, PropertyValue,
    ResultRow, ResultType,
};
pub use fetched_results::{FetchedResults, FetchedResultsError, IndexPath, ResultChange, Section};
pub use object_id::{BuildIdHasher, IdHasher, IdMap, IdSet, ObjectId, ParsedUri, StoreId, UriError};
pub use snapshot::Snapshot;
pub use store::{Store, StoreError, StoreMetadata};
pub use value::{AttributeType, Value, ValueError};
