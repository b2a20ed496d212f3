//! The comparison rules shared by every back-end: the in-memory predicate evaluator, the
//! SQL compilers and in-memory sorting all follow these, so that a predicate means the same
//! thing wherever it runs.
//!
//! - Numbers compare by value across types (`Int16(1)` equals `Double(1.0)`); `Bool` counts
//!   as 0 or 1. `Date`s compare with dates only.
//! - Text (`String`, `Uri`) compares by UTF-8 bytes, as SQLite's `BINARY` collation does.
//! - Bytes (`Binary`, `Uuid`) compare lexicographically.
//! - `Json` values are equal when their compact serializations are equal; they have no order.
//! - `Null` equals only `Null` and is ordered against nothing; a NaN is ordered against
//!   nothing and equals nothing.

use std::cmp::Ordering;

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

use super::Value;

/// The SQL storage class a value falls into, in SQLite's sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StorageClass {
    /// `Null`.
    Null,
    /// Integers, floats, decimals, bools and dates.
    Numeric,
    /// Strings, URIs and JSON.
    Text,
    /// Binary and UUIDs.
    Blob,
}

enum Num {
    Int(i64),
    Float(f64),
    Decimal(Decimal),
}

impl Value {
    /// The storage class this value sorts in.
    pub fn storage_class(&self) -> StorageClass {
        match self {
            Value::Null => StorageClass::Null,
            Value::String(_) | Value::Uri(_) | Value::Json(_) => StorageClass::Text,
            Value::Binary(_) | Value::Uuid(_) => StorageClass::Blob,
            _ => StorageClass::Numeric,
        }
    }

    fn number(&self) -> Option<Num> {
        Some(match *self {
            Value::Int16(v) => Num::Int(v.into()),
            Value::Int32(v) => Num::Int(v.into()),
            Value::Int64(v) => Num::Int(v),
            Value::Bool(b) => Num::Int(b.into()),
            Value::Double(v) => Num::Float(v),
            Value::Float(v) => Num::Float(v.into()),
            Value::Decimal(d) => Num::Decimal(d),
            _ => return None,
        })
    }

    fn bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Binary(b) => Some(b),
            Value::Uuid(u) => Some(u.as_bytes()),
            _ => None,
        }
    }

    /// Orders two values under the shared rules, or `None` when they are not ordered:
    /// either is `Null` or NaN, or their types do not compare (text against a number, say).
    ///
    /// ```
    /// use std::cmp::Ordering;
    /// use strata_model::Value;
    /// assert_eq!(Value::Int16(2).compare(&Value::Double(2.5)), Some(Ordering::Less));
    /// assert_eq!(Value::from("a").compare(&Value::Int64(1)), None);
    /// assert_eq!(Value::Null.compare(&Value::Null), None);
    /// ```
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        if let (Some(a), Some(b)) = (self.number(), other.number()) {
            return compare_numbers(&a, &b);
        }
        match (self, other) {
            (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
            // serde_json's maps are ordered, so structural equality is equality of the compact
            // text that SQL stores compare.
            (Value::Json(a), Value::Json(b)) => (a == b).then_some(Ordering::Equal),
            _ => {
                if let (Some(a), Some(b)) = (self.as_str(), other.as_str()) {
                    return Some(a.cmp(b));
                }
                if let (Some(a), Some(b)) = (self.bytes(), other.bytes()) {
                    return Some(a.cmp(b));
                }
                None
            }
        }
    }

    /// Equality as the predicate language means it: `Null` equals `Null`; otherwise the
    /// values must compare equal under [`Value::compare`].
    pub fn equals(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            _ => self.compare(other) == Some(Ordering::Equal),
        }
    }

    /// A total order for sorting: by [`StorageClass`] first (`Null` first, as SQL sorts
    /// ascending), then by [`Value::compare`]; values that do not compare (NaN, JSON,
    /// dates against numbers) fall back to a fixed order so sorting never panics.
    pub fn sort_cmp(&self, other: &Value) -> Ordering {
        let by_class = self.storage_class().cmp(&other.storage_class());
        if by_class != Ordering::Equal {
            return by_class;
        }
        if let Some(o) = self.compare(other) {
            return o;
        }
        match (self, other) {
            (Value::Json(a), Value::Json(b)) => a.to_string().cmp(&b.to_string()),
            (Value::Date(a), _) if other.number().is_some() => {
                compare_numbers(&Num::Int(a.unix_micros()), &other.number().expect("checked"))
                    .unwrap_or(Ordering::Equal)
            }
            (_, Value::Date(b)) if self.number().is_some() => {
                compare_numbers(&self.number().expect("checked"), &Num::Int(b.unix_micros()))
                    .unwrap_or(Ordering::Equal)
            }
            // NaN sorts before every other number, like a NULL would.
            _ => match (is_nan(self), is_nan(other)) {
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                _ => Ordering::Equal,
            },
        }
    }
}

