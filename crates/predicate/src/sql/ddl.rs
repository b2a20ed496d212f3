//! The DDL of [`DefaultSchema`]: `CREATE TABLE` and `CREATE INDEX` statements per dialect.
//!
//! Column types follow the storage form of values
//! ([`Value::to_sql`](strata_model::Value::to_sql)); attribute columns are nullable because
//! rows of several entities share a table and contexts validate required attributes before
//! saving. Nothing here executes SQL.

use strata_model::AttributeType;

use super::schema::{ColumnKind, DefaultSchema, Index, JOIN_SOURCE_COLUMN, JOIN_TARGET_COLUMN, Table};
use super::{Dialect, ENTITY_COLUMN, push_identifier, quote_identifier};

impl DefaultSchema {
    /// The statements creating every table and index of this layout, in order (tables
    /// first). Each statement is complete and has no trailing semicolon.
    ///
    /// `Dialect::Sqlite` is what the SQLite store runs; `Dialect::Postgres` gives the same
    /// layout with PostgreSQL types (`BIGINT`, `DOUBLE PRECISION`, `BYTEA`).
    pub fn create_statements(&self, dialect: Dialect) -> Vec<String> {
        let mut out = Vec::new();
        for table in &self.tables {
            out.push(create_table(table, dialect));
        }
        for join in &self.join_tables {
            let int = integer_type(dialect);
            let mut sql = String::from("CREATE TABLE ");
            push_identifier(&mut sql, &join.name);
            sql.push_str(" (");
            push_identifier(&mut sql, JOIN_SOURCE_COLUMN);
            sql.push_str(&format!(" {int} NOT NULL, "));
            push_identifier(&mut sql, JOIN_TARGET_COLUMN);
            sql.push_str(&format!(" {int} NOT NULL, PRIMARY KEY ("));
            push_identifier(&mut sql, JOIN_SOURCE_COLUMN);
            sql.push_str(", ");
            push_identifier(&mut sql, JOIN_TARGET_COLUMN);
            sql.push(')');
            sql.push(')');
            if dialect == Dialect::Sqlite {
                sql.push_str(" WITHOUT ROWID");
            }
            out.push(sql);
        }
        for index in &self.indexes {
            out.push(create_index(index));
        }
        out
    }
}

fn integer_type(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "INTEGER",
        Dialect::Postgres => "BIGINT",
    }
}

/// The column type holding `ty` as [`Value::to_sql`](strata_model::Value::to_sql) stores it.
fn column_type(ty: AttributeType, dialect: Dialect) -> &'static str {
    use AttributeType as T;
    match (ty, dialect) {
        (T::Int16 | T::Int32 | T::Int64 | T::Bool | T::Date, _) => integer_type(dialect),
        (T::Double | T::Float, Dialect::Sqlite) => "REAL",
        (T::Double | T::Float, Dialect::Postgres) => "DOUBLE PRECISION",
        (T::Decimal | T::String | T::Uri | T::Json, _) => "TEXT",
        (T::Binary | T::Uuid, Dialect::Sqlite) => "BLOB",
        (T::Binary | T::Uuid, Dialect::Postgres) => "BYTEA",
    }
}

fn create_table(table: &Table, dialect: Dialect) -> String {
    let mut sql = String::from("CREATE TABLE ");
    push_identifier(&mut sql, &table.name);
    sql.push_str(" (");
    for (i, column) in table.columns.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        push_identifier(&mut sql, &column.name);
        let int = integer_type(dialect);
        match &column.kind {
            ColumnKind::PrimaryKey => sql.push_str(&format!(" {int} PRIMARY KEY")),
            ColumnKind::EntityCode | ColumnKind::Version => sql.push_str(&format!(" {int} NOT NULL")),
            ColumnKind::Attribute { ty, .. } => {
                sql.push(' ');
                sql.push_str(column_type(*ty, dialect));
            }
            ColumnKind::ForeignKey { .. } => {
                sql.push(' ');
                sql.push_str(int);
            }
        }
    }
    sql.push(')');
    sql
}

fn create_index(index: &Index) -> String {
    let mut sql = String::from(if index.unique { "CREATE UNIQUE INDEX " } else { "CREATE INDEX " });
    push_identifier(&mut sql, &index.name);
    sql.push_str(" ON ");
    push_identifier(&mut sql, &index.table);
    sql.push_str(" (");
    let columns: Vec<String> = index.columns.iter().map(|c| quote_identifier(c)).collect();
    sql.push_str(&columns.join(", "));
    sql.push(')');
    if let Some(codes) = &index.entity_codes {
        let codes: Vec<String> = codes.iter().map(i64::to_string).collect();
        sql.push_str(" WHERE ");
        push_identifier(&mut sql, ENTITY_COLUMN);
        sql.push_str(&format!(" IN ({})", codes.join(", ")));
    }
    sql
}
