//! [`ParseError`]: why a format string is not a predicate, where, and how to show it.
//!
//! Every error carries the byte span of the fault and the text it points into, so a caller
//! can print the message alone (`Display`, one line ending in ` at <byte offset>`) or with
//! the source and a caret under the fault ([`ParseError::render`]). Messages name what was
//! expected and what was found in the user's own spelling; they never expose parser
//! internals, and nothing here may panic on any input.

use std::fmt;

use crate::ast::Span;
use crate::error::render_caret;

/// The deepest nesting of parentheses, `NOT`, `SUBQUERY` and `{…}` lists the parser accepts.
pub(crate) const MAX_DEPTH: usize = 128;

/// A format string that is not a well-formed predicate, or arguments or variables that do
/// not fit it.
///
/// ```
/// use strata_predicate::{ParseErrorKind, Predicate};
/// let e = Predicate::parse("title BEGINSWITH").unwrap_err();
/// assert_eq!(e.to_string(), "expected a value after BEGINSWITH at 16");
/// assert_eq!(e.offset(), 16);
/// assert!(matches!(e.kind(), ParseErrorKind::ExpectedValue { .. }));
/// assert_eq!(e.render(), "expected a value after BEGINSWITH at 16\ntitle BEGINSWITH\n                ^");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    kind: ParseErrorKind,
    span: Span,
    source: String,
}

impl ParseError {
    /// An error of `kind` at `span` of `source`.
    pub(crate) fn new(kind: ParseErrorKind, span: Span, source: &str) -> ParseError {
        ParseError { kind, span, source: source.to_owned() }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }

    /// The byte range of the fault in [`source_text`](ParseError::source_text).
    pub fn span(&self) -> Span {
        self.span
    }

    /// The byte offset of the fault (the start of [`span`](ParseError::span)).
    pub fn offset(&self) -> usize {
        self.span.start
    }

    /// The text the span points into: the format string given to the parser, or for an
    /// error of [`Predicate::substitute`](crate::Predicate::substitute) the predicate's
    /// canonical (`Display`) form.
    pub fn source_text(&self) -> &str {
        &self.source
    }

    /// The message, a newline, and the source line with a caret under the fault:
    ///
    /// ```text
    /// expected a value after BEGINSWITH at 16
    /// title BEGINSWITH
    ///                 ^
    /// ```
    pub fn render(&self) -> String {
        format!("{self}\n{}", render_caret(&self.source, self.span))
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.kind, self.span.start)
    }
}

impl std::error::Error for ParseError {}

