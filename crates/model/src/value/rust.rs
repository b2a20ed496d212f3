//! Conversions between [`Value`] and Rust types, and coercion between attribute types.

use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use uuid::Uuid;

use super::{Date, Value, ValueError};
use crate::AttributeType;

macro_rules! from_rust {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::$variant(v.into())
            }
        }
    )*};
}

from_rust! {
    i16 => Int16, i32 => Int32, i64 => Int64, f64 => Double, f32 => Float,
    Decimal => Decimal, bool => Bool, String => String, &str => String, Date => Date,
    Vec<u8> => Binary, &[u8] => Binary, Uuid => Uuid, serde_json::Value => Json,
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// A Rust type that can be read out of a [`Value`]: the typed accessors of contexts use it.
///
/// Integers read any integer (or bool) that fits; floats read any number; `Option<T>` reads
/// `Null` as `None`. Anything else is a [`ValueError::TypeMismatch`].
///
/// ```
/// use strata_model::{FromValue, Value};
/// assert_eq!(i64::from_value(&Value::Int16(5)).unwrap(), 5);
/// assert_eq!(Option::<String>::from_value(&Value::Null).unwrap(), None);
/// assert!(String::from_value(&Value::Int16(5)).is_err());
/// ```
pub trait FromValue: Sized {
    /// Reads `value` as `Self`.
    fn from_value(value: &Value) -> Result<Self, ValueError>;
}

fn mismatch(expected: AttributeType, found: &Value) -> ValueError {
    ValueError::TypeMismatch { expected, found: found.type_name().to_owned() }
}

macro_rules! from_value_int {
    ($($t:ty => $ty:ident),*) => {$(
        impl FromValue for $t {
            fn from_value(value: &Value) -> Result<Self, ValueError> {
                let wide = value.as_i64().ok_or_else(|| mismatch(AttributeType::$ty, value))?;
                <$t>::try_from(wide).map_err(|_| ValueError::OutOfRange {
                    target: AttributeType::$ty,
                    value: wide.to_string(),
                })
            }
        }
    )*};
}
from_value_int!(i16 => Int16, i32 => Int32, i64 => Int64);

impl FromValue for f64 {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        value.as_f64().ok_or_else(|| mismatch(AttributeType::Double, value))
    }
}

impl FromValue for f32 {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match *value {
            Value::Float(f) => Ok(f),
            _ => f64::from_value(value).map(|d| d as f32).map_err(|_| mismatch(AttributeType::Float, value)),
        }
    }
}

impl FromValue for bool {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match *value {
            Value::Bool(b) => Ok(b),
            _ => Err(mismatch(AttributeType::Bool, value)),
        }
    }
}

impl FromValue for Decimal {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match *value {
            Value::Decimal(d) => Ok(d),
            _ => match value.as_i64() {
                Some(i) => Ok(Decimal::from(i)),
                None => Err(mismatch(AttributeType::Decimal, value)),
            },
        }
    }
}

impl FromValue for String {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        value.as_str().map(str::to_owned).ok_or_else(|| mismatch(AttributeType::String, value))
    }
}

macro_rules! from_value_exact {
    ($($t:ty => $variant:ident),*) => {$(
        impl FromValue for $t {
            fn from_value(value: &Value) -> Result<Self, ValueError> {
                match value {
                    Value::$variant(v) => Ok(v.clone()),
                    _ => Err(mismatch(AttributeType::$variant, value)),
                }
            }
        }
    )*};
}
from_value_exact!(Date => Date, Vec<u8> => Binary, Uuid => Uuid, serde_json::Value => Json);

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

impl FromValue for Value {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        Ok(value.clone())
    }
}

fn invalid(expected: AttributeType, text: &str, reason: impl ToString) -> ValueError {
    ValueError::InvalidText { expected, text: text.to_owned(), reason: reason.to_string() }
}

/// Whether `s` is an absolute URI: a scheme (`letter *( letter / digit / + / - / . )`),
/// a colon, and no whitespace or control characters.
pub(crate) fn check_uri(s: &str) -> Result<(), ValueError> {
    let Some((scheme, _)) = s.split_once(':') else {
        return Err(invalid(AttributeType::Uri, s, "an absolute URI needs a scheme such as https:"));
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err(invalid(AttributeType::Uri, s, format!("{scheme:?} is not a URI scheme")));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(AttributeType::Uri, s, "URIs cannot contain spaces or control characters"));
    }
    Ok(())
}

