//! The requests a coordinator sends to a store and the answers it expects: fetches, saves,
//! and their results. Plain data: everything is resolved to indexes and IDs before it
//! reaches a store, so a store never parses a name.

use std::sync::Arc;

use strata_model::{EntityIndex, Value};
use strata_predicate::{Predicate, SortDescriptor};

use super::RowsRequest;
use crate::{ObjectId, PropertyValue, Snapshot};

/// A fetch as a store receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreFetchRequest {
    /// The entity fetched.
    pub entity: EntityIndex,
    /// Whether objects of sub-entities are included.
    pub include_subentities: bool,
    /// The condition, already [checked](Predicate::check) against `entity`; `None` matches
    /// every object.
    pub predicate: Option<Predicate>,
    /// Sort keys, already checked against `entity`, most significant first. Objects equal
    /// under every key are returned in primary-key order.
    pub sort: Vec<SortDescriptor>,
    /// Number of matching objects to skip (after sorting).
    pub offset: usize,
    /// Most objects to return.
    pub limit: Option<usize>,
    /// What to return.
    pub result: StoreResultType,
}

/// What a [`StoreFetchRequest`] returns.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreResultType {
    /// The matching objects' IDs.
    Ids,
    /// The matching objects' snapshots.
    Snapshots,
    /// How many objects match (offset and limit apply).
    Count,
    /// Grouped, aggregated or distinct rows, by the rules of
    /// [`store::dictionary`](super::dictionary); the request's sort descriptors name the
    /// rows' columns, and offset and limit apply to rows.
    Rows(Box<RowsRequest>),
}

/// The answer to a [`StoreFetchRequest`], of the kind the request asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreFetchResult {
    /// For [`StoreResultType::Ids`].
    Ids(Vec<ObjectId>),
    /// For [`StoreResultType::Snapshots`].
    Snapshots(Vec<Arc<Snapshot>>),
    /// For [`StoreResultType::Count`].
    Count(u64),
    /// For [`StoreResultType::Rows`]: one list of values per row, in column order.
    Rows(Vec<Vec<PropertyValue>>),
}

/// Who saved, recorded with the save (and in history once stores keep it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SaveInfo {
    /// The transaction author (`Context::set_transaction_author`).
    pub author: Option<String>,
    /// The saving context's name.
    pub context_name: Option<String>,
}

/// A new object to store.
#[derive(Debug, Clone, PartialEq)]
pub struct InsertedRow {
    /// Its temporary ID (which names its entity).
    pub id: ObjectId,
    /// One value per attribute of the entity, in attribute order.
    pub values: Vec<Value>,
    /// One slot per relationship of the entity, in order: the destination of each to-one
    /// relationship (possibly another inserted object's temporary ID), `None` for to-many.
    pub to_one: Vec<Option<ObjectId>>,
}

/// Changes to a stored object.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdatedRow {
    /// The object.
    pub id: ObjectId,
    /// The version the saving context read; the save fails with a conflict if the stored row
    /// is at another version (or gone).
    pub expected_version: u64,
    /// Changed attributes: (attribute index, new value).
    pub values: Vec<(usize, Value)>,
    /// Changed to-one relationships: (relationship index, new destination).
    pub to_one: Vec<(usize, Option<ObjectId>)>,
}

/// An object to remove.
#[derive(Debug, Clone, PartialEq)]
pub struct DeletedRow {
    /// The object.
    pub id: ObjectId,
    /// The version the saving context read (see [`UpdatedRow::expected_version`]).
    pub expected_version: u64,
}

/// Membership changes of one to-many relationship of one object.
///
/// Sent only for to-many relationships whose inverse is not to-one (many-to-many, or
/// to-many without inverse): a to-many relationship with a to-one inverse is fully described
/// by the inverse's [`UpdatedRow::to_one`] / [`InsertedRow::to_one`] changes, which are
/// always sent. Many-to-many changes are sent for both sides; a store keeps each link once.
#[derive(Debug, Clone, PartialEq)]
pub struct ToManyChange {
    /// The object whose relationship changed.
    pub source: ObjectId,
    /// The relationship's index in the source entity.
    pub relationship: usize,
    /// Destinations added.
    pub added: Vec<ObjectId>,
    /// Destinations removed.
    pub removed: Vec<ObjectId>,
}

/// One atomic save: everything in it is stored, or nothing is.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SaveRequest {
    /// New objects.
    pub inserted: Vec<InsertedRow>,
    /// Changed objects.
    pub updated: Vec<UpdatedRow>,
    /// Removed objects. The context has already applied delete rules: a store removes exactly
    /// these rows and their links, nothing else.
    pub deleted: Vec<DeletedRow>,
    /// Join-stored relationship changes.
    pub to_many: Vec<ToManyChange>,
    /// Who saved.
    pub info: SaveInfo,
}

impl SaveRequest {
    /// Whether the save changes nothing.
    pub fn is_empty(&self) -> bool {
        self.inserted.is_empty()
            && self.updated.is_empty()
            && self.deleted.is_empty()
            && self.to_many.is_empty()
    }
}

/// What a successful save tells the coordinator.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SaveResult {
    /// (temporary ID, permanent ID) for every inserted object, in insertion order.
    pub permanent_ids: Vec<(ObjectId, ObjectId)>,
    /// The new version of every inserted and updated object, by permanent ID.
    pub versions: Vec<(ObjectId, u64)>,
}
