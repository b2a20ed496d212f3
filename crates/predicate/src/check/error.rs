//! [`CheckError`]: why a predicate does not fit an entity, and where.

use std::fmt;

use strata_model::{AttributeType, ValueError};

use crate::ast::{Operator, Span};
use crate::error::render_caret;

/// A predicate that does not fit its entity: an unknown key, a type mismatch, an operator
/// an attribute type does not support, a constant that does not fit, …
///
/// `Display` is one line ending in ` at <byte offset>`; [`CheckError::render`] adds the
/// source line with a caret under the fault.
///
/// ```text
/// entity Clip has no key "titel" (did you mean "title"?) at 0
/// titel == "x"
/// ^^^^^
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CheckError {
    kind: CheckErrorKind,
    span: Span,
}

impl CheckError {
    pub(crate) fn new(kind: CheckErrorKind, span: Span) -> CheckError {
        CheckError { kind, span }
    }

    /// What is wrong.
    pub fn kind(&self) -> &CheckErrorKind {
        &self.kind
    }

    /// The byte range of the fault in the predicate's source text.
    pub fn span(&self) -> Span {
        self.span
    }

    /// The byte offset of the fault (the start of [`span`](CheckError::span)).
    pub fn offset(&self) -> usize {
        self.span.start
    }

    /// The message, a newline, and the line of `source` (the text the predicate was parsed
    /// from) with a caret under the fault.
    pub fn render(&self, source: &str) -> String {
        format!("{self}\n{}", render_caret(source, self.span))
    }
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.kind, self.span.start)
    }
}

impl std::error::Error for CheckError {}

/// What is wrong with a predicate for its entity. Operands are described as written with
/// their type, e.g. `title (string)`, `3 (int64)`, `folder (relationship)`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CheckErrorKind {
    /// The entity index does not belong to the model.
    UnknownEntity {
        /// The index given.
        index: u16,
    },
    /// A key that is neither an attribute nor a relationship of the entity (inherited ones
    /// included).
    UnknownKey {
        /// The entity searched.
        entity: String,
        /// The key.
        key: String,
        /// The nearest property name, if one is near enough to be a typo.
        suggestion: Option<String>,
    },
    /// A key after an attribute or a `@count` (`title.length`).
    KeyAfterAttribute {
        /// The attribute (or collection operator) the key follows.
        attribute: String,
        /// The key.
        key: String,
    },
    /// A quantifier, or a `SUBQUERY`, needs a to-many key path and got something else.
    NotAToManyPath {
        /// What needs it (`ANY`, `ALL`, `NONE`, `SUBQUERY`).
        needed_by: &'static str,
        /// The operand found.
        found: String,
    },
    /// A key path through a to-one relationship reached after a to-many one and followed
    /// by another to-many one (`tags.folder.clips`).
    ToManyThroughToOne {
        /// The key path.
        path: String,
    },
    /// Objects compared with something other than `nil` by `==` / `!=`.
    ObjectComparison {
        /// The object operand.
        operand: String,
    },
    /// A `$variable` no enclosing `SUBQUERY` binds: substitute variables before checking.
    UnboundVariable {
        /// The variable's name, without `$`.
        name: String,
    },
    /// A constant `MATCHES` pattern the regular expression engine refuses.
    InvalidRegex {
        /// The pattern.
        pattern: String,
        /// The engine's complaint.
        reason: String,
    },
    /// A text constant that does not parse as the attribute's type (an invalid date, uuid
    /// or decimal).
    InvalidConstant {
        /// The attribute side, described.
        operand: String,
        /// The attribute's type.
        expected: AttributeType,
        /// Why the text does not parse.
        error: ValueError,
    },
    /// Two operands whose types do not compare (text against a number, a date against a
    /// number, …).
    TypeMismatch {
        /// The left operand, described.
        left: String,
        /// The right operand, described.
        right: String,
    },
    /// An operator the operand's type does not support (`json` and `binary` values only
    /// support `== nil` / `!= nil`, and binary `==`/`!=` with bytes).
    UnsupportedOperator {
        /// The operator.
        operator: Operator,
        /// The operand, described.
        operand: String,
        /// Its type.
        ty: AttributeType,
    },
    /// A string operator (`BEGINSWITH`, …, `MATCHES`) with an operand that is not text.
    NotText {
        /// The operator.
        operator: Operator,
        /// The operand that is not text, described.
        operand: String,
    },
    /// A collection operator not directly after a to-many key or a `SUBQUERY`.
    CollectionOperatorPlacement {
        /// The operator (`@count`).
        operator: &'static str,
    },
    /// `@sum`, `@avg`, `@min` or `@max` with no key path after it.
    MissingAggregateKey {
        /// The operator.
        operator: &'static str,
    },
    /// The key path after `@sum` (…) goes through a to-many relationship.
    AggregateThroughToMany {
        /// The operator.
        operator: &'static str,
        /// The to-many key.
        key: String,
    },
    /// The key path after `@sum` (…) reaches something the operator cannot aggregate.
    AggregateType {
        /// The operator.
        operator: &'static str,
        /// What was reached, described.
        found: String,
    },
    /// `SUBQUERY(…)` not followed by a collection operator.
    SubqueryNeedsCollectionOperator,
    /// `IN` with something other than a `{…}` list or a to-many key path on its right.
    InNeedsCollection {
        /// The right operand, described.
        found: String,
    },
    /// `BETWEEN` whose right side is not a list of two bounds.
    BetweenNeedsTwoValues {
        /// How many values the right side has.
        found: usize,
    },
    /// A `{…}` list anywhere but on the right of `IN` or `BETWEEN`.
    ListNotAllowed {
        /// The operator of the comparison.
        operator: Operator,
    },
    /// Both sides of a comparison are collections.
    TwoCollections,
    /// A to-many key path on the right of a string operator, where sides cannot be
    /// swapped.
    CollectionOnRight {
        /// The operator.
        operator: Operator,
    },
}

