//! Batch updates as one SQL statement: `UPDATE OR FAIL … SET …, Z_OPT = Z_OPT + 1 WHERE <compiled
//! predicate> RETURNING Z_ENT, Z_PK` (no `RETURNING` when neither the history nor the caller
//! needs the keys), with the history record built from the returned keys,
//! all in one writer transaction. Core Data's `NSBatchUpdateRequest` works the same way: the
//! rows never become objects.
//!
//! The statement gives exactly what `strata_core::store::execute_batch_with_saves` (the
//! general path, one fetch plus one save) gives — same rows, same versions, same history,
//! same errors for bad values — only faster, and atomically without a retry loop, since the
//! rows are matched and written under one lock. It is taken only where that equivalence is
//! obvious; anything else goes the general way:
//! - a predicate SQL cannot fully express (a residual evaluated in memory);
//! - an attribute under a uniqueness constraint (the save path names the colliding object);
//! - a store recording old and new values in its history (they need the rows read first).
//!
//! Nothing here commits: `Writer::write` does, when the closure returns `Ok`.

use rusqlite::Connection;
use strata_core::StoreError;
use strata_core::store::{
    BatchOptions, BatchRequest, BatchResult, ChangeKind, HistoryChange, StoreFetchRequest, StoreResultType,
    check_batch_value,
};
use strata_model::{EntityIndex, Value};
use strata_predicate::Predicate;

use crate::error::DbResult;
use crate::layout::ROW_ALIAS;
use crate::rows::{SqlParam, ValueParam};
use crate::store::Shared;

/// A batch update checked and compiled, ready to run in the writer's transaction.
pub(crate) struct DirectUpdate<'r> {
    /// The `UPDATE` statement, without its `RETURNING` clause.
    sql: String,
    /// The compiled predicate's parameters, `?1`… in order.
    condition_params: Vec<strata_model::SqlValue>,
    /// The values set, bound after the condition's parameters.
    values: &'r [(usize, Value)],
    /// The names of the attributes set, for the history.
    names: Vec<String>,
    /// The table updated.
    table: usize,
}

impl Shared {
    /// The direct form of `request`, or `None` when it must take the general path (see the
    /// module docs). Values are checked as the general path checks them.
    pub(crate) fn plan_direct_update<'r>(
        &self,
        request: &'r BatchRequest,
    ) -> Result<Option<DirectUpdate<'r>>, StoreError> {
        let BatchRequest::Update { entity, include_subentities, predicate, values } = request else {
            return Ok(None);
        };
        if values.is_empty() || (self.history && self.history_values) {
            return Ok(None);
        }
        let Some(e) = self.model.entities().get(entity.get()) else {
            return Ok(None);
        };
        for (index, value) in values {
            check_batch_value(e, *index, value)?;
        }
        let Some(layout) = self.layout.entity(*entity) else {
            return Ok(None);
        };
        let mut names = Vec::with_capacity(values.len());
        let mut set = String::new();
        let mut columns = Vec::with_capacity(values.len());
        for (index, _) in values {
            let Some(slot) = layout.attributes.get(*index) else {
                return Ok(None);
            };
            columns.push(slot.column.as_str());
            names.push(e.attributes()[*index].name().to_owned());
        }
        if self.unique_columns(layout.table, &columns) {
            return Ok(None);
        }
        let plan = self.plan_fetch(&fetch_of(*entity, *include_subentities, predicate.clone()))?;
        if plan.has_residual() {
            return Ok(None);
        }
        let first = plan.params().len() + 1;
        for (n, column) in columns.iter().enumerate() {
            set.push_str(&format!("{column} = ?{}, ", first + n));
        }
        let table = &self.layout.tables[plan.table()];
        // `OR FAIL`: setting the NOT NULL version column makes a plain `UPDATE` one that may
        // abort half-way, so SQLite keeps a statement journal (a temporary file holding a
        // copy of every page the statement changes, to undo just the statement) — 40% of a
        // 100,000-row update here. No constraint can fail (the version is never NULL, the
        // attribute columns have none, unique ones take the general path), and if one did,
        // the error would roll back the whole transaction (`Writer::write`), not just keep
        // the rows changed before it.
        let mut sql =
            format!("UPDATE OR FAIL {} AS \"{ROW_ALIAS}\" SET {set}\"Z_OPT\" = \"Z_OPT\" + 1", table.name);
        if !plan.condition().is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(plan.condition());
        }
        Ok(Some(DirectUpdate {
            sql,
            condition_params: plan.params().to_vec(),
            values,
            names,
            table: plan.table(),
        }))
    }

    /// Whether any of `columns` of `table` is under a uniqueness constraint of any entity
    /// stored there.
    fn unique_columns(&self, table: usize, columns: &[&str]) -> bool {
        self.layout.tables[table].entities.iter().filter_map(|&e| self.layout.entity(e)).any(|layout| {
            layout
                .unique
                .iter()
                .any(|u| u.columns.iter().any(|(column, _)| columns.contains(&column.as_str())))
        })
    }

    /// Runs a planned direct update inside the writer's transaction: the statement, then the
    /// history record of the rows it returned (none when it matched nothing).
    pub(crate) fn run_direct_update(
        &self,
        conn: &Connection,
        update: &DirectUpdate<'_>,
        options: &BatchOptions,
    ) -> Result<BatchResult, StoreError> {
        // The keys are read back only when someone needs them: the history or the caller.
        let returning = self.history || options.return_ids;
        let sql = if returning {
            format!("{} RETURNING \"Z_ENT\", \"Z_PK\"", update.sql)
        } else {
            update.sql.clone()
        };
        let mut statement = conn.prepare_cached(&sql).db()?;
        for (i, param) in update.condition_params.iter().enumerate() {
            statement.raw_bind_parameter(i + 1, SqlParam(param)).db()?;
        }
        let first = update.condition_params.len() + 1;
        for (n, (_, value)) in update.values.iter().enumerate() {
            statement.raw_bind_parameter(first + n, ValueParam(value)).db()?;
        }
        if !returning {
            let count = statement.raw_execute().db()?;
            return Ok(BatchResult::Count(count as u64));
        }
        let table = &self.layout.tables[update.table];
        let mut ids = Vec::new();
        let mut rows = statement.raw_query();
        while let Some(row) = rows.next().db()? {
            let code: i64 = row.get(0).db()?;
            let key: i64 = row.get(1).db()?;
            ids.push(self.row_id(table, key, code)?);
        }
        drop(rows);
        drop(statement);
        // Key order, as the general path (a fetch without sort) reports them.
        ids.sort_unstable_by_key(|id| id.primary_key());
        if self.history && !ids.is_empty() {
            let changes: Vec<HistoryChange> = ids
                .iter()
                .map(|&id| {
                    let mut change = HistoryChange::new(ChangeKind::Update, id);
                    change.updated = update.names.clone();
                    change
                })
                .collect();
            self.record_changes(conn, &options.info, &changes)?;
        }
        Ok(if options.return_ids {
            BatchResult::ObjectIds(ids)
        } else {
            BatchResult::Count(ids.len() as u64)
        })
    }
}

/// The ID-only fetch selecting a batch's rows.
fn fetch_of(
    entity: EntityIndex,
    include_subentities: bool,
    predicate: Option<Predicate>,
) -> StoreFetchRequest {
    StoreFetchRequest {
        entity,
        include_subentities,
        predicate,
        sort: Vec::new(),
        offset: 0,
        limit: None,
        result: StoreResultType::Ids,
    }
}
