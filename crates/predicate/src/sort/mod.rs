//! Sort descriptors: which key paths order a fetch's results, how, and the in-memory
//! comparison that the SQL `ORDER BY` ([`compile_order_by`](crate::sql::compile_order_by))
//! must agree with.
//!
//! A sort key is an attribute reached through to-one keys only (`title`, `folder.name`).
//! Values order by [`Value::sort_cmp`] (nil first ascending; descending reverses the whole
//! order, so nil last). Text can instead order case-insensitively (by its `[c]`-folded
//! form) or localized ([`localized_cmp`]). Ties are left to the caller: SQL appends the
//! primary key, and in memory callers sort stably and then by id.
//!
//! This module never reads a store and never allocates to compare plain values.

mod parse;

use std::cmp::Ordering;
use std::fmt;

use strata_model::{EntityIndex, Model, Property, Value};

use crate::ast::StringOptions;
use crate::eval::{EvalError, Field, ObjectView};
use crate::strings::fold;

pub use parse::{SortParseError, SortParseErrorKind};

/// How the values of a sort key compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortComparison {
    /// [`Value::sort_cmp`]: numbers by value, text by UTF-8 bytes (as SQL's `BINARY`).
    #[default]
    Default,
    /// Text by its `[c]`-folded form (Unicode case folding, `ß` = `ss`); ties stay ties.
    CaseInsensitive,
    /// Text by [`localized_cmp`]: letters first, then accents, then case.
    Localized,
    /// Text by [`localized_case_insensitive_cmp`]: letters first, then accents.
    LocalizedCaseInsensitive,
}

/// One sort key: a key path, a direction and a comparison.
///
/// ```
/// use strata_predicate::{SortComparison, SortDescriptor};
/// let sorts = SortDescriptor::parse_list("score desc, title:ci").unwrap();
/// assert_eq!(sorts, vec![
///     SortDescriptor::descending("score"),
///     SortDescriptor::ascending("title").case_insensitive(),
/// ]);
/// assert_eq!(sorts[1].comparison, SortComparison::CaseInsensitive);
/// assert_eq!(sorts[1].to_string(), "title:ci asc");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SortDescriptor {
    /// The key path, keys separated by `.` (`folder.name`).
    pub key_path: String,
    /// Ascending (nil first) or descending (nil last).
    pub ascending: bool,
    /// How values compare.
    pub comparison: SortComparison,
}

/// Why a sort descriptor does not fit an entity, or could not be applied to an object.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SortError {
    /// The entity is not part of the model.
    #[error("entity #{index} is not part of the model")]
    UnknownEntity {
        /// The entity index.
        index: u16,
    },
    /// The key path is empty or has an empty key (`folder..name`).
    #[error("sort key path {key_path:?} has an empty key")]
    EmptyKey {
        /// The key path.
        key_path: String,
    },
    /// A key that is not a property of the entity reached so far.
    #[error(
        "entity {entity} has no key {key:?}{}",
        suggestion.as_ref().map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default()
    )]
    UnknownKey {
        /// The entity.
        entity: String,
        /// The key.
        key: String,
        /// The nearest property name, if one is close.
        suggestion: Option<String>,
    },
    /// A to-many key: sort keys reach one value per object.
    #[error(
        "cannot sort by {key_path:?}: {key:?} is a to-many relationship (sort keys follow to-one keys only)"
    )]
    ToManyKey {
        /// The key path.
        key_path: String,
        /// The to-many key.
        key: String,
    },
    /// A key after an attribute (`title.length`).
    #[error("cannot sort by {key_path:?}: key {key:?} follows attribute {attribute:?}")]
    KeyAfterAttribute {
        /// The key path.
        key_path: String,
        /// The attribute.
        attribute: String,
        /// The key after it.
        key: String,
    },
    /// The key path ends on a relationship, not an attribute.
    #[error("cannot sort by {key_path:?}: it ends on relationship {key:?}, not an attribute")]
    NotAnAttribute {
        /// The key path.
        key_path: String,
        /// The relationship.
        key: String,
    },
    /// An object could not answer a key while sorting in memory.
    #[error("cannot sort by {key_path:?}: {source}")]
    Eval {
        /// The key path.
        key_path: String,
        /// What the object answered.
        source: EvalError,
    },
}

impl SortDescriptor {
    /// Ascending by `key_path`, default comparison.
    pub fn ascending(key_path: impl Into<String>) -> SortDescriptor {
        SortDescriptor { key_path: key_path.into(), ascending: true, comparison: SortComparison::Default }
    }

    /// Descending by `key_path`, default comparison.
    pub fn descending(key_path: impl Into<String>) -> SortDescriptor {
        SortDescriptor { ascending: false, ..SortDescriptor::ascending(key_path) }
    }

