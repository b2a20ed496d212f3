//! Collection operators: `@count`, `@sum.rest`, `@avg.rest`, `@min.rest`, `@max.rest`.
//!
//! Nulls are skipped. `@sum` is an `Int64` over integers and bools (overflow is an error, as
//! SQLite's `sum()` makes it), a `Double` over floats, an exact `Decimal` over decimals, and
//! `Int64(0)` when nothing remains; `@avg` is a `Double` (a `Decimal` over decimals) or
//! `Null`; `@min`/`@max` pick by [`Value::compare`] and keep the attribute's type. The rest
//! of the path after the operator is followed through to-one relationships only.

use std::borrow::Cow;
use std::cmp::Ordering;

use strata_model::{Decimal, Value};

use super::{EvalError, Field, ObjectView, Operand};
use crate::ast::{PathComponent, Span};

pub(super) fn aggregate<'p, O: ObjectView>(
    operator: &PathComponent,
    state: Operand<'p, O>,
    rest: &[PathComponent],
    span: Span,
) -> Result<Operand<'p, O>, EvalError> {
    let name = operator_name(operator);
    let items = match state {
        Operand::Collection(items) => items,
        // A path through an empty to-one relationship reaches an empty collection.
        Operand::Object(None) => Vec::new(),
        Operand::Object(Some(_)) | Operand::Value(_) => {
            return Err(EvalError::NotACollection { needed_by: name, span });
        }
    };
    if matches!(operator, PathComponent::Count) {
        if let Some(next) = rest.first() {
            return Err(EvalError::KeyAfterValue { key: component_name(next).to_owned(), span });
        }
        let count = items.iter().filter(|item| !matches!(item, Operand::Object(None))).count();
        return Ok(Operand::Value(Cow::Owned(Value::Int64(i64::try_from(count).unwrap_or(i64::MAX)))));
    }
    let values = items.into_iter().filter_map(|item| element_value(item, rest, name, span).transpose());
    let result = match operator {
        PathComponent::Sum => sum(values, name, span)?,
        PathComponent::Avg => average(values, name, span)?,
        PathComponent::Min => extreme(values, Ordering::Less)?,
        _ => extreme(values, Ordering::Greater)?,
    };
    Ok(Operand::Value(Cow::Owned(result)))
}

fn operator_name(operator: &PathComponent) -> &'static str {
    match operator {
        PathComponent::Count => "@count",
        PathComponent::Sum => "@sum",
        PathComponent::Avg => "@avg",
        PathComponent::Min => "@min",
        PathComponent::Max => "@max",
        PathComponent::Key(_) => "a key",
    }
}

fn component_name(component: &PathComponent) -> &str {
    match component {
        PathComponent::Key(key) => key,
        other => operator_name(other),
    }
}

/// The value `rest` reaches from one element: `None` for nothing (a missing element or an
/// empty to-one on the way), to be skipped like a null.
fn element_value<O: ObjectView>(
    item: Operand<'_, O>,
    rest: &[PathComponent],
    operator: &'static str,
    span: Span,
) -> Result<Option<Value>, EvalError> {
    let invalid = || EvalError::InvalidAggregateKey { operator, span };
    let mut current = match item {
        Operand::Object(Some(object)) => object,
        Operand::Object(None) => return Ok(None),
        Operand::Value(v) if rest.is_empty() => return Ok(Some(v.into_owned())),
        Operand::Value(_) => {
            return Err(EvalError::KeyAfterValue { key: component_name(&rest[0]).to_owned(), span });
        }
        Operand::Collection(_) => return Err(invalid()),
    };
    for (i, component) in rest.iter().enumerate() {
        let PathComponent::Key(key) = component else {
            return Err(invalid());
        };
        match current.field(key)? {
            Field::Value(v) => {
                return match rest.get(i + 1) {
                    None => Ok(Some(v)),
                    Some(next) => {
                        Err(EvalError::KeyAfterValue { key: component_name(next).to_owned(), span })
                    }
                };
            }
            Field::ToOne(Some(next)) => current = next,
            Field::ToOne(None) => return Ok(None),
            Field::ToMany(_) => return Err(invalid()),
        }
    }
    Err(invalid())
}

/// A running sum in the widest kind seen so far.
enum Total {
    Int(i128),
    /// A float sum with its Kahan–Babuška–Neumaier compensation, the summation SQLite's
    /// `sum()` and `avg()` use, so both back-ends round alike.
    Float {
        sum: f64,
        compensation: f64,
    },
    Decimal(Decimal),
}

