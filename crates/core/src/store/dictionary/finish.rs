//! Rules 4–7 of rows fetches (having, order, distinct, paging) over grouped rows, for every
//! store: SQL stores group in SQL and finish here, so the steps after grouping are one
//! implementation.

use std::cmp::Ordering;
use std::collections::HashSet;

use strata_model::Value;
use strata_predicate::{EvalError, Field, ObjectView, SortDescriptor, compare_objects};

use super::{GroupKey, GroupRow, RowsRequest};
use crate::fetch_request::PropertyValue;
use crate::store::StoreError;

/// Rules 4–7: keeps the rows `request.having` accepts, orders them by `sort` (key paths
/// naming columns) and then by group key, drops duplicates if `request.distinct`, and
/// applies `offset` and `limit`. Returns each row's column values.
pub fn finish_rows(
    request: &RowsRequest,
    sort: &[SortDescriptor],
    offset: usize,
    limit: Option<usize>,
    rows: Vec<GroupRow>,
) -> Result<Vec<Vec<PropertyValue>>, StoreError> {
    let names: Vec<String> = request.columns.iter().map(|c| c.name.clone()).collect();
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        let keep = match &request.having {
            Some(having) => {
                having.evaluate(&RowView::of(&names, &row)).map_err(|e| StoreError::Predicate(e.into()))?
            }
            None => true,
        };
        if keep {
            kept.push(row);
        }
    }
    let mut failure = None;
    kept.sort_by(|a, b| {
        let (a_view, b_view) = (RowView::of(&names, a), RowView::of(&names, b));
        let by_sort = compare_objects(sort, &a_view, &b_view).unwrap_or_else(|e| {
            failure.get_or_insert(e);
            Ordering::Equal
        });
        by_sort.then_with(|| compare_keys(&a.key, &b.key))
    });
    if let Some(e) = failure {
        return Err(StoreError::Predicate(e.into()));
    }
    let mut seen = HashSet::new();
    let distinct = kept.into_iter().filter(|row| {
        !request.distinct || seen.insert(row.values.iter().map(GroupKey::of).collect::<Vec<_>>())
    });
    Ok(distinct.skip(offset).take(limit.unwrap_or(usize::MAX)).map(|row| row.values).collect())
}

/// Orders group keys: values by `Value::sort_cmp` (`NULL` first), objects by primary key.
pub(crate) fn compare_keys(a: &[PropertyValue], b: &[PropertyValue]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let ordering = compare_property(x, y);
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    a.len().cmp(&b.len())
}

fn compare_property(a: &PropertyValue, b: &PropertyValue) -> Ordering {
    match (a, b) {
        (PropertyValue::Value(x), PropertyValue::Value(y)) => x.sort_cmp(y),
        (PropertyValue::Object(x), PropertyValue::Object(y)) => {
            x.map(|id| (id.primary_key(), id)).cmp(&y.map(|id| (id.primary_key(), id)))
        }
        (PropertyValue::Value(_), PropertyValue::Object(_)) => Ordering::Less,
        (PropertyValue::Object(_), PropertyValue::Value(_)) => Ordering::Greater,
    }
}

/// A row as the evaluator sees it: its column names are its keys, a dotted name a key path
/// through a pseudo-object per prefix.
#[derive(Clone)]
struct RowView<'a> {
    names: &'a [String],
    values: &'a [PropertyValue],
    /// The dotted prefix this view stands for (empty for the row itself).
    prefix: String,
}

impl<'a> RowView<'a> {
    fn of(names: &'a [String], row: &'a GroupRow) -> RowView<'a> {
        RowView { names, values: &row.values, prefix: String::new() }
    }
}

impl ObjectView for RowView<'_> {
    fn field(&self, key: &str) -> Result<Field<Self>, EvalError> {
        let full = if self.prefix.is_empty() { key.to_owned() } else { format!("{}.{key}", self.prefix) };
        let nested = |prefix: String| RowView { names: self.names, values: self.values, prefix };
        if let Some(i) = self.names.iter().position(|n| *n == full) {
            return Ok(match &self.values[i] {
                PropertyValue::Value(v) => Field::Value(v.clone()),
                PropertyValue::Object(None) => Field::ToOne(None),
                PropertyValue::Object(Some(_)) => Field::ToOne(Some(nested(full))),
            });
        }
        let dotted = format!("{full}.");
        if self.names.iter().any(|n| n.starts_with(&dotted)) {
            // A prefix of fetched key paths: nil if every value under it is nil (an empty
            // to-one on the way), else an object whose keys are the rest of the names.
            let all_nil =
                self.names.iter().zip(self.values).filter(|(n, _)| n.starts_with(&dotted)).all(|(_, v)| {
                    matches!(v, PropertyValue::Value(Value::Null) | PropertyValue::Object(None))
                });
            return Ok(Field::ToOne(if all_nil { None } else { Some(nested(full)) }));
        }
        Err(EvalError::UnknownKey { key: full })
    }
}
