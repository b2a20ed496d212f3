//! Placeholder: sort descriptors (being written).

/// How sort keys compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortComparison {
    /// Plain comparison.
    #[default]
    Default,
}

/// One sort key.
#[derive(Debug, Clone, PartialEq)]
pub struct SortDescriptor {
    /// Ascending order.
    pub ascending: bool,
}