    /// The same sort, comparing text case-insensitively (keeps localized).
    pub fn case_insensitive(self) -> SortDescriptor {
        let comparison = match self.comparison {
            SortComparison::Default | SortComparison::CaseInsensitive => SortComparison::CaseInsensitive,
            SortComparison::Localized | SortComparison::LocalizedCaseInsensitive => {
                SortComparison::LocalizedCaseInsensitive
            }
        };
        SortDescriptor { comparison, ..self }
    }

    /// The same sort, comparing text localized (keeps case-insensitive).
    pub fn localized(self) -> SortDescriptor {
        let comparison = match self.comparison {
            SortComparison::Default | SortComparison::Localized => SortComparison::Localized,
            SortComparison::CaseInsensitive | SortComparison::LocalizedCaseInsensitive => {
                SortComparison::LocalizedCaseInsensitive
            }
        };
        SortDescriptor { comparison, ..self }
    }

    /// The keys of the key path.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.key_path.split('.')
    }

    /// Parses a comma-separated list of sort keys, as the CLI's `--sort` takes them:
    /// `key [asc|desc]`, where the key is a key path optionally followed by `:ci`
    /// (case-insensitive), `:localized`, or both (`:localized:ci`). Directions and options
    /// are case-insensitive; the default direction is ascending. Errors carry the byte
    /// offset of the fault.
    ///
    /// ```
    /// use strata_predicate::SortDescriptor;
    /// let sorts = SortDescriptor::parse_list("folder.name:localized, created DESC").unwrap();
    /// assert_eq!(sorts[0], SortDescriptor::ascending("folder.name").localized());
    /// assert_eq!(sorts[1], SortDescriptor::descending("created"));
    /// let e = SortDescriptor::parse_list("score up").unwrap_err();
    /// assert_eq!(e.to_string(), r#"expected asc or desc, found "up" at 6"#);
    /// ```
    pub fn parse_list(text: &str) -> Result<Vec<SortDescriptor>, SortParseError> {
        parse::parse_list(text)
    }

    /// Checks the key path against `entity` of `model`: every key must exist, keys before
    /// the last must be to-one relationships, the last an attribute (of any type; decimal
    /// keys are sorted in memory by the SQL back-end).
    pub fn check(&self, model: &Model, entity: EntityIndex) -> Result<(), SortError> {
        let keys: Vec<&str> = self.keys().collect();
        if keys.iter().any(|k| k.is_empty()) {
            return Err(SortError::EmptyKey { key_path: self.key_path.clone() });
        }
        let mut current =
            model.entities().get(entity.get()).ok_or(SortError::UnknownEntity { index: entity.0 })?;
        for (i, key) in keys.iter().enumerate() {
            let last = i + 1 == keys.len();
            match current.property(key) {
                None => {
                    return Err(SortError::UnknownKey {
                        entity: current.name().to_owned(),
                        key: (*key).to_owned(),
                        suggestion: current.nearest_property(key).map(str::to_owned),
                    });
                }
                Some(Property::Attribute(a)) if !last => {
                    return Err(SortError::KeyAfterAttribute {
                        key_path: self.key_path.clone(),
                        attribute: a.name().to_owned(),
                        key: keys[i + 1].to_owned(),
                    });
                }
                Some(Property::Attribute(_)) => {}
                Some(Property::Relationship(r)) if r.is_to_many() => {
                    return Err(SortError::ToManyKey {
                        key_path: self.key_path.clone(),
                        key: (*key).to_owned(),
                    });
                }
                Some(Property::Relationship(_)) if last => {
                    return Err(SortError::NotAnAttribute {
                        key_path: self.key_path.clone(),
                        key: (*key).to_owned(),
                    });
                }
                Some(Property::Relationship(r)) => current = model.entity_at(r.destination()),
            }
        }
        Ok(())
    }

    /// The value this sort key reads from `object`: `Null` when a to-one relationship on
    /// the way is empty.
    pub fn value_of<O: ObjectView>(&self, object: &O) -> Result<Value, SortError> {
        let eval = |source| SortError::Eval { key_path: self.key_path.clone(), source };
        let keys: Vec<&str> = self.keys().collect();
        let mut current = object.clone();
        for (i, key) in keys.iter().enumerate() {
            let last = i + 1 == keys.len();
            match current.field(key).map_err(eval)? {
                Field::Value(v) if last => return Ok(v),
                Field::Value(_) => {
                    return Err(SortError::KeyAfterAttribute {
                        key_path: self.key_path.clone(),
                        attribute: (*key).to_owned(),
                        key: keys[i + 1].to_owned(),
                    });
                }
                Field::ToMany(_) => {
                    return Err(SortError::ToManyKey {
                        key_path: self.key_path.clone(),
                        key: (*key).to_owned(),
                    });
                }
                Field::ToOne(_) if last => {
                    return Err(SortError::NotAnAttribute {
                        key_path: self.key_path.clone(),
                        key: (*key).to_owned(),
                    });
                }
                Field::ToOne(None) => return Ok(Value::Null),
                Field::ToOne(Some(next)) => current = next,
            }
        }
        Err(SortError::EmptyKey { key_path: self.key_path.clone() })
    }
}

