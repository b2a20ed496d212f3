//! Rows fetches ([`StoreResultType::Rows`]): grouped, aggregated and distinct dictionary
//! results, computed in SQL — one `SELECT … LEFT JOIN … WHERE … GROUP BY …` — whenever SQL
//! computes exactly what `strata_core::store::dictionary` specifies, and in memory by that
//! module's own implementation otherwise (a residual predicate, `sum`/`avg`/`min`/`max` of a
//! decimal, which SQL holds as text, or a path through the non-owner side of a one-to-one
//! relationship). Having, ordering, distinct and paging always run through
//! `dictionary::finish_rows` on the grouped rows, so they mean the same in every store.
//!
//! SQL text holds only identifiers from the layout and the compiled predicate; every value is
//! a bound parameter. SQLite's aggregates match the specification: `count`, `sum` (exact
//! integers failing on overflow, compensated floats), `avg`, `min`/`max` in `BINARY` order;
//! `NULL`s group together and are skipped by aggregates. Nothing here writes.

use rusqlite::Connection;
use rusqlite::types::ValueRef;
use strata_core::store::dictionary::{self, GroupRow, RowObject};
use strata_core::store::{
    ColumnValue, RowsRequest, StoreFetchRequest, StoreFetchResult, StoreKeyPath, StoreResultType,
};
use strata_core::{AggregateFunction, ObjectId, PropertyValue, StoreError};
use strata_model::{AttributeType, EntityIndex, SqlValue, Value};

use crate::error::DbResult;
use crate::fetch::FetchPlan;
use crate::layout::{Named, ROW_ALIAS, RelationshipSlot};
use crate::rows::SqlParam;
use crate::store::Shared;
use crate::view::{Loader, RowView};

/// Where a key path ends, in SQL.
enum PathEnd {
    /// An attribute column.
    Column { expr: String, ty: AttributeType },
    /// A to-one destination: the joined row's alias and table.
    Object { alias: String, table: usize },
}

/// How to read one value of a result row.
enum Decoder {
    Value {
        at: usize,
        ty: AttributeType,
    },
    Object {
        at: usize,
        table: usize,
    },
    Aggregate {
        at: usize,
        function: AggregateFunction,
        ty: Option<AttributeType>,
    },
    /// The average of an integer attribute: its exact `sum()` at `at` over its `count()` at
    /// `at + 1` (SQLite's `avg()` goes approximate when a partial sum overflows).
    IntegerAverage {
        at: usize,
    },
}

/// The `LEFT JOIN`s a statement needs, one per distinct to-one prefix.
#[derive(Default)]
struct Joins {
    /// (dotted prefix, alias, table, join text).
    joined: Vec<(String, String, usize, String)>,
}

/// A rows fetch compiled to one statement.
struct SqlRows {
    sql: String,
    keys: Vec<Decoder>,
    columns: Vec<Decoder>,
}

impl RowObject for RowView<'_> {
    fn object_id(&self) -> ObjectId {
        self.row().id()
    }
}

impl Shared {
    /// Answers a rows request whose objects `plan` selects.
    pub(crate) fn run_rows(
        &self,
        conn: &Connection,
        plan: &FetchPlan,
        request: &StoreFetchRequest,
        rows: &RowsRequest,
    ) -> Result<StoreFetchResult, StoreError> {
        rows.validate()?;
        let groups = match self.compile_rows(plan, request.entity, rows) {
            // SQLite's sum() fails when a partial sum overflows, which depends on the scan
            // order; the specification fails only when the total does: recompute exactly.
            Some(compiled) => match self.query_rows(conn, plan, &compiled)? {
                Some(groups) => groups,
                None => self.group_in_memory(conn, request, rows)?,
            },
            None => self.group_in_memory(conn, request, rows)?,
        };
        let finished = dictionary::finish_rows(rows, &request.sort, request.offset, request.limit, groups)?;
        Ok(StoreFetchResult::Rows(finished))
    }

    /// The in-memory path: the matching rows, grouped by `dictionary::group_rows`.
    fn group_in_memory(
        &self,
        conn: &Connection,
        request: &StoreFetchRequest,
        rows: &RowsRequest,
    ) -> Result<Vec<GroupRow>, StoreError> {
        let objects = StoreFetchRequest {
            entity: request.entity,
            include_subentities: request.include_subentities,
            predicate: request.predicate.clone(),
            sort: Vec::new(),
            offset: 0,
            limit: None,
            result: StoreResultType::Snapshots,
        };
        let plan = self.plan_fetch(&objects)?;
        let snapshots = match self.run_fetch(conn, &plan, &objects)? {
            StoreFetchResult::Snapshots(snapshots) => snapshots,
            _ => Vec::new(),
        };
        let loader = Loader::new(self, conn);
        let views: Vec<RowView<'_>> = snapshots.into_iter().map(|s| loader.view(s)).collect();
        let grouped = dictionary::group_rows(rows, &views);
        match loader.take_failure() {
            Some(e) => Err(e),
            None => grouped,
        }
    }

