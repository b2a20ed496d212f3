//! Placeholder: the parser's error type (being written).

/// What went wrong while parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {}

/// A predicate that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parse error at {offset}")]
pub struct ParseError {
    /// Byte offset of the fault.
    pub offset: usize,
}
