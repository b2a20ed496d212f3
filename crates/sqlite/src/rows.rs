//! Values in and out of SQLite: binding [`Value`]s and [`SqlValue`]s as statement
//! parameters without copying their text, and decoding a row read with a table's row select
//! list into a [`Snapshot`].
//!
//! The storage form is `Value::to_sql` / `Value::from_sql`'s (strata-model); this module
//! only moves bytes between that form and rusqlite, and must never store a value in any
//! other form.

use std::rc::Rc;
use std::sync::Arc;

use rusqlite::types::{ToSql, ToSqlOutput, Value as DbValue, ValueRef};
use strata_core::{ObjectId, Snapshot, StoreError};
use strata_model::{AttributeType, Date, EntityIndex, SqlValue, Uuid, Value};

use crate::layout::{Destination, RelationshipSlot, SELECT_ENTITY, SELECT_KEY, SELECT_VERSION, TableLayout};
use crate::store::Shared;

/// A [`Value`] as a statement parameter, stored as `Value::to_sql` says. Text and bytes are
/// borrowed, not copied, and numbers bound as they are, without an owned [`SqlValue`].
pub(crate) struct ValueParam<'a>(pub &'a Value);

impl ToSql for ValueParam<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        // Every arm but the last is exactly `Value::to_sql`'s form (the test below checks);
        // this runs for every value of every saved row.
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Null => ValueRef::Null,
            Value::Int16(i) => ValueRef::Integer(i64::from(*i)),
            Value::Int32(i) => ValueRef::Integer(i64::from(*i)),
            Value::Int64(i) => ValueRef::Integer(*i),
            Value::Bool(b) => ValueRef::Integer(i64::from(*b)),
            Value::Date(d) => ValueRef::Integer(d.unix_micros()),
            Value::Double(f) if !f.is_nan() => ValueRef::Real(*f),
            Value::Float(f) if !f.is_nan() => ValueRef::Real(f64::from(*f)),
            Value::String(s) | Value::Uri(s) => ValueRef::Text(s.as_bytes()),
            Value::Binary(b) => ValueRef::Blob(b),
            Value::Uuid(u) => ValueRef::Blob(u.as_bytes()),
            // Decimals and JSON are formatted, NaN refused, by `Value::to_sql` itself.
            other => {
                return Ok(ToSqlOutput::Owned(db_value(
                    other.to_sql().map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
                )));
            }
        }))
    }
}

/// An [`SqlValue`] (a compiled predicate's parameter) as a statement parameter.
pub(crate) struct SqlParam<'a>(pub &'a SqlValue);

impl ToSql for SqlParam<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            SqlValue::Null => ValueRef::Null,
            SqlValue::Integer(i) => ValueRef::Integer(*i),
            SqlValue::Real(f) => ValueRef::Real(*f),
            SqlValue::Text(s) => ValueRef::Text(s.as_bytes()),
            SqlValue::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn db_value(value: SqlValue) -> DbValue {
    match value {
        SqlValue::Null => DbValue::Null,
        SqlValue::Integer(i) => DbValue::Integer(i),
        SqlValue::Real(f) => DbValue::Real(f),
        SqlValue::Text(s) => DbValue::Text(s),
        SqlValue::Blob(b) => DbValue::Blob(b),
    }
}

/// A list of keys as one `rarray(?)` parameter.
pub(crate) fn key_array(keys: impl IntoIterator<Item = i64>) -> rusqlite::vtab::array::Array {
    Rc::new(keys.into_iter().map(DbValue::Integer).collect())
}

