//! Strata, an object-graph persistence framework for Rust in the spirit of Core Data.
//!
//! This facade re-exports what applications use; depend on it rather than on the
//! `strata-*` crates. A tour:
//!
//! - [`model`]: the managed object model ([`Model`], loaded from JSON or built in code).
//! - [`Value`]: attribute values.
//! - [`predicate`]: NSPredicate-compatible predicates and sort descriptors.
//! - [`sqlite`]: the SQLite store ([`sqlite::SqliteStore`]).
//! - [`core`]: object IDs, snapshots, the [`Store`] contract, the in-memory store.
//! - [`tracker`]: app groups, shared defaults, the history tracker and cleaner.
//! - [`rest`]: custom stores on the public contract: a JSON file, a REST API with a cache.
//! - [`Error`]: the one error type every fallible call returns.

pub use strata_core::{Error, ObjectId, Result, Store, Value, ValueError};
pub use strata_model::{AttributeType, Model};
pub use strata_predicate::{Predicate, SortDescriptor};

pub mod model {
    //! The managed object model: entities, attributes, relationships, constraints.
    pub use strata_model::*;
}

pub mod core {
    //! Object IDs, snapshots, the store contract and the in-memory store.
    pub use strata_core::*;
}

pub mod sqlite {
    //! The SQLite store: Strata's embedded default.
    pub use strata_sqlite::*;
}

pub mod predicate {
    //! The predicate and sort-descriptor language.
    pub use strata_predicate::*;
}

pub mod rest {
    //! Stores on the public store contract: `JsonFileStore` and `RestStore` (with its
    //! `RestClient` contract, a ready client and a fixture API).
    pub use strata_rest::*;
}

pub mod tracker {
    //! App groups, their shared defaults, and the persistent-history tracker and cleaner.
    pub use strata_tracker::*;
}
