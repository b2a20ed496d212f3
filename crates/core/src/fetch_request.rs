//! [`FetchRequest`]: what a context fetch asks for — entity, predicate, sort, paging, result
//! type, fetched properties and aggregates, grouping, batching, prefetching, and how pending
//! changes and sub-entities count — and [`FetchResult`], what it returns.
//!
//! A request is plain data built by name; [`Context::fetch`](crate::Context::fetch) checks it
//! against the model (unknown entity, keys or sort paths are typed errors) when it runs.
//! Nothing here touches a store or a context.

mod aggregate;
mod error;

use strata_model::Value;
use strata_predicate::{Argument, Predicate, PredicateError, SortDescriptor};

pub use aggregate::{Aggregate, AggregateFunction, ResultRow};
pub use error::FetchError;

use crate::ObjectId;

/// What a fetch returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResultType {
    /// The matching objects, registered in the context (filled or as faults, see
    /// [`FetchRequest::returns_faults`]).
    #[default]
    Objects,
    /// The matching objects' IDs, without registering them.
    ObjectIds,
    /// How many objects match (offset and limit apply).
    Count,
    /// One [`Dictionary`] of the requested properties per matching object.
    Dictionaries,
}

/// A fetch, built by name (see the [module docs](self)).
///
/// ```
/// use strata_core::{FetchRequest, ResultType};
/// use strata_predicate::SortDescriptor;
/// let request = FetchRequest::new("Clip")
///     .filter("score > %d AND folder.name == %@", &[2_i64.into(), "Inbox".into()])?
///     .sort([SortDescriptor::descending("score")])
///     .limit(20)
///     .result_type(ResultType::Dictionaries)
///     .properties(["title", "folder.name"]);
/// assert_eq!(request.entity(), "Clip");
/// # Ok::<(), strata_predicate::PredicateError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FetchRequest {
    entity: String,
    predicate: Option<Predicate>,
    sort: Vec<SortDescriptor>,
    offset: usize,
    limit: Option<usize>,
    result_type: ResultType,
    properties: Vec<String>,
    include_pending_changes: bool,
    include_subentities: bool,
    returns_faults: bool,
    batch_size: usize,
    prefetch: Vec<String>,
    aggregates: Vec<Aggregate>,
    group_by: Vec<String>,
    having: Option<Predicate>,
    distinct: bool,
}

impl FetchRequest {
    /// Every object of `entity` (and its sub-entities), in primary-key order.
    pub fn new(entity: impl Into<String>) -> FetchRequest {
        FetchRequest {
            entity: entity.into(),
            predicate: None,
            sort: Vec::new(),
            offset: 0,
            limit: None,
            result_type: ResultType::Objects,
            properties: Vec::new(),
            include_pending_changes: true,
            include_subentities: true,
            returns_faults: false,
            batch_size: 0,
            prefetch: Vec::new(),
            aggregates: Vec::new(),
            group_by: Vec::new(),
            having: None,
            distinct: false,
        }
    }

    /// Only objects for which `predicate` holds (checked against the entity when fetched).
    pub fn predicate(mut self, predicate: Predicate) -> FetchRequest {
        self.predicate = Some(predicate);
        self
    }

    /// Only objects for which the predicate `format` holds, its placeholders filled from
    /// `args` ([`Predicate::parse_with`]). Errors if the text does not parse.
    pub fn filter(self, format: &str, args: &[Argument]) -> Result<FetchRequest, PredicateError> {
        Ok(self.predicate(Predicate::parse_with(format, args)?))
    }

    /// Sorts by these keys, most significant first (ties by primary key).
    pub fn sort(mut self, sort: impl IntoIterator<Item = SortDescriptor>) -> FetchRequest {
        self.sort = sort.into_iter().collect();
        self
    }

    /// Sorts by keys written as text (`"score desc, title:ci"`,
    /// [`SortDescriptor::parse_list`]). Errors if the text does not parse.
    pub fn sort_by(self, text: &str) -> Result<FetchRequest, PredicateError> {
        Ok(self.sort(SortDescriptor::parse_list(text)?))
    }

    /// Skips the first `offset` matching objects (after sorting).
    pub fn offset(mut self, offset: usize) -> FetchRequest {
        self.offset = offset;
        self
    }

    /// Returns at most `limit` objects.
    pub fn limit(mut self, limit: usize) -> FetchRequest {
        self.limit = Some(limit);
        self
    }

    /// What to return (objects by default).
    pub fn result_type(mut self, result_type: ResultType) -> FetchRequest {
        self.result_type = result_type;
        self
    }

