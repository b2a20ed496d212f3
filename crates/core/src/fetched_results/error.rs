//! [`FetchedResultsError`]: requests the fetched-results observer refuses, and calls made
//! out of order.

use strata_predicate::SortComparison;

/// Why a [`FetchedResults`](super::FetchedResults) refused a request or a call. Unknown
/// entities, key paths and predicates that do not check are reported as the context's and
/// the predicate's errors, as for a fetch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchedResultsError {
    /// The request has an offset or a limit: the observer keeps every matching object.
    #[error(
        "a fetched-results observer keeps every matching object: remove the fetch offset ({offset}) and limit ({})",
        limit.map_or_else(|| "none".to_owned(), |l| l.to_string())
    )]
    Paging {
        /// The request's offset.
        offset: usize,
        /// The request's limit.
        limit: Option<usize>,
    },
    /// The request asks for grouped, aggregated or distinct rows, not objects.
    #[error(
        "a fetched-results observer lists objects: the request asks for grouped, aggregated or distinct rows"
    )]
    Rows,
    /// The section key path is not the key path of the first sort descriptor (sections
    /// must be contiguous in the sorted list, as Core Data requires).
    #[error(
        "section key path {section_key_path:?} must be the first sort key{}",
        first_sort.as_ref().map(|k| format!(" (the first sort key is {k:?})")).unwrap_or_else(|| " (the request has no sort key)".to_owned())
    )]
    SectionKeyNotFirstSort {
        /// The section key path.
        section_key_path: String,
        /// The first sort descriptor's key path, if any.
        first_sort: Option<String>,
    },
    /// The first sort key compares case-insensitively, so one section would gather several
    /// distinct values.
    #[error(
        "section key path {section_key_path:?} is sorted {comparison:?}, which ties distinct values: sort it by its default or localized comparison"
    )]
    SectionSortTiesDistinctValues {
        /// The section key path.
        section_key_path: String,
        /// The first sort descriptor's comparison.
        comparison: SortComparison,
    },
    /// The context saves into a parent context: observe the root context instead.
    #[error("a fetched-results observer watches a root context; this one saves into a parent context")]
    ChildContext,
    /// [`FetchedResults::process_changes`](super::FetchedResults::process_changes) was
    /// called before [`FetchedResults::perform_fetch`](super::FetchedResults::perform_fetch).
    #[error("process_changes was called before perform_fetch")]
    NotFetched,
    /// The context is not the one the results were fetched in.
    #[error("the results were fetched in another context than the one given")]
    WrongContext,
}