impl fmt::Display for CheckErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use CheckErrorKind as K;
        match self {
            K::UnknownEntity { index } => write!(f, "entity index {index} is not in the model"),
            K::UnknownKey { entity, key, suggestion: Some(s) } => {
                write!(f, "entity {entity} has no key {key:?} (did you mean {s:?}?)")
            }
            K::UnknownKey { entity, key, suggestion: None } => {
                write!(f, "entity {entity} has no key {key:?}")
            }
            K::KeyAfterAttribute { attribute, key } => {
                write!(f, "{key:?} cannot follow {attribute}, which is a value, not an object")
            }
            K::NotAToManyPath { needed_by, found } => {
                write!(f, "{needed_by} needs a to-many key path, found {found}")
            }
            K::ToManyThroughToOne { path } => write!(
                f,
                "key path {path} reaches a to-many key through a to-one key after another to-many key, which is not supported"
            ),
            K::ObjectComparison { operand } => write!(
                f,
                "comparing objects is not supported: {operand} can only be compared with nil by == or !="
            ),
            K::UnboundVariable { name } => {
                write!(f, "variable ${name} is not bound (substitute variables before checking)")
            }
            K::InvalidRegex { pattern, reason } => {
                write!(f, "invalid regular expression {pattern:?}: {reason}")
            }
            K::InvalidConstant { operand, expected, error } => {
                write!(f, "constant does not fit {operand}: {error}")?;
                if *expected == AttributeType::Date {
                    f.write_str(" (write dates as RFC 3339 text or CAST(seconds, \"NSDate\"))")?;
                }
                Ok(())
            }
            K::TypeMismatch { left, right } => write!(f, "cannot compare {left} with {right}"),
            K::UnsupportedOperator { operator, operand, ty: AttributeType::Json } => write!(
                f,
                "{} is not supported on {operand}: json values only support == nil and != nil",
                operator.symbol()
            ),
            K::UnsupportedOperator { operator, operand, ty: AttributeType::Binary } => write!(
                f,
                "{} is not supported on {operand}: binary values only support == and != with nil or bytes",
                operator.symbol()
            ),
            K::UnsupportedOperator { operator, operand, .. } => {
                write!(f, "{} is not supported on {operand}", operator.symbol())
            }
            K::NotText { operator, operand } => {
                write!(f, "{} needs text on both sides, found {operand}", operator.symbol())
            }
            K::CollectionOperatorPlacement { operator } => write!(
                f,
                "{operator} must come right after a to-many key (tags.{operator}) or after SUBQUERY(…)"
            ),
            K::MissingAggregateKey { operator } => {
                write!(f, "{operator} needs a key after it, as in tags.{operator}.score")
            }
            K::AggregateThroughToMany { operator, key } => write!(
                f,
                "the key path after {operator} must reach an attribute through to-one keys, but {key} is to-many"
            ),
            K::AggregateType { operator, found } => write!(f, "{operator} cannot aggregate {found}"),
            K::SubqueryNeedsCollectionOperator => {
                f.write_str("SUBQUERY(…) must be followed by a collection operator such as .@count")
            }
            K::InNeedsCollection { found } => {
                write!(f, "IN needs a list {{…}} or a to-many key path on its right, found {found}")
            }
            K::BetweenNeedsTwoValues { found: 1 } => {
                f.write_str("BETWEEN needs two bounds written {low, high}, found 1 value")
            }
            K::BetweenNeedsTwoValues { found } => {
                write!(f, "BETWEEN needs two bounds written {{low, high}}, found {found} values")
            }
            K::ListNotAllowed { operator } => {
                write!(
                    f,
                    "a list {{…}} cannot be compared by {}; lists go after IN or BETWEEN",
                    operator.symbol()
                )
            }
            K::TwoCollections => f.write_str("only one side of a comparison can be a collection"),
            K::CollectionOnRight { operator } => write!(
                f,
                "a to-many key path cannot be on the right of {}; put it on the left with ANY, ALL or NONE",
                operator.symbol()
            ),
        }
    }
}