impl fmt::Display for SortDescriptor {
    /// The [`SortDescriptor::parse_list`] form: `title:ci asc`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let option = match self.comparison {
            SortComparison::Default => "",
            SortComparison::CaseInsensitive => ":ci",
            SortComparison::Localized => ":localized",
            SortComparison::LocalizedCaseInsensitive => ":localized:ci",
        };
        let direction = if self.ascending { "asc" } else { "desc" };
        write!(f, "{}{option} {direction}", self.key_path)
    }
}

/// Orders `a` and `b` by `sorts`, first key first; `Equal` when every key ties (callers
/// break ties by id, as SQL does by primary key).
pub fn compare_objects<O: ObjectView>(sorts: &[SortDescriptor], a: &O, b: &O) -> Result<Ordering, SortError> {
    for sort in sorts {
        let ordering = compare_values(&sort.value_of(a)?, &sort.value_of(b)?, sort.comparison);
        let ordering = if sort.ascending { ordering } else { ordering.reverse() };
        if ordering != Ordering::Equal {
            return Ok(ordering);
        }
    }
    Ok(Ordering::Equal)
}

/// Orders two values of a sort key (ascending): text (strings and URIs) by `comparison`,
/// everything else by [`Value::sort_cmp`].
pub fn compare_values(a: &Value, b: &Value, comparison: SortComparison) -> Ordering {
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => compare_text(x, y, comparison),
        _ => a.sort_cmp(b),
    }
}

/// Orders two texts by `comparison`.
pub fn compare_text(a: &str, b: &str, comparison: SortComparison) -> Ordering {
    match comparison {
        SortComparison::Default => a.cmp(b),
        SortComparison::CaseInsensitive => fold(a, CASE).cmp(&fold(b, CASE)),
        SortComparison::Localized => localized_cmp(a, b),
        SortComparison::LocalizedCaseInsensitive => localized_case_insensitive_cmp(a, b),
    }
}

const CASE: StringOptions = StringOptions { case_insensitive: true, diacritic_insensitive: false };
const CASE_AND_DIACRITICS: StringOptions =
    StringOptions { case_insensitive: true, diacritic_insensitive: true };

/// Localized order: by the `[cd]`-folded text (so `é` sorts with `e`, `B` with `b`), ties by
/// the `[c]`-folded text (accents), then by the raw text (case).
///
/// ```
/// use std::cmp::Ordering;
/// use strata_predicate::sort::localized_cmp;
/// let mut words = vec!["zebra", "Été", "apple", "ete", "Apple"];
/// words.sort_by(|a, b| localized_cmp(a, b));
/// assert_eq!(words, ["Apple", "apple", "ete", "Été", "zebra"]);
/// ```
pub fn localized_cmp(a: &str, b: &str) -> Ordering {
    localized_case_insensitive_cmp(a, b).then_with(|| a.cmp(b))
}

/// Localized, case-insensitive order: [`localized_cmp`] without the final case tie-break.
pub fn localized_case_insensitive_cmp(a: &str, b: &str) -> Ordering {
    fold(a, CASE_AND_DIACRITICS)
        .cmp(&fold(b, CASE_AND_DIACRITICS))
        .then_with(|| fold(a, CASE).cmp(&fold(b, CASE)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localized_orders_letters_then_accents_then_case() {
        assert_eq!(localized_cmp("é", "f"), Ordering::Less);
        assert_eq!(localized_cmp("e", "é"), Ordering::Less);
        assert_eq!(localized_cmp("E", "e"), Ordering::Less);
        assert_eq!(localized_case_insensitive_cmp("E", "e"), Ordering::Equal);
        assert_eq!(localized_case_insensitive_cmp("É", "e"), Ordering::Greater);
    }

    #[test]
    fn values_fall_back_to_sort_cmp() {
        let ci = SortComparison::CaseInsensitive;
        assert_eq!(compare_values(&Value::Null, &Value::from("a"), ci), Ordering::Less);
        assert_eq!(compare_values(&Value::from("B"), &Value::from("a"), ci), Ordering::Greater);
        assert_eq!(
            compare_values(&Value::from("B"), &Value::from("a"), SortComparison::Default),
            Ordering::Less
        );
        assert_eq!(compare_values(&Value::Int16(2), &Value::Double(1.5), ci), Ordering::Greater);
    }
}