pub(super) fn coerce(value: Value, target: AttributeType) -> Result<Value, ValueError> {
    use AttributeType as T;
    if value.is_null() || value.attribute_type() == Some(target) {
        if let Value::Uri(s) = &value {
            check_uri(s)?;
        }
        return Ok(value);
    }
    let integral = |v: &Value| -> Option<i64> {
        match *v {
            Value::Double(_) | Value::Float(_) | Value::Decimal(_) => {
                let f = v.as_f64()?;
                (f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64)
            }
            Value::Bool(_) => None,
            _ => v.as_i64(),
        }
    };
    Ok(match target {
        T::Int16 | T::Int32 | T::Int64 => {
            let i = integral(&value).ok_or_else(|| mismatch(target, &value))?;
            let out_of_range = || ValueError::OutOfRange { target, value: i.to_string() };
            match target {
                T::Int16 => Value::Int16(i16::try_from(i).map_err(|_| out_of_range())?),
                T::Int32 => Value::Int32(i32::try_from(i).map_err(|_| out_of_range())?),
                _ => Value::Int64(i),
            }
        }
        T::Double => match value {
            Value::Bool(_) => return Err(mismatch(target, &value)),
            _ => Value::Double(value.as_f64().ok_or_else(|| mismatch(target, &value))?),
        },
        T::Float => match value {
            Value::Bool(_) => return Err(mismatch(target, &value)),
            _ => Value::Float(value.as_f64().ok_or_else(|| mismatch(target, &value))? as f32),
        },
        T::Decimal => match &value {
            Value::String(s) => Value::Decimal(s.trim().parse().map_err(|e| invalid(target, s, e))?),
            Value::Double(_) | Value::Float(_) => {
                let f = value.as_f64().expect("numeric");
                Value::Decimal(
                    Decimal::from_f64(f)
                        .ok_or_else(|| ValueError::OutOfRange { target, value: f.to_string() })?,
                )
            }
            Value::Int16(_) | Value::Int32(_) | Value::Int64(_) => {
                Value::Decimal(Decimal::from(value.as_i64().expect("integer")))
            }
            _ => return Err(mismatch(target, &value)),
        },
        T::Bool => match value {
            Value::Int16(_) | Value::Int32(_) | Value::Int64(_) => match value.as_i64() {
                Some(0) => Value::Bool(false),
                Some(1) => Value::Bool(true),
                _ => return Err(mismatch(target, &value)),
            },
            _ => return Err(mismatch(target, &value)),
        },
        T::String => match value {
            Value::Uri(s) => Value::String(s),
            _ => return Err(mismatch(target, &value)),
        },
        T::Uri => match value {
            Value::String(s) => {
                check_uri(&s)?;
                Value::Uri(s)
            }
            _ => return Err(mismatch(target, &value)),
        },
        T::Date => match &value {
            Value::String(s) => Value::Date(s.parse()?),
            _ => return Err(mismatch(target, &value)),
        },
        T::Uuid => match &value {
            Value::String(s) => Value::Uuid(Uuid::parse_str(s).map_err(|e| invalid(target, s, e))?),
            Value::Binary(b) => Value::Uuid(Uuid::from_slice(b).map_err(|_| mismatch(target, &value))?),
            _ => return Err(mismatch(target, &value)),
        },
        T::Binary => match value {
            Value::Uuid(u) => Value::Binary(u.as_bytes().to_vec()),
            _ => return Err(mismatch(target, &value)),
        },
        T::Json => Value::Json(value.to_json()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coercions() {
        assert_eq!(Value::Double(3.0).coerce(AttributeType::Int32).unwrap(), Value::Int32(3));
        assert!(Value::Double(3.5).coerce(AttributeType::Int32).is_err());
        assert_eq!(Value::Int64(1).coerce(AttributeType::Bool).unwrap(), Value::Bool(true));
        assert!(Value::from("no scheme").coerce(AttributeType::Uri).is_err());
        assert!(Value::Uri("https://x.test/a b".into()).coerce(AttributeType::Uri).is_err());
        assert_eq!(
            Value::from("https://x.test/").coerce(AttributeType::Uri).unwrap(),
            Value::Uri("https://x.test/".into())
        );
        assert_eq!(
            Value::from("2.50").coerce(AttributeType::Decimal).unwrap(),
            Value::Decimal("2.5".parse().unwrap())
        );
        let u = Uuid::nil();
        assert_eq!(Value::from(u.to_string()).coerce(AttributeType::Uuid).unwrap(), Value::Uuid(u));
    }

    #[test]
    fn from_value_ranges() {
        assert!(i16::from_value(&Value::Int64(1 << 20)).is_err());
        assert_eq!(f32::from_value(&Value::Int32(2)).unwrap(), 2.0);
    }
}
