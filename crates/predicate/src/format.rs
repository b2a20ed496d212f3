//! The canonical text form of predicates (`Display`), and the span-free form used to compare
//! trees ([`Predicate::without_spans`]).
//!
//! The printer writes NSPredicate syntax that [`Predicate::parse`] reads back to the same
//! tree: keywords upper-case, `==`/`!=`, strings double-quoted with escapes, `nil`,
//! `YES`/`NO`, dates as `CAST(<seconds since 2001>, "NSDate")`, lists `{1, 2}`, parentheses
//! only where precedence needs them, and keys that are keywords escaped (`#in`). It must
//! never print anything that parses to a different predicate; values that have no literal
//! syntax are the documented exception (see the `Display` impl of [`Expr`]).

use std::fmt::{self, Write};

use strata_model::{Date, Value};

use crate::ast::{Comparison, Expr, KeyPath, Operator, PathBase, PathComponent, Predicate, Quantifier, Span};
use crate::ast::{StringOptions, Subquery};
use crate::lexer::{is_identifier, keyword};

impl fmt::Display for Predicate {
    /// The canonical format string: `title BEGINSWITH[c] "rust" AND score > 2`.
    ///
    /// An `And`/`Or` with no operand prints as `TRUEPREDICATE`/`FALSEPREDICATE` and one with
    /// a single operand as that operand, which is what they mean.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Printer::new(f, None).predicate(self, Context::Top)
    }
}

impl fmt::Display for Expr {
    /// The operand as written in a predicate.
    ///
    /// Values with a literal syntax round-trip: `nil`, `YES`/`NO`, integers (as `Int64`),
    /// finite doubles (as `Double`), strings, dates. Other values print in a readable form
    /// that does not parse back to the same value: `int16`/`int32` and `float` as plain
    /// numbers (they parse as `int64`/`double`), decimals as plain numbers (parsed as
    /// doubles), uuids and uris as quoted strings (parsed as strings, which `check` fits to a
    /// uuid or uri attribute), NaN and infinities as `nan`/`inf`/`-inf`, binary as
    /// `<0a1b>` hex and json as its JSON text (neither parses).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Printer::new(f, None).expr(self)
    }
}

impl fmt::Display for KeyPath {
    /// `folder.name`, `SELF`, `$x.score`, `SUBQUERY(tags, $t, $t.score > 1).@count`; keys
    /// that are keywords are escaped with `#`. A key that is not a valid name (only code can
    /// build one) prints as is and does not parse back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Printer::new(f, None).key_path(self)
    }
}

impl fmt::Display for Operator {
    /// The canonical spelling (`==`, `BEGINSWITH`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

impl fmt::Display for Quantifier {
    /// `ANY`, `ALL`, `NONE`, or nothing for [`Quantifier::Direct`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Quantifier::Direct => "",
            Quantifier::Any => "ANY",
            Quantifier::All => "ALL",
            Quantifier::None => "NONE",
        })
    }
}

impl Predicate {
    /// The same predicate with every span set to `0..0`, to compare trees regardless of
    /// where they came from (`parse(p.to_string()).without_spans() == p.without_spans()`).
    pub fn without_spans(&self) -> Predicate {
        match self {
            Predicate::True => Predicate::True,
            Predicate::False => Predicate::False,
            Predicate::And(ps) => Predicate::And(ps.iter().map(Predicate::without_spans).collect()),
            Predicate::Or(ps) => Predicate::Or(ps.iter().map(Predicate::without_spans).collect()),
            Predicate::Not(p) => Predicate::Not(Box::new(p.without_spans())),
            Predicate::Comparison(c) => Predicate::Comparison(Comparison {
                left: expr_without_spans(&c.left),
                right: expr_without_spans(&c.right),
                span: Span::default(),
                ..c.clone()
            }),
        }
    }
}

fn expr_without_spans(expr: &Expr) -> Expr {
    match expr {
        Expr::Constant(v, _) => Expr::Constant(v.clone(), Span::default()),
        Expr::List(items, _) => Expr::List(items.iter().map(expr_without_spans).collect(), Span::default()),
        Expr::KeyPath(k) => Expr::KeyPath(key_path_without_spans(k)),
    }
}

fn key_path_without_spans(path: &KeyPath) -> KeyPath {
    let base = match &path.base {
        PathBase::Subquery(s) => PathBase::Subquery(Box::new(Subquery {
            collection: key_path_without_spans(&s.collection),
            variable: s.variable.clone(),
            predicate: s.predicate.without_spans(),
        })),
        other => other.clone(),
    };
    KeyPath { base, components: path.components.clone(), span: Span::default() }
}

/// `predicate`'s canonical text and the span of `target` (a key path inside `predicate`,
/// found by address) within that text; used to point errors of a predicate that has no
/// source text of its own.
pub(crate) fn text_locating(predicate: &Predicate, target: &KeyPath) -> (String, Span) {
    let mut text = String::new();
    let mut printer = Printer::new(&mut text, Some(target));
    // Writing to a String cannot fail.
    let _ = printer.predicate(predicate, Context::Top);
    let span = printer.found.unwrap_or_default();
    (text, span)
}

