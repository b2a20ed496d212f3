//! Fetching: a [`StoreFetchRequest`] planned into one `SELECT` (entity filter, compiled
//! predicate, `ORDER BY`, `LIMIT`/`OFFSET` or `count(*)`), and the in-memory finish when
//! SQL cannot say everything — a residual predicate is evaluated on the rows the SQL
//! selected, a sort SQL cannot order is done by `compare_objects`, and paging then happens
//! in memory.
//!
//! Every value reaches SQL as a bound parameter (the compiler's, plus the offset); the
//! statement text holds only identifiers and numbers this crate or the compiler made (the
//! limit is such a number: see `Shared::fetch_sql`).
//! This module never answers from a guess: what SQL cannot express exactly is evaluated
//! in memory under the same rules.

use std::cmp::Ordering;
use std::sync::Arc;

use rusqlite::Connection;
use strata_core::store::{StoreFetchRequest, StoreFetchResult, StoreResultType};
use strata_core::{Snapshot, StoreError};
use strata_model::SqlValue;
use strata_predicate::sql::{Dialect, compile_order_by, compile_where, entity_filter};
use strata_predicate::{Predicate, compare_objects};

use crate::SqliteStore;
use crate::error::{DbResult, STORE_TYPE};
use crate::layout::{ROW_ALIAS, SELECT_ENTITY, SELECT_KEY};
use crate::rows::SqlParam;
use crate::store::Shared;
use crate::view::Loader;

/// A fetch compiled against the layout.
#[derive(Debug)]
pub(crate) struct FetchPlan {
    /// Index into the layout's tables.
    table: usize,
    /// The `WHERE` condition, empty when every row of the table qualifies.
    condition: String,
    /// Its parameters, `?1`… in order.
    params: Vec<SqlValue>,
    /// What must still hold, evaluated in memory.
    residual: Option<Predicate>,
    /// The `ORDER BY` terms (the primary key alone when sorting in memory).
    order: String,
    /// Whether the sort runs in memory.
    sort_in_memory: bool,
}

impl FetchPlan {
    fn in_memory(&self) -> bool {
        self.residual.is_some() || self.sort_in_memory
    }

    /// Whether part of the predicate must be evaluated in memory.
    pub(crate) fn has_residual(&self) -> bool {
        self.residual.is_some()
    }

    /// Index into the layout's tables.
    pub(crate) fn table(&self) -> usize {
        self.table
    }

    /// The `WHERE` condition (empty when every row qualifies), on rows aliased `t0`.
    pub(crate) fn condition(&self) -> &str {
        &self.condition
    }

    /// The condition's parameters, `?1`… in order.
    pub(crate) fn params(&self) -> &[SqlValue] {
        &self.params
    }

    /// `FROM … WHERE …` with the row alias.
    fn source_sql(&self, shared: &Shared) -> String {
        let mut sql = format!("FROM {} AS \"{ROW_ALIAS}\"", shared.layout.tables[self.table].name);
        if !self.condition.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.condition);
        }
        sql
    }
}

fn predicate_error(error: impl Into<strata_predicate::PredicateError>) -> StoreError {
    StoreError::Predicate(error.into())
}

impl Shared {
    /// Compiles `request` (nothing is read).
    pub(crate) fn plan_fetch(&self, request: &StoreFetchRequest) -> Result<FetchPlan, StoreError> {
        let model = &*self.model;
        let schema = &self.layout.schema;
        let entity = request.entity;
        let layout = self.layout.entity(entity).ok_or_else(|| StoreError::Unsupported {
            store_type: STORE_TYPE.to_owned(),
            operation: "fetching an unknown entity",
        })?;
        let mut conditions = Vec::new();
        if request.include_subentities {
            conditions.extend(entity_filter(model, entity, schema, ROW_ALIAS).map_err(predicate_error)?);
        } else if self.layout.tables[layout.table].entities.len() > 1 {
            conditions.push(format!("\"{ROW_ALIAS}\".\"Z_ENT\" = {}", entity.0));
        }
        let (params, residual) = match &request.predicate {
            Some(predicate) => {
                let compiled = compile_where(predicate, model, entity, schema, Dialect::Sqlite, ROW_ALIAS)
                    .map_err(predicate_error)?;
                conditions.extend(compiled.sql);
                (compiled.params, compiled.residual)
            }
            None => (Vec::new(), None),
        };
        // A rows request's sort names its result columns, ordered after grouping.
        let sort: &[strata_predicate::SortDescriptor] =
            if matches!(request.result, StoreResultType::Rows(_)) { &[] } else { &request.sort };
        let order = compile_order_by(sort, model, entity, schema, Dialect::Sqlite, ROW_ALIAS)
            .map_err(predicate_error)?;
        let condition = match conditions.len() {
            0 => String::new(),
            1 => conditions.remove(0),
            _ => format!("({})", conditions.join(") AND (")),
        };
        Ok(FetchPlan {
            table: layout.table,
            condition,
            params,
            residual,
            order: order.sql,
            sort_in_memory: order.in_memory,
        })
    }

