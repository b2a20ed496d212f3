//! Aggregate accumulators: [`AggregateFunction`]'s documented semantics, computed in memory.
//!
//! The arithmetic mirrors SQLite's aggregate functions so that a store computing in SQL and
//! one computing here agree: integer sums are exact and fail when the total leaves the
//! 64-bit range (SQLite's `sum()` fails when a *partial* sum does, which depends on the scan
//! order; a SQL store that sees that error recomputes here, so the answer never depends on
//! order); float sums use the Kahan–Babuška–Neumaier compensation SQLite's `sum()` and
//! `avg()` use, so they agree to the bit when rows are summed in the same order and to the
//! last bits otherwise (an index scan may visit rows in another order); averages of integers
//! divide the exact total by the count. Decimals, which SQL stores as text, are exact here.

use std::cmp::Ordering;

use strata_model::{AttributeType, Decimal, Value};
use strata_predicate::{EvalError, Span};

use super::ColumnValue;
use crate::fetch_request::AggregateFunction;
use crate::store::StoreError;

/// A running aggregate of one column of one group.
#[derive(Debug, Clone)]
pub(crate) enum Accumulator {
    /// A key-path column: nothing to accumulate.
    None,
    /// `count(*)` and `count(key)`.
    Count { all: bool, n: i64 },
    /// `sum` and `avg`.
    Total { average: bool, total: Total, n: u64 },
    /// `min` and `max`.
    Extreme { wanted: Ordering, best: Option<Value> },
}

/// A running sum, in the attribute's kind.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Total {
    Integer(i128),
    Float { sum: f64, compensation: f64 },
    Decimal(Decimal),
}

fn overflow(operator: &'static str) -> StoreError {
    StoreError::Predicate(EvalError::IntegerOverflow { operator, span: Span::default() }.into())
}

fn decimal_overflow(operator: &'static str) -> StoreError {
    StoreError::Predicate(EvalError::DecimalOverflow { operator, span: Span::default() }.into())
}

fn not_numeric(operator: &'static str, value: &Value) -> StoreError {
    StoreError::Predicate(
        EvalError::NotNumeric { operator, found: value.type_name(), span: Span::default() }.into(),
    )
}

impl Accumulator {
    pub(crate) fn new(column: &ColumnValue) -> Accumulator {
        let ColumnValue::Aggregate { function, key_path, attribute_type } = column else {
            return Accumulator::None;
        };
        let ty = attribute_type.unwrap_or(AttributeType::Int64);
        let total = match ty {
            AttributeType::Double | AttributeType::Float => Total::Float { sum: 0.0, compensation: 0.0 },
            AttributeType::Decimal => Total::Decimal(Decimal::ZERO),
            _ => Total::Integer(0),
        };
        match function {
            AggregateFunction::Count => Accumulator::Count { all: key_path.is_none(), n: 0 },
            AggregateFunction::Sum => Accumulator::Total { average: false, total, n: 0 },
            AggregateFunction::Avg => Accumulator::Total { average: true, total, n: 0 },
            AggregateFunction::Min => Accumulator::Extreme { wanted: Ordering::Less, best: None },
            AggregateFunction::Max => Accumulator::Extreme { wanted: Ordering::Greater, best: None },
        }
    }

    /// Adds one object's value (`None` for `count(*)` and for an empty to-one on the way).
    pub(crate) fn add(&mut self, value: Option<Value>) -> Result<(), StoreError> {
        match self {
            Accumulator::None => {}
            Accumulator::Count { all, n } => {
                if *all || value.as_ref().is_some_and(|v| !v.is_null()) {
                    *n = n.saturating_add(1);
                }
            }
            Accumulator::Total { average, total, n, .. } => {
                let Some(value) = value.filter(|v| !v.is_null()) else { return Ok(()) };
                let operator = if *average { "avg" } else { "sum" };
                *n += 1;
                *total = match (*total, &value) {
                    (Total::Float { sum, compensation }, _) => {
                        let x = value.as_f64().ok_or_else(|| not_numeric(operator, &value))?;
                        add_float(sum, compensation, x)
                    }
                    (Total::Decimal(d), Value::Decimal(x)) => {
                        Total::Decimal(d.checked_add(*x).ok_or_else(|| decimal_overflow(operator))?)
                    }
                    (Total::Integer(i), _) => {
                        let x = value.as_i64().ok_or_else(|| not_numeric(operator, &value))?;
                        // 128 bits cannot overflow before 2^64 additions; `finish` checks
                        // the total.
                        Total::Integer(i.saturating_add(i128::from(x)))
                    }
                    (Total::Decimal(_), other) => return Err(not_numeric(operator, other)),
                };
            }
            Accumulator::Extreme { wanted, best } => {
                let Some(value) = value.filter(|v| !v.is_null()) else { return Ok(()) };
                match best {
                    Some(b) if value.compare(b) != Some(*wanted) => {}
                    _ => *best = Some(value),
                }
            }
        }
        Ok(())
    }

