//! [`CoordinatorError`]: what the coordinator refuses — store registration problems, routing
//! failures, URIs it cannot resolve — and the report of a save that reached only some of
//! its stores.

use strata_model::{ModelHash, Uuid};

use super::SavedChanges;
use crate::{Error, ObjectId};

/// An error of the coordinator itself (stores' own errors arrive as
/// [`Error::Store`](crate::Error::Store)).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoordinatorError {
    /// The store was created with another model than the coordinator's.
    #[error(
        "store {store} (configuration {configuration:?}) was created with model {found}, but the coordinator's model is {expected}"
    )]
    ModelMismatch {
        /// The store's UUID.
        store: Uuid,
        /// The configuration it was being added under.
        configuration: String,
        /// The coordinator's model hash.
        expected: ModelHash,
        /// The store's model hash.
        found: ModelHash,
    },
    /// The same store (by UUID) was added twice.
    #[error("store {store} is already added to this coordinator")]
    DuplicateStore {
        /// The store's UUID.
        store: Uuid,
    },
    /// A read at a query generation reached a store the generation has no view of (the
    /// store was added after the generation was opened): advance the generation.
    #[error(
        "store {store} was added after the query generation was opened; advance the generation to read it"
    )]
    StoreNotInGeneration {
        /// The store's UUID.
        store: Uuid,
    },
    /// Another store already uses this configuration name.
    #[error("configuration {configuration:?} already names a store of this coordinator")]
    DuplicateConfiguration {
        /// The configuration name.
        configuration: String,
    },
    /// An entity name that is not in the model.
    #[error(
        "the model has no entity {entity:?}{}",
        suggestion.as_ref().map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default()
    )]
    UnknownEntity {
        /// The name given.
        entity: String,
        /// The nearest entity name, if one is close.
        suggestion: Option<String>,
    },
    /// An entity index that is not in the model (an ID made for another model).
    #[error("entity #{index} is not part of the coordinator's model")]
    EntityOutOfRange {
        /// The index.
        index: u16,
    },
    /// The entity (or another of its inheritance hierarchy) is already routed to a store.
    #[error("entity {entity} is already assigned to configuration {configuration:?}")]
    EntityAlreadyAssigned {
        /// The entity.
        entity: String,
        /// The configuration it is assigned to.
        configuration: String,
    },
    /// No store of the coordinator holds this entity.
    #[error("no store of this coordinator holds entity {entity} (add a store for it first)")]
    NoStoreForEntity {
        /// The entity.
        entity: String,
    },
    /// The store is not one of this coordinator's (a URI or ID from elsewhere).
    #[error("store {store} is not added to this coordinator")]
    UnknownStore {
        /// The store's UUID.
        store: Uuid,
    },
    /// A URI names an entity that lives in another store of the coordinator.
    #[error("{uri:?} names entity {entity} in store {store}, but that store does not hold {entity}")]
    EntityNotInStore {
        /// The URI.
        uri: String,
        /// The entity.
        entity: String,
        /// The store the URI names.
        store: Uuid,
    },
    /// A relationship would link objects of two stores; relationships stay within a store.
    #[error("object {object:?} cannot refer to {destination:?}: they live in different stores")]
    CrossStoreRelationship {
        /// The object holding the relationship.
        object: ObjectId,
        /// The destination in another store.
        destination: ObjectId,
    },
    /// A save spanning several stores was stored in some of them and failed in another.
    /// Each store's part is atomic, the whole is not: `saved` lists what was stored.
    #[error("the save was stored in {} store(s) and failed in store {failed_store}: {source}", saved.stores.len())]
    PartialSave {
        /// What the stores that succeeded stored.
        saved: Box<SavedChanges>,
        /// The store that failed.
        failed_store: Uuid,
        /// Its error.
        source: Box<Error>,
    },
}
