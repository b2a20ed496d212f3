//! A real SQLite database mirroring a [`TestGraph`]: the default schema's DDL, every object
//! inserted as a row, predicates and sorts run through the compiler. Shared by the SQL,
//! sort, injection and differential tests.

use std::collections::HashMap;

use rusqlite::Connection;
use rusqlite::types::Value as Param;
use strata_model::{EntityIndex, Model, SqlValue, Value};
use strata_predicate::sql::{
    ColumnKind, CompiledPredicate, DefaultSchema, Dialect, SqlSchema, compile_order_by, compile_where,
    entity_filter, quote_identifier, register_functions,
};
use strata_predicate::{Field, ObjectView, Predicate, SortDescriptor, compare_objects};

use crate::support::{TestGraph, TestObject};

/// An in-memory SQLite database holding a test graph in the default layout.
pub struct Db {
    pub conn: Connection,
    pub model: Model,
    pub schema: DefaultSchema,
    objects: HashMap<i64, TestObject>,
}

pub fn param(value: &SqlValue) -> Param {
    match value {
        SqlValue::Null => Param::Null,
        SqlValue::Integer(i) => Param::Integer(*i),
        SqlValue::Real(f) => Param::Real(*f),
        SqlValue::Text(s) => Param::Text(s.clone()),
        SqlValue::Blob(b) => Param::Blob(b.clone()),
    }
}

impl Db {
    /// The tables of `model`, empty, with the Strata functions registered.
    pub fn new(model: Model) -> Db {
        let conn = Connection::open_in_memory().expect("open SQLite");
        register_functions(&conn).expect("register functions");
        let schema = DefaultSchema::new(&model);
        for statement in schema.create_statements(Dialect::Sqlite) {
            conn.execute(&statement, []).unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        Db { conn, model, schema, objects: HashMap::new() }
    }

    /// The tables of `model` holding every object of `graph`.
    pub fn with_graph(model: Model, graph: &TestGraph) -> Db {
        let mut db = Db::new(model);
        db.insert_graph(graph);
        db
    }

    pub fn entity(&self, name: &str) -> EntityIndex {
        self.model.entity(name).map(|e| e.index()).unwrap_or_else(|| panic!("no entity {name}"))
    }

    /// Inserts every object of `graph` whose entity the model has: attributes as
    /// `Value::to_sql` stores them, to-one keys, join-table rows.
    pub fn insert_graph(&mut self, graph: &TestGraph) {
        let model = &self.model;
        for entity in model.entities() {
            let table = self.schema.table_of(entity.index()).expect("table");
            for object in graph.objects(entity.name()) {
                let mut columns = vec!["Z_PK".to_owned(), "Z_ENT".to_owned(), "Z_OPT".to_owned()];
                let mut values = vec![
                    Param::Integer(object.id()),
                    Param::Integer(i64::from(entity.index().0)),
                    Param::Integer(1),
                ];
                for column in &table.columns {
                    let value = match &column.kind {
                        ColumnKind::Attribute { entity: declaring, attribute, .. }
                            if model.is_kind_of(entity.index(), *declaring) =>
                        {
                            match object.field(attribute).expect("attribute") {
                                Field::Value(v) => param(&v.to_sql().expect("storable")),
                                _ => panic!("{attribute} is not an attribute in the test graph"),
                            }
                        }
                        ColumnKind::ForeignKey { entity: declaring, relationship, .. }
                            if model.is_kind_of(entity.index(), *declaring) =>
                        {
                            match object.field(relationship).expect("relationship") {
                                Field::ToOne(o) => o.map_or(Param::Null, |o| Param::Integer(o.id())),
                                _ => panic!("{relationship} is not to-one in the test graph"),
                            }
                        }
                        _ => continue,
                    };
                    columns.push(column.name.clone());
                    values.push(value);
                }
                let columns: Vec<String> = columns.iter().map(|c| quote_identifier(c)).collect();
                let marks: Vec<String> = (1..=values.len()).map(|i| format!("?{i}")).collect();
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    quote_identifier(&table.name),
                    columns.join(", "),
                    marks.join(", ")
                );
                self.conn
                    .execute(&sql, rusqlite::params_from_iter(values))
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                self.objects.insert(object.id(), object);
            }
        }
        for join in self.schema.join_tables() {
            let sql = format!(
                "INSERT INTO {} (\"Z_SOURCE\", \"Z_TARGET\") VALUES (?1, ?2)",
                quote_identifier(&join.name)
            );
            for kind in model.descendants(join.entity) {
                for object in graph.objects(model.entity_at(kind).name()) {
                    let Field::ToMany(targets) = object.field(&join.relationship).expect("to-many") else {
                        panic!("{} is not to-many in the test graph", join.relationship);
                    };
                    for target in targets {
                        self.conn.execute(&sql, [object.id(), target.id()]).expect("join row");
                    }
                }
            }
        }
    }