/// What went wrong while parsing a predicate, binding its arguments or substituting its
/// variables. Text fields hold the input as the user wrote it (or a short description such
/// as `end of input`), so messages quote the user's own spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// An operator or quantifier with no operand after it (`title BEGINSWITH`).
    ExpectedValue {
        /// The operator or quantifier as written (`BEGINSWITH`, `==`, `ANY`).
        after: String,
        /// What came instead (`end of input`, `')'`, …).
        found: String,
    },
    /// A token that cannot appear here.
    UnexpectedToken {
        /// What the grammar allows here.
        expected: String,
        /// What came instead.
        found: String,
    },
    /// A `(`, `{` or `[` that is never closed.
    Unclosed {
        /// The opening delimiter.
        open: char,
        /// The closing delimiter that was expected.
        close: char,
        /// Byte offset of the opening delimiter.
        opened_at: usize,
        /// What came instead of the closing delimiter.
        found: String,
    },
    /// A character that starts no token (`^`, a lone `&`).
    UnexpectedCharacter {
        /// The character.
        character: char,
    },
    /// A quoted string with no closing quote.
    UnterminatedString,
    /// A backslash escape a string may not contain (valid: `\" \' \\ \n \t \r \0 \uXXXX`).
    InvalidEscape {
        /// The escape as written (`\q`, `\u12`).
        escape: String,
    },
    /// A malformed number (`12abc`, `0x`, `1e`).
    InvalidNumber {
        /// The number as written.
        text: String,
    },
    /// An integer outside the 64-bit range, or a float literal too large to be finite.
    NumberOutOfRange {
        /// The number as written.
        text: String,
    },
    /// A comparison modifier other than `[c]`, `[d]`, `[cd]`.
    UnknownModifier {
        /// The modifier as written (`[x]`).
        modifier: String,
    },
    /// `@name` that is not `@count`, `@sum`, `@avg`, `@min` or `@max`.
    UnknownCollectionOperator {
        /// The operator as written, with its `@`.
        name: String,
    },
    /// `%` followed by something other than `@ K d i f s`.
    UnknownPlaceholder {
        /// The placeholder as written (`%x`).
        placeholder: String,
    },
    /// A placeholder with no argument left to fill it.
    MissingArgument {
        /// The placeholder as written (`%@`).
        placeholder: String,
        /// Its 1-based argument number.
        index: usize,
        /// How many placeholders the format has.
        used: usize,
        /// How many arguments were given.
        given: usize,
    },
    /// More arguments than placeholders.
    TooManyArguments {
        /// How many placeholders the format has.
        used: usize,
        /// How many arguments were given.
        given: usize,
    },
    /// An argument of a kind its placeholder does not take (`%d` with a string).
    WrongArgumentType {
        /// The placeholder as written (`%d`).
        placeholder: String,
        /// Its 1-based argument number.
        index: usize,
        /// What the placeholder takes (`an integer`).
        expected: &'static str,
        /// What was given: a value's type name (`string`, `null`), `a list` or `a key path`.
        found: String,
    },
    /// A `%K` argument whose text is not a key path.
    InvalidKeyPathArgument {
        /// Its 1-based argument number.
        index: usize,
        /// The argument's text.
        key_path: String,
    },
    /// `BETWEEN` without exactly two bounds.
    BetweenNeedsTwoValues {
        /// What the right-hand side was (`a list of 3 values`, `a key path`).
        found: String,
    },
    /// `CAST` of something other than a number.
    CastNeedsNumber {
        /// What was found instead.
        found: String,
    },
    /// `CAST` to a type other than `"NSDate"`.
    UnsupportedCast {
        /// The target type as written.
        target: String,
    },
    /// Parentheses, `NOT`, `SUBQUERY` or lists nested deeper than the limit.
    TooDeep {
        /// The deepest nesting allowed.
        limit: usize,
    },
    /// A `$variable` with no value in the substitution map.
    UnboundVariable {
        /// The variable's name, without `$`.
        name: String,
    },
    /// A substitution variable followed by keys (`$user.name`): only a bare `$user` can be
    /// replaced by a value.
    VariableWithKeys {
        /// The variable's name, without `$`.
        name: String,
    },
    /// A variable whose substituted argument does not fit its place: the collection of a
    /// `SUBQUERY` needs a key path, and a key path argument must be valid key path text.
    WrongVariableType {
        /// The variable's name, without `$`.
        name: String,
        /// What the place takes.
        expected: &'static str,
        /// What was given.
        found: String,
    },
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ParseErrorKind as K;
        match self {
            K::ExpectedValue { after, found } if found == END_OF_INPUT => {
                write!(f, "expected a value after {after}")
            }
            K::ExpectedValue { after, found } => write!(f, "expected a value after {after}, found {found}"),
            K::UnexpectedToken { expected, found } => write!(f, "expected {expected}, found {found}"),
            K::Unclosed { open, close, opened_at, found } => {
                write!(f, "expected '{close}' to close the '{open}' at {opened_at}, found {found}")
            }
            K::UnexpectedCharacter { character } => write!(f, "unexpected character {character:?}"),
            K::UnterminatedString => f.write_str("unterminated string starting"),
            K::InvalidEscape { escape } => write!(
                f,
                "invalid escape `{escape}` in string (valid: \\\" \\' \\\\ \\n \\t \\r \\0 \\uXXXX)"
            ),
            K::InvalidNumber { text } => write!(f, "invalid number `{text}`"),
            K::NumberOutOfRange { text } => {
                write!(f, "number `{text}` is out of range (integers must fit in 64 bits)")
            }
            K::UnknownModifier { modifier } => {
                write!(f, "unknown comparison modifier `{modifier}` (use [c], [d] or [cd])")
            }
            K::UnknownCollectionOperator { name } => {
                write!(f, "unknown collection operator `{name}` (use @count, @sum, @avg, @min or @max)")
            }
            K::UnknownPlaceholder { placeholder } => {
                write!(f, "unknown placeholder `{placeholder}` (use %@, %K, %d, %i, %f or %s)")
            }
            K::MissingArgument { placeholder, index, used, given } => write!(
                f,
                "`{placeholder}` (argument {index}) has no value: the format uses {} but {} given",
                plural(*used, "argument"),
                were(*given)
            ),
            K::TooManyArguments { used, given } => {
                write!(f, "the format uses {} but {} given", plural(*used, "argument"), were(*given))
            }
            K::WrongArgumentType { placeholder, index, expected, found } => {
                write!(f, "`{placeholder}` (argument {index}) needs {expected}, got {found}")
            }
            K::InvalidKeyPathArgument { index, key_path } => {
                write!(f, "`%K` (argument {index}) is not a valid key path: {key_path:?}")
            }
            K::BetweenNeedsTwoValues { found } => {
                write!(f, "BETWEEN needs two bounds written {{low, high}}, found {found}")
            }
            K::CastNeedsNumber { found } => write!(
                f,
                "CAST needs a number of seconds since 2001-01-01 as its first argument, found {found}"
            ),
            K::UnsupportedCast { target } => {
                write!(f, "CAST to {target:?} is not supported (only CAST(seconds, \"NSDate\"))")
            }
            K::TooDeep { limit } => write!(f, "predicate is nested more than {limit} levels deep"),
            K::UnboundVariable { name } => write!(f, "no value was given for variable ${name}"),
            K::VariableWithKeys { name } => {
                write!(f, "variable ${name} is followed by keys; only a bare ${name} can be substituted")
            }
            K::WrongVariableType { name, expected, found } => {
                write!(f, "variable ${name} needs {expected}, got {found}")
            }
        }
    }
}

/// How the parser describes the end of the text in `found` fields.
pub(crate) const END_OF_INPUT: &str = "end of input";

fn plural(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

fn were(n: usize) -> String {
    if n == 1 { "1 was".to_owned() } else { format!("{n} were") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_ends_with_the_offset_and_render_adds_a_caret() {
        let e = ParseError::new(ParseErrorKind::UnterminatedString, Span::new(8, 9), "title = 'abc");
        assert_eq!(e.to_string(), "unterminated string starting at 8");
        assert_eq!(e.render(), "unterminated string starting at 8\ntitle = 'abc\n        ^");
        assert_eq!(e.source_text(), "title = 'abc");
        assert_eq!(e.span(), Span::new(8, 9));
    }

    #[test]
    fn argument_counts_are_spelled_out() {
        let k = ParseErrorKind::TooManyArguments { used: 1, given: 3 };
        assert_eq!(k.to_string(), "the format uses 1 argument but 3 were given");
        let k = ParseErrorKind::MissingArgument { placeholder: "%@".into(), index: 2, used: 2, given: 1 };
        assert_eq!(
            k.to_string(),
            "`%@` (argument 2) has no value: the format uses 2 arguments but 1 was given"
        );
    }
}