    /// The properties a [`ResultType::Dictionaries`] fetch returns: attribute names or key
    /// paths through to-one relationships (`"folder.name"`), ending on an attribute (its
    /// value) or a to-one relationship (its destination's ID). Empty (the default): every
    /// attribute and to-one relationship of the entity.
    pub fn properties<S: Into<String>>(mut self, properties: impl IntoIterator<Item = S>) -> FetchRequest {
        self.properties = properties.into_iter().map(Into::into).collect();
        self
    }

    /// Whether the context's unsaved changes count (default `true`, as in Core Data):
    /// inserted objects that match are included, objects edited to match or not are judged
    /// by their edited values, and deleted objects are left out. Grouped, aggregated and
    /// distinct rows ([`Context::fetch_rows`](crate::Context::fetch_rows)) never include
    /// pending changes, as in Core Data.
    pub fn include_pending_changes(mut self, include: bool) -> FetchRequest {
        self.include_pending_changes = include;
        self
    }

    /// Whether objects of sub-entities are included (default `true`).
    pub fn include_subentities(mut self, include: bool) -> FetchRequest {
        self.include_subentities = include;
        self
    }

    /// Whether [`ResultType::Objects`] come back as faults (only their IDs are fetched; rows
    /// load on first access, a batch at a time) or filled with their rows (the default:
    /// one store call fetches everything, which is what a caller reading the objects wants).
    pub fn returns_faults(mut self, faults: bool) -> FetchRequest {
        self.returns_faults = faults;
        self
    }

    /// Materialises objects `size` at a time (0, the default: all at once).
    ///
    /// [`Context::fetch_batched`](crate::Context::fetch_batched) fetches the matching IDs
    /// with one store call and loads rows one batch (one `snapshots` call) at a time as the
    /// caller advances, letting earlier batches go, so memory stays flat however many
    /// objects match. [`Context::fetch`](crate::Context::fetch) with a batch size returns
    /// [`ResultType::Objects`] as faults (only the IDs are fetched), as Core Data's batched
    /// fetches do; [`Context::fetch_async`](crate::Context::fetch_async) loads and reports
    /// progress a batch at a time.
    pub fn batch_size(mut self, size: usize) -> FetchRequest {
        self.batch_size = size;
        self
    }

    /// Relationship key paths (`"folder"`, `"tags"`, `"folder.owner"`) whose destinations
    /// are loaded with the fetched objects, so walking them afterwards costs no store call.
    /// Each key of each path costs a constant number of coordinator calls however many
    /// objects were fetched: a to-one key one batched row load, a to-many key one batched
    /// to-many load and one batched row load. Applies to [`ResultType::Objects`].
    pub fn prefetch<S: Into<String>>(mut self, key_paths: impl IntoIterator<Item = S>) -> FetchRequest {
        self.prefetch = key_paths.into_iter().map(Into::into).collect();
        self
    }

    /// Adds an aggregate result (a [`ResultType::Dictionaries`] fetch run with
    /// [`Context::fetch_rows`](crate::Context::fetch_rows)). Results come after the
    /// [properties](FetchRequest::properties), in the order added.
    pub fn aggregate(mut self, aggregate: Aggregate) -> FetchRequest {
        self.aggregates.push(aggregate);
        self
    }

    /// Groups the matching objects by these key paths (attributes or to-one relationships,
    /// through to-one relationships) with SQL's `GROUP BY` semantics: one row per distinct
    /// combination of values, `NULL` being a value of its own. Every fetched
    /// [property](FetchRequest::properties) must be among them; aggregates are computed per
    /// group. Rows come ordered by the group-by values (ascending, `NULL` first) unless
    /// sorted.
    pub fn group_by<S: Into<String>>(mut self, key_paths: impl IntoIterator<Item = S>) -> FetchRequest {
        self.group_by = key_paths.into_iter().map(Into::into).collect();
        self
    }

    /// Keeps only the rows of a grouped or aggregated fetch for which `predicate` holds; its
    /// key paths are result names (fetched properties such as `folder.name`, aggregate
    /// names). Evaluated after grouping and before sorting and paging.
    pub fn having(mut self, predicate: Predicate) -> FetchRequest {
        self.having = Some(predicate);
        self
    }

    /// [`FetchRequest::having`] from a predicate format (see [`Predicate::parse_with`]).
    pub fn having_filter(self, format: &str, args: &[Argument]) -> Result<FetchRequest, PredicateError> {
        Ok(self.having(Predicate::parse_with(format, args)?))
    }

    /// Whether a dictionaries fetch returns each distinct row once (default `false`).
    pub fn distinct(mut self, distinct: bool) -> FetchRequest {
        self.distinct = distinct;
        self
    }

    /// The entity name.
    pub fn entity(&self) -> &str {
        &self.entity
    }

