//! Checking comparisons: quantifiers and collection sides, `IN` and `BETWEEN` shapes, the
//! typing rules for each pair of operands, and fitting constants to attribute types.

use strata_model::{AttributeType, Value};

use super::path::{PathInfo, Shape};
use super::{CheckError, CheckErrorKind, Checker};
use crate::ast::{Comparison, Expr, KeyPath, Operator, Quantifier, Span, StringOptions};
use crate::strings;

/// One operand while it is being checked; constants are fitted in place.
enum Side {
    Constant(Value, Span),
    List(Vec<Side>, Span),
    Path(PathInfo, KeyPath),
}

impl Side {
    fn span(&self) -> Span {
        match self {
            Side::Constant(_, span) | Side::List(_, span) => *span,
            Side::Path(_, path) => path.span,
        }
    }

    fn is_many(&self) -> bool {
        matches!(self, Side::Path(info, _) if info.many)
    }

    fn describe(&self) -> String {
        match self {
            Side::Constant(Value::Null, _) => "nil".to_owned(),
            Side::Constant(v, _) => format!("{v} ({})", v.type_name()),
            Side::List(items, _) => format!("a list of {} values", items.len()),
            Side::Path(info, _) => info.describe(),
        }
    }

    fn into_expr(self) -> Expr {
        match self {
            Side::Constant(v, span) => Expr::Constant(v, span),
            Side::List(items, span) => Expr::List(items.into_iter().map(Side::into_expr).collect(), span),
            Side::Path(_, path) => Expr::KeyPath(path),
        }
    }
}

fn error<T>(kind: CheckErrorKind, span: Span) -> Result<T, CheckError> {
    Err(CheckError::new(kind, span))
}

impl Checker<'_> {
    pub(super) fn comparison(&mut self, c: &Comparison) -> Result<Comparison, CheckError> {
        let mut left = self.side(&c.left)?;
        let mut right = self.side(&c.right)?;
        let mut operator = c.operator;
        let mut quantifier = c.quantifier;
        if matches!(left, Side::List(..)) {
            return error(CheckErrorKind::ListNotAllowed { operator }, left.span());
        }
        // A collection on the right of anything but IN moves to the left, where quantifiers
        // apply: `3 < tags.score` means `ANY tags.score > 3`.
        if right.is_many() && operator != Operator::In {
            if left.is_many() {
                return error(CheckErrorKind::TwoCollections, c.span);
            }
            if operator.is_string_operator() {
                return error(CheckErrorKind::CollectionOnRight { operator }, right.span());
            }
            if operator == Operator::Between {
                return error(CheckErrorKind::BetweenNeedsTwoValues { found: 1 }, right.span());
            }
            if quantifier != Quantifier::Direct {
                let kind = CheckErrorKind::NotAToManyPath {
                    needed_by: quantifier_name(quantifier),
                    found: left.describe(),
                };
                return error(kind, left.span());
            }
            std::mem::swap(&mut left, &mut right);
            operator = mirror(operator);
        }
        match (quantifier, left.is_many()) {
            (Quantifier::Direct, true) => quantifier = Quantifier::Any,
            (Quantifier::Direct, false) | (_, true) => {}
            (_, false) => {
                let kind = CheckErrorKind::NotAToManyPath {
                    needed_by: quantifier_name(quantifier),
                    found: left.describe(),
                };
                return error(kind, left.span());
            }
        }
        if let Side::Path(info @ PathInfo { shape: Shape::Object(_), many: true, .. }, path) = &left {
            return error(CheckErrorKind::ObjectComparison { operand: info.describe() }, path.span);
        }
        let options = c.options;
        match operator {
            Operator::In => self.check_in(&mut left, &mut right, options)?,
            Operator::Between => match &mut right {
                Side::List(bounds, _) if bounds.len() == 2 => {
                    for (bound, op) in
                        bounds.iter_mut().zip([Operator::GreaterOrEqual, Operator::LessOrEqual])
                    {
                        element(bound)?;
                        pair(&mut left, op, bound, options)?;
                    }
                }
                Side::List(bounds, span) => {
                    return error(CheckErrorKind::BetweenNeedsTwoValues { found: bounds.len() }, *span);
                }
                other => return error(CheckErrorKind::BetweenNeedsTwoValues { found: 1 }, other.span()),
            },
            _ => {
                if matches!(right, Side::List(..)) {
                    return error(CheckErrorKind::ListNotAllowed { operator }, right.span());
                }
                pair(&mut left, operator, &mut right, options)?;
            }
        }
        Ok(Comparison {
            quantifier,
            left: left.into_expr(),
            operator,
            options,
            right: right.into_expr(),
            span: c.span,
        })
    }

    fn side(&mut self, expr: &Expr) -> Result<Side, CheckError> {
        Ok(match expr {
            Expr::Constant(v, span) => Side::Constant(v.clone(), *span),
            Expr::List(items, span) => {
                Side::List(items.iter().map(|e| self.side(e)).collect::<Result<_, _>>()?, *span)
            }
            Expr::KeyPath(path) => {
                let (info, checked) = self.path(path)?;
                Side::Path(info, checked)
            }
        })
    }

    fn check_in(
        &mut self,
        left: &mut Side,
        right: &mut Side,
        options: StringOptions,
    ) -> Result<(), CheckError> {
        // Objects only compare with nil by == and !=; IN is not that, even with a nil element.
        if let Kind::Object = kind(left) {
            return error(CheckErrorKind::ObjectComparison { operand: left.describe() }, left.span());
        }
        match right {
            Side::List(items, _) => {
                for item in items {
                    element(item)?;
                    pair(left, Operator::Equal, item, options)?;
                }
                Ok(())
            }
            Side::Path(info, path) if info.many => {
                if left.is_many() {
                    return error(CheckErrorKind::TwoCollections, path.span);
                }
                if matches!(info.shape, Shape::Object(_)) {
                    return error(CheckErrorKind::ObjectComparison { operand: info.describe() }, path.span);
                }
                pair(left, Operator::Equal, right, options)
            }
            other => error(CheckErrorKind::InNeedsCollection { found: other.describe() }, other.span()),
        }
    }
}

