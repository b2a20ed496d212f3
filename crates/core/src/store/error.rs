//! [`StoreError`]: what a store reports. Callers match on the variant (a conflict, a
//! uniqueness violation, an unsupported request, a model mismatch…) and never parse text.

use std::sync::Arc;

use strata_model::ModelHash;
use strata_predicate::PredicateError;

use super::HistoryToken;
use crate::{ObjectId, Snapshot};

/// An optimistic-locking conflict: the row changed (or vanished) since the saving context
/// read it.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionConflict {
    /// The object.
    pub id: ObjectId,
    /// The version the context read.
    pub expected_version: u64,
    /// The row as stored now; `None` if it was deleted.
    pub current: Option<Arc<Snapshot>>,
}

/// An error reported by a store.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store does not implement this request (yet). Not a failure of the data.
    #[error("{store_type} stores do not support {operation}")]
    Unsupported {
        /// The store's type (`"SQLite"`, `"Memory"`, …).
        store_type: String,
        /// What was asked (`"batch update"`, `"history"`, …).
        operation: &'static str,
    },
    /// Optimistic locking failed for these objects; nothing was saved.
    #[error("{} object(s) changed in the store since they were read", conflicts.len())]
    Conflict {
        /// Every conflicting object.
        conflicts: Vec<VersionConflict>,
    },
    /// A uniqueness constraint would be violated; nothing was saved.
    #[error("{entity} objects must be unique by {}: the save would duplicate {:?}", properties.join(", "), id)]
    Uniqueness {
        /// The constrained entity.
        entity: String,
        /// The constraint's properties.
        properties: Vec<String>,
        /// The object whose values collide (its temporary ID for an insert).
        id: ObjectId,
        /// The stored object it collides with, when the store can tell.
        existing: Option<ObjectId>,
    },
    /// A request that does not fit the model: a value of the wrong type or not storable, a
    /// property index past the entity's properties, an object both updated and deleted.
    /// Nothing was stored.
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What is wrong with the request.
        reason: String,
    },
    /// A batch delete would delete an object whose deny relationship still has a destination
    /// that is not deleted with it; nothing was deleted.
    #[error("cannot delete {id:?}: its {entity}.{relationship} relationship (delete rule deny) is not empty")]
    DeleteDenied {
        /// The entity of the object.
        entity: String,
        /// The deny relationship.
        relationship: String,
        /// The object.
        id: ObjectId,
    },
    /// A request named an object that does not exist in this store (a relationship to a
    /// deleted object, say); nothing was saved.
    #[error("object {id:?} does not exist in this store")]
    MissingObject {
        /// The object.
        id: ObjectId,
    },
    /// A request named an object of another store.
    #[error("object {id:?} belongs to another store")]
    ForeignObject {
        /// The object.
        id: ObjectId,
    },
    /// The store was created with another model; opening it with this one would damage it.
    #[error(
        "the store at {location} was created with model {found}, not {expected} (migration is not supported yet)"
    )]
    ModelMismatch {
        /// Where the store is.
        location: String,
        /// The hash of the model given.
        expected: ModelHash,
        /// The hash recorded in the store.
        found: ModelHash,
    },
    /// The file or resource is not a Strata store of this type.
    #[error("{location} is not a Strata store: {reason}")]
    NotAStore {
        /// Where it is.
        location: String,
        /// Why it was refused.
        reason: String,
    },
    /// The store's data is damaged (a row that does not fit the model, a broken link).
    #[error("the store at {location} is damaged: {reason}")]
    Corrupt {
        /// Where the store is.
        location: String,
        /// What was found.
        reason: String,
    },
    /// The request's predicate or sort failed while the store evaluated it (an integer
    /// overflow in `@sum`, an invalid pattern supplied at run time…).
    #[error(transparent)]
    Predicate(#[from] PredicateError),
    /// A history request asked for changes after `after`, but transactions after it (up
    /// to `deleted_through`) were deleted: the reader missed changes and must start over
    /// (re-fetch what it shows, then read history from the current token).
    #[error(
        "the history after {after} has expired: transactions up to sequence {deleted_through} were deleted"
    )]
    HistoryExpired {
        /// The token asked after.
        after: HistoryToken,
        /// The sequence of the latest deleted transaction.
        deleted_through: u64,
    },
    /// A history token of another store was given to this one.
    #[error("history token {token} belongs to store {}, not to this store {store}", token.store)]
    ForeignHistoryToken {
        /// The token.
        token: HistoryToken,
        /// This store's UUID.
        store: strata_model::Uuid,
    },
    /// An I/O or database failure of the backend.
    #[error("{store_type} store failure: {message}")]
    Backend {
        /// The store's type.
        store_type: String,
        /// The backend's description of the failure.
        message: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    },
}
