//! Naming a uniqueness violation: when a unique index refuses a row, find which of the
//! entity's constraints it was and which stored row holds the same values, so the caller
//! gets `StoreError::Uniqueness` with the entity, the properties, the object (its temporary
//! ID for an insert) and the existing object.
//!
//! Runs only after a refusal, inside the save's transaction (the refused statement alone
//! was undone), and only reads.

use rusqlite::types::ToSql;
use strata_core::StoreError;
use strata_model::Value;

use super::write::Writes;
use crate::error::DbResult;
use crate::layout::Named;
use crate::rows::ValueParam;

/// The row whose write was refused.
#[derive(Debug, Clone, Copy)]
pub(super) enum Written {
    /// `request.inserted[i]`.
    Insert(usize),
    /// `request.updated[i]`.
    Update(usize),
}

/// A constrained value as the refused write would have stored it.
enum NewValue<'v> {
    /// An attribute value.
    Value(&'v Value),
    /// A foreign key (or `None` for an empty to-one).
    Key(Option<i64>),
    /// Not written: the stored value stays.
    Stored,
}

impl Writes<'_> {
    /// The uniqueness error for a refused write, or `None` if no constraint explains it.
    pub(super) fn uniqueness_error(&self, written: Written) -> Result<Option<StoreError>, StoreError> {
        let (id, key) = match written {
            Written::Insert(i) => {
                let row = &self.request.inserted[i];
                (row.id, self.key(row.id))
            }
            Written::Update(i) => {
                let row = &self.request.updated[i];
                (row.id, self.key(row.id))
            }
        };
        let layout = &self.shared.layout.entities[id.entity().get()];
        let table = &self.shared.layout.tables[layout.table];
        'constraints: for constraint in &layout.unique {
            let mut sql = format!(
                "SELECT \"o\".\"Z_PK\", \"o\".\"Z_ENT\" FROM {} AS \"o\" WHERE \"o\".\"Z_PK\" <> ?1",
                table.name
            );
            if let Some(codes) = &constraint.entity_codes {
                let codes: Vec<String> = codes.iter().map(i64::to_string).collect();
                sql.push_str(&format!(" AND \"o\".\"Z_ENT\" IN ({})", codes.join(", ")));
            }
            let mut params: Vec<Box<dyn ToSql + '_>> = vec![Box::new(key)];
            for (column, named) in &constraint.columns {
                match self.new_value(written, *named) {
                    // Rows with a nil among the constrained values never collide.
                    NewValue::Value(Value::Null) | NewValue::Key(None) => continue 'constraints,
                    NewValue::Value(v) => params.push(Box::new(ValueParam(v))),
                    NewValue::Key(Some(k)) => params.push(Box::new(k)),
                    NewValue::Stored => {
                        sql.push_str(&format!(
                            " AND \"o\".{column} = (SELECT {column} FROM {} WHERE \"Z_PK\" = ?1)",
                            table.name
                        ));
                        continue;
                    }
                }
                sql.push_str(&format!(" AND \"o\".{column} = ?{}", params.len()));
            }
            sql.push_str(" LIMIT 1");
            let mut statement = self.conn.prepare(&sql).db()?;
            let mut rows = statement.query(rusqlite::params_from_iter(params.iter())).db()?;
            let Some(row) = rows.next().db()? else { continue };
            let (other_key, code): (i64, i64) = (row.get(0).db()?, row.get(1).db()?);
            let other = self.shared.row_id(table, other_key, code)?;
            let touched =
                self.permanent.contains(&other) || self.request.updated.iter().any(|u| u.id == other);
            return Ok(Some(StoreError::Uniqueness {
                entity: constraint.entity.clone(),
                properties: constraint.properties.clone(),
                id,
                existing: (!touched).then_some(other),
            }));
        }
        Ok(None)
    }

    fn new_value(&self, written: Written, named: Named) -> NewValue<'_> {
        match (written, named) {
            (Written::Insert(i), Named::Attribute(a)) => {
                let values = self
                    .plan
                    .inserted_values
                    .get(i)
                    .and_then(Option::as_ref)
                    .unwrap_or(&self.request.inserted[i].values);
                values.get(a).map_or(NewValue::Value(&Value::Null), NewValue::Value)
            }
            (Written::Insert(i), Named::Relationship(r)) => {
                let destination = self.request.inserted[i].to_one.get(r).copied().flatten();
                NewValue::Key(destination.map(|d| self.key(d)))
            }
            (Written::Update(i), Named::Attribute(a)) => {
                let values = self
                    .plan
                    .updated_values
                    .get(i)
                    .and_then(Option::as_ref)
                    .unwrap_or(&self.request.updated[i].values);
                // The last assignment of an attribute is the one SQL keeps.
                values
                    .iter()
                    .rev()
                    .find(|(n, _)| *n == a)
                    .map_or(NewValue::Stored, |(_, v)| NewValue::Value(v))
            }
            (Written::Update(i), Named::Relationship(r)) => {
                let changes = &self.request.updated[i].to_one;
                changes
                    .iter()
                    .rev()
                    .find(|(n, _)| *n == r)
                    .map_or(NewValue::Stored, |(_, d)| NewValue::Key(d.map(|d| self.key(d))))
            }
        }
    }
}