/// A list element must be a single value.
fn element(side: &Side) -> Result<(), CheckError> {
    match side {
        Side::List(..) => error(CheckErrorKind::ListNotAllowed { operator: Operator::In }, side.span()),
        Side::Path(_, path) if side.is_many() => error(CheckErrorKind::TwoCollections, path.span),
        Side::Path(info @ PathInfo { shape: Shape::Object(_), .. }, path) => {
            error(CheckErrorKind::ObjectComparison { operand: info.describe() }, path.span)
        }
        _ => Ok(()),
    }
}

fn quantifier_name(q: Quantifier) -> &'static str {
    match q {
        Quantifier::Any => "ANY",
        Quantifier::All => "ALL",
        Quantifier::None => "NONE",
        Quantifier::Direct => "a comparison",
    }
}

/// The operator with its operands swapped (`<` ↔ `>`).
fn mirror(op: Operator) -> Operator {
    match op {
        Operator::Less => Operator::Greater,
        Operator::LessOrEqual => Operator::GreaterOrEqual,
        Operator::Greater => Operator::Less,
        Operator::GreaterOrEqual => Operator::LessOrEqual,
        other => other,
    }
}

/// What one element of a side is, for the typing rules.
#[derive(Clone, Copy)]
enum Kind {
    Nil,
    Constant(AttributeType),
    Attribute(AttributeType),
    Object,
}

fn kind(side: &Side) -> Kind {
    match side {
        Side::Constant(v, _) => v.attribute_type().map_or(Kind::Nil, Kind::Constant),
        Side::Path(info, _) => match info.shape {
            Shape::Value(ty) => Kind::Attribute(ty),
            Shape::Object(_) => Kind::Object,
        },
        // Lists are refused before pairs are typed.
        Side::List(..) => Kind::Nil,
    }
}

