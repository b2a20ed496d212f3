//! Placeholder: in-memory evaluation (being written).

use strata_model::Value;

/// An evaluation failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("evaluation error")]
pub struct EvalError;

/// What an object answers for one key.
#[derive(Debug, Clone, PartialEq)]
pub enum Field<O> {
    /// An attribute value.
    Value(Value),
    /// A to-one relationship's destination.
    ToOne(Option<O>),
    /// A to-many relationship's destinations.
    ToMany(Vec<O>),
}

/// Anything the evaluator can ask for key values.
pub trait ObjectView: Clone {
    /// The value of `key` on this object.
    fn field(&self, key: &str) -> Result<Field<Self>, EvalError>;
}
