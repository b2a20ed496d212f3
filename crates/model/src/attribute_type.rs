//! The attribute types a model may declare, and what each one stores.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The type of an attribute, as written in a model file (`"type": "string"`).
///
/// Every [`Value`](crate::Value) variant but `Null` corresponds to exactly one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttributeType {
    /// 16-bit signed integer.
    Int16,
    /// 32-bit signed integer.
    Int32,
    /// 64-bit signed integer.
    Int64,
    /// 64-bit IEEE float.
    Double,
    /// 32-bit IEEE float.
    Float,
    /// Exact decimal number (28 significant digits).
    Decimal,
    /// Boolean.
    Bool,
    /// UTF-8 text.
    String,
    /// A point in time, with microsecond precision.
    Date,
    /// Raw bytes.
    Binary,
    /// A UUID.
    Uuid,
    /// An absolute URI, kept as text.
    Uri,
    /// Any JSON document.
    Json,
}

impl AttributeType {
    /// Every type, in declaration order.
    pub const ALL: [AttributeType; 13] = [
        AttributeType::Int16,
        AttributeType::Int32,
        AttributeType::Int64,
        AttributeType::Double,
        AttributeType::Float,
        AttributeType::Decimal,
        AttributeType::Bool,
        AttributeType::String,
        AttributeType::Date,
        AttributeType::Binary,
        AttributeType::Uuid,
        AttributeType::Uri,
        AttributeType::Json,
    ];

    /// The name used in model files.
    pub fn name(self) -> &'static str {
        match self {
            AttributeType::Int16 => "int16",
            AttributeType::Int32 => "int32",
            AttributeType::Int64 => "int64",
            AttributeType::Double => "double",
            AttributeType::Float => "float",
            AttributeType::Decimal => "decimal",
            AttributeType::Bool => "bool",
            AttributeType::String => "string",
            AttributeType::Date => "date",
            AttributeType::Binary => "binary",
            AttributeType::Uuid => "uuid",
            AttributeType::Uri => "uri",
            AttributeType::Json => "json",
        }
    }

    /// Integer types (int16, int32, int64).
    pub fn is_integer(self) -> bool {
        matches!(self, AttributeType::Int16 | AttributeType::Int32 | AttributeType::Int64)
    }

    /// Types compared as numbers: integers, floats, decimal and bool (as 0/1).
    pub fn is_numeric(self) -> bool {
        self.is_integer()
            || matches!(
                self,
                AttributeType::Double | AttributeType::Float | AttributeType::Decimal | AttributeType::Bool
            )
    }

    /// Types that string operators (BEGINSWITH, LIKE, …) apply to.
    pub fn is_textual(self) -> bool {
        matches!(self, AttributeType::String | AttributeType::Uri)
    }
}

impl fmt::Display for AttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error for a type name that is not one of the thirteen attribute types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown attribute type {name:?} (expected one of int16, int32, int64, double, float, decimal, bool, string, date, binary, uuid, uri, json)"
)]
pub struct UnknownAttributeType {
    /// The name that was given.
    pub name: String,
}

impl FromStr for AttributeType {
    type Err = UnknownAttributeType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AttributeType::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| UnknownAttributeType { name: s.to_owned() })
    }
}
