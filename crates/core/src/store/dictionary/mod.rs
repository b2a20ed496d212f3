//! Grouped, aggregated and distinct dictionary fetches at the store contract: the request
//! ([`RowsRequest`], sent as [`StoreResultType::Rows`](super::StoreResultType::Rows)), the
//! rules every store follows to answer it, and an in-memory implementation of those rules
//! ([`group_rows`], [`finish_rows`]) that any store may use — `MemoryStore` does for
//! everything, `SqliteStore` for what SQL cannot compute exactly and for the steps after
//! grouping.
//!
//! # The rules
//!
//! 1. **Objects.** The objects considered are those the request's entity, sub-entity flag
//!    and predicate select, exactly as for the other result types.
//! 2. **Groups.** With [`RowsRequest::group_by`] non-empty, objects are grouped by the
//!    tuple of their group-by values, as SQL's `GROUP BY` does: `NULL` (an empty to-one on
//!    the way included) is a value of its own, and values group by their stored form (so
//!    `0.0` and `-0.0` are one group). Without group-by but with an aggregate column, all
//!    objects form one group — one row even when nothing matched. With neither, every
//!    object is its own group.
//! 3. **Rows.** One row per group: a key-path column holds the group's value (every key
//!    path column must be among the group-by paths when grouping or aggregating), an
//!    aggregate column its [`AggregateFunction`]'s result over the group.
//! 4. **Having.** [`RowsRequest::having`] keeps the rows for which it holds, evaluated over
//!    the row as an object whose keys are the column names (a column named `folder.name`
//!    reads as the key path `folder.name`). Constants compare as written (numbers by value).
//! 5. **Order.** By the request's sort descriptors, whose key paths name columns; then by
//!    the group's key — the group-by values ascending (`Value::sort_cmp`, `NULL` first;
//!    objects by primary key), or the object's primary key for per-object groups.
//! 6. **Distinct.** With [`RowsRequest::distinct`], a row equal in every column to an
//!    earlier one (in that order) is dropped.
//! 7. **Paging.** Offset and limit apply last.
//!
//! Nothing here reads a store; it only computes over the objects it is given.

mod accumulate;
mod finish;

use std::collections::HashMap;

use strata_model::{AttributeType, SqlValue, Value};
use strata_predicate::{EvalError, Field, ObjectView, Predicate};

pub use finish::finish_rows;

use super::StoreError;
use crate::ObjectId;
use crate::fetch_request::{AggregateFunction, PropertyValue};
use accumulate::Accumulator;

/// A key path of a rows request: keys through to-one relationships, ending on an attribute
/// or (with `ends_on_relationship`) on a to-one relationship.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoreKeyPath {
    /// The keys, first from the fetched object.
    pub keys: Vec<String>,
    /// Whether the last key is a to-one relationship (the value is its destination).
    pub ends_on_relationship: bool,
}

impl StoreKeyPath {
    /// The dotted form (`folder.name`).
    pub fn dotted(&self) -> String {
        self.keys.join(".")
    }
}

/// What a column of a rows request holds.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValue {
    /// The group's value at a key path.
    KeyPath(StoreKeyPath),
    /// An aggregate over the group.
    Aggregate {
        /// The function.
        function: AggregateFunction,
        /// The attribute aggregated, through to-one relationships (`None` for `count(*)`).
        key_path: Option<StoreKeyPath>,
        /// The type of that attribute (`None` for `count(*)`), which decides the result's
        /// type; the caller has checked it against the model.
        attribute_type: Option<AttributeType>,
    },
}

/// One output column of a rows request.
#[derive(Debug, Clone, PartialEq)]
pub struct RowColumn {
    /// The result name (unique within the request).
    pub name: String,
    /// What it holds.
    pub value: ColumnValue,
}

/// A grouped, aggregated or distinct dictionary fetch (see the [module docs](self) for the
/// rules). Sent inside [`StoreResultType::Rows`](super::StoreResultType::Rows); the answer
/// is [`StoreFetchResult::Rows`](super::StoreFetchResult::Rows), one list of values per row
/// in column order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowsRequest {
    /// The columns, in output order.
    pub columns: Vec<RowColumn>,
    /// The group-by key paths.
    pub group_by: Vec<StoreKeyPath>,
    /// The condition on rows, over column names.
    pub having: Option<Predicate>,
    /// Whether duplicate rows are dropped.
    pub distinct: bool,
}

impl RowsRequest {
    /// Whether objects are grouped (by group-by paths, or all in one group for aggregates)
    /// rather than one group per object.
    pub fn is_grouped(&self) -> bool {
        !self.group_by.is_empty()
            || self.columns.iter().any(|c| matches!(c.value, ColumnValue::Aggregate { .. }))
    }

    /// Refuses a request breaking rule 3 (a key-path column not grouped by when grouping).
    pub fn validate(&self) -> Result<(), StoreError> {
        if !self.is_grouped() {
            return Ok(());
        }
        for column in &self.columns {
            if let ColumnValue::KeyPath(path) = &column.value
                && !self.group_by.contains(path)
            {
                return Err(StoreError::InvalidRequest {
                    reason: format!("column {:?} is neither grouped by nor aggregated", column.name),
                });
            }
        }
        Ok(())
    }
}

/// An object [`group_rows`] can read: a predicate-evaluator view that knows its ID.
pub trait RowObject: ObjectView {
    /// The object's ID.
    fn object_id(&self) -> ObjectId;
}