    /// The predicate, as given (unchecked).
    pub fn predicate_ref(&self) -> Option<&Predicate> {
        self.predicate.as_ref()
    }

    /// The sort keys.
    pub fn sort_descriptors(&self) -> &[SortDescriptor] {
        &self.sort
    }

    /// The offset.
    pub fn offset_value(&self) -> usize {
        self.offset
    }

    /// The limit.
    pub fn limit_value(&self) -> Option<usize> {
        self.limit
    }

    /// The result type.
    pub fn result_type_value(&self) -> ResultType {
        self.result_type
    }

    /// The fetched properties (for dictionaries).
    pub fn property_names(&self) -> &[String] {
        &self.properties
    }

    /// Whether pending changes are included.
    pub fn includes_pending_changes(&self) -> bool {
        self.include_pending_changes
    }

    /// Whether sub-entities are included.
    pub fn includes_subentities(&self) -> bool {
        self.include_subentities
    }

    /// Whether objects come back as faults.
    pub fn is_returning_faults(&self) -> bool {
        self.returns_faults
    }

    /// The batch size (0: no batching).
    pub fn batch_size_value(&self) -> usize {
        self.batch_size
    }

    /// The relationship key paths to prefetch.
    pub fn prefetch_paths(&self) -> &[String] {
        &self.prefetch
    }

    /// The aggregate results.
    pub fn aggregates(&self) -> &[Aggregate] {
        &self.aggregates
    }

    /// The group-by key paths.
    pub fn group_by_paths(&self) -> &[String] {
        &self.group_by
    }

    /// The `having` predicate, as given.
    pub fn having_ref(&self) -> Option<&Predicate> {
        self.having.as_ref()
    }

    /// Whether rows are distinct.
    pub fn is_distinct(&self) -> bool {
        self.distinct
    }

    /// Whether the fetch returns rows rather than one dictionary per object: aggregates,
    /// group-by, having or distinct are set.
    pub fn returns_rows(&self) -> bool {
        !self.aggregates.is_empty() || !self.group_by.is_empty() || self.having.is_some() || self.distinct
    }
}

/// The value of a property: an attribute's value or a to-one relationship's destination.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyValue {
    /// An attribute value (`Null` when a to-one relationship on the way is empty).
    Value(Value),
    /// A to-one relationship's destination.
    Object(Option<ObjectId>),
}

/// One object's fetched properties, in the order requested.
#[derive(Debug, Clone, PartialEq)]
pub struct Dictionary {
    /// The object.
    pub id: ObjectId,
    /// (property key path, value), in the order requested.
    pub entries: Vec<(String, PropertyValue)>,
}

impl Dictionary {
    /// The value of `key_path`, if it was fetched.
    pub fn get(&self, key_path: &str) -> Option<&PropertyValue> {
        self.entries.iter().find(|(k, _)| k == key_path).map(|(_, v)| v)
    }

    /// The attribute value of `key_path`, if it was fetched and is an attribute.
    pub fn value(&self, key_path: &str) -> Option<&Value> {
        match self.get(key_path)? {
            PropertyValue::Value(v) => Some(v),
            PropertyValue::Object(_) => None,
        }
    }
}

/// What [`Context::fetch`](crate::Context::fetch) returns, by [`ResultType`].
#[derive(Debug, Clone, PartialEq)]
pub enum FetchResult {
    /// For [`ResultType::Objects`]: the objects, registered in the context.
    Objects(Vec<ObjectId>),
    /// For [`ResultType::ObjectIds`].
    ObjectIds(Vec<ObjectId>),
    /// For [`ResultType::Count`].
    Count(u64),
    /// For [`ResultType::Dictionaries`].
    Dictionaries(Vec<Dictionary>),
}

impl FetchResult {
    /// The IDs of an objects, IDs or dictionaries result (empty for a count).
    pub fn ids(&self) -> Vec<ObjectId> {
        match self {
            FetchResult::Objects(ids) | FetchResult::ObjectIds(ids) => ids.clone(),
            FetchResult::Dictionaries(rows) => rows.iter().map(|d| d.id).collect(),
            FetchResult::Count(_) => Vec::new(),
        }
    }

    /// How many objects the result holds (the count itself for a count).
    pub fn count(&self) -> u64 {
        match self {
            FetchResult::Objects(ids) | FetchResult::ObjectIds(ids) => ids.len() as u64,
            FetchResult::Dictionaries(rows) => rows.len() as u64,
            FetchResult::Count(n) => *n,
        }
    }

    /// The dictionaries of a dictionaries result (empty otherwise).
    pub fn dictionaries(&self) -> &[Dictionary] {
        match self {
            FetchResult::Dictionaries(rows) => rows,
            _ => &[],
        }
    }
}
