//! The errors a context reports: [`ContextError`] for a misuse (an unknown name, a value of
//! the wrong type, an object that is gone), [`ValidationError`] for a save refused because
//! objects break the model's rules, and [`ConflictError`] for a save refused because the
//! store changed under the context.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use strata_model::{AttributeType, RuleViolation, ValueError};

use crate::{ObjectId, PropertyValue, Snapshot};

/// A request the context cannot carry out.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// An entity name that is not in the model.
    #[error(
        "the model has no entity {entity:?}{}",
        suggestion.as_ref().map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default()
    )]
    UnknownEntity {
        /// The name given.
        entity: String,
        /// The nearest entity name, if one is close.
        suggestion: Option<String>,
    },
    /// A query generation pinned on a child context: a child reads through its parent, so
    /// the parent's generation is what it sees.
    #[error("a child context reads through its parent: pin the parent's query generation instead")]
    GenerationOfChild,
    /// `insert` of an abstract entity: only its sub-entities have objects.
    #[error("entity {entity} is abstract: insert one of its sub-entities")]
    AbstractEntity {
        /// The entity.
        entity: String,
    },
    /// A property name the object's entity does not have.
    #[error(
        "entity {entity} has no property {property:?}{}",
        suggestion.as_ref().map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default()
    )]
    UnknownProperty {
        /// The entity.
        entity: String,
        /// The name given.
        property: String,
        /// The nearest property name, if one is close.
        suggestion: Option<String>,
    },
    /// The property is of another kind than the method works on (a relationship passed to
    /// `value`, a to-many relationship passed to `to_one`, …).
    #[error("{entity}.{property} is {actual}, not {expected}")]
    WrongPropertyKind {
        /// The entity.
        entity: String,
        /// The property.
        property: String,
        /// What the method needs (`"an attribute"`, `"a to-one relationship"`, …).
        expected: &'static str,
        /// What the property is.
        actual: &'static str,
    },
    /// A value that does not fit the attribute's type.
    #[error("{entity}.{attribute} cannot take this value: {source}")]
    InvalidValue {
        /// The entity.
        entity: String,
        /// The attribute.
        attribute: String,
        /// Why the value does not fit.
        source: ValueError,
    },
    /// A relationship destination of the wrong entity.
    #[error("{entity}.{relationship} holds {expected} objects, not {found}")]
    WrongDestination {
        /// The source entity.
        entity: String,
        /// The relationship.
        relationship: String,
        /// The destination entity the relationship holds.
        expected: String,
        /// The entity of the object given.
        found: String,
    },
    /// A temporary ID this context did not hand out (or an object it has forgotten).
    #[error(
        "object {id:?} is not known to this context (a temporary ID of another context, or a forgotten object)"
    )]
    UnknownObject {
        /// The ID.
        id: ObjectId,
    },
    /// The object's row does not exist in its store (deleted, or never saved).
    #[error("object {id:?} does not exist in its store")]
    ObjectNotFound {
        /// The ID.
        id: ObjectId,
    },
    /// The object is deleted in this context; it cannot be changed or linked to.
    #[error("object {id:?} is deleted in this context")]
    ObjectDeleted {
        /// The ID.
        id: ObjectId,
    },
    /// A fetch request's property key path that does not fit its entity.
    #[error("cannot fetch {key_path:?} of entity {entity}: {problem}")]
    InvalidKeyPath {
        /// The fetched entity.
        entity: String,
        /// The key path.
        key_path: String,
        /// What is wrong with it.
        problem: KeyPathProblem,
    },
}

/// Why a fetch request's property key path does not fit its entity.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyPathProblem {
    /// A key that is not a property of the entity reached so far.
    UnknownKey {
        /// The key.
        key: String,
        /// The nearest property name, if one is close.
        suggestion: Option<String>,
    },
    /// A to-many key: fetched properties reach one value per object.
    ToManyKey {
        /// The key.
        key: String,
    },
    /// A key after an attribute.
    KeyAfterAttribute {
        /// The attribute.
        attribute: String,
    },
    /// An empty key (`folder..name`).
    EmptyKey,
}

impl fmt::Display for KeyPathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyPathProblem::UnknownKey { key, suggestion: Some(s) } => {
                write!(f, "no key {key:?} (did you mean {s:?}?)")
            }
            KeyPathProblem::UnknownKey { key, suggestion: None } => write!(f, "no key {key:?}"),
            KeyPathProblem::ToManyKey { key } => {
                write!(f, "{key:?} is a to-many relationship (fetched properties follow to-one keys only)")
            }
            KeyPathProblem::KeyAfterAttribute { attribute } => {
                write!(f, "a key follows attribute {attribute:?}")
            }
            KeyPathProblem::EmptyKey => f.write_str("it has an empty key"),
        }
    }
}

/// A save refused because objects break the model's rules. Lists every violation found, so
/// that all of them can be fixed before the next attempt; the context keeps its edits.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} validation error(s): {}", violations.len(), list(violations))]
#[non_exhaustive]
pub struct ValidationError {
    /// Every violation, by object (inserted, then updated, then deleted objects).
    pub violations: Vec<Violation>,
}