/// A column decoded straight from SQLite's borrowed value, for the storage classes and
/// types where that is exactly what `Value::from_sql` returns: it skips the owned
/// [`SqlValue`] in between (a copy of every blob, e.g. each UUID). `None` means "ask
/// `Value::from_sql`", which then also reports what does not fit.
fn direct_value(value: ValueRef<'_>, ty: AttributeType) -> Option<Value> {
    use AttributeType as T;
    Some(match (value, ty) {
        (ValueRef::Null, _) => Value::Null,
        (ValueRef::Integer(i), T::Int64) => Value::Int64(i),
        (ValueRef::Integer(i), T::Bool) => Value::Bool(i != 0),
        (ValueRef::Integer(i), T::Date) => Value::Date(Date::from_unix_micros(i)),
        (ValueRef::Real(f), T::Double) => Value::Double(f),
        (ValueRef::Text(t), T::String) => Value::String(std::str::from_utf8(t).ok()?.to_owned()),
        (ValueRef::Text(t), T::Uri) => Value::Uri(std::str::from_utf8(t).ok()?.to_owned()),
        (ValueRef::Blob(b), T::Binary) => Value::Binary(b.to_vec()),
        (ValueRef::Blob(b), T::Uuid) => Value::Uuid(Uuid::from_slice(b).ok()?),
        _ => return None,
    })
}

/// The stored form of a column, as `Value::from_sql` reads it.
fn sql_value(value: ValueRef<'_>) -> Result<SqlValue, std::str::Utf8Error> {
    Ok(match value {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Integer(i) => SqlValue::Integer(i),
        ValueRef::Real(f) => SqlValue::Real(f),
        ValueRef::Text(t) => SqlValue::Text(std::str::from_utf8(t)?.to_owned()),
        ValueRef::Blob(b) => SqlValue::Blob(b.to_vec()),
    })
}

impl Shared {
    /// The ID of the row with `key` and entity code `code` in `table`, checking both.
    pub(crate) fn row_id(&self, table: &TableLayout, key: i64, code: i64) -> Result<ObjectId, StoreError> {
        let entity =
            u16::try_from(code).ok().map(EntityIndex).filter(|e| table.entities.contains(e)).ok_or_else(
                || self.corrupt(format!("row {key} of {} has entity code {code}", table.raw_name)),
            )?;
        ObjectId::permanent(self.store_id, entity, key)
            .ok_or_else(|| self.corrupt(format!("row of {} has key {key}", table.raw_name)))
    }

