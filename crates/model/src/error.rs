//! Placeholder: model errors (being written).

/// An invalid model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// Placeholder.
    #[error("invalid model")]
    Invalid,
}
