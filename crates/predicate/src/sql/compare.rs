//! Comparisons to SQL, following `semantics.md`: quantifiers as `EXISTS` / `NOT EXISTS`,
//! `==` as `IS`, orderings that are false (0) rather than NULL when a side is nil, string
//! operators and `[c]`/`[d]` through `strata_string_op`, decided at compile time when the
//! operands' static types can never compare.
//!
//! Every expression produced here is 0 or 1 for every row, never NULL.

use crate::ast::{Comparison, Expr, Operator, Quantifier, Span, StringOptions};
use crate::strings::{operator_code, options_code};

use super::compile::{Compiled, Compiler, Fail, Scope};
use super::operand::{Element, Kind, Operand, Scalar};
use super::{CompileError, PRIMARY_KEY_COLUMN, STRING_OP_FUNCTION, qualified};

/// The left side of one scalar test.
enum Left {
    Scalar(Scalar),
    Object(String),
}

impl Compiler<'_> {
    /// Compiles a comparison to a 0/1 expression.
    pub(super) fn comparison(&mut self, c: &Comparison, scope: &Scope) -> Compiled<String> {
        // `3 < score` means `score > 3`; string operators keep their roles as written.
        let (left, operator, right) = match (&c.left, &c.right, mirrored(c.operator)) {
            (Expr::Constant(..), Expr::KeyPath(_), Some(m)) => (&c.right, m, &c.left),
            _ => (&c.left, c.operator, &c.right),
        };
        let left = self.operand(left, scope)?;
        let right = self.operand(right, scope)?;
        match left {
            Operand::Collection(collection) => {
                let element = match &collection.element {
                    Element::Value(s) => Left::Scalar(s.clone()),
                    Element::Object { alias, .. } => Left::Object(qualified(alias, PRIMARY_KEY_COLUMN)),
                };
                let test = self.test(element, operator, c.options, &right, c.span)?;
                Ok(match c.quantifier {
                    Quantifier::Direct | Quantifier::Any => collection.exists(&test),
                    Quantifier::All => format!("NOT {}", collection.exists(&format!("NOT ({test})"))),
                    Quantifier::None => format!("NOT {}", collection.exists(&test)),
                })
            }
            _ if c.quantifier != Quantifier::Direct => Err(CompileError::WrongShape {
                needed_by: "ANY, ALL and NONE need a to-many key path on the left",
                span: c.left.span(),
            }
            .into()),
            Operand::Scalar(s) => self.test(Left::Scalar(s), operator, c.options, &right, c.span),
            Operand::Object { pk } => self.test(Left::Object(pk), operator, c.options, &right, c.span),
            // A list on the left has no meaning the specification gives; let the evaluator say.
            Operand::List(_) => Err(Fail::Residual),
        }
    }

    fn operand(&mut self, expr: &Expr, scope: &Scope) -> Compiled<Operand> {
        match expr {
            Expr::Constant(v, _) => Ok(Operand::Scalar(Scalar::Const(v.clone()))),
            Expr::KeyPath(path) => self.key_path(path, scope),
            Expr::List(items, _) => {
                let mut scalars = Vec::with_capacity(items.len());
                for item in items {
                    match self.operand(item, scope)? {
                        Operand::Scalar(s) => scalars.push(s),
                        _ => return Err(Fail::Residual),
                    }
                }
                Ok(Operand::List(scalars))
            }
        }
    }

    /// One element (or the single value) on the left against the right operand.
    fn test(
        &mut self,
        left: Left,
        operator: Operator,
        options: StringOptions,
        right: &Operand,
        span: Span,
    ) -> Compiled<String> {
        let left = match left {
            Left::Object(pk) => {
                return match (operator, right) {
                    (Operator::Equal, Operand::Scalar(r)) if r.is_nil() => Ok(format!("{pk} IS NULL")),
                    (Operator::NotEqual, Operand::Scalar(r)) if r.is_nil() => Ok(format!("{pk} IS NOT NULL")),
                    _ => Err(CompileError::ObjectComparison { span }.into()),
                };
            }
            Left::Scalar(s) => s,
        };
        match (operator, right) {
            (_, Operand::Object { .. }) => Err(CompileError::ObjectComparison { span }.into()),
            (Operator::In, Operand::List(items)) => self.in_list(&left, items, options),
            (Operator::In, Operand::Collection(collection)) => match &collection.element {
                Element::Value(e) => {
                    let test = self.equal(&left, e, options)?;
                    Ok(collection.exists(&test))
                }
                Element::Object { .. } => Err(CompileError::ObjectComparison { span }.into()),
            },
            (Operator::Between, Operand::List(items)) => match items.as_slice() {
                [low, high] => {
                    let ge = self.order(&left, Operator::GreaterOrEqual, low, options)?;
                    let le = self.order(&left, Operator::LessOrEqual, high, options)?;
                    Ok(format!("({ge} AND {le})"))
                }
                _ => Err(CompileError::BetweenNeedsTwoValues { span }.into()),
            },
            (_, Operand::Scalar(r)) if !matches!(operator, Operator::In | Operator::Between) => {
                self.scalar_compare(&left, operator, options, r)
            }
            // A single value on the right of IN/BETWEEN, or a collection or list on the right
            // of another operator: shapes the specification leaves to the evaluator.
            _ => Err(Fail::Residual),
        }
    }

    fn scalar_compare(
        &mut self,
        l: &Scalar,
        op: Operator,
        options: StringOptions,
        r: &Scalar,
    ) -> Compiled<String> {
        if l.kind() == Kind::Decimal || r.kind() == Kind::Decimal {
            return Err(Fail::Residual);
        }
        if op.is_string_operator() {
            // Both sides must be text; nil and every other type make the test false.
            if l.kind() != Kind::Text || r.kind() != Kind::Text {
                return Ok("0".to_owned());
            }
            if let (Operator::BeginsWith, false, Scalar::Expr { column: true, sql, .. }, Scalar::Const(v)) =
                (op, options.any(), l, r)
                && let Some(prefix) = v.as_str()
            {
                return Ok(self.prefix_range(sql, prefix));
            }
            return self.string_function(op, l, r, options);
        }
        match op {
            Operator::Equal => self.equal(l, r, options),
            Operator::NotEqual => Ok(format!("NOT ({})", self.equal(l, r, options)?)),
            _ => self.order(l, op, r, options),
        }
    }

    /// `l == r` as 0/1.
    fn equal(&mut self, l: &Scalar, r: &Scalar, options: StringOptions) -> Compiled<String> {
        match (l.is_nil(), r.is_nil()) {
            (true, true) => return Ok("1".to_owned()),
            (false, true) => return self.is_null(l),
            (true, false) => return self.is_null(r),
            (false, false) => {}
        }
        let (lk, rk) = (l.kind(), r.kind());
        if matches!(lk, Kind::Decimal | Kind::Json) || matches!(rk, Kind::Decimal | Kind::Json) {
            return Err(Fail::Residual);
        }
        if options.any() && lk == Kind::Text && rk == Kind::Text {
            return self.string_function(Operator::Equal, l, r, options);
        }
        if !lk.compares_with(rk) {
            // Values of these types are never equal, but nil equals nil.
            if l.nullable() && r.nullable() {
                let (ls, rs) = (self.render(l)?, self.render(r)?);
                return Ok(format!("({ls} IS NULL AND {rs} IS NULL)"));
            }
            return Ok("0".to_owned());
        }
        let (ls, rs) = (self.render(l)?, self.render(r)?);
        Ok(format!("{ls} IS {rs}"))
    }

    fn is_null(&mut self, s: &Scalar) -> Compiled<String> {
        if !s.nullable() {
            return Ok("0".to_owned());
        }
        Ok(format!("{} IS NULL", self.render(s)?))
    }

    /// `l < r` (or another ordering) as 0/1: false when either side is nil or the types do
    /// not compare.
    fn order(&mut self, l: &Scalar, op: Operator, r: &Scalar, options: StringOptions) -> Compiled<String> {
        if l.is_nil() || r.is_nil() {
            return Ok("0".to_owned());
        }
        let (lk, rk) = (l.kind(), r.kind());
        if matches!(lk, Kind::Decimal | Kind::Json) || matches!(rk, Kind::Decimal | Kind::Json) {
            return Err(Fail::Residual);
        }
        if options.any() && lk == Kind::Text && rk == Kind::Text {
            return self.string_function(op, l, r, options);
        }
        if !lk.compares_with(rk) {
            return Ok("0".to_owned());
        }
        let symbol = match op {
            Operator::Less => "<",
            Operator::LessOrEqual => "<=",
            Operator::Greater => ">",
            Operator::GreaterOrEqual => ">=",
            _ => return Err(Fail::Residual),
        };
        let (ls, rs) = (self.render(l)?, self.render(r)?);
        let cheap = |s: &Scalar| matches!(s, Scalar::Const(_) | Scalar::Expr { column: true, .. });
        Ok(match (l.nullable(), r.nullable()) {
            (false, false) => format!("{ls} {symbol} {rs}"),
            _ if cheap(l) && cheap(r) => {
                let mut guards: Vec<String> = Vec::new();
                for (s, sql) in [(l, &ls), (r, &rs)] {
                    if s.nullable() {
                        guards.push(format!("{sql} IS NOT NULL"));
                    }
                }
                format!("({} AND {ls} {symbol} {rs})", guards.join(" AND "))
            }
            _ => format!("COALESCE({ls} {symbol} {rs}, 0)"),
        })
    }

    /// `l IN {items}`: some item equals `l`.
    fn in_list(&mut self, l: &Scalar, items: &[Scalar], options: StringOptions) -> Compiled<String> {
        let native = matches!(l, Scalar::Expr { column: true, .. })
            && !(options.any() && l.kind() == Kind::Text)
            && !matches!(l.kind(), Kind::Decimal | Kind::Json)
            && items.iter().all(|i| matches!(i, Scalar::Const(_)));
        if native {
            // `col IN (?, ?)` keeps the index usable; nil items become `col IS NULL`.
            let mut values = Vec::new();
            let mut has_nil = false;
            for item in items {
                let kind = item.kind();
                if item.is_nil() {
                    has_nil = true;
                } else if kind == Kind::Decimal || kind == Kind::Json {
                    return Err(Fail::Residual);
                } else if l.kind().compares_with(kind) {
                    values.push(self.render(item)?);
                }
            }
            let column = self.render(l)?;
            return Ok(match (values.is_empty(), has_nil) {
                (true, false) => "0".to_owned(),
                (true, true) => format!("{column} IS NULL"),
                (false, true) => format!("({column} IS NULL OR {column} IN ({}))", values.join(", ")),
                (false, false) => format!("({column} IS NOT NULL AND {column} IN ({}))", values.join(", ")),
            });
        }
        if items.is_empty() {
            return Ok("0".to_owned());
        }
        let tests = items.iter().map(|item| self.equal(l, item, options)).collect::<Compiled<Vec<_>>>()?;
        Ok(format!("({})", tests.join(" OR ")))
    }

    /// `BEGINSWITH` without options on a text column, as a range the column's index serves:
    /// for valid UTF-8 the byte order is the code-point order, so the texts starting with
    /// `p` are exactly those in `[p, successor(p))`.
    fn prefix_range(&mut self, column: &str, prefix: &str) -> String {
        if prefix.is_empty() {
            return format!("{column} IS NOT NULL");
        }
        let low = self.bind_text(prefix.to_owned());
        match successor(prefix) {
            Some(high) => {
                let high = self.bind_text(high);
                format!("({column} IS NOT NULL AND {column} >= {low} AND {column} < {high})")
            }
            None => format!("({column} IS NOT NULL AND {column} >= {low})"),
        }
    }

    fn string_function(
        &mut self,
        op: Operator,
        l: &Scalar,
        r: &Scalar,
        options: StringOptions,
    ) -> Compiled<String> {
        let (ls, rs) = (self.render(l)?, self.render(r)?);
        Ok(format!("{STRING_OP_FUNCTION}({}, {ls}, {rs}, {})", operator_code(op), options_code(options)))
    }
}

/// The operator with its sides swapped, for operators whose sides may swap.
fn mirrored(op: Operator) -> Option<Operator> {
    Some(match op {
        Operator::Equal => Operator::Equal,
        Operator::NotEqual => Operator::NotEqual,
        Operator::Less => Operator::Greater,
        Operator::LessOrEqual => Operator::GreaterOrEqual,
        Operator::Greater => Operator::Less,
        Operator::GreaterOrEqual => Operator::LessOrEqual,
        _ => return None,
    })
}

/// The least string greater than every string starting with `prefix`: its last character
/// incremented (dropping trailing `char::MAX`es); `None` if there is none.
pub(super) fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match u32::from(last) + 1 {
            0xD800 => Some('\u{E000}'),
            n => char::from_u32(n),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::successor;

    #[test]
    fn successor_bounds_every_string_with_the_prefix() {
        assert_eq!(successor("abc").as_deref(), Some("abd"));
        assert_eq!(successor("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(successor("\u{10FFFF}"), None);
        for text in ["abc", "abc\u{10FFFF}\u{10FFFF}", "abcz", "abc\0"] {
            assert!(("abc".."abd").contains(&text), "{text:?}");
        }
    }
}