    /// The statement a plan runs, and whether it ends in `LIMIT n OFFSET ?`.
    ///
    /// The limit is written into the statement as a number, not bound: SQLite marks a bound
    /// `LIMIT ?` as something its plan depends on and recompiles the statement every time
    /// it is bound again (about a fifth of an indexed 100-row fetch, measured). A cached
    /// statement per limit asked for is far cheaper. The offset stays bound (binding it
    /// recompiles nothing), so paging through results reuses one statement.
    fn fetch_sql(&self, plan: &FetchPlan, request: &StoreFetchRequest) -> (String, bool) {
        let result = &request.result;
        // SQLite reads a negative limit as "no limit".
        let limit = request.limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let from_where = plan.source_sql(self);
        if plan.in_memory() || matches!(result, StoreResultType::Rows(_)) {
            let select = &self.layout.tables[plan.table].row_select;
            return (format!("SELECT {select} {from_where} ORDER BY {}", plan.order), false);
        }
        match result {
            StoreResultType::Count => (format!("SELECT count(*) {from_where}"), false),
            StoreResultType::Ids => {
                let n = plan.params.len();
                let columns = format!("\"{ROW_ALIAS}\".\"Z_PK\", \"{ROW_ALIAS}\".\"Z_ENT\"");
                let sql = format!(
                    "SELECT {columns} {from_where} ORDER BY {} LIMIT {limit} OFFSET ?{}",
                    plan.order,
                    n + 1
                );
                (sql, true)
            }
            StoreResultType::Snapshots | StoreResultType::Rows(_) => {
                let n = plan.params.len();
                let select = &self.layout.tables[plan.table].row_select;
                let sql = format!(
                    "SELECT {select} {from_where} ORDER BY {} LIMIT {limit} OFFSET ?{}",
                    plan.order,
                    n + 1
                );
                (sql, true)
            }
        }
    }

