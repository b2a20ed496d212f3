//! Binding placeholders (`%@ %K %d %i %f %s`) to arguments, and `CAST(n, "NSDate")`.
//!
//! Arguments are taken in order as the parser meets placeholders; each becomes a constant,
//! a list of constants or a key path carrying the placeholder's span. An argument is never
//! spliced into the text and re-parsed as a predicate: only `%K` reads its argument, and
//! only as key path text.

use strata_model::{Date, Value};

use super::{Parsed, Parser};
use crate::ast::{Argument, Expr, KeyPath, PathBase, PathComponent, Span};
use crate::lexer::{TokenKind, collection_operator, is_identifier};
use crate::parse_error::{ParseError, ParseErrorKind};

impl Parser<'_> {
    /// `placeholder := "%@" | "%K" | "%d" | "%i" | "%f" | "%s"`, bound to the next argument.
    pub(super) fn placeholder(&mut self) -> Parsed<Expr> {
        let TokenKind::Placeholder(letter) = self.token.kind else {
            return Err(self.unexpected("a placeholder"));
        };
        let span = self.advance()?;
        let index = self.next_argument;
        let placeholder = format!("%{letter}");
        let Some(argument) = self.args.get(index) else {
            let kind = ParseErrorKind::MissingArgument {
                placeholder,
                index: index + 1,
                used: index + 1 + self.placeholders_after(),
                given: self.args.len(),
            };
            return Err(self.error(kind, span));
        };
        self.next_argument += 1;
        let wrong_type = |expected: &'static str| ParseErrorKind::WrongArgumentType {
            placeholder: placeholder.clone(),
            index: index + 1,
            expected,
            found: describe_argument(argument),
        };
        let expr = match (letter, argument) {
            ('@', Argument::Value(v)) => Expr::Constant(v.clone(), span),
            ('@', Argument::List(values)) => {
                Expr::List(values.iter().map(|v| Expr::Constant(v.clone(), span)).collect(), span)
            }
            ('@', Argument::KeyPath(_)) => return Err(self.error(wrong_type("a value or a list"), span)),
            ('K', Argument::KeyPath(text) | Argument::Value(Value::String(text))) => {
                match key_path_from_text(text, span) {
                    Some(path) => Expr::KeyPath(path),
                    None => {
                        let kind = ParseErrorKind::InvalidKeyPathArgument {
                            index: index + 1,
                            key_path: text.clone(),
                        };
                        return Err(self.error(kind, span));
                    }
                }
            }
            ('K', _) => return Err(self.error(wrong_type("a key path"), span)),
            ('d' | 'i', Argument::Value(v @ (Value::Int16(_) | Value::Int32(_) | Value::Int64(_)))) => {
                Expr::Constant(v.clone(), span)
            }
            ('d' | 'i', _) => return Err(self.error(wrong_type("an integer"), span)),
            ('f', Argument::Value(v)) if is_number(v) => match v.as_f64() {
                Some(f) => Expr::Constant(Value::Double(f), span),
                None => return Err(self.error(wrong_type("a number"), span)),
            },
            ('f', _) => return Err(self.error(wrong_type("a number"), span)),
            ('s', Argument::Value(v @ Value::String(_))) => Expr::Constant(v.clone(), span),
            ('s', _) => return Err(self.error(wrong_type("a string"), span)),
            _ => return Err(self.unexpected_at("a placeholder", span)),
        };
        Ok(Box::new(expr))
    }

    /// How many placeholders follow, counting the look-ahead token, to say how many
    /// arguments the format needs. A lexing error ends the count: that part is not a format.
    fn placeholders_after(&self) -> usize {
        let mut count = usize::from(matches!(self.token.kind, TokenKind::Placeholder(_)));
        let mut lexer = self.lexer.clone();
        while let Ok(token) = lexer.next_token() {
            match token.kind {
                TokenKind::Placeholder(_) => count += 1,
                TokenKind::End => break,
                _ => {}
            }
        }
        count
    }

    /// `cast := "CAST" "(" (NUMBER | placeholder) "," STRING ")"`: only numbers of seconds
    /// since 2001-01-01T00:00:00Z cast to `"NSDate"`.
    pub(super) fn cast(&mut self) -> Parsed<Expr> {
        let keyword = self.advance()?;
        let open = self.expect(&TokenKind::LeftParen, "'(' after CAST")?;
        let seconds_span = self.token.span;
        let seconds = match &self.token.kind {
            TokenKind::Number(v) => {
                let v = v.clone();
                self.advance()?;
                v
            }
            TokenKind::Placeholder(_) => match *self.placeholder()? {
                Expr::Constant(v, _) if is_number(&v) => v,
                Expr::Constant(v, _) => {
                    return Err(self.cast_needs_number(v.type_name().to_owned(), seconds_span));
                }
                Expr::List(..) => return Err(self.cast_needs_number("a list".into(), seconds_span)),
                Expr::KeyPath(_) => return Err(self.cast_needs_number("a key path".into(), seconds_span)),
            },
            _ => return Err(self.cast_needs_number(self.describe_current(), seconds_span)),
        };
        self.expect(&TokenKind::Comma, "',' after the number of seconds in CAST")?;
        match &self.token.kind {
            TokenKind::Str(target) if target == "NSDate" => {}
            TokenKind::Str(target) => {
                let kind = ParseErrorKind::UnsupportedCast { target: target.clone() };
                return Err(self.error(kind, self.token.span));
            }
            _ => return Err(self.unexpected("the type name \"NSDate\"")),
        }
        self.advance()?;
        self.close(open, ')')?;
        let date = date_from_seconds(&seconds, self.text(seconds_span));
        Ok(Box::new(Expr::Constant(Value::Date(date), Span::new(keyword.start, self.previous_end))))
    }

    fn cast_needs_number(&self, found: String, span: Span) -> Box<ParseError> {
        self.error(ParseErrorKind::CastNeedsNumber { found }, span)
    }
}