    /// Compiles `predicate` for `entity`.
    pub fn compile(&self, entity: EntityIndex, predicate: &Predicate) -> CompiledPredicate {
        compile_where(predicate, &self.model, entity, &self.schema, Dialect::Sqlite, "t0")
            .unwrap_or_else(|e| panic!("compiling {predicate}: {e}"))
    }

    /// The ids of objects of `entity` (sub-entities included) matching `predicate`, through
    /// SQL plus the residual evaluated in memory, in id order. SQL and evaluation errors are
    /// returned as text.
    pub fn ids(&self, entity: EntityIndex, predicate: &Predicate) -> Result<Vec<i64>, String> {
        let compiled = self.compile(entity, predicate);
        let table = self.schema.table(entity).expect("table");
        let mut conditions: Vec<String> = Vec::new();
        conditions.extend(entity_filter(&self.model, entity, &self.schema, "t0").expect("filter"));
        conditions.extend(compiled.sql.clone());
        let mut sql = format!("SELECT \"t0\".\"Z_PK\" FROM {} \"t0\"", quote_identifier(table));
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(" ORDER BY \"t0\".\"Z_PK\"");
        let ids = self.query_ids(&sql, &compiled.params)?;
        let Some(residual) = &compiled.residual else { return Ok(ids) };
        let mut kept = Vec::new();
        for id in ids {
            if residual.evaluate(&self.objects[&id]).map_err(|e| format!("residual: {e}"))? {
                kept.push(id);
            }
        }
        Ok(kept)
    }

    pub fn query_ids(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<i64>, String> {
        let mut statement = self.conn.prepare(sql).map_err(|e| format!("{sql}: {e}"))?;
        let rows = statement
            .query_map(rusqlite::params_from_iter(params.iter().map(param)), |row| row.get::<_, i64>(0))
            .map_err(|e| format!("{sql}: {e}"))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| format!("{sql}: {e}"))
    }

    /// The ids of every object of `entity` ordered by `sorts` in SQL (in memory when the
    /// compiler says so), ties by id.
    pub fn sorted_ids(&self, entity: EntityIndex, sorts: &[SortDescriptor]) -> Result<Vec<i64>, String> {
        let order = compile_order_by(sorts, &self.model, entity, &self.schema, Dialect::Sqlite, "t0")
            .map_err(|e| e.to_string())?;
        let table = self.schema.table(entity).expect("table");
        let mut sql = format!("SELECT \"t0\".\"Z_PK\" FROM {} \"t0\"", quote_identifier(table));
        if let Some(filter) = entity_filter(&self.model, entity, &self.schema, "t0").expect("filter") {
            sql.push_str(" WHERE ");
            sql.push_str(&filter);
        }
        sql.push_str(" ORDER BY ");
        sql.push_str(&order.sql);
        let ids = self.query_ids(&sql, &[])?;
        if !order.in_memory {
            return Ok(ids);
        }
        let mut objects: Vec<&TestObject> = ids.iter().map(|id| &self.objects[id]).collect();
        let mut failure = None;
        objects.sort_by(|a, b| {
            compare_objects(sorts, *a, *b).unwrap_or_else(|e| {
                failure = Some(e.to_string());
                std::cmp::Ordering::Equal
            })
        });
        match failure {
            Some(e) => Err(e),
            None => Ok(objects.iter().map(|o| o.id()).collect()),
        }
    }
}

/// The ids of `objects` matching `predicate` in memory, errors as text.
pub fn memory_ids(predicate: &Predicate, objects: &[TestObject]) -> Result<Vec<i64>, String> {
    let mut ids = Vec::new();
    for object in objects {
        if predicate.evaluate(object).map_err(|e| e.to_string())? {
            ids.push(object.id());
        }
    }
    Ok(ids)
}

/// `objects` ordered in memory by `sorts`, ties by id.
pub fn memory_sorted_ids(sorts: &[SortDescriptor], objects: &[TestObject]) -> Result<Vec<i64>, String> {
    let mut sorted: Vec<&TestObject> = objects.iter().collect();
    let mut failure = None;
    sorted.sort_by(|a, b| {
        compare_objects(sorts, *a, *b)
            .unwrap_or_else(|e| {
                failure = Some(e.to_string());
                std::cmp::Ordering::Equal
            })
            .then_with(|| a.id().cmp(&b.id()))
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(sorted.iter().map(|o| o.id()).collect()),
    }
}

/// The value of a text parameter, for assertions.
pub fn text(value: &str) -> SqlValue {
    SqlValue::Text(value.to_owned())
}

/// `Value` shorthand for attribute lists.
pub fn v(value: impl Into<Value>) -> Value {
    value.into()
}