impl Total {
    fn float(x: f64) -> Total {
        Total::Float { sum: x, compensation: 0.0 }
    }
}

fn add_float(sum: f64, compensation: f64, x: f64) -> Total {
    let t = sum + x;
    let lost = if sum.abs() > x.abs() { (sum - t) + x } else { (x - t) + sum };
    Total::Float { sum: t, compensation: compensation + lost }
}

/// The total of the non-null values and how many there were. With `strict_integers`, an
/// integer partial sum outside the 64-bit range is an error, as in SQLite's `sum()` (its
/// `avg()` does not fail, so averages total in 128 bits).
fn total<I>(
    values: I,
    strict_integers: bool,
    operator: &'static str,
    span: Span,
) -> Result<(Option<Total>, u64), EvalError>
where
    I: Iterator<Item = Result<Value, EvalError>>,
{
    let mut acc: Option<Total> = None;
    let mut count = 0u64;
    for value in values {
        let value = value?;
        let next = match value {
            Value::Null => continue,
            Value::Double(_) | Value::Float(_) => Total::float(value.as_f64().unwrap_or(f64::NAN)),
            Value::Decimal(d) => Total::Decimal(d),
            _ => match value.as_i64() {
                Some(i) => Total::Int(i.into()),
                None => return Err(EvalError::NotNumeric { operator, found: value.type_name(), span }),
            },
        };
        count += 1;
        acc = Some(match (acc, next) {
            (None, n) => n,
            (Some(Total::Int(a)), Total::Int(b)) => {
                let t = a.saturating_add(b);
                if strict_integers && i64::try_from(t).is_err() {
                    return Err(EvalError::IntegerOverflow { operator, span });
                }
                Total::Int(t)
            }
            (Some(Total::Decimal(a)), Total::Decimal(b)) => {
                Total::Decimal(a.checked_add(b).ok_or(EvalError::DecimalOverflow { operator, span })?)
            }
            (Some(Total::Decimal(a)), Total::Int(b)) | (Some(Total::Int(b)), Total::Decimal(a)) => {
                let b = i64::try_from(b)
                    .map(Decimal::from)
                    .map_err(|_| EvalError::DecimalOverflow { operator, span })?;
                Total::Decimal(a.checked_add(b).ok_or(EvalError::DecimalOverflow { operator, span })?)
            }
            (Some(Total::Float { sum, compensation }), b) => add_float(sum, compensation, as_f64(&b)),
            (Some(a), b) => add_float(as_f64(&a), 0.0, as_f64(&b)),
        });
    }
    Ok((acc, count))
}

fn as_f64(t: &Total) -> f64 {
    match t {
        Total::Int(i) => *i as f64,
        Total::Float { sum, compensation } => sum + compensation,
        Total::Decimal(d) => Value::Decimal(*d).as_f64().unwrap_or(f64::NAN),
    }
}

fn sum<I>(values: I, operator: &'static str, span: Span) -> Result<Value, EvalError>
where
    I: Iterator<Item = Result<Value, EvalError>>,
{
    Ok(match total(values, true, operator, span)?.0 {
        None => Value::Int64(0),
        Some(Total::Int(i)) => {
            Value::Int64(i64::try_from(i).map_err(|_| EvalError::IntegerOverflow { operator, span })?)
        }
        Some(t @ Total::Float { .. }) => Value::Double(as_f64(&t)),
        Some(Total::Decimal(d)) => Value::Decimal(d),
    })
}

fn average<I>(values: I, operator: &'static str, span: Span) -> Result<Value, EvalError>
where
    I: Iterator<Item = Result<Value, EvalError>>,
{
    let (acc, count) = total(values, false, operator, span)?;
    Ok(match acc {
        None => Value::Null,
        Some(Total::Decimal(d)) => Value::Decimal(
            d.checked_div(Decimal::from(count)).ok_or(EvalError::DecimalOverflow { operator, span })?,
        ),
        Some(t) => Value::Double(as_f64(&t) / count as f64),
    })
}

/// The smallest (`wanted == Less`) or largest value by [`Value::compare`], nulls skipped.
fn extreme<I>(values: I, wanted: Ordering) -> Result<Value, EvalError>
where
    I: Iterator<Item = Result<Value, EvalError>>,
{
    let mut best: Option<Value> = None;
    for value in values {
        let value = value?;
        if value.is_null() {
            continue;
        }
        match &best {
            Some(b) if value.compare(b) != Some(wanted) => {}
            _ => best = Some(value),
        }
    }
    Ok(best.unwrap_or(Value::Null))
}
