//! Reading objects for in-memory predicate evaluation, sorting and dictionaries, without
//! changing the context.
//!
//! A [`Reader`] answers "the value of key `k` of object `o`" from, in order: the context's
//! state with its pending edits (when pending changes are included), rows the fetch just
//! returned, rows the context loaded earlier, and the coordinator (row cache first, then one
//! store call, remembered for the rest of the read). With pending changes included, objects deleted in the context are
//! invisible: a to-one pointing at one reads as nil, a to-many leaves it out.
//!
//! [`ObjectView::field`] cannot return a store error, so the first one is kept in the
//! reader and reported by the caller in place of the evaluation error it caused. This
//! module never mutates the context.

use std::cell::RefCell;
use std::sync::Arc;

use strata_model::Value;
use strata_predicate::{EvalError, Field, ObjectView};

use super::Context;
use crate::object_id::IdMap;
use crate::{Error, ObjectId, Snapshot};

/// Reads objects for one fetch (see the module docs).
pub(crate) struct Reader<'a> {
    ctx: &'a Context,
    pending: bool,
    rows: RefCell<IdMap<Option<Arc<Snapshot>>>>,
    lists: RefCell<rustc_hash::FxHashMap<(ObjectId, usize), Vec<ObjectId>>>,
    failure: RefCell<Option<Error>>,
}