/// Where a compound predicate is printed, which decides whether it needs parentheses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Top,
    InAnd,
    InOr,
    InNot,
}

/// Writes the canonical form, counting bytes so it can report where a node landed.
struct Printer<'t, W> {
    out: W,
    written: usize,
    target: Option<&'t KeyPath>,
    found: Option<Span>,
}

impl<W: Write> Write for Printer<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.written += s.len();
        self.out.write_str(s)
    }
}

impl<'t, W: Write> Printer<'t, W> {
    fn new(out: W, target: Option<&'t KeyPath>) -> Printer<'t, W> {
        Printer { out, written: 0, target, found: None }
    }

    fn predicate(&mut self, predicate: &Predicate, context: Context) -> fmt::Result {
        match predicate {
            Predicate::True => self.write_str("TRUEPREDICATE"),
            Predicate::False => self.write_str("FALSEPREDICATE"),
            Predicate::And(ps) => self.compound(ps, " AND ", "TRUEPREDICATE", Context::InAnd, context),
            Predicate::Or(ps) => self.compound(ps, " OR ", "FALSEPREDICATE", Context::InOr, context),
            Predicate::Not(p) => {
                self.write_str("NOT ")?;
                self.predicate(p, Context::InNot)
            }
            Predicate::Comparison(c) => self.comparison(c),
        }
    }

    /// `a AND b AND c`, parenthesised unless the surrounding context binds more loosely
    /// (only an `AND` inside an `OR`, or anything at the top, goes bare). A nested group of
    /// the same operator keeps its parentheses so it parses back as a separate node.
    fn compound(
        &mut self,
        operands: &[Predicate],
        separator: &str,
        empty: &str,
        inner: Context,
        outer: Context,
    ) -> fmt::Result {
        match operands {
            [] => return self.write_str(empty),
            [only] => return self.predicate(only, outer),
            _ => {}
        }
        let bare = outer == Context::Top || (inner == Context::InAnd && outer == Context::InOr);
        if !bare {
            self.write_char('(')?;
        }
        for (i, p) in operands.iter().enumerate() {
            if i > 0 {
                self.write_str(separator)?;
            }
            self.predicate(p, inner)?;
        }
        if !bare {
            self.write_char(')')?;
        }
        Ok(())
    }

    fn comparison(&mut self, c: &Comparison) -> fmt::Result {
        if c.quantifier != Quantifier::Direct {
            write!(self, "{} ", c.quantifier)?;
        }
        self.expr(&c.left)?;
        write!(self, " {}", c.operator)?;
        self.options(c.options)?;
        self.write_char(' ')?;
        self.expr(&c.right)
    }

    fn options(&mut self, options: StringOptions) -> fmt::Result {
        match (options.case_insensitive, options.diacritic_insensitive) {
            (true, true) => self.write_str("[cd]"),
            (true, false) => self.write_str("[c]"),
            (false, true) => self.write_str("[d]"),
            (false, false) => Ok(()),
        }
    }

    fn expr(&mut self, expr: &Expr) -> fmt::Result {
        match expr {
            Expr::Constant(v, _) => self.value(v),
            Expr::List(items, _) => {
                self.write_char('{')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.write_str(", ")?;
                    }
                    self.expr(item)?;
                }
                self.write_char('}')
            }
            Expr::KeyPath(k) => self.key_path(k),
        }
    }

    fn key_path(&mut self, path: &KeyPath) -> fmt::Result {
        let start = self.written;
        let mut components = path.components.iter();
        match &path.base {
            PathBase::SelfObject => match path.components.first() {
                Some(PathComponent::Key(key)) => {
                    components.next();
                    self.key(key)?;
                }
                _ => self.write_str("SELF")?,
            },
            PathBase::Variable(name) => write!(self, "${name}")?,
            PathBase::Subquery(s) => {
                self.write_str("SUBQUERY(")?;
                self.key_path(&s.collection)?;
                write!(self, ", ${}, ", s.variable)?;
                self.predicate(&s.predicate, Context::Top)?;
                self.write_char(')')?;
            }
        }
        for component in components {
            self.write_char('.')?;
            match component {
                PathComponent::Key(key) => self.key(key)?,
                PathComponent::Count => self.write_str("@count")?,
                PathComponent::Sum => self.write_str("@sum")?,
                PathComponent::Avg => self.write_str("@avg")?,
                PathComponent::Min => self.write_str("@min")?,
                PathComponent::Max => self.write_str("@max")?,
            }
        }
        if self.target.is_some_and(|t| std::ptr::eq(t, path)) {
            self.found = Some(Span::new(start, self.written));
        }
        Ok(())
    }

    fn key(&mut self, key: &str) -> fmt::Result {
        if is_identifier(key) && keyword(key).is_some() {
            self.write_char('#')?;
        }
        self.write_str(key)
    }

    fn value(&mut self, value: &Value) -> fmt::Result {
        match value {
            Value::Null => self.write_str("nil"),
            Value::Bool(true) => self.write_str("YES"),
            Value::Bool(false) => self.write_str("NO"),
            Value::Int16(v) => write!(self, "{v}"),
            Value::Int32(v) => write!(self, "{v}"),
            Value::Int64(v) => write!(self, "{v}"),
            Value::Double(v) => self.float(*v),
            Value::Float(v) => self.float(f64::from(*v)),
            Value::Decimal(d) => write!(self, "{d}"),
            Value::String(s) | Value::Uri(s) => self.string(s),
            Value::Uuid(u) => self.string(&u.to_string()),
            Value::Date(d) => self.date(*d),
            Value::Binary(bytes) => {
                self.write_char('<')?;
                for b in bytes {
                    write!(self, "{b:02x}")?;
                }
                self.write_char('>')
            }
            Value::Json(j) => write!(self, "{j}"),
        }
    }

    /// Shortest text that reads back as the same double, always with a `.` or an exponent
    /// so it stays a double.
    fn float(&mut self, v: f64) -> fmt::Result {
        match v {
            v if v.is_nan() => self.write_str("nan"),
            v if v.is_infinite() => self.write_str(if v > 0.0 { "inf" } else { "-inf" }),
            v => write!(self, "{v:?}"),
        }
    }

    /// `CAST(<seconds>, "NSDate")` with the seconds as an exact decimal, so the parser
    /// reads back the very same microsecond.
    fn date(&mut self, date: Date) -> fmt::Result {
        let reference = i128::from(Date::from_reference_seconds(0.0).unix_micros());
        let micros = i128::from(date.unix_micros()) - reference;
        let sign = if micros < 0 { "-" } else { "" };
        let (whole, fraction) = (micros.abs() / 1_000_000, micros.abs() % 1_000_000);
        if fraction == 0 {
            write!(self, "CAST({sign}{whole}, \"NSDate\")")
        } else {
            let fraction = format!("{fraction:06}");
            write!(self, "CAST({sign}{whole}.{}, \"NSDate\")", fraction.trim_end_matches('0'))
        }
    }

    /// A double-quoted string; `"`, `\` and control characters escaped.
    fn string(&mut self, s: &str) -> fmt::Result {
        self.write_char('"')?;
        for c in s.chars() {
            match c {
                '"' => self.write_str("\\\"")?,
                '\\' => self.write_str("\\\\")?,
                '\n' => self.write_str("\\n")?,
                '\t' => self.write_str("\\t")?,
                '\r' => self.write_str("\\r")?,
                '\0' => self.write_str("\\0")?,
                c if c.is_control() => write!(self, "\\u{:04x}", u32::from(c))?,
                c => self.write_char(c)?,
            }
        }
        self.write_char('"')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        match Predicate::parse(text) {
            Ok(p) => p.to_string(),
            Err(e) => e.render(),
        }
    }

    #[test]
    fn parentheses_only_where_precedence_needs_them() {
        assert_eq!(round_trip("a == 1 AND (b == 2 OR c == 3)"), "a == 1 AND (b == 2 OR c == 3)");
        assert_eq!(round_trip("(a == 1 AND b == 2) OR c == 3"), "a == 1 AND b == 2 OR c == 3");
        assert_eq!(round_trip("(a == 1 AND b == 2) AND c = 3"), "(a == 1 AND b == 2) AND c == 3");
        assert_eq!(round_trip("!(a = 1 && b = 2)"), "NOT (a == 1 AND b == 2)");
        assert_eq!(round_trip("NOT NOT a <> 1"), "NOT NOT a != 1");
    }

    #[test]
    fn values_and_keys() {
        assert_eq!(round_trip(r#"#in == "a\"b\\c\u0001""#), r#"#in == "a\"b\\c\u0001""#);
        assert_eq!(round_trip("a => 1.5e300 AND b =< -0.0"), "a >= 1.5e300 AND b <= -0.0");
        assert_eq!(round_trip("d == CAST(-1.25, 'NSDate')"), r#"d == CAST(-1.25, "NSDate")"#);
        assert_eq!(round_trip("self.x.@COUNT == 0 AND SELF == nil"), "x.@count == 0 AND SELF == nil");
    }

    #[test]
    fn degenerate_compounds_print_what_they_mean() {
        assert_eq!(Predicate::And(vec![]).to_string(), "TRUEPREDICATE");
        assert_eq!(Predicate::Or(vec![]).to_string(), "FALSEPREDICATE");
        let inner = Predicate::Or(vec![Predicate::True, Predicate::False]);
        let p = Predicate::And(vec![Predicate::And(vec![inner]), Predicate::True]);
        assert_eq!(p.to_string(), "(TRUEPREDICATE OR FALSEPREDICATE) AND TRUEPREDICATE");
    }
}