    /// Runs a plan on a reader inside its read transaction.
    pub(crate) fn run_fetch(
        &self,
        conn: &Connection,
        plan: &FetchPlan,
        request: &StoreFetchRequest,
    ) -> Result<StoreFetchResult, StoreError> {
        if let StoreResultType::Rows(rows) = &request.result {
            return self.run_rows(conn, plan, request, rows);
        }
        let (sql, paged) = self.fetch_sql(plan, request);
        let mut statement = conn.prepare_cached(&sql).db()?;
        for (i, param) in plan.params.iter().enumerate() {
            statement.raw_bind_parameter(i + 1, SqlParam(param)).db()?;
        }
        if paged {
            let offset = i64::try_from(request.offset).unwrap_or(i64::MAX);
            statement.raw_bind_parameter(plan.params.len() + 1, offset).db()?;
        }
        let table = &self.layout.tables[plan.table];
        let mut rows = statement.raw_query();
        if !plan.in_memory() {
            return Ok(match request.result {
                StoreResultType::Count => {
                    let total: i64 = match rows.next().db()? {
                        Some(row) => row.get(0).db()?,
                        None => 0,
                    };
                    let total = u64::try_from(total).unwrap_or(0);
                    let after_offset = total.saturating_sub(request.offset as u64);
                    StoreFetchResult::Count(
                        request.limit.map_or(after_offset, |l| after_offset.min(l as u64)),
                    )
                }
                StoreResultType::Ids => {
                    let mut ids = Vec::new();
                    while let Some(row) = rows.next().db()? {
                        let key: i64 = row.get(SELECT_KEY).db()?;
                        let code: i64 = row.get(SELECT_ENTITY).db()?;
                        ids.push(self.row_id(table, key, code)?);
                    }
                    StoreFetchResult::Ids(ids)
                }
                StoreResultType::Snapshots => {
                    let mut snapshots = Vec::new();
                    while let Some(row) = rows.next().db()? {
                        snapshots.push(self.decode_row(table, row)?);
                    }
                    StoreFetchResult::Snapshots(snapshots)
                }
                // Dispatched to `run_rows` above.
                StoreResultType::Rows(_) => StoreFetchResult::Rows(Vec::new()),
            });
        }
        let mut candidates = Vec::new();
        while let Some(row) = rows.next().db()? {
            candidates.push(self.decode_row(table, row)?);
        }
        drop(rows);
        drop(statement);
        let matches = self.finish_in_memory(conn, plan, request, candidates)?;
        let page = matches.into_iter().skip(request.offset).take(request.limit.unwrap_or(usize::MAX));
        Ok(match request.result {
            StoreResultType::Count => StoreFetchResult::Count(page.count() as u64),
            StoreResultType::Ids => StoreFetchResult::Ids(page.map(|s| s.id()).collect()),
            StoreResultType::Snapshots => StoreFetchResult::Snapshots(page.collect()),
            StoreResultType::Rows(_) => StoreFetchResult::Rows(Vec::new()),
        })
    }

    /// Filters `rows` (in SQL order) by the residual and sorts them in memory if the plan
    /// says so; the sort is stable, so ties keep primary-key order.
    fn finish_in_memory(
        &self,
        conn: &Connection,
        plan: &FetchPlan,
        request: &StoreFetchRequest,
        rows: Vec<Arc<Snapshot>>,
    ) -> Result<Vec<Arc<Snapshot>>, StoreError> {
        let loader = Loader::new(self, conn);
        let mut views = Vec::with_capacity(rows.len());
        for row in rows {
            let view = loader.view(row);
            let keep = match &plan.residual {
                Some(residual) => residual.evaluate(&view).map_err(|e| loader.error(e))?,
                None => true,
            };
            if keep {
                views.push(view);
            }
        }
        if plan.sort_in_memory {
            let mut failure = None;
            views.sort_by(|a, b| {
                compare_objects(&request.sort, a, b).unwrap_or_else(|e| {
                    failure.get_or_insert(e);
                    Ordering::Equal
                })
            });
            if let Some(e) = failure {
                return Err(loader.error(e));
            }
        }
        if let Some(e) = loader.take_failure() {
            return Err(e);
        }
        Ok(views.into_iter().map(|v| v.row().clone()).collect())
    }
}

impl SqliteStore {
    /// SQLite's query plan (`EXPLAIN QUERY PLAN`) for the statement
    /// [`Store::fetch`](strata_core::Store::fetch) would run for `request`, one line per
    /// step, e.g.
    /// `SEARCH t0 USING INDEX Z_INDEX_Note_rank (rank>?)`. For diagnostics and tests; the
    /// fetch itself is not run.
    pub fn query_plan(&self, request: &StoreFetchRequest) -> Result<Vec<String>, StoreError> {
        let plan = self.shared.plan_fetch(request)?;
        let (sql, paged) = self.shared.fetch_sql(&plan, request);
        self.readers.read(|conn| {
            let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).db()?;
            for (i, param) in plan.params.iter().enumerate() {
                statement.raw_bind_parameter(i + 1, SqlParam(param)).db()?;
            }
            if paged {
                statement.raw_bind_parameter(plan.params.len() + 1, 0_i64).db()?;
            }
            let mut rows = statement.raw_query();
            let mut lines = Vec::new();
            while let Some(row) = rows.next().db()? {
                lines.push(row.get::<_, String>(3).db()?);
            }
            Ok(lines)
        })
    }
}
