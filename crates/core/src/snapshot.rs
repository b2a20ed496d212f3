//! [`Snapshot`]: the immutable image of one stored row, shared by `Arc`.
//!
//! Stores produce snapshots, the coordinator's row cache keeps them, contexts read through
//! them (and keep their own pending edits beside them). A snapshot never changes: a newer
//! row version is a new snapshot.

use std::sync::Arc;

use strata_model::{Entity, Value};

use crate::ObjectId;

/// One row as a store last saw it: the values of every attribute and to-one relationship
/// of its entity, and the row's version (the optimistic-locking counter, bumped by every
/// save that changes the row).
///
/// `values[i]` is the value of `entity.attributes()[i]`; `to_one[i]` the destination of
/// `entity.relationships()[i]` when that relationship is to-one (`None` for to-many
/// relationships, which load on demand, and for empty to-one relationships).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    id: ObjectId,
    version: u64,
    values: Box<[Value]>,
    to_one: Box<[Option<ObjectId>]>,
}

impl Snapshot {
    /// A snapshot of `id` at `version`. `values` and `to_one` must be laid out as the type
    /// docs say, which [`Snapshot::check_shape`] verifies.
    pub fn new(id: ObjectId, version: u64, values: Vec<Value>, to_one: Vec<Option<ObjectId>>) -> Snapshot {
        Snapshot { id, version, values: values.into(), to_one: to_one.into() }
    }

    /// Whether the snapshot's layout fits `entity` (one value per attribute, one slot per
    /// relationship, nothing in to-many slots). Stores call this in debug builds.
    pub fn check_shape(&self, entity: &Entity) -> bool {
        self.values.len() == entity.attributes().len()
            && self.to_one.len() == entity.relationships().len()
            && entity
                .relationships()
                .iter()
                .zip(self.to_one.iter())
                .all(|(r, v)| !r.is_to_many() || v.is_none())
    }

    /// The object's ID.
    pub fn id(&self) -> ObjectId {
        self.id
    }

    /// The row version this snapshot shows.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Attribute values, in the entity's attribute order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The value of the attribute at `index`.
    pub fn value(&self, index: usize) -> Option<&Value> {
        self.values.get(index)
    }

    /// To-one destinations, in the entity's relationship order.
    pub fn to_one(&self) -> &[Option<ObjectId>] {
        &self.to_one
    }

    /// Shares the snapshot.
    pub fn into_shared(self) -> Arc<Snapshot> {
        Arc::new(self)
    }
}
