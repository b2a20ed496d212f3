//! Strata's core: the layer applications and stores meet in.
//!
//! - [`value`]: attribute values (defined in `strata-model`, where model defaults and
//!   validation bounds need them, and re-exported here).
//! - [`ObjectId`]: the small `Copy` identity of an object, and its URI form.
//! - [`Snapshot`]: the immutable, shared image of a stored row.
//! - [`store`]: the store contract every backend implements;
//!   [`memory_store::MemoryStore`] implements it in memory.
//! - [`Error`]: the umbrella error of the public API.
//!
//! The coordinator and contexts are built on these (see `docs/design.md`).

pub mod value {
    //! Attribute values and their conversions (to Rust types, JSON and SQL).
    pub use strata_model::{AttributeType, Date, Decimal, FromValue, SqlValue, Uuid, Value, ValueError};
}

#[cfg(feature = "conformance")]
pub mod conformance;
mod error;
pub mod memory_store;
mod object_id;
mod snapshot;
pub mod store;

pub use error::{Error, Result};
pub use object_id::{ObjectId, ParsedUri, StoreId, UriError};
pub use snapshot::Snapshot;
pub use store::{Store, StoreError, StoreMetadata};
pub use value::{AttributeType, Value, ValueError};