fn is_nan(v: &Value) -> bool {
    match *v {
        Value::Double(d) => d.is_nan(),
        Value::Float(f) => f.is_nan(),
        _ => false,
    }
}

fn compare_numbers(a: &Num, b: &Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(a), Num::Int(b)) => Some(a.cmp(b)),
        (Num::Float(a), Num::Float(b)) => a.partial_cmp(b),
        (Num::Int(i), Num::Float(f)) => compare_int_float(*i, *f),
        (Num::Float(f), Num::Int(i)) => compare_int_float(*i, *f).map(Ordering::reverse),
        (Num::Decimal(a), Num::Decimal(b)) => Some(a.cmp(b)),
        (Num::Decimal(d), Num::Int(i)) => Some(d.cmp(&Decimal::from(*i))),
        (Num::Int(i), Num::Decimal(d)) => Some(Decimal::from(*i).cmp(d)),
        (Num::Decimal(d), Num::Float(f)) => compare_decimal_float(*d, *f),
        (Num::Float(f), Num::Decimal(d)) => compare_decimal_float(*d, *f).map(Ordering::reverse),
    }
}

/// Exact comparison of an integer with a float (no rounding of large integers), the way
/// SQLite compares INTEGER with REAL.
fn compare_int_float(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // 2^63 is exactly representable; every f64 at or above it exceeds every i64.
    if f >= 9_223_372_036_854_775_808.0 {
        return Some(Ordering::Less);
    }
    if f < -9_223_372_036_854_775_808.0 {
        return Some(Ordering::Greater);
    }
    let whole = f.trunc();
    // Within range, a truncated f64 converts to i64 exactly.
    match i.cmp(&(whole as i64)) {
        Ordering::Equal => 0.0_f64.partial_cmp(&(f - whole)),
        other => Some(other),
    }
}

fn compare_decimal_float(d: Decimal, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    match Decimal::from_f64(f) {
        Some(fd) => Some(d.cmp(&fd)),
        // Out of the decimal range: compare as floats.
        None => d.to_f64().and_then(|x| x.partial_cmp(&f)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_integers_compare_exactly_with_floats() {
        let big = Value::Int64(9_007_199_254_740_993); // 2^53 + 1
        let float = Value::Double(9_007_199_254_740_992.0);
        assert_eq!(big.compare(&float), Some(Ordering::Greater));
        assert_eq!(Value::Int64(i64::MAX).compare(&Value::Double(9.3e18)), Some(Ordering::Less));
        assert_eq!(Value::Int64(-3).compare(&Value::Double(-2.5)), Some(Ordering::Less));
        assert_eq!(Value::Int64(-2).compare(&Value::Double(-2.5)), Some(Ordering::Greater));
    }

    #[test]
    fn null_and_nan_are_unordered() {
        assert!(Value::Null.equals(&Value::Null));
        assert!(!Value::Null.equals(&Value::Int32(0)));
        assert_eq!(Value::Double(f64::NAN).compare(&Value::Double(f64::NAN)), None);
        assert_eq!(Value::Null.sort_cmp(&Value::Int16(-5)), Ordering::Less);
    }

    #[test]
    fn mixed_kinds() {
        assert!(Value::Bool(true).equals(&Value::Int64(1)));
        assert!(Value::from("x").equals(&Value::Uri("x".into())));
        assert_eq!(Value::from("a").compare(&Value::Int16(1)), None);
        assert_eq!(Value::from("a").sort_cmp(&Value::Int16(1)), Ordering::Greater);
        let d = Value::Decimal("1.5".parse().unwrap());
        assert_eq!(d.compare(&Value::Double(1.25)), Some(Ordering::Greater));
        assert!(d.equals(&Value::Float(1.5)));
    }
}