fn list(violations: &[Violation]) -> String {
    let shown: Vec<String> = violations.iter().take(10).map(Violation::to_string).collect();
    let more = violations.len().saturating_sub(shown.len());
    let mut text = shown.join("; ");
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    text
}

impl ValidationError {
    /// A validation error listing `violations`.
    pub fn new(violations: Vec<Violation>) -> ValidationError {
        ValidationError { violations }
    }
}

/// One broken rule: which object, which property, what is wrong.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Violation {
    /// The object.
    pub object: ObjectId,
    /// Its entity's name.
    pub entity: String,
    /// The property at fault (for a uniqueness constraint, its first property).
    pub property: String,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}: {} {}", self.entity, self.object, self.property, self.problem)
    }
}

/// What a [`Violation`] is.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Problem {
    /// A non-optional attribute or to-one relationship is nil.
    Required,
    /// An attribute value of another type than the attribute's.
    WrongType {
        /// The attribute's type.
        expected: AttributeType,
        /// The value's type name.
        found: &'static str,
    },
    /// An attribute value breaks one of its validation rules.
    Rule(RuleViolation),
    /// A to-many relationship holds fewer objects than its `minCount`.
    TooFew {
        /// The relationship's `minCount`.
        min: u32,
        /// How many it holds.
        count: usize,
    },
    /// A to-many relationship holds more objects than its `maxCount`.
    TooMany {
        /// The relationship's `maxCount`.
        max: u32,
        /// How many it holds.
        count: usize,
    },
    /// Another pending object has the same values for a uniqueness constraint.
    NotUnique {
        /// The constraint's properties.
        properties: Vec<String>,
        /// The other object.
        other: ObjectId,
    },
    /// The object is deleted, but its relationship, whose delete rule is deny, is not empty.
    DeleteDenied {
        /// How many objects the relationship holds.
        count: usize,
    },
    /// A relationship refers to an object that is deleted.
    DeletedDestination {
        /// The deleted object.
        destination: ObjectId,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Required => f.write_str("is required"),
            Problem::WrongType { expected, found } => write!(f, "must be a {expected} value, found {found}"),
            Problem::Rule(rule) => write!(f, "{rule}"),
            Problem::TooFew { min, count } => write!(f, "holds {count} object(s), fewer than minCount {min}"),
            Problem::TooMany { max, count } => write!(f, "holds {count} object(s), more than maxCount {max}"),
            Problem::NotUnique { properties, other } => {
                write!(f, "duplicates {other:?} on the uniqueness constraint ({})", properties.join(", "))
            }
            Problem::DeleteDenied { count } => {
                write!(f, "still holds {count} object(s) and its delete rule is deny")
            }
            Problem::DeletedDestination { destination } => {
                write!(f, "refers to deleted object {destination:?}")
            }
        }
    }
}

/// A save refused by optimistic locking: objects changed (or vanished) in the store since
/// the context read them. Nothing was saved and the context keeps its edits.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} object(s) changed in the store since this context read them: {}", conflicts.len(), conflict_ids(conflicts))]
#[non_exhaustive]
pub struct ConflictError {
    /// Every conflicting object.
    pub conflicts: Vec<ObjectConflict>,
}

fn conflict_ids(conflicts: &[ObjectConflict]) -> String {
    let ids: Vec<String> = conflicts.iter().take(10).map(|c| format!("{} {:?}", c.entity, c.id)).collect();
    ids.join(", ")
}

impl ConflictError {
    /// A conflict error listing `conflicts`.
    pub fn new(conflicts: Vec<ObjectConflict>) -> ConflictError {
        ConflictError { conflicts }
    }
}

/// One object of a [`ConflictError`]: what the context read and holds now, what the store
/// holds now. Merge policies decide per property from these (`context/policy.rs`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ObjectConflict {
    /// The object.
    pub id: ObjectId,
    /// Its entity's name.
    pub entity: String,
    /// The version the context read.
    pub expected_version: u64,
    /// The snapshot the context read (its edits were made on this row).
    pub read: Option<Arc<Snapshot>>,
    /// The row as stored now; `None` if it was deleted.
    pub current: Option<Arc<Snapshot>>,
    /// The properties the context changed, by name (attributes, to-one relationships, then
    /// to-many relationships with membership changes).
    pub changed: Vec<String>,
    /// Whether the context deleted the object (its change is the deletion).
    pub deleted: bool,
    /// The object's attributes and to-one relationships as the context holds them (the
    /// snapshot it read with its edits on top), by name.
    pub values: BTreeMap<String, PropertyValue>,
    /// The object's pending to-many membership changes, by relationship name.
    pub to_many: BTreeMap<String, MembershipChange>,
}

/// The destinations a context added to and removed from one to-many relationship.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MembershipChange {
    /// Destinations added.
    pub added: Vec<ObjectId>,
    /// Destinations removed.
    pub removed: Vec<ObjectId>,
}
