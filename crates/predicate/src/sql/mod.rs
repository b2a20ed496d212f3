//! Placeholder: the SQL compiler (being written).

/// A predicate that cannot be compiled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("compile error")]
pub struct CompileError;
