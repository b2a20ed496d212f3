//! [`CompileError`]: why a predicate or sort could not be compiled to SQL.
//!
//! The compiler expects checked predicates ([`Predicate::check`](crate::Predicate::check));
//! these errors say what an unchecked or ill-formed one got wrong. What SQL merely cannot
//! express is not an error: it becomes the residual predicate.

use crate::ast::Span;
use crate::sort::SortError;

use super::Dialect;

/// Why compilation to SQL failed. `Display` is one line; variants with a span end in
/// ` at <byte offset>`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// The compiler does not generate predicates for this dialect yet.
    #[error("compiling predicates for {} is not supported yet", dialect.name())]
    UnsupportedDialect {
        /// The dialect asked for.
        dialect: Dialect,
    },
    /// The entity is not part of the model, or the schema has no table for it.
    #[error("entity #{index} has no table in the SQL schema")]
    UnknownEntity {
        /// The entity index.
        index: u16,
    },
    /// A key that is not a property of the entity reached so far.
    #[error("entity {entity} has no key {key:?} at {}", span.start)]
    UnknownKey {
        /// The entity.
        entity: String,
        /// The key.
        key: String,
        /// The key path.
        span: Span,
    },
    /// The schema does not say where a property of the model is stored.
    #[error("the SQL schema does not map {entity}.{property}")]
    UnmappedProperty {
        /// The entity.
        entity: String,
        /// The property.
        property: String,
    },
    /// A key after an attribute (`title.length`): only objects have keys.
    #[error("key {key:?} follows attribute {attribute:?} at {}", span.start)]
    KeyAfterAttribute {
        /// The attribute.
        attribute: String,
        /// The key after it.
        key: String,
        /// The key path.
        span: Span,
    },
    /// A `$variable` no enclosing `SUBQUERY` binds (substitute it first).
    #[error("variable ${name} is not bound at {}", span.start)]
    UnboundVariable {
        /// The variable's name, without `$`.
        name: String,
        /// The key path naming it.
        span: Span,
    },
    /// A collection operator somewhere other than after a to-many key or a `SUBQUERY`, or
    /// without the key path it needs (`@sum.score`), or followed by more keys.
    #[error("{operator} must follow a to-many key or SUBQUERY and end the key path at {}", span.start)]
    MisplacedCollectionOperator {
        /// The operator (`@count`, `@sum`, …).
        operator: &'static str,
        /// The key path.
        span: Span,
    },
    /// A collection was needed (by `ANY`/`ALL`/`NONE`, `SUBQUERY`) and a single value or
    /// object was found; or a collection was found where a single value is needed.
    #[error("{needed_by} at {}", span.start)]
    WrongShape {
        /// What was expected, e.g. "ANY needs a to-many key path".
        needed_by: &'static str,
        /// The operand.
        span: Span,
    },
    /// An object compared with something other than `nil`.
    #[error("comparing objects is not supported (only == nil and != nil) at {}", span.start)]
    ObjectComparison {
        /// The comparison.
        span: Span,
    },
    /// `BETWEEN` whose right side is not a list of two bounds.
    #[error("BETWEEN needs two bounds at {}", span.start)]
    BetweenNeedsTwoValues {
        /// The right side.
        span: Span,
    },
    /// An invalid sort descriptor.
    #[error(transparent)]
    Sort(#[from] SortError),
}
