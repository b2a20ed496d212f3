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
    /// Told how an insert advances (see [`BatchProgress`]); other requests ignore it.
    pub progress: Option<BatchProgress>,
}

/// A callback told how far a batch insert got, with the number of rows done so far.
///
/// Stores using [`execute_batch_with_saves`](super::execute_batch_with_saves) call it every
/// [`BatchProgress::INTERVAL`] rows checked and prepared, then once with the total after
/// the transaction committed (the last call; never made for a batch that failed). It runs
/// on the calling thread, inside the request: keep it short.
#[derive(Clone)]
pub struct BatchProgress(pub std::sync::Arc<dyn Fn(u64) + Send + Sync>);

impl BatchProgress {
    /// Rows between two calls while rows are prepared.
    pub const INTERVAL: u64 = 1_000;

    /// A progress callback.
    pub fn new(callback: impl Fn(u64) + Send + Sync + 'static) -> BatchProgress {
        BatchProgress(std::sync::Arc::new(callback))
    }

    pub(crate) fn report(&self, rows: u64) {
        (self.0)(rows);
    }
}

impl std::fmt::Debug for BatchProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BatchProgress(..)")
    }
}

impl PartialEq for BatchProgress {
    /// The same callback (not merely an equal one).
    fn eq(&self, other: &BatchProgress) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
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
