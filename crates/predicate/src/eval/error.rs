//! [`EvalError`]: why an in-memory evaluation could not produce an answer.
//!
//! A checked predicate fails here only for what no check can see: an object that does not
//! answer a key, a sum that overflows, a `MATCHES` pattern read from the data. The other
//! variants exist so that an unchecked predicate gets an error instead of a guess.

use crate::ast::Span;

/// An in-memory evaluation failure. Every variant but [`EvalError::UnknownKey`] carries the
/// span of the operand at fault; `Display` is one line ending in ` at <byte offset>`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// An [`ObjectView`](crate::ObjectView) does not know `key`.
    #[error("object has no key {key:?}")]
    UnknownKey {
        /// The key asked for.
        key: String,
    },
    /// A `$variable` that no enclosing `SUBQUERY` binds (substitute it first).
    #[error("variable ${name} is not bound at {}", span.start)]
    UnboundVariable {
        /// The variable's name, without `$`.
        name: String,
        /// The key path naming it.
        span: Span,
    },
    /// A key after a value: only objects have keys (`title.length`).
    #[error("key {key:?} follows a value, not an object at {}", span.start)]
    KeyAfterValue {
        /// The key.
        key: String,
        /// The key path.
        span: Span,
    },
    /// A collection was needed (for a collection operator, `IN`, `SUBQUERY` or a quantifier)
    /// and a single value or object was found.
    #[error("{needed_by} needs a collection at {}", span.start)]
    NotACollection {
        /// What needed it (`@count`, `IN`, `SUBQUERY`, `ANY`, …).
        needed_by: &'static str,
        /// The operand.
        span: Span,
    },
    /// `SUBQUERY` over something other than objects (`SUBQUERY(tags.name, …)`).
    #[error("SUBQUERY needs a collection of objects at {}", span.start)]
    SubqueryOverValues {
        /// The subquery's key path.
        span: Span,
    },
    /// `@sum`, `@avg`, `@min` or `@max` with no key after it, or a key path that does not
    /// reach a value through to-one relationships.
    #[error("{operator} needs a key path to a value through to-one relationships at {}", span.start)]
    InvalidAggregateKey {
        /// The collection operator (`@sum`).
        operator: &'static str,
        /// The key path.
        span: Span,
    },
    /// `@sum` or `@avg` over something that is not a number.
    #[error("{operator} needs numbers, found a {found} value at {}", span.start)]
    NotNumeric {
        /// The collection operator.
        operator: &'static str,
        /// The type of the value found.
        found: &'static str,
        /// The key path.
        span: Span,
    },
    /// An integer `@sum` beyond the 64-bit range.
    #[error("{operator} overflows a 64-bit integer at {}", span.start)]
    IntegerOverflow {
        /// The collection operator.
        operator: &'static str,
        /// The key path.
        span: Span,
    },
    /// A decimal `@sum` or `@avg` beyond the decimal range.
    #[error("{operator} overflows the decimal range at {}", span.start)]
    DecimalOverflow {
        /// The collection operator.
        operator: &'static str,
        /// The key path.
        span: Span,
    },
    /// An object compared with something other than `nil` by `==` or `!=`.
    #[error("comparing objects is not supported (only == nil and != nil) at {}", span.start)]
    ObjectComparison {
        /// The comparison.
        span: Span,
    },
    /// `BETWEEN` whose right side is not two bounds.
    #[error("BETWEEN needs two bounds, found {found} at {}", span.start)]
    BetweenNeedsTwoValues {
        /// How many values were found.
        found: usize,
        /// The right side.
        span: Span,
    },
    /// A `MATCHES` pattern the regular expression engine refuses.
    #[error("invalid regular expression {pattern:?}: {reason} at {}", span.start)]
    InvalidRegex {
        /// The pattern.
        pattern: String,
        /// The engine's complaint.
        reason: String,
        /// The comparison.
        span: Span,
    },
}