    /// Decodes a row read with `table.row_select`.
    pub(crate) fn decode_row(
        &self,
        table: &TableLayout,
        row: &rusqlite::Row<'_>,
    ) -> Result<Arc<Snapshot>, StoreError> {
        let get = |i: usize| row.get_ref(i).map_err(|e| self.corrupt(e.to_string()));
        let integer = |i: usize| -> Result<Option<i64>, StoreError> {
            match get(i)? {
                ValueRef::Null => Ok(None),
                ValueRef::Integer(v) => Ok(Some(v)),
                other => Err(self.corrupt(format!("a {:?} value where a key belongs", other.data_type()))),
            }
        };
        let key = integer(SELECT_KEY)?.unwrap_or_default();
        let code = integer(SELECT_ENTITY)?.unwrap_or(-1);
        let id = self.row_id(table, key, code)?;
        let version = integer(SELECT_VERSION)?
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| self.corrupt(format!("row {key} of {} has no valid version", table.raw_name)))?;
        let layout = &self.layout.entities[id.entity().get()];
        let mut values = Vec::with_capacity(layout.attributes.len());
        for (slot, attribute) in layout.attributes.iter().zip(self.model.entity_at(id.entity()).attributes())
        {
            let column = get(slot.select)?;
            if let Some(value) = direct_value(column, slot.ty) {
                values.push(value);
                continue;
            }
            let stored = sql_value(column).map_err(|e| self.corrupt(e.to_string()))?;
            let value = Value::from_sql(stored, slot.ty).map_err(|e| {
                self.corrupt(format!("{} {key}, attribute {}: {e}", table.raw_name, attribute.name()))
            })?;
            values.push(value);
        }
        let mut to_one = Vec::with_capacity(layout.relationships.len());
        for slot in &layout.relationships {
            let destination = match slot {
                RelationshipSlot::Owned { select, destination, .. }
                | RelationshipSlot::Partner { select, destination, .. } => match integer(*select)? {
                    Some(k) => Some(self.destination_id(destination, k, &integer)?),
                    None => None,
                },
                RelationshipSlot::InverseKey { .. } | RelationshipSlot::Join { .. } => None,
            };
            to_one.push(destination);
        }
        Ok(Arc::new(Snapshot::new(id, version, values, to_one)))
    }

    /// The ID of the destination row with `key`. A polymorphic destination's entity comes
    /// from its own row; a dangling key (the `noAction` delete rule allows them) keeps the
    /// declared destination entity, and look-ups answer that it does not exist.
    fn destination_id(
        &self,
        destination: &Destination,
        key: i64,
        integer: &dyn Fn(usize) -> Result<Option<i64>, StoreError>,
    ) -> Result<ObjectId, StoreError> {
        let mut entity = destination.entity;
        if let Some(select) = destination.entity_select
            && let Some(code) = integer(select)?
        {
            entity = self.row_id(&self.layout.tables[destination.table], key, code)?.entity();
        }
        ObjectId::permanent(self.store_id, entity, key)
            .ok_or_else(|| self.corrupt(format!("a relationship holds key {key}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_model::Decimal;

    /// The borrowed fast path must bind exactly what `Value::to_sql` stores.
    #[test]
    fn value_params_bind_the_storage_form() {
        let values = [
            Value::Null,
            Value::Int16(-2),
            Value::Int32(7),
            Value::Int64(i64::MIN),
            Value::Double(-0.5),
            Value::Float(1.25),
            Value::Float(0.1),
            Value::Double(f64::NEG_INFINITY),
            Value::Decimal(Decimal::new(12_345, 2)),
            Value::Bool(true),
            Value::Bool(false),
            Value::from("naïve"),
            Value::Date(Date::from_unix_micros(-3)),
            Value::Binary(vec![0, 1, 255]),
            Value::Uuid(Uuid::from_u128(9)),
            Value::Uri("https://example.com".into()),
            Value::Json(serde_json::json!({"a": [1, null]})),
        ];
        for value in values {
            let bound = match ValueParam(&value).to_sql().expect("binds") {
                ToSqlOutput::Borrowed(r) => sql_value(r).expect("utf-8"),
                ToSqlOutput::Owned(v) => sql_value(ValueRef::from(&v)).expect("utf-8"),
                other => panic!("unexpected output {other:?}"),
            };
            assert_eq!(bound, value.to_sql().expect("storable"), "{value:?}");
        }
        assert!(ValueParam(&Value::Double(f64::NAN)).to_sql().is_err(), "NaN is refused, as to_sql does");
        assert!(ValueParam(&Value::Float(f32::NAN)).to_sql().is_err(), "NaN is refused, as to_sql does");
    }

    /// The direct decoding must answer exactly what `Value::from_sql` answers, and leave
    /// everything else (other types, bad UTF-8, a blob that is not 16 bytes) to it.
    #[test]
    fn direct_decoding_equals_from_sql() {
        use AttributeType as T;
        let columns = [
            DbValue::Null,
            DbValue::Integer(0),
            DbValue::Integer(-7),
            DbValue::Integer(1 << 40),
            DbValue::Real(-0.5),
            DbValue::Text("naïve".into()),
            DbValue::Text("00000000-0000-0000-0000-000000000009".into()),
            DbValue::Blob(vec![]),
            DbValue::Blob(Uuid::from_u128(9).as_bytes().to_vec()),
            DbValue::Blob(vec![1, 2, 3]),
        ];
        let types = [
            T::Int16,
            T::Int32,
            T::Int64,
            T::Double,
            T::Float,
            T::Decimal,
            T::Bool,
            T::String,
            T::Date,
            T::Binary,
            T::Uuid,
            T::Uri,
            T::Json,
        ];
        let mut direct = 0;
        for column in &columns {
            for ty in types {
                let reference = Value::from_sql(sql_value(ValueRef::from(column)).expect("utf-8"), ty);
                if let Some(value) = direct_value(ValueRef::from(column), ty) {
                    direct += 1;
                    assert_eq!(Ok(&value), reference.as_ref(), "{column:?} as {ty:?}");
                }
            }
        }
        assert!(direct >= 10, "the fast path decoded only {direct} cases");
        let bad_utf8 = [0xff_u8, 0xfe];
        assert_eq!(direct_value(ValueRef::Text(&bad_utf8), T::String), None);
        assert_eq!(direct_value(ValueRef::Blob(&[1, 2, 3]), T::Uuid), None);
    }
}