    /// Compiles `rows` to one statement, or `None` when SQL cannot compute it exactly.
    fn compile_rows(&self, plan: &FetchPlan, entity: EntityIndex, rows: &RowsRequest) -> Option<SqlRows> {
        if plan.has_residual() {
            return None;
        }
        let mut joins = Joins::default();
        let mut select: Vec<String> = Vec::new();
        let add = |select: &mut Vec<String>, end: &PathEnd| -> Decoder {
            match end {
                PathEnd::Column { expr, ty } => {
                    select.push(expr.clone());
                    Decoder::Value { at: select.len() - 1, ty: *ty }
                }
                PathEnd::Object { alias, table } => {
                    select.push(format!("\"{alias}\".\"Z_PK\""));
                    select.push(format!("\"{alias}\".\"Z_ENT\""));
                    Decoder::Object { at: select.len() - 2, table: *table }
                }
            }
        };
        let mut keys = Vec::new();
        let mut group_terms = Vec::new();
        if rows.is_grouped() {
            for path in &rows.group_by {
                let end = self.path_end(&mut joins, entity, path)?;
                let decoder = add(&mut select, &end);
                group_terms.push(match &end {
                    PathEnd::Column { expr, .. } => expr.clone(),
                    PathEnd::Object { alias, .. } => format!("\"{alias}\".\"Z_PK\""),
                });
                keys.push(decoder);
            }
        } else {
            let table = self.layout.entity(entity)?.table;
            keys.push(add(&mut select, &PathEnd::Object { alias: ROW_ALIAS.to_owned(), table }));
        }
        let mut columns = Vec::new();
        for column in &rows.columns {
            let decoder = match &column.value {
                ColumnValue::KeyPath(path) => {
                    let end = self.path_end(&mut joins, entity, path)?;
                    add(&mut select, &end)
                }
                ColumnValue::Aggregate { function, key_path, attribute_type } => {
                    let argument = match key_path {
                        None => "*".to_owned(),
                        Some(path) => match self.path_end(&mut joins, entity, path)? {
                            PathEnd::Column { expr, ty } => {
                                // Decimals are text in SQL: only counting them is exact there.
                                if ty == AttributeType::Decimal && *function != AggregateFunction::Count {
                                    return None;
                                }
                                expr
                            }
                            PathEnd::Object { .. } => return None,
                        },
                    };
                    let integer = attribute_type.is_some_and(|t| {
                        matches!(t, AttributeType::Int16 | AttributeType::Int32 | AttributeType::Int64)
                    });
                    let name = match function {
                        AggregateFunction::Avg if integer => {
                            select.push(format!("sum({argument})"));
                            select.push(format!("count({argument})"));
                            columns.push(Decoder::IntegerAverage { at: select.len() - 2 });
                            continue;
                        }
                        AggregateFunction::Count => "count",
                        AggregateFunction::Sum => "sum",
                        AggregateFunction::Avg => "avg",
                        AggregateFunction::Min => "min",
                        AggregateFunction::Max => "max",
                        _ => return None,
                    };
                    select.push(format!("{name}({argument})"));
                    Decoder::Aggregate { at: select.len() - 1, function: *function, ty: *attribute_type }
                }
            };
            columns.push(decoder);
        }
        let table = &self.layout.tables[plan.table()];
        let mut sql = format!("SELECT {} FROM {} AS \"{ROW_ALIAS}\"", select.join(", "), table.name);
        for (_, _, _, join) in &joins.joined {
            sql.push(' ');
            sql.push_str(join);
        }
        if !plan.condition().is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(plan.condition());
        }
        if !group_terms.is_empty() {
            sql.push_str(" GROUP BY ");
            sql.push_str(&group_terms.join(", "));
        }
        Some(SqlRows { sql, keys, columns })
    }

    /// The SQL end of a key path from `entity`'s row, joining owned to-one hops; `None` for
    /// a hop SQL cannot join one-to-one (a partner's key).
    fn path_end(&self, joins: &mut Joins, entity: EntityIndex, path: &StoreKeyPath) -> Option<PathEnd> {
        let mut alias = ROW_ALIAS.to_owned();
        let mut current = entity;
        for (i, key) in path.keys.iter().enumerate() {
            let layout = self.layout.entity(current)?;
            let last = i + 1 == path.keys.len();
            match layout.by_name.get(key)? {
                Named::Attribute(a) if last => {
                    let slot = layout.attributes.get(*a)?;
                    return Some(PathEnd::Column {
                        expr: format!("\"{alias}\".{}", slot.column),
                        ty: slot.ty,
                    });
                }
                Named::Attribute(_) => return None,
                Named::Relationship(r) => {
                    let RelationshipSlot::Owned { column, destination, .. } = layout.relationships.get(*r)?
                    else {
                        return None;
                    };
                    let prefix = path.keys[..=i].join(".");
                    alias = match joins.joined.iter().find(|(p, ..)| *p == prefix) {
                        Some((_, a, ..)) => a.clone(),
                        None => {
                            let joined = format!("g{}", joins.joined.len() + 1);
                            let text = format!(
                                "LEFT JOIN {} AS \"{joined}\" ON \"{joined}\".\"Z_PK\" = \"{alias}\".{column}",
                                self.layout.tables[destination.table].name
                            );
                            joins.joined.push((prefix, joined.clone(), destination.table, text));
                            joined
                        }
                    };
                    current = destination.entity;
                    if last {
                        return Some(PathEnd::Object { alias, table: destination.table });
                    }
                }
            }
        }
        None
    }

    /// Runs a compiled rows statement and decodes its groups; `None` if SQLite reported an
    /// integer overflow in `sum()`.
    fn query_rows(
        &self,
        conn: &Connection,
        plan: &FetchPlan,
        compiled: &SqlRows,
    ) -> Result<Option<Vec<GroupRow>>, StoreError> {
        let mut statement = conn.prepare_cached(&compiled.sql).db()?;
        for (i, param) in plan.params().iter().enumerate() {
            statement.raw_bind_parameter(i + 1, SqlParam(param)).db()?;
        }
        let mut rows = statement.raw_query();
        let mut groups = Vec::new();
        loop {
            let row = match rows.next() {
                Ok(Some(row)) => row,
                Ok(None) => break,
                Err(e) if e.to_string().contains("integer overflow") => return Ok(None),
                Err(e) => return Err(crate::error::backend(e)),
            };
            let decode = |decoders: &[Decoder]| -> Result<Vec<PropertyValue>, StoreError> {
                decoders.iter().map(|d| self.decode_value(row, d)).collect()
            };
            groups.push(GroupRow { key: decode(&compiled.keys)?, values: decode(&compiled.columns)? });
        }
        Ok(Some(groups))
    }

    fn decode_value(&self, row: &rusqlite::Row<'_>, decoder: &Decoder) -> Result<PropertyValue, StoreError> {
        let get = |i: usize| row.get_ref(i).map_err(|e| self.corrupt(e.to_string()));
        let stored = |i: usize| -> Result<SqlValue, StoreError> {
            Ok(match get(i)? {
                ValueRef::Null => SqlValue::Null,
                ValueRef::Integer(v) => SqlValue::Integer(v),
                ValueRef::Real(v) => SqlValue::Real(v),
                ValueRef::Text(t) => SqlValue::Text(
                    std::str::from_utf8(t).map_err(|e| self.corrupt(e.to_string()))?.to_owned(),
                ),
                ValueRef::Blob(b) => SqlValue::Blob(b.to_vec()),
            })
        };
        let typed = |value: SqlValue, ty: AttributeType| {
            Value::from_sql(value, ty).map_err(|e| self.corrupt(format!("an aggregated value: {e}")))
        };
        Ok(match decoder {
            Decoder::Value { at, ty } => PropertyValue::Value(typed(stored(*at)?, *ty)?),
            Decoder::Object { at, table } => match (stored(*at)?, stored(at + 1)?) {
                (SqlValue::Integer(key), SqlValue::Integer(code)) => {
                    PropertyValue::Object(Some(self.row_id(&self.layout.tables[*table], key, code)?))
                }
                _ => PropertyValue::Object(None),
            },
            Decoder::IntegerAverage { at } => PropertyValue::Value(match (stored(*at)?, stored(at + 1)?) {
                (SqlValue::Integer(sum), SqlValue::Integer(n)) if n > 0 => {
                    Value::Double(sum as f64 / n as f64)
                }
                _ => Value::Null,
            }),
            Decoder::Aggregate { at, function, ty } => {
                let value = stored(*at)?;
                PropertyValue::Value(match (function, ty, value) {
                    (AggregateFunction::Count, _, SqlValue::Integer(n)) => Value::Int64(n),
                    (
                        AggregateFunction::Sum,
                        Some(AttributeType::Double | AttributeType::Float),
                        SqlValue::Null,
                    ) => Value::Double(0.0),
                    (AggregateFunction::Sum, _, SqlValue::Null) => Value::Int64(0),
                    (AggregateFunction::Sum, _, SqlValue::Integer(n)) => Value::Int64(n),
                    (AggregateFunction::Sum | AggregateFunction::Avg, _, SqlValue::Real(x)) => {
                        Value::Double(x)
                    }
                    (AggregateFunction::Avg, _, SqlValue::Integer(n)) => Value::Double(n as f64),
                    (_, _, SqlValue::Null) => Value::Null,
                    (_, Some(ty), value) => typed(value, *ty)?,
                    (_, None, value) => {
                        return Err(self.corrupt(format!("an unexpected aggregate {value:?}")));
                    }
                })
            }
        })
    }
}
