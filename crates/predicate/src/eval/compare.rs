//! Comparisons: quantifiers, `IN`, `BETWEEN`, and the scalar rules of `semantics.md`.
//!
//! Logic is two-valued: every comparison answers true or false. A comparison with `nil` or
//! an unordered pair (a NaN, text against a number) is false for every ordering operator,
//! `!=` is exactly `NOT ==`, and string operators need text on both sides. The order of
//! operands is kept as written: `3 < score` compares `3` with `score`, which is the mirrored
//! comparison because [`Value::compare`] is antisymmetric.

use std::cmp::Ordering;

use strata_model::Value;

use super::{Env, EvalError, ObjectView, Operand};
use crate::ast::{Comparison, Expr, Operator, Quantifier, Span, StringOptions};
use crate::strings::{self, RegexError};

/// What a comparison's left elements are tested against.
enum Right<'p, O> {
    /// A single operand; a collection here (an unchecked `3 < tags.score`) is tested as
    /// `ANY`.
    Single(Operand<'p, O>),
    /// `IN` over a `{…}` list of constants, read straight from the predicate.
    Constants(&'p [Expr]),
    /// `IN` over evaluated elements.
    Elements(Vec<Operand<'p, O>>),
    /// `BETWEEN {low, high}`.
    Bounds(Operand<'p, O>, Operand<'p, O>),
}

static NULL: Value = Value::Null;

impl<'s, O: ObjectView> Env<'s, O> {
    pub(super) fn comparison(&self, c: &Comparison) -> Result<bool, EvalError> {
        let left = self.operand(&c.left)?;
        let right = match c.operator {
            Operator::In => self.in_right(&c.right)?,
            Operator::Between => self.between_right(&c.right)?,
            _ => Right::Single(self.operand(&c.right)?),
        };
        let test = |item: &Operand<'_, O>| right.test(item, c);
        match (c.quantifier, left) {
            (Quantifier::Direct | Quantifier::Any, Operand::Collection(items)) => any(&items, test),
            (Quantifier::All, Operand::Collection(items)) => all(&items, test),
            (Quantifier::None, Operand::Collection(items)) => Ok(!any(&items, test)?),
            (Quantifier::Direct, single) => test(&single),
            // A quantifier over a path through an empty to-one relationship: no elements.
            (Quantifier::Any, Operand::Object(None)) => Ok(false),
            (Quantifier::All | Quantifier::None, Operand::Object(None)) => Ok(true),
            // A quantifier over a single value (an unchecked predicate): one element.
            (Quantifier::Any | Quantifier::All, single) => test(&single),
            (Quantifier::None, single) => Ok(!test(&single)?),
        }
    }

    fn in_right<'p>(&self, right: &'p Expr) -> Result<Right<'p, O>, EvalError> {
        if let Expr::List(items, _) = right
            && items.iter().all(|e| matches!(e, Expr::Constant(..)))
        {
            return Ok(Right::Constants(items));
        }
        match self.operand(right)? {
            Operand::Collection(items) => Ok(Right::Elements(items)),
            // A path through an empty to-one relationship to a to-many one: no elements.
            Operand::Object(None) => Ok(Right::Elements(Vec::new())),
            Operand::Object(Some(_)) | Operand::Value(_) => {
                Err(EvalError::NotACollection { needed_by: "IN", span: right.span() })
            }
        }
    }

    fn between_right<'p>(&self, right: &'p Expr) -> Result<Right<'p, O>, EvalError> {
        // The usual `{low, high}` list is read bound by bound, without collecting it.
        if let Expr::List(items, _) = right
            && let [low, high] = items.as_slice()
        {
            return Ok(Right::Bounds(self.operand(low)?, self.operand(high)?));
        }
        let bounds = match self.operand(right)? {
            Operand::Collection(items) => items,
            _ => return Err(EvalError::BetweenNeedsTwoValues { found: 1, span: right.span() }),
        };
        let found = bounds.len();
        let mut bounds = bounds.into_iter();
        match (bounds.next(), bounds.next(), bounds.next()) {
            (Some(low), Some(high), None) => Ok(Right::Bounds(low, high)),
            _ => Err(EvalError::BetweenNeedsTwoValues { found, span: right.span() }),
        }
    }
}

