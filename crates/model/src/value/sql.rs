//! The SQL storage form of values, shared by every SQL store.
//!
//! | type | stored as |
//! |---|---|
//! | int16, int32, int64, bool | INTEGER (bool as 0/1) |
//! | double, float | REAL (NaN is refused: SQLite would turn it into NULL) |
//! | decimal | TEXT, normalized (`12.5`) |
//! | string, uri, json | TEXT (json compact) |
//! | date | INTEGER microseconds since 1970-01-01T00:00:00Z |
//! | binary, uuid | BLOB (a uuid's 16 bytes) |

use super::{Value, ValueError};
use crate::AttributeType;

/// A value as SQL holds it: SQLite's five storage classes.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// SQL NULL.
    Null,
    /// A 64-bit integer.
    Integer(i64),
    /// A 64-bit float.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl Value {
    /// The SQL form of this value (see the module table). Fails for NaN floats.
    ///
    /// ```
    /// use strata_model::{SqlValue, Value};
    /// assert_eq!(Value::Bool(true).to_sql().unwrap(), SqlValue::Integer(1));
    /// assert!(Value::Double(f64::NAN).to_sql().is_err());
    /// ```
    pub fn to_sql(&self) -> Result<SqlValue, ValueError> {
        Ok(match self {
            Value::Null => SqlValue::Null,
            Value::Int16(_) | Value::Int32(_) | Value::Int64(_) | Value::Bool(_) => {
                SqlValue::Integer(self.as_i64().expect("integer"))
            }
            Value::Double(_) | Value::Float(_) => {
                let f = self.as_f64().expect("float");
                if f.is_nan() {
                    return Err(ValueError::NotStorable {
                        value: self.to_string(),
                        reason: "SQL has no NaN",
                    });
                }
                SqlValue::Real(f)
            }
            Value::Decimal(d) => SqlValue::Text(d.normalize().to_string()),
            Value::String(s) | Value::Uri(s) => SqlValue::Text(s.clone()),
            Value::Json(j) => SqlValue::Text(j.to_string()),
            Value::Date(d) => SqlValue::Integer(d.unix_micros()),
            Value::Binary(b) => SqlValue::Blob(b.clone()),
            Value::Uuid(u) => SqlValue::Blob(u.as_bytes().to_vec()),
        })
    }

    /// Reads the SQL form of a value of type `ty`. SQL NULL is `Null` for every type.
    /// Fails when the stored class does not fit the type (text in an integer column, a
    /// blob of the wrong length for a uuid, invalid JSON).
    pub fn from_sql(sql: SqlValue, ty: AttributeType) -> Result<Value, ValueError> {
        use AttributeType as T;
        let mismatch = |found: &str| ValueError::TypeMismatch { expected: ty, found: found.to_owned() };
        Ok(match (sql, ty) {
            (SqlValue::Null, _) => Value::Null,
            (SqlValue::Integer(i), T::Int16 | T::Int32 | T::Int64) => Value::Int64(i).coerce(ty)?,
            (SqlValue::Integer(i), T::Bool) => Value::Bool(i != 0),
            (SqlValue::Integer(i), T::Date) => Value::Date(super::Date::from_unix_micros(i)),
            (SqlValue::Integer(i), T::Double) => Value::Double(i as f64),
            (SqlValue::Integer(i), T::Float) => Value::Float(i as f32),
            (SqlValue::Real(f), T::Double) => Value::Double(f),
            (SqlValue::Real(f), T::Float) => Value::Float(f as f32),
            (SqlValue::Integer(i), T::Decimal) => Value::Decimal(i.into()),
            (SqlValue::Text(s), T::Decimal | T::Uuid | T::Date) => Value::String(s).coerce(ty)?,
            (SqlValue::Text(s), T::String) => Value::String(s),
            (SqlValue::Text(s), T::Uri) => Value::Uri(s),
            (SqlValue::Text(s), T::Json) => Value::Json(serde_json::from_str(&s).map_err(|e| {
                ValueError::InvalidText { expected: T::Json, text: s.clone(), reason: e.to_string() }
            })?),
            (SqlValue::Blob(b), T::Binary) => Value::Binary(b),
            (SqlValue::Blob(b), T::Uuid) => Value::Binary(b).coerce(T::Uuid)?,
            (SqlValue::Integer(_), _) => return Err(mismatch("an SQL integer")),
            (SqlValue::Real(_), _) => return Err(mismatch("an SQL real")),
            (SqlValue::Text(_), _) => return Err(mismatch("SQL text")),
            (SqlValue::Blob(_), _) => return Err(mismatch("an SQL blob")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips() {
        let samples = [
            Value::Int16(-3),
            Value::Int64(i64::MAX),
            Value::Double(-0.25),
            Value::Float(3.5),
            Value::Decimal("0.10".parse().unwrap()),
            Value::Bool(false),
            Value::from("x'); DROP TABLE t; --"),
            Value::Date(super::super::Date::from_unix_micros(-1)),
            Value::Binary(vec![]),
            Value::Uuid(uuid::Uuid::from_u128(7)),
            Value::Uri("urn:isbn:1".into()),
            Value::Json(serde_json::json!(null)),
        ];
        for v in samples {
            let ty = v.attribute_type().unwrap();
            let back = Value::from_sql(v.to_sql().unwrap(), ty).unwrap();
            assert!(back.equals(&v) || matches!(v, Value::Json(_)), "{v:?} came back as {back:?}");
            assert_eq!(back.attribute_type(), Some(ty));
        }
    }

    #[test]
    fn rejects_wrong_classes() {
        assert!(Value::from_sql(SqlValue::Text("x".into()), AttributeType::Int64).is_err());
        assert!(Value::from_sql(SqlValue::Blob(vec![1]), AttributeType::Uuid).is_err());
        assert!(Value::from_sql(SqlValue::Integer(1 << 40), AttributeType::Int32).is_err());
        assert!(Value::from_sql(SqlValue::Text("{".into()), AttributeType::Json).is_err());
    }
}
