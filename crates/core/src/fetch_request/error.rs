//! [`FetchError`]: requests the fetch machinery refuses (aggregates that do not fit their
//! attribute, names that clash or are unknown, prefetch paths that are not relationships)
//! and fetches that did not finish (cancelled, worker lost).

use strata_model::AttributeType;

use super::AggregateFunction;

/// Why a fetch request was refused or did not finish. Unknown entities and key paths are
/// reported as [`ContextError`](crate::ContextError)s, like every other name look-up.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// An asynchronous fetch was cancelled through its token before it finished.
    #[error("the fetch was cancelled after {loaded} of {total} object(s) were loaded")]
    Cancelled {
        /// Objects loaded when the worker saw the cancellation.
        loaded: u64,
        /// Objects the fetch matched (0 if it was cancelled before the IDs were fetched).
        total: u64,
    },
    /// The worker thread of an asynchronous fetch panicked (a bug in a store).
    #[error("the worker thread of an asynchronous fetch panicked")]
    WorkerPanicked,
    /// A prefetch key path crosses something other than a relationship.
    #[error("cannot prefetch {key_path:?} of entity {entity}: {key:?} is not a relationship")]
    PrefetchNotRelationship {
        /// The fetched entity.
        entity: String,
        /// The prefetch key path.
        key_path: String,
        /// The key that is an attribute.
        key: String,
    },
    /// An aggregate other than `count` has no key path.
    #[error("aggregate {name:?}: {} needs a key path", function.name())]
    AggregateNeedsKeyPath {
        /// The aggregate's result name.
        name: String,
        /// Its function.
        function: AggregateFunction,
    },
    /// An aggregate's key path ends on a relationship where an attribute is needed.
    #[error("aggregate {name:?}: {}({key_path}) needs an attribute, not a relationship", function.name())]
    AggregateNeedsAttribute {
        /// The aggregate's result name.
        name: String,
        /// Its function.
        function: AggregateFunction,
        /// The key path.
        key_path: String,
    },
    /// An aggregate's function does not apply to the attribute's type (`sum` of a string).
    #[error("aggregate {name:?}: {} does not apply to {key_path} of type {attribute_type:?}", function.name())]
    AggregateType {
        /// The aggregate's result name.
        name: String,
        /// Its function.
        function: AggregateFunction,
        /// The key path.
        key_path: String,
        /// The attribute's type.
        attribute_type: AttributeType,
    },
    /// Two results of a dictionary fetch share a name.
    #[error("two results of the fetch are named {name:?}")]
    DuplicateResultName {
        /// The name.
        name: String,
    },
    /// A grouped or aggregated fetch returns a key path it does not group by: its value
    /// would differ within a group.
    #[error("{key_path:?} is fetched but not grouped by: add it to group_by or remove it")]
    UngroupedProperty {
        /// The key path.
        key_path: String,
    },
    /// A `having` predicate or a sort of a grouped fetch names something that is not one
    /// of its results.
    #[error("{name:?} is not a result of the fetch (results: {})", results.join(", "))]
    UnknownResultName {
        /// The name used.
        name: String,
        /// The fetch's result names.
        results: Vec<String>,
    },
    /// Aggregates, `group_by`, `having` or `distinct` were set on a request whose result
    /// type is not [`ResultType::Dictionaries`](super::ResultType::Dictionaries).
    #[error("aggregates, group_by, having and distinct need the dictionaries result type")]
    NeedsDictionaries,
    /// A grouped, aggregated or distinct request was given to
    /// [`Context::fetch`](crate::Context::fetch), whose dictionaries name one object each.
    #[error("a grouped, aggregated or distinct fetch returns rows: run it with Context::fetch_rows")]
    UseFetchRows,
    /// [`Context::fetch_batched`](crate::Context::fetch_batched) was given a request whose
    /// result type is not objects.
    #[error("batched fetches return objects; this request returns another result type")]
    BatchedNeedsObjects,
}