/// Types `a op b` for two single operands (either may be an element of a collection) and
/// fits a constant to the attribute on the other side.
fn pair(a: &mut Side, op: Operator, b: &mut Side, options: StringOptions) -> Result<(), CheckError> {
    let (ka, kb) = (kind(a), kind(b));
    let equality = matches!(op, Operator::Equal | Operator::NotEqual);
    match (ka, kb) {
        (Kind::Object, Kind::Nil) | (Kind::Nil, Kind::Object) if equality => return Ok(()),
        (Kind::Object, _) => {
            return error(CheckErrorKind::ObjectComparison { operand: a.describe() }, a.span());
        }
        (_, Kind::Object) => {
            return error(CheckErrorKind::ObjectComparison { operand: b.describe() }, b.span());
        }
        _ => {}
    }
    if op.is_string_operator() {
        for side in [&*a, &*b] {
            let text = match kind(side) {
                Kind::Constant(ty) | Kind::Attribute(ty) => ty.is_textual(),
                Kind::Nil | Kind::Object => false,
            };
            if !text {
                return error(
                    CheckErrorKind::NotText { operator: op, operand: side.describe() },
                    side.span(),
                );
            }
        }
        if let (Operator::Matches, Side::Constant(Value::String(pattern) | Value::Uri(pattern), span)) =
            (op, &*b)
            && let Err(e) = strings::string_op(Operator::Matches, "", pattern, options)
        {
            return error(CheckErrorKind::InvalidRegex { pattern: e.pattern, reason: e.reason }, *span);
        }
        return Ok(());
    }
    // json and binary attributes: only `== nil` / `!= nil`, and binary == / != bytes.
    for (side, other) in [(&*a, kb), (&*b, ka)] {
        if let Kind::Attribute(ty @ (AttributeType::Json | AttributeType::Binary)) = kind(side) {
            let allowed = equality
                && match other {
                    Kind::Nil => true,
                    Kind::Constant(AttributeType::Binary) => ty == AttributeType::Binary,
                    _ => false,
                };
            if !allowed {
                let kind = CheckErrorKind::UnsupportedOperator { operator: op, operand: side.describe(), ty };
                return error(kind, side.span());
            }
        }
    }
    match (ka, kb) {
        (Kind::Nil, _) | (_, Kind::Nil) => Ok(()),
        (Kind::Attribute(ty), Kind::Constant(_)) => fit(b, ty, a),
        (Kind::Constant(_), Kind::Attribute(ty)) => fit(a, ty, b),
        (Kind::Attribute(x) | Kind::Constant(x), Kind::Attribute(y) | Kind::Constant(y))
            if compatible(x, y) =>
        {
            Ok(())
        }
        _ => error(CheckErrorKind::TypeMismatch { left: a.describe(), right: b.describe() }, b.span()),
    }
}

/// Types that compare with each other: numbers (and bools) together, text together,
/// otherwise the same type.
fn compatible(x: AttributeType, y: AttributeType) -> bool {
    (x.is_numeric() && y.is_numeric()) || (x.is_textual() && y.is_textual()) || x == y
}

/// Fits the constant `side` to an attribute of type `ty` (described by `attribute`):
/// numbers stay numbers against numeric attributes, text parses as a date, uuid or decimal
/// against those, text stays text against string and uri attributes.
fn fit(side: &mut Side, ty: AttributeType, attribute: &Side) -> Result<(), CheckError> {
    let found = match side {
        Side::Constant(value, _) => value.attribute_type(),
        Side::List(..) | Side::Path(..) => return Ok(()),
    };
    let keeps = match found {
        Some(f) if ty.is_numeric() => f.is_numeric(),
        Some(f) => compatible(f, ty),
        None => true,
    };
    if keeps {
        return Ok(());
    }
    let parses = matches!(ty, AttributeType::Date | AttributeType::Uuid | AttributeType::Decimal)
        && found == Some(AttributeType::String);
    if !parses {
        let kind = CheckErrorKind::TypeMismatch { left: attribute.describe(), right: side.describe() };
        return error(kind, side.span());
    }
    let Side::Constant(value, span) = side else { return Ok(()) };
    match value.clone().coerce(ty) {
        Ok(fitted) => {
            *value = fitted;
            Ok(())
        }
        Err(e) => {
            let kind =
                CheckErrorKind::InvalidConstant { operand: attribute.describe(), expected: ty, error: e };
            error(kind, *span)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrored_operators_swap_direction_only() {
        for (op, m) in [
            (Operator::Less, Operator::Greater),
            (Operator::LessOrEqual, Operator::GreaterOrEqual),
            (Operator::Equal, Operator::Equal),
            (Operator::NotEqual, Operator::NotEqual),
        ] {
            assert_eq!(mirror(op), m);
            assert_eq!(mirror(m), op);
        }
    }

    #[test]
    fn compatible_kinds() {
        use AttributeType as T;
        assert!(compatible(T::Int16, T::Double) && compatible(T::Bool, T::Decimal));
        assert!(compatible(T::String, T::Uri));
        assert!(compatible(T::Date, T::Date) && compatible(T::Uuid, T::Uuid));
        assert!(!compatible(T::String, T::Int64) && !compatible(T::Date, T::Int64));
        assert!(!compatible(T::Uuid, T::Binary));
    }
}