impl<'a> Reader<'a> {
    /// A reader over `ctx`, with its pending changes when `pending`, that knows `rows`.
    pub(crate) fn new(ctx: &'a Context, pending: bool, rows: &[Arc<Snapshot>]) -> Reader<'a> {
        let rows = rows.iter().map(|s| (s.id(), Some(s.clone()))).collect();
        Reader {
            ctx,
            pending,
            rows: RefCell::new(rows),
            lists: Default::default(),
            failure: Default::default(),
        }
    }

    /// A view of `id` for the evaluator.
    pub(crate) fn view(&self, id: ObjectId) -> View<'_, 'a> {
        View { reader: self, id }
    }

    /// The first coordinator error met, if any.
    pub(crate) fn take_failure(&self) -> Option<Error> {
        self.failure.borrow_mut().take()
    }

    fn fail(&self, error: Error) {
        self.failure.borrow_mut().get_or_insert(error);
    }

    fn failed(&self) -> bool {
        self.failure.borrow().is_some()
    }

    /// Whether the context state of `id` answers for it.
    fn answers_from_context(&self, id: ObjectId) -> bool {
        self.pending && self.ctx.objects.get(&id).is_some_and(|s| !s.is_fault())
    }

    fn invisible(&self, id: ObjectId) -> bool {
        self.pending && self.ctx.objects.get(&id).is_some_and(|s| s.deleted)
    }

    /// Loads, in one coordinator call, the rows of `ids` the reader does not know yet.
    pub(crate) fn prefetch(&self, ids: &[ObjectId]) {
        let unknown: Vec<ObjectId> = {
            let rows = self.rows.borrow();
            let loaded = |id: &ObjectId| self.ctx.objects.get(id).is_some_and(|s| s.snapshot.is_some());
            ids.iter()
                .copied()
                .filter(|id| self.ctx.readable_from_source(*id) && !rows.contains_key(id) && !loaded(id))
                .collect()
        };
        if unknown.is_empty() || self.failed() {
            return;
        }
        match self.ctx.source_snapshots(&unknown) {
            Ok(found) => self.rows.borrow_mut().extend(unknown.into_iter().zip(found)),
            Err(e) => self.fail(e),
        }
    }

    /// The row of `id` as stored (the context's loaded snapshot, a fetched row, or one read
    /// through the coordinator).
    fn row(&self, id: ObjectId) -> Option<Arc<Snapshot>> {
        // Rows this read fetched first: they are at least as new as what the context loaded.
        if let Some(row) = self.rows.borrow().get(&id) {
            return row.clone();
        }
        if let Some(snapshot) = self.ctx.objects.get(&id).and_then(|s| s.snapshot.clone()) {
            return Some(snapshot);
        }
        if !self.ctx.readable_from_source(id) || self.failed() {
            return None;
        }
        match self.ctx.source_snapshots(&[id]) {
            Ok(found) => {
                let row = found.into_iter().next().flatten();
                self.rows.borrow_mut().insert(id, row.clone());
                row
            }
            Err(e) => {
                self.fail(e);
                None
            }
        }
    }

    /// The value of attribute `index` of `id`.
    pub(crate) fn value(&self, id: ObjectId, index: usize) -> Value {
        if self.answers_from_context(id) {
            return self.ctx.attribute_value(id, index);
        }
        if self.pending
            && let Some(value) = self.ctx.objects.get(&id).and_then(|s| s.attributes.get(&index))
        {
            return value.clone();
        }
        self.row(id).and_then(|s| s.value(index).cloned()).unwrap_or_default()
    }

    /// The destination of to-one relationship `index` of `id`.
    pub(crate) fn to_one(&self, id: ObjectId, index: usize) -> Option<ObjectId> {
        let pending_edit =
            if self.pending { self.ctx.objects.get(&id).and_then(|s| s.to_one.get(&index)) } else { None };
        let destination = match pending_edit {
            Some(edit) => *edit,
            None if self.answers_from_context(id) => self.ctx.current_to_one(id, index),
            None => self.row(id).and_then(|s| s.to_one().get(index).copied().flatten()),
        };
        destination.filter(|d| !self.invisible(*d))
    }

    /// The destinations of to-many relationship `index` of `id`.
    pub(crate) fn to_many(&self, id: ObjectId, index: usize) -> Vec<ObjectId> {
        let state = if self.pending { self.ctx.objects.get(&id) } else { None };
        let loaded = state.and_then(|_| self.ctx.current_to_many(id, index));
        let list = match loaded {
            Some(list) => list,
            None => {
                let mut stored = self.stored_list(id, index);
                if let Some(to_many) = state.and_then(|s| s.to_many.get(&index)) {
                    stored.retain(|d| !to_many.removed.contains(d));
                    let added: Vec<ObjectId> = to_many.added.iter().filter(|d| !stored.contains(d)).collect();
                    stored.extend(added);
                }
                stored
            }
        };
        list.into_iter().filter(|d| !self.invisible(*d)).collect()
    }

    fn stored_list(&self, id: ObjectId, index: usize) -> Vec<ObjectId> {
        if let Some(list) = self.lists.borrow().get(&(id, index)) {
            return list.clone();
        }
        if !self.ctx.readable_from_source(id) || self.failed() {
            return Vec::new();
        }
        match self.ctx.source_related(&[id], index) {
            Ok(lists) => {
                let list = lists.into_iter().next().unwrap_or_default();
                self.lists.borrow_mut().insert((id, index), list.clone());
                list
            }
            Err(e) => {
                self.fail(e);
                Vec::new()
            }
        }
    }
}

/// One object as the evaluator sees it through a [`Reader`].
#[derive(Clone)]
pub(crate) struct View<'r, 'a> {
    reader: &'r Reader<'a>,
    id: ObjectId,
}

impl View<'_, '_> {
    /// The object's ID.
    pub(crate) fn id(&self) -> ObjectId {
        self.id
    }
}

impl ObjectView for View<'_, '_> {
    fn field(&self, key: &str) -> Result<Field<Self>, EvalError> {
        let unknown = || EvalError::UnknownKey { key: key.to_owned() };
        if self.reader.failed() {
            return Err(unknown());
        }
        let entity = self.reader.ctx.model.entities().get(self.id.entity().get()).ok_or_else(unknown)?;
        if let Some(i) = entity.attributes().iter().position(|a| a.name() == key) {
            return Ok(Field::Value(self.reader.value(self.id, i)));
        }
        let i = entity.relationships().iter().position(|r| r.name() == key).ok_or_else(unknown)?;
        let view = |id| View { reader: self.reader, id };
        if entity.relationships()[i].is_to_many() {
            Ok(Field::ToMany(self.reader.to_many(self.id, i).into_iter().map(view).collect()))
        } else {
            Ok(Field::ToOne(self.reader.to_one(self.id, i).map(view)))
        }
    }
}
