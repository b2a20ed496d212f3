//! [`RowView`]: stored rows as the in-memory evaluator and sorter see them, for the parts
//! of a fetch SQL cannot answer (a residual predicate, a sort on a decimal).
//!
//! Attributes come from the row's snapshot; relationships are loaded on demand through the
//! fetch's own read transaction (so the whole fetch sees one state) and memoized for the
//! fetch's lifetime. A database failure while loading cannot travel through
//! [`EvalError`], so it is kept in the [`Loader`] and reported by the fetch instead of the
//! evaluation error. Nothing here writes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::Connection;
use strata_core::{ObjectId, Snapshot, StoreError};
use strata_model::Value;
use strata_predicate::{EvalError, Field, ObjectView};

use crate::layout::{Named, RelationshipSlot};
use crate::store::Shared;

/// Loads and memoizes related rows for one fetch.
pub(crate) struct Loader<'a> {
    shared: &'a Shared,
    conn: &'a Connection,
    snapshots: RefCell<HashMap<ObjectId, Option<Arc<Snapshot>>>>,
    related: RefCell<HashMap<(ObjectId, usize), Vec<ObjectId>>>,
    failure: RefCell<Option<StoreError>>,
}

impl<'a> Loader<'a> {
    pub fn new(shared: &'a Shared, conn: &'a Connection) -> Loader<'a> {
        Loader {
            shared,
            conn,
            snapshots: RefCell::default(),
            related: RefCell::default(),
            failure: RefCell::default(),
        }
    }

    /// A view of a row read by the fetch.
    pub fn view(&'a self, row: Arc<Snapshot>) -> RowView<'a> {
        RowView { loader: self, row }
    }

    /// The database failure that interrupted an evaluation, if one did.
    pub fn take_failure(&self) -> Option<StoreError> {
        self.failure.borrow_mut().take()
    }

    /// Turns an evaluation error into the fetch's error: a stored database failure wins.
    pub fn error(&self, error: impl Into<strata_predicate::PredicateError>) -> StoreError {
        self.take_failure().unwrap_or_else(|| StoreError::Predicate(error.into()))
    }

    fn fail(&self, error: StoreError, key: &str) -> EvalError {
        self.failure.borrow_mut().get_or_insert(error);
        EvalError::UnknownKey { key: key.to_owned() }
    }

    /// Views of `ids` that exist, in order, loading the ones not seen yet in one batch.
    fn views(&'a self, ids: &[ObjectId]) -> Result<Vec<RowView<'a>>, StoreError> {
        let missing: Vec<ObjectId> = {
            let known = self.snapshots.borrow();
            ids.iter().copied().filter(|id| !known.contains_key(id)).collect()
        };
        if !missing.is_empty() {
            let loaded = self.shared.load_snapshots(self.conn, &missing)?;
            self.snapshots.borrow_mut().extend(missing.into_iter().zip(loaded));
        }
        let known = self.snapshots.borrow();
        Ok(ids.iter().filter_map(|id| known.get(id).cloned().flatten()).map(|row| self.view(row)).collect())
    }

    fn related(&self, source: ObjectId, relationship: usize) -> Result<Vec<ObjectId>, StoreError> {
        if let Some(ids) = self.related.borrow().get(&(source, relationship)) {
            return Ok(ids.clone());
        }
        let ids = self.shared.load_related(self.conn, &[source], relationship)?.pop().unwrap_or_default();
        self.related.borrow_mut().insert((source, relationship), ids.clone());
        Ok(ids)
    }
}

/// One stored row, for the evaluator. Cloning shares the row.
#[derive(Clone)]
pub(crate) struct RowView<'a> {
    loader: &'a Loader<'a>,
    row: Arc<Snapshot>,
}

impl RowView<'_> {
    /// The row.
    pub fn row(&self) -> &Arc<Snapshot> {
        &self.row
    }
}

impl ObjectView for RowView<'_> {
    fn field(&self, key: &str) -> Result<Field<Self>, EvalError> {
        let loader = self.loader;
        let unknown = || EvalError::UnknownKey { key: key.to_owned() };
        let layout = loader.shared.layout.entity(self.row.id().entity()).ok_or_else(unknown)?;
        match layout.by_name.get(key) {
            Some(&Named::Attribute(i)) => Ok(Field::Value(self.row.value(i).cloned().unwrap_or(Value::Null))),
            Some(&Named::Relationship(i)) => match layout.relationships.get(i) {
                Some(RelationshipSlot::InverseKey { .. } | RelationshipSlot::Join { .. }) => {
                    let ids = loader.related(self.row.id(), i).map_err(|e| loader.fail(e, key))?;
                    Ok(Field::ToMany(loader.views(&ids).map_err(|e| loader.fail(e, key))?))
                }
                Some(_) => match self.row.to_one().get(i).copied().flatten() {
                    Some(id) => {
                        let mut found = loader.views(&[id]).map_err(|e| loader.fail(e, key))?;
                        Ok(Field::ToOne(found.pop()))
                    }
                    None => Ok(Field::ToOne(None)),
                },
                None => Err(unknown()),
            },
            None => Err(unknown()),
        }
    }
}
