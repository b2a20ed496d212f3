//! Aggregate expressions of dictionary fetches ([`Aggregate`], [`AggregateFunction`]) and the
//! rows grouped or aggregated fetches return ([`ResultRow`]).
//!
//! Plain data: the meaning of each function is written here once and implemented by every
//! store (in SQL by SQL stores, in memory by the others); nothing here computes anything.

use strata_model::Value;

use super::PropertyValue;

/// An aggregate function of a dictionary fetch, with SQL's `GROUP BY` semantics: `NULL`s are
/// skipped (a group whose values are all `NULL` sums to zero and has no average, minimum or
/// maximum), and a group is never empty except the single group of an ungrouped fetch that
/// matched nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AggregateFunction {
    /// Without a key path (`count(*)`): how many objects the group holds. With one: how many
    /// of them have a non-`NULL` value there. Always an `Int64`.
    Count,
    /// The sum of a numeric attribute's non-`NULL` values: an `Int64` for integer attributes
    /// (an error if the exact total leaves the 64-bit range), a `Double`
    /// for `double`/`float` attributes (compensated summation, as SQLite's), an exact
    /// `Decimal` for decimals; the zero of that type when there is no value.
    Sum,
    /// The mean of a numeric attribute's non-`NULL` values: a `Double` (a `Decimal` for
    /// decimal attributes), `Null` when there is no value.
    Avg,
    /// The smallest non-`NULL` value of a number, date, string or bool attribute, by
    /// [`Value::compare`] (strings by UTF-8 bytes); `Null` when there is none.
    Min,
    /// The largest, as [`AggregateFunction::Min`].
    Max,
}

impl AggregateFunction {
    /// The function's name as written in messages (`"sum"`).
    pub fn name(self) -> &'static str {
        match self {
            AggregateFunction::Count => "count",
            AggregateFunction::Sum => "sum",
            AggregateFunction::Avg => "avg",
            AggregateFunction::Min => "min",
            AggregateFunction::Max => "max",
        }
    }
}

/// One aggregate expression of a dictionary fetch: a function of a key path (attributes
/// reached through to-one relationships), returned under a result name.
///
/// ```
/// use strata_core::{Aggregate, AggregateFunction};
/// let total = Aggregate::sum("total", "score");
/// assert_eq!((total.name(), total.function(), total.key_path()), ("total", AggregateFunction::Sum, Some("score")));
/// assert_eq!(Aggregate::count_all("n").key_path(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Aggregate {
    name: String,
    function: AggregateFunction,
    key_path: Option<String>,
}

impl Aggregate {
    /// `function(key_path)` returned as `name`. `key_path` `None` is only meaningful for
    /// [`AggregateFunction::Count`] (`count(*)`); the other functions need one, which the
    /// fetch checks.
    pub fn new(name: impl Into<String>, function: AggregateFunction, key_path: Option<&str>) -> Aggregate {
        Aggregate { name: name.into(), function, key_path: key_path.map(str::to_owned) }
    }

    /// `count(*)`: the number of objects in the group.
    pub fn count_all(name: impl Into<String>) -> Aggregate {
        Aggregate::new(name, AggregateFunction::Count, None)
    }

    /// `count(key_path)`: the number of objects in the group with a non-`NULL` value there.
    pub fn count(name: impl Into<String>, key_path: &str) -> Aggregate {
        Aggregate::new(name, AggregateFunction::Count, Some(key_path))
    }

    /// `sum(key_path)` (see [`AggregateFunction::Sum`]).
    pub fn sum(name: impl Into<String>, key_path: &str) -> Aggregate {
        Aggregate::new(name, AggregateFunction::Sum, Some(key_path))
    }

    /// `avg(key_path)` (see [`AggregateFunction::Avg`]).
    pub fn avg(name: impl Into<String>, key_path: &str) -> Aggregate {
        Aggregate::new(name, AggregateFunction::Avg, Some(key_path))
    }

    /// `min(key_path)` (see [`AggregateFunction::Min`]).
    pub fn min(name: impl Into<String>, key_path: &str) -> Aggregate {
        Aggregate::new(name, AggregateFunction::Min, Some(key_path))
    }

    /// `max(key_path)` (see [`AggregateFunction::Max`]).
    pub fn max(name: impl Into<String>, key_path: &str) -> Aggregate {
        Aggregate::new(name, AggregateFunction::Max, Some(key_path))
    }

    /// The result name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The function.
    pub fn function(&self) -> AggregateFunction {
        self.function
    }

    /// The key path aggregated (`None` for `count(*)`).
    pub fn key_path(&self) -> Option<&str> {
        self.key_path.as_deref()
    }
}

/// One row of a grouped, aggregated or distinct dictionary fetch
/// ([`Context::fetch_rows`](crate::Context::fetch_rows)): the requested key paths, then the
/// aggregates, by result name, in the order requested. Unlike a
/// [`Dictionary`](super::Dictionary) it names no object: a row may stand for many.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResultRow {
    /// (result name, value), in the order requested.
    pub entries: Vec<(String, PropertyValue)>,
}

impl ResultRow {
    /// The value of the result named `name`, if requested.
    pub fn get(&self, name: &str) -> Option<&PropertyValue> {
        self.entries.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The attribute or aggregate value named `name`, if requested and not an object.
    pub fn value(&self, name: &str) -> Option<&Value> {
        match self.get(name)? {
            PropertyValue::Value(v) => Some(v),
            PropertyValue::Object(_) => None,
        }
    }
}
