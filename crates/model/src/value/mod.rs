//! [`Value`]: the value of one attribute, and its conversions to Rust types, JSON and SQL.
//!
//! One concept per file: `date.rs` holds [`Date`], `rust.rs` the conversions to and from
//! Rust types, `json.rs` the JSON form, `sql.rs` the SQL storage form, `compare.rs` the
//! comparison rules every back-end shares. Nothing here knows about stores or contexts.

mod compare;
mod date;
mod json;
mod rust;
mod sql;

use std::fmt;

pub use compare::StorageClass;
pub use date::Date;
pub use rust::FromValue;
pub use rust_decimal::Decimal;
pub use sql::SqlValue;
pub use uuid::Uuid;

use crate::AttributeType;

/// The value of an attribute: one variant per [`AttributeType`], plus `Null`.
///
/// ```
/// use strata_model::{AttributeType, Value};
/// let v = Value::from("Tea");
/// assert_eq!(v.attribute_type(), Some(AttributeType::String));
/// assert_eq!(Value::from(Some(3_i32)), Value::Int32(3));
/// assert_eq!(Value::from(None::<i32>), Value::Null);
/// ```
/// `PartialEq` is structural (`Int16(1) != Int32(1)`); the predicate language's equality,
/// which compares numbers across types, is [`Value::equals`].
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Value {
    /// No value (`nil`).
    #[default]
    Null,
    /// An `int16` value.
    Int16(i16),
    /// An `int32` value.
    Int32(i32),
    /// An `int64` value.
    Int64(i64),
    /// A `double` value.
    Double(f64),
    /// A `float` value.
    Float(f32),
    /// A `decimal` value.
    Decimal(Decimal),
    /// A `bool` value.
    Bool(bool),
    /// A `string` value.
    String(String),
    /// A `date` value.
    Date(Date),
    /// A `binary` value.
    Binary(Vec<u8>),
    /// A `uuid` value.
    Uuid(Uuid),
    /// A `uri` value (an absolute URI, kept as text).
    Uri(String),
    /// A `json` value.
    Json(serde_json::Value),
}

/// Why a value could not be converted, stored or parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The value has another type than the one required.
    #[error("expected a {expected} value, found {found}")]
    TypeMismatch {
        /// The type required.
        expected: AttributeType,
        /// What was found (a type name, `null`, or a JSON kind).
        found: String,
    },
    /// A number does not fit the target type.
    #[error("{value} is out of range for {target}")]
    OutOfRange {
        /// The target type.
        target: AttributeType,
        /// The number, as text.
        value: String,
    },
    /// Text that does not parse as the target type.
    #[error("{text:?} is not a valid {expected}: {reason}")]
    InvalidText {
        /// The type that was being parsed.
        expected: AttributeType,
        /// The offending text.
        text: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A value no store can keep faithfully (a NaN double, say).
    #[error("{value} cannot be stored: {reason}")]
    NotStorable {
        /// The value, as text.
        value: String,
        /// Why not.
        reason: &'static str,
    },
}

impl Value {
    /// The attribute type this value belongs to; `None` for `Null`.
    pub fn attribute_type(&self) -> Option<AttributeType> {
        Some(match self {
            Value::Null => return None,
            Value::Int16(_) => AttributeType::Int16,
            Value::Int32(_) => AttributeType::Int32,
            Value::Int64(_) => AttributeType::Int64,
            Value::Double(_) => AttributeType::Double,
            Value::Float(_) => AttributeType::Float,
            Value::Decimal(_) => AttributeType::Decimal,
            Value::Bool(_) => AttributeType::Bool,
            Value::String(_) => AttributeType::String,
            Value::Date(_) => AttributeType::Date,
            Value::Binary(_) => AttributeType::Binary,
            Value::Uuid(_) => AttributeType::Uuid,
            Value::Uri(_) => AttributeType::Uri,
            Value::Json(_) => AttributeType::Json,
        })
    }

    /// The name of this value's type for messages: the attribute type name, or `null`.
    pub fn type_name(&self) -> &'static str {
        self.attribute_type().map_or("null", AttributeType::name)
    }

    /// Whether this is `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The text of a `String` or `Uri` value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::Uri(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an `i64` if it is an integer or bool.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int16(v) => Some(v.into()),
            Value::Int32(v) => Some(v.into()),
            Value::Int64(v) => Some(v),
            Value::Bool(b) => Some(b.into()),
            _ => None,
        }
    }

    /// The value as an `f64` if it is numeric (integers, floats, decimal, bool).
    pub fn as_f64(&self) -> Option<f64> {
        use rust_decimal::prelude::ToPrimitive;
        match *self {
            Value::Double(v) => Some(v),
            Value::Float(v) => Some(v.into()),
            Value::Decimal(d) => d.to_f64(),
            _ => self.as_i64().map(|v| v as f64),
        }
    }

    /// Converts this value to `target`, the way a literal or imported value is fitted to an
    /// attribute: integers widen or narrow with a range check, integral floats become
    /// integers, numbers become decimals, text parses as date / uuid / uri / decimal.
    /// `Null` stays `Null`.
    ///
    /// ```
    /// use strata_model::{AttributeType, Value};
    /// assert_eq!(Value::Int64(7).coerce(AttributeType::Int16).unwrap(), Value::Int16(7));
    /// assert!(Value::Int64(70_000).coerce(AttributeType::Int16).is_err());
    /// assert!(Value::from("x").coerce(AttributeType::Bool).is_err());
    /// ```
    pub fn coerce(self, target: AttributeType) -> Result<Value, ValueError> {
        rust::coerce(self, target)
    }
}

impl fmt::Display for Value {
    /// Writes the value the way the predicate language would spell it as a literal where
    /// one exists (strings quoted, `nil`, `YES`/`NO`), else a readable form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("nil"),
            Value::Int16(v) => write!(f, "{v}"),
            Value::Int32(v) => write!(f, "{v}"),
            Value::Int64(v) => write!(f, "{v}"),
            Value::Double(v) => write!(f, "{v:?}"),
            Value::Float(v) => write!(f, "{v:?}"),
            Value::Decimal(v) => write!(f, "{v}"),
            Value::Bool(true) => f.write_str("YES"),
            Value::Bool(false) => f.write_str("NO"),
            Value::String(s) | Value::Uri(s) => write!(f, "{s:?}"),
            Value::Date(d) => write!(f, "CAST({:?}, \"NSDate\")", d.reference_seconds()),
            Value::Binary(b) => write!(f, "<{} bytes>", b.len()),
            Value::Uuid(u) => write!(f, "{u}"),
            Value::Json(j) => write!(f, "{j}"),
        }
    }
}