impl<O> Right<'_, O> {
    fn test(&self, item: &Operand<'_, O>, c: &Comparison) -> Result<bool, EvalError> {
        let (options, span) = (c.options, c.span);
        match self {
            Right::Single(Operand::Collection(elements)) => {
                any(elements, |e| compare(item, c.operator, e, options, span))
            }
            Right::Single(right) => compare(item, c.operator, right, options, span),
            Right::Constants(exprs) => {
                for expr in *exprs {
                    if let Expr::Constant(value, _) = expr
                        && compare_to_value(item, Operator::Equal, value, options, span)?
                    {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Right::Elements(elements) => any(elements, |e| compare(item, Operator::Equal, e, options, span)),
            Right::Bounds(low, high) => Ok(compare(item, Operator::GreaterOrEqual, low, options, span)?
                && compare(item, Operator::LessOrEqual, high, options, span)?),
        }
    }
}

fn any<T>(items: &[T], mut test: impl FnMut(&T) -> Result<bool, EvalError>) -> Result<bool, EvalError> {
    for item in items {
        if test(item)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn all<T>(items: &[T], mut test: impl FnMut(&T) -> Result<bool, EvalError>) -> Result<bool, EvalError> {
    for item in items {
        if !test(item)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `a op b` for two operands.
fn compare<O>(
    a: &Operand<'_, O>,
    op: Operator,
    b: &Operand<'_, O>,
    options: StringOptions,
    span: Span,
) -> Result<bool, EvalError> {
    match b {
        Operand::Value(value) => compare_to_value(a, op, value, options, span),
        Operand::Object(None) => compare_to_value(a, op, &NULL, options, span),
        Operand::Object(Some(_)) => object_comparison(is_nil(a), op, span),
        Operand::Collection(elements) => any(elements, |e| compare(a, op, e, options, span)),
    }
}

fn compare_to_value<O>(
    a: &Operand<'_, O>,
    op: Operator,
    b: &Value,
    options: StringOptions,
    span: Span,
) -> Result<bool, EvalError> {
    let a = match a {
        Operand::Value(value) => value,
        Operand::Object(None) => &NULL,
        Operand::Object(Some(_)) => return object_comparison(b.is_null(), op, span),
        Operand::Collection(elements) => {
            return any(elements, |e| compare_to_value(e, op, b, options, span));
        }
    };
    scalar(a, op, b, options).map_err(|e| EvalError::InvalidRegex {
        pattern: e.pattern,
        reason: e.reason,
        span,
    })
}

/// An object against `other`: only `== nil` (false, an object is not nil) and `!= nil`
/// (true) are defined.
fn object_comparison(other_is_nil: bool, op: Operator, span: Span) -> Result<bool, EvalError> {
    match op {
        Operator::Equal | Operator::In if other_is_nil => Ok(false),
        Operator::NotEqual if other_is_nil => Ok(true),
        _ => Err(EvalError::ObjectComparison { span }),
    }
}

fn is_nil<O>(operand: &Operand<'_, O>) -> bool {
    match operand {
        Operand::Value(v) => v.is_null(),
        Operand::Object(None) => true,
        Operand::Object(Some(_)) | Operand::Collection(_) => false,
    }
}

/// `a op b` for two scalars, exactly as `semantics.md` defines it.
pub(crate) fn scalar(a: &Value, op: Operator, b: &Value, options: StringOptions) -> Result<bool, RegexError> {
    let folded_text = || match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) if options.any() => Some((x, y)),
        _ => None,
    };
    match op {
        Operator::Equal | Operator::In => match folded_text() {
            Some((x, y)) => strings::string_op(Operator::Equal, x, y, options),
            None => Ok(a.equals(b)),
        },
        Operator::NotEqual => scalar(a, Operator::Equal, b, options).map(|eq| !eq),
        Operator::Less | Operator::LessOrEqual | Operator::Greater | Operator::GreaterOrEqual => {
            match folded_text() {
                Some((x, y)) => strings::string_op(op, x, y, options),
                None => Ok(a.compare(b).is_some_and(|o| ordering_holds(op, o))),
            }
        }
        Operator::BeginsWith
        | Operator::EndsWith
        | Operator::Contains
        | Operator::Like
        | Operator::Matches => match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => strings::string_op(op, x, y, options),
            _ => Ok(false),
        },
        Operator::Between => Ok(false),
    }
}

fn ordering_holds(op: Operator, ordering: Ordering) -> bool {
    match op {
        Operator::Less => ordering == Ordering::Less,
        Operator::LessOrEqual => ordering != Ordering::Greater,
        Operator::Greater => ordering == Ordering::Greater,
        Operator::GreaterOrEqual => ordering != Ordering::Less,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: StringOptions = StringOptions { case_insensitive: true, diacritic_insensitive: false };

    fn s(text: &str) -> Value {
        Value::from(text)
    }

    #[test]
    fn scalar_rules() {
        let null = Value::Null;
        assert!(scalar(&null, Operator::Equal, &null, StringOptions::NONE).unwrap());
        assert!(!scalar(&null, Operator::NotEqual, &null, StringOptions::NONE).unwrap());
        assert!(!scalar(&null, Operator::LessOrEqual, &null, StringOptions::NONE).unwrap());
        assert!(scalar(&Value::Int16(2), Operator::Equal, &Value::Double(2.0), StringOptions::NONE).unwrap());
        assert!(
            scalar(&Value::Bool(true), Operator::Greater, &Value::Int64(0), StringOptions::NONE).unwrap()
        );
        assert!(!scalar(&s("1"), Operator::Equal, &Value::Int64(1), StringOptions::NONE).unwrap());
        assert!(!scalar(&s("a"), Operator::Less, &Value::Int64(1), StringOptions::NONE).unwrap());
        let nan = Value::Double(f64::NAN);
        assert!(!scalar(&nan, Operator::Equal, &nan, StringOptions::NONE).unwrap(), "NaN equals nothing");
        assert!(scalar(&nan, Operator::NotEqual, &nan, StringOptions::NONE).unwrap(), "!= is NOT ==");
        assert!(!scalar(&nan, Operator::GreaterOrEqual, &Value::Int64(0), StringOptions::NONE).unwrap());
        assert!(scalar(&s("Straße"), Operator::Equal, &s("STRASSE"), C).unwrap());
        assert!(!scalar(&s("Straße"), Operator::Equal, &s("STRASSE"), StringOptions::NONE).unwrap());
        assert!(scalar(&s("B"), Operator::Less, &s("a"), StringOptions::NONE).unwrap(), "bytes: B < a");
        assert!(!scalar(&s("B"), Operator::Less, &s("a"), C).unwrap(), "folded: b > a");
        assert!(!scalar(&null, Operator::BeginsWith, &s(""), StringOptions::NONE).unwrap());
        assert!(scalar(&Value::Uri("https://x".into()), Operator::BeginsWith, &s("https"), C).unwrap());
        assert!(scalar(&s("x"), Operator::Matches, &s("("), StringOptions::NONE).is_err());
    }

    #[test]
    fn orderings() {
        use Ordering::*;
        let table = [
            (Operator::Less, [true, false, false]),
            (Operator::LessOrEqual, [true, true, false]),
            (Operator::Greater, [false, false, true]),
            (Operator::GreaterOrEqual, [false, true, true]),
        ];
        for (op, expected) in table {
            assert_eq!([Less, Equal, Greater].map(|o| ordering_holds(op, o)), expected, "{op:?}");
        }
    }
}