/// One group's row before rules 4–7: its key (for the default order) and its column values.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    /// The group-by values, or the object's ID for per-object groups.
    pub key: Vec<PropertyValue>,
    /// One value per column.
    pub values: Vec<PropertyValue>,
}

/// Rules 2 and 3 over `objects` (the objects rule 1 selected, in any order).
pub fn group_rows<O: RowObject>(request: &RowsRequest, objects: &[O]) -> Result<Vec<GroupRow>, StoreError> {
    request.validate()?;
    if !request.is_grouped() {
        let mut rows = Vec::with_capacity(objects.len());
        for object in objects {
            let mut values = Vec::with_capacity(request.columns.len());
            for column in &request.columns {
                values.push(match &column.value {
                    ColumnValue::KeyPath(path) => read_path(object, path)?,
                    ColumnValue::Aggregate { .. } => PropertyValue::Value(Value::Null),
                });
            }
            rows.push(GroupRow { key: vec![PropertyValue::Object(Some(object.object_id()))], values });
        }
        return Ok(rows);
    }
    let mut groups: Vec<(Vec<PropertyValue>, Vec<Accumulator>)> = Vec::new();
    let mut index: HashMap<Vec<GroupKey>, usize> = HashMap::new();
    let fresh = || request.columns.iter().map(|c| Accumulator::new(&c.value)).collect::<Vec<_>>();
    if request.group_by.is_empty() {
        groups.push((Vec::new(), fresh()));
    }
    for object in objects {
        let slot = if request.group_by.is_empty() {
            0
        } else {
            let mut key = Vec::with_capacity(request.group_by.len());
            for path in &request.group_by {
                key.push(read_path(object, path)?);
            }
            let hashed: Vec<GroupKey> = key.iter().map(GroupKey::of).collect();
            *index.entry(hashed).or_insert_with(|| {
                groups.push((key, fresh()));
                groups.len() - 1
            })
        };
        let (_, accumulators) = &mut groups[slot];
        for (column, accumulator) in request.columns.iter().zip(accumulators.iter_mut()) {
            if let ColumnValue::Aggregate { key_path, .. } = &column.value {
                let value = match key_path {
                    Some(path) => match read_path(object, path)? {
                        PropertyValue::Value(v) => Some(v),
                        PropertyValue::Object(_) => None,
                    },
                    None => None,
                };
                accumulator.add(value)?;
            }
        }
    }
    let mut rows = Vec::with_capacity(groups.len());
    for (key, accumulators) in groups {
        let mut values = Vec::with_capacity(request.columns.len());
        for (column, accumulator) in request.columns.iter().zip(accumulators) {
            values.push(match &column.value {
                ColumnValue::KeyPath(path) => {
                    let at = request.group_by.iter().position(|g| g == path);
                    at.and_then(|i| key.get(i).cloned()).unwrap_or(PropertyValue::Value(Value::Null))
                }
                ColumnValue::Aggregate { .. } => PropertyValue::Value(accumulator.finish()?),
            });
        }
        rows.push(GroupRow { key, values });
    }
    Ok(rows)
}

/// The value of `path` on `object`: nil through an empty to-one.
fn read_path<O: RowObject>(object: &O, path: &StoreKeyPath) -> Result<PropertyValue, StoreError> {
    let nil = || {
        if path.ends_on_relationship {
            PropertyValue::Object(None)
        } else {
            PropertyValue::Value(Value::Null)
        }
    };
    let eval = |e: EvalError| StoreError::Predicate(e.into());
    let mut current = object.clone();
    for (i, key) in path.keys.iter().enumerate() {
        let last = i + 1 == path.keys.len();
        match current.field(key).map_err(eval)? {
            Field::Value(v) if last => return Ok(PropertyValue::Value(v)),
            Field::ToOne(None) => return Ok(nil()),
            Field::ToOne(Some(next)) if !last => current = next,
            Field::ToOne(Some(next)) if path.ends_on_relationship => {
                return Ok(PropertyValue::Object(Some(next.object_id())));
            }
            Field::ToOne(Some(_)) | Field::Value(_) | Field::ToMany(_) => {
                return Err(StoreError::InvalidRequest {
                    reason: format!(
                        "key path {:?} does not end on an attribute or to-one relationship",
                        path.dotted()
                    ),
                });
            }
        }
    }
    Ok(nil())
}

/// A group-by value as a hashable key: the stored form, so values group as SQL groups them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum GroupKey {
    Null,
    Integer(i64),
    /// The bits of the value plus `0.0` (which turns `-0.0` into `0.0`).
    Real(u64),
    Text(String),
    Blob(Vec<u8>),
    Object(ObjectId),
    /// A value that has no stored form (never stored, so never met in practice).
    Unstorable(String),
}

impl GroupKey {
    pub(crate) fn of(value: &PropertyValue) -> GroupKey {
        match value {
            PropertyValue::Object(Some(id)) => GroupKey::Object(*id),
            PropertyValue::Object(None) => GroupKey::Null,
            PropertyValue::Value(v) => match v.to_sql() {
                Ok(SqlValue::Null) => GroupKey::Null,
                Ok(SqlValue::Integer(i)) => GroupKey::Integer(i),
                Ok(SqlValue::Real(f)) => GroupKey::Real((f + 0.0).to_bits()),
                Ok(SqlValue::Text(t)) => GroupKey::Text(t),
                Ok(SqlValue::Blob(b)) => GroupKey::Blob(b),
                Err(_) => GroupKey::Unstorable(format!("{v:?}")),
            },
        }
    }
}
