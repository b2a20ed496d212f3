//! Placeholder: resolving a predicate against a model (being written).

/// A predicate that does not fit its entity.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("check error")]
pub struct CheckError;