fn is_number(v: &Value) -> bool {
    matches!(
        v,
        Value::Int16(_)
            | Value::Int32(_)
            | Value::Int64(_)
            | Value::Double(_)
            | Value::Float(_)
            | Value::Decimal(_)
    )
}

/// How an argument is named in messages: a value's type name, `a list` or `a key path`.
fn describe_argument(argument: &Argument) -> String {
    match argument {
        Argument::Value(v) => v.type_name().to_owned(),
        Argument::List(_) => "a list".to_owned(),
        Argument::KeyPath(_) => "a key path".to_owned(),
    }
}

/// The date `seconds` after the reference date. A decimal literal with at most six
/// fractional digits (`text`, as written) converts exactly to microseconds, so every date
/// the formatter prints parses back to the same microsecond even far from 2001, where a
/// trip through `f64` could be off by one; anything else goes through
/// [`Date::from_reference_seconds`].
fn date_from_seconds(seconds: &Value, text: &str) -> Date {
    let reference = i128::from(Date::from_reference_seconds(0.0).unix_micros());
    let exact = exact_micros(text).and_then(|m| i64::try_from(m + reference).ok());
    match exact {
        Some(micros) => Date::from_unix_micros(micros),
        None => Date::from_reference_seconds(seconds.as_f64().unwrap_or(0.0)),
    }
}

/// `[-]digits[.digits]` (at most six fractional digits) as microseconds, if it is short
/// enough to be a date at all.
fn exact_micros(text: &str) -> Option<i128> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 24
        || !all_digits(whole)
        || !all_digits(fraction)
        || fraction.len() > 6
    {
        return None;
    }
    let whole: i128 = whole.parse().ok()?;
    let fraction: i128 = if fraction.is_empty() { 0 } else { format!("{fraction:0<6}").parse().ok()? };
    let micros = whole * 1_000_000 + fraction;
    Some(if negative { -micros } else { micros })
}

/// Key path text as `%K` and key path substitution variables take it: names separated by
/// dots (`folder.name`, `tags.@count`), optionally starting with `SELF`. Names are taken
/// literally, so keywords are fine here (`size`, `in`). `None` when the text is not a key
/// path.
pub(crate) fn key_path_from_text(text: &str, span: Span) -> Option<KeyPath> {
    let mut parts = text.split('.');
    let first = parts.next()?;
    let mut components = Vec::new();
    if !first.eq_ignore_ascii_case("SELF") {
        if !is_identifier(first) {
            return None;
        }
        components.push(PathComponent::Key(first.to_owned()));
    }
    for part in parts {
        let component = match part.strip_prefix('@') {
            Some(name) => collection_operator(name)?,
            None if is_identifier(part) => PathComponent::Key(part.to_owned()),
            None => return None,
        };
        components.push(component);
    }
    Some(KeyPath { base: PathBase::SelfObject, components, span })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_micros_reads_six_fraction_digits_at_most() {
        assert_eq!(exact_micros("1.5"), Some(1_500_000));
        assert_eq!(exact_micros("-0.000001"), Some(-1));
        assert_eq!(exact_micros("12"), Some(12_000_000));
        assert_eq!(exact_micros("1.0000005"), None);
        assert_eq!(exact_micros("1e3"), None);
        assert_eq!(exact_micros("9".repeat(25).as_str()), None);
    }

    #[test]
    fn key_path_text() {
        let kp = key_path_from_text("folder.in.@count", Span::default()).unwrap();
        assert_eq!(
            kp.components,
            [PathComponent::Key("folder".into()), PathComponent::Key("in".into()), PathComponent::Count]
        );
        assert!(key_path_from_text("SELF", Span::default()).unwrap().components.is_empty());
        for bad in ["", "a..b", "a.", "@count", "a.@first", "a b", "1a", "a;DROP"] {
            assert!(key_path_from_text(bad, Span::default()).is_none(), "{bad}");
        }
    }
}
