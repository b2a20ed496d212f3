//! Batch requests: changes a store applies directly, without loading objects into a context
//! (Core Data's batch insert / update / delete). Stores answer
//! [`StoreError::Unsupported`](super::StoreError::Unsupported) until they implement them.

use strata_model::{EntityIndex, Value};
use strata_predicate::Predicate;

use super::SaveInfo;
use crate::ObjectId;

/// A batch change of one entity's objects.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BatchRequest {
    /// Insert new objects: one row of values per object, in attribute order.
    Insert {
        /// The entity inserted.
        entity: EntityIndex,
        /// One value per attribute of the entity, per object.
        rows: Vec<Vec<Value>>,
    },
    /// Set the given attributes on every object matching the predicate.
    Update {
        /// The entity updated.
        entity: EntityIndex,
        /// Whether sub-entities' objects are included.
        include_subentities: bool,
        /// Which objects; `None` for all. Checked against `entity`.
        predicate: Option<Predicate>,
        /// (attribute index, new value).
        values: Vec<(usize, Value)>,
    },
    /// Delete every object matching the predicate.
    Delete {
        /// The entity deleted.
        entity: EntityIndex,
        /// Whether sub-entities' objects are included.
        include_subentities: bool,
        /// Which objects; `None` for all. Checked against `entity`.
        predicate: Option<Predicate>,
    },
}

/// How a batch request reports what it did, and who made it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BatchOptions {
    /// Who made the change (recorded like a save's).
    pub info: SaveInfo,
    /// Return the affected objects' IDs rather than just their number.
    pub return_ids: bool,
}

/// What a batch request did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BatchResult {
    /// The number of objects affected.
    Count(u64),
    /// The affected objects.
    ObjectIds(Vec<ObjectId>),
}