    /// The aggregate's value.
    pub(crate) fn finish(self) -> Result<Value, StoreError> {
        Ok(match self {
            Accumulator::None => Value::Null,
            Accumulator::Count { n, .. } => Value::Int64(n),
            Accumulator::Total { average: false, total, .. } => match total {
                Total::Integer(i) => Value::Int64(i64::try_from(i).map_err(|_| overflow("sum"))?),
                Total::Float { sum, compensation } => Value::Double(sum + compensation),
                Total::Decimal(d) => Value::Decimal(d),
            },
            Accumulator::Total { average: true, n: 0, .. } => Value::Null,
            Accumulator::Total { average: true, total, n, .. } => match total {
                Total::Integer(i) => Value::Double(i as f64 / n as f64),
                Total::Float { sum, compensation } => Value::Double((sum + compensation) / n as f64),
                Total::Decimal(d) => {
                    Value::Decimal(d.checked_div(Decimal::from(n)).ok_or_else(|| decimal_overflow("avg"))?)
                }
            },
            Accumulator::Extreme { best, .. } => best.unwrap_or(Value::Null),
        })
    }
}

/// One Kahan–Babuška–Neumaier step, exactly as SQLite's `kahanBabuskaNeumaierStep`.
fn add_float(sum: f64, compensation: f64, x: f64) -> Total {
    let t = sum + x;
    let lost = if sum.abs() > x.abs() { (sum - t) + x } else { (x - t) + sum };
    Total::Float { sum: t, compensation: compensation + lost }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreKeyPath;

    fn column(function: AggregateFunction, ty: Option<AttributeType>) -> ColumnValue {
        let key_path = ty.map(|_| StoreKeyPath { keys: vec!["x".into()], ends_on_relationship: false });
        ColumnValue::Aggregate { function, key_path, attribute_type: ty }
    }

    fn run(
        function: AggregateFunction,
        ty: Option<AttributeType>,
        values: &[Value],
    ) -> Result<Value, StoreError> {
        let mut a = Accumulator::new(&column(function, ty));
        for v in values {
            a.add(Some(v.clone()))?;
        }
        a.finish()
    }

    #[test]
    fn nulls_are_skipped_and_empty_groups_have_typed_zeros() {
        let int = Some(AttributeType::Int64);
        let values = [Value::Int64(2), Value::Null, Value::Int64(5)];
        assert_eq!(run(AggregateFunction::Count, int, &values).unwrap(), Value::Int64(2));
        assert_eq!(run(AggregateFunction::Count, None, &values).unwrap(), Value::Int64(3));
        assert_eq!(run(AggregateFunction::Sum, int, &values).unwrap(), Value::Int64(7));
        assert_eq!(run(AggregateFunction::Avg, int, &values).unwrap(), Value::Double(3.5));
        assert_eq!(run(AggregateFunction::Min, int, &values).unwrap(), Value::Int64(2));
        assert_eq!(run(AggregateFunction::Max, int, &values).unwrap(), Value::Int64(5));
        assert_eq!(run(AggregateFunction::Sum, int, &[]).unwrap(), Value::Int64(0));
        assert_eq!(
            run(AggregateFunction::Sum, Some(AttributeType::Double), &[]).unwrap(),
            Value::Double(0.0)
        );
        assert_eq!(run(AggregateFunction::Avg, int, &[Value::Null]).unwrap(), Value::Null);
        assert_eq!(run(AggregateFunction::Max, int, &[]).unwrap(), Value::Null);
    }

    #[test]
    fn integer_sums_fail_only_when_the_total_overflows() {
        let int = Some(AttributeType::Int64);
        let values = [Value::Int64(i64::MAX), Value::Int64(1), Value::Int64(-2)];
        assert_eq!(run(AggregateFunction::Sum, int, &values).unwrap(), Value::Int64(i64::MAX - 1));
        let over = [Value::Int64(i64::MAX), Value::Int64(1)];
        assert!(matches!(run(AggregateFunction::Sum, int, &over), Err(StoreError::Predicate(_))));
        let avg = run(AggregateFunction::Avg, int, &over).unwrap();
        assert_eq!(avg, Value::Double((i64::MAX as f64 + 1.0) / 2.0));
    }

    #[test]
    fn float_sums_are_compensated_and_decimals_exact() {
        let values: Vec<Value> = [1e100, 1.0, -1e100].into_iter().map(Value::Double).collect();
        assert_eq!(
            run(AggregateFunction::Sum, Some(AttributeType::Double), &values).unwrap(),
            Value::Double(1.0)
        );
        let decimals = [Value::Decimal(Decimal::new(1, 1)), Value::Decimal(Decimal::new(2, 1))];
        assert_eq!(
            run(AggregateFunction::Sum, Some(AttributeType::Decimal), &decimals).unwrap(),
            Value::Decimal(Decimal::new(3, 1))
        );
        assert_eq!(
            run(AggregateFunction::Avg, Some(AttributeType::Decimal), &decimals).unwrap(),
            Value::Decimal(Decimal::new(15, 2))
        );
    }
}
