//! [`ModelError`]: why a model could not be built, loaded or read from a file.
//!
//! Every variant names the entity and property at fault (when there is one) in named
//! fields, so callers can match on what went wrong and point at it without parsing the
//! message. This module only describes failures; it never decides what is valid (that is
//! `validate.rs`) and never converts into other crates' errors (core does that).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::{AttributeType, RuleViolation, ValueError};

/// Why a model is invalid or could not be loaded.
///
/// Entity and property names in the fields are as written in the model; in a model file, an
/// entity or property without a usable `name` is shown as `#n`, its position (from 0) in its
/// list.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The model file could not be read.
    #[error("cannot read model file {}: {source}", path.display())]
    Io {
        /// The file that was being read.
        path: PathBuf,
        /// What the operating system reported.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The model file is not valid JSON.
    #[error("model file is not valid JSON: {reason}")]
    Syntax {
        /// Line of the fault, from 1.
        line: usize,
        /// Column of the fault, from 1.
        column: usize,
        /// The JSON parser's description (including the position).
        reason: String,
    },
    /// A model file's top level is not a JSON object.
    #[error("a model file must hold a JSON object, found {found}")]
    NotAnObject {
        /// The kind of JSON value found.
        found: &'static str,
    },
    /// A model file object has a field the format does not define.
    #[error("{place}: unknown field {field:?}{}", did_you_mean(suggestion.as_deref()))]
    UnknownField {
        /// The object holding the field.
        place: Place,
        /// The field as written.
        field: String,
        /// The nearest field the format defines, if one is close.
        suggestion: Option<String>,
    },
    /// A model file object lacks a required field.
    #[error("{place}: missing field {field:?}")]
    MissingField {
        /// The object lacking the field.
        place: Place,
        /// The required field.
        field: &'static str,
    },
    /// A model file field holds the wrong kind of JSON value.
    #[error("{place}: field {field:?} must be {expected}, found {found}")]
    WrongFieldType {
        /// The object holding the field (or the model, for the top level).
        place: Place,
        /// The field.
        field: &'static str,
        /// What the field must hold (`"a boolean"`, `"a list of lists of names"`, …).
        expected: &'static str,
        /// The kind of JSON value found.
        found: &'static str,
    },
    /// An attribute's `type` is not one of the attribute types.
    #[error(
        "entity {entity}, attribute {attribute}: unknown attribute type {name:?}{} (valid types: {})",
        did_you_mean(suggestion.as_deref()),
        type_list()
    )]
    UnknownAttributeType {
        /// The entity.
        entity: String,
        /// The attribute.
        attribute: String,
        /// The type name as written.
        name: String,
        /// The nearest valid type name, if one is close.
        suggestion: Option<String>,
    },
    /// A relationship's `deleteRule` is not one of the delete rules.
    #[error(
        "entity {entity}, relationship {relationship}: unknown delete rule {name:?} \
         (valid rules: nullify, cascade, deny, noAction)"
    )]
    UnknownDeleteRule {
        /// The entity.
        entity: String,
        /// The relationship.
        relationship: String,
        /// The rule as written.
        name: String,
    },
    /// More entities than an [`EntityIndex`](crate::EntityIndex) can number.
    #[error("a model holds at most 65536 entities, this one has {count}")]
    TooManyEntities {
        /// How many entities were declared.
        count: usize,
    },
    /// The model is too large: too many properties, constraint and index entries, counting
    /// inherited ones again in every entity that inherits them (a guard against files built
    /// to exhaust memory).
    #[error(
        "entity {entity}: the model would hold more than {limit} properties, constraint and index \
         entries, counting inherited ones in every sub-entity"
    )]
    TooLarge {
        /// The entity at which the count passed the limit.
        entity: String,
        /// The limit.
        limit: usize,
    },
    /// Two entities share a name (compared ignoring ASCII case, as SQL compares table names).
    #[error("duplicate entity {entity:?} (entity {existing:?} is declared earlier)")]
    DuplicateEntity {
        /// The later declaration.
        entity: String,
        /// The earlier one.
        existing: String,
    },
    /// Two properties of an entity share a name (compared ignoring ASCII case, as SQL
    /// compares column names), possibly because the entity redeclares an inherited one.
    #[error("entity {entity}: duplicate property {property:?} ({existing:?} is {})", declared_where(inherited_from.as_deref()))]
    DuplicateProperty {
        /// The entity.
        entity: String,
        /// The later declaration.
        property: String,
        /// The property already there.
        existing: String,
        /// The ancestor declaring `existing`, when it is inherited.
        inherited_from: Option<String>,
    },
    /// An entity name is not allowed.
    #[error("entity {entity:?}: invalid entity name: {problem}")]
    InvalidEntityName {
        /// The name as written.
        entity: String,
        /// What is wrong with it.
        problem: NameProblem,
    },
    /// A property name is not allowed.
    #[error("entity {entity}, property {property:?}: invalid property name: {problem}")]
    InvalidPropertyName {
        /// The entity.
        entity: String,
        /// The name as written.
        property: String,
        /// What is wrong with it.
        problem: NameProblem,
    },
    /// An entity names a parent that is not in the model.
    #[error("entity {entity}: unknown parent entity {parent:?}{}", did_you_mean(suggestion.as_deref()))]
    UnknownParent {
        /// The entity.
        entity: String,
        /// The parent as written.
        parent: String,
        /// The nearest entity name, if one is close.
        suggestion: Option<String>,
    },
    /// Entities inherit from each other in a circle.
    #[error("entity {}: inheritance cycle {}", cycle.first().map_or("", String::as_str), cycle_text(cycle))]
    InheritanceCycle {
        /// The entities of the cycle, each the parent of the one before it; the first
        /// entity is repeated at the end only in the message.
        cycle: Vec<String>,
    },
    /// A relationship's destination is not in the model.
    #[error(
        "entity {entity}, relationship {relationship}: unknown destination entity {destination:?}{}",
        did_you_mean(suggestion.as_deref())
    )]
    UnknownDestination {
        /// The entity.
        entity: String,
        /// The relationship.
        relationship: String,
        /// The destination as written.
        destination: String,
        /// The nearest entity name, if one is close.
        suggestion: Option<String>,
    },
    /// A relationship's inverse is not a relationship of the destination.
    #[error(
        "entity {entity}, relationship {relationship}: inverse {inverse:?} is not a relationship of {destination}{}",
        did_you_mean(suggestion.as_deref())
    )]
    UnknownInverse {
        /// The entity.
        entity: String,
        /// The relationship.
        relationship: String,
        /// The destination entity.
        destination: String,
        /// The inverse as written.
        inverse: String,
        /// The nearest relationship name of the destination, if one is close.
        suggestion: Option<String>,
    },
    /// A relationship's inverse does not name it back as its own inverse.
    #[error(
        "entity {entity}, relationship {relationship}: inverse {destination}.{inverse} does not point back \
         (its inverse is {})",
        back.as_deref().map_or_else(|| "not set".to_owned(), |b| format!("{b:?}"))
    )]
    InverseDoesNotPointBack {
        /// The entity.
        entity: String,
        /// The relationship.
        relationship: String,
        /// The destination entity.
        destination: String,
        /// The inverse relationship.
        inverse: String,
        /// The inverse's own inverse, if it declares one.
        back: Option<String>,
    },
    /// A relationship's inverse leads to another entity than the one declaring the
    /// relationship.
    #[error(
        "entity {entity}, relationship {relationship}: inverse {destination}.{inverse} leads to \
         {inverse_destination}, not {entity}"
    )]
    InverseWrongDestination {
        /// The entity declaring the relationship.
        entity: String,
        /// The relationship.
        relationship: String,
        /// The destination entity.
        destination: String,
        /// The inverse relationship.
        inverse: String,
        /// Where the inverse leads.
        inverse_destination: String,
    },
    /// An attribute's default does not convert to the attribute's type (or is a value no
    /// store can keep, such as NaN).
    #[error("entity {entity}, attribute {attribute}: default {value} is not a valid {ty}: {source}")]
    BadDefault {
        /// The entity.
        entity: String,
        /// The attribute.
        attribute: String,
        /// The attribute's type.
        ty: AttributeType,
        /// The default as written (JSON text, or the value given to the builder).
        value: String,
        /// Why it does not convert.
        #[source]
        source: Box<ValueError>,
    },
    /// An attribute's default breaks the attribute's own validation rules.
    #[error("entity {entity}, attribute {attribute}: default {value} {violation}")]
    DefaultViolatesRule {
        /// The entity.
        entity: String,
        /// The attribute.
        attribute: String,
        /// The default.
        value: String,
        /// The rule it breaks.
        violation: RuleViolation,
    },
    /// A `min` or `max` bound does not convert to the attribute's type.
    #[error("entity {entity}, attribute {attribute}: {rule} {value} is not a valid {ty}: {source}")]
    BadRuleValue {
        /// The entity.
        entity: String,
        /// The attribute.
        attribute: String,
        /// `"min"` or `"max"`.
        rule: &'static str,
        /// The attribute's type.
        ty: AttributeType,
        /// The bound as written.
        value: String,
        /// Why it does not convert.
        #[source]
        source: Box<ValueError>,
    },
    /// A validation rule does not apply to the attribute's type.
    #[error(
        "entity {entity}, attribute {attribute}: {rule} does not apply to a {ty} attribute ({})",
        rule_scope(rule)
    )]
    MisplacedRule {
        /// The entity.
        entity: String,
        /// The attribute.
        attribute: String,
        /// The rule (`"min"`, `"maxLength"`, `"regex"`, …).
        rule: &'static str,
        /// The attribute's type.
        ty: AttributeType,
    },
    /// A lower bound exceeds its upper bound (`min` > `max`, `minLength` > `maxLength`,
    /// `minCount` > `maxCount`).
    #[error("entity {entity}, property {property}: {} {min} is greater than {} {max}", rules.min_name(), rules.max_name())]
    InvertedRange {
        /// The entity.
        entity: String,
        /// The attribute or relationship.
        property: String,
        /// Which pair of rules.
        rules: RangeRules,
        /// The lower bound.
        min: String,
        /// The upper bound.
        max: String,
    },
    /// An attribute's `regex` is not a valid regular expression.
    #[error("entity {entity}, attribute {attribute}: invalid regex {pattern:?}: {source}")]
    InvalidRegex {
        /// The entity.
        entity: String,
        /// The attribute.
        attribute: String,
        /// The pattern as written.
        pattern: String,
        /// The regex engine's complaint.
        #[source]
        source: regex::Error,
    },
    /// `minCount` or `maxCount` on a to-one relationship.
    #[error("entity {entity}, relationship {relationship}: {rule} applies only to to-many relationships")]
    CountOnToOne {
        /// The entity.
        entity: String,
        /// The relationship.
        relationship: String,
        /// `"minCount"` or `"maxCount"`.
        rule: &'static str,
    },
    /// A uniqueness constraint or index names a property the entity does not have.
    #[error("entity {entity}: {kind} names unknown property {property:?}{}", did_you_mean(suggestion.as_deref()))]
    ConstraintUnknownProperty {
        /// The entity.
        entity: String,
        /// Uniqueness constraint or index.
        kind: ConstraintKind,
        /// The property as written.
        property: String,
        /// The nearest property name, if one is close.
        suggestion: Option<String>,
    },
    /// A uniqueness constraint or index names a to-many relationship (which has no column
    /// to constrain).
    #[error("entity {entity}: {kind} names to-many relationship {relationship:?}")]
    ConstraintToMany {
        /// The entity.
        entity: String,
        /// Uniqueness constraint or index.
        kind: ConstraintKind,
        /// The relationship.
        relationship: String,
    },
    /// A uniqueness constraint or index with no property.
    #[error("entity {entity}: empty {kind}")]
    EmptyConstraint {
        /// The entity.
        entity: String,
        /// Uniqueness constraint or index.
        kind: ConstraintKind,
    },
}

/// Where in a model file a shape error is: the model, an entity, or one of its properties.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Place {
    /// The top-level object.
    Model,
    /// An entity object.
    Entity {
        /// The entity's name (or `#n`).
        entity: String,
    },
    /// An attribute object.
    Attribute {
        /// The entity's name.
        entity: String,
        /// The attribute's name (or `#n`).
        attribute: String,
    },
    /// A relationship object.
    Relationship {
        /// The entity's name.
        entity: String,
        /// The relationship's name (or `#n`).
        relationship: String,
    },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Model => f.write_str("model"),
            Place::Entity { entity } => write!(f, "entity {entity}"),
            Place::Attribute { entity, attribute } => write!(f, "entity {entity}, attribute {attribute}"),
            Place::Relationship { entity, relationship } => {
                write!(f, "entity {entity}, relationship {relationship}")
            }
        }
    }
}

/// What is wrong with an entity or property name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameProblem {
    /// The name is empty.
    Empty,
    /// The name is not an identifier (`[A-Za-z_][A-Za-z0-9_]*`).
    NotIdentifier,
    /// The name is a keyword of the predicate language (in any case), so a predicate could
    /// not name it as a key.
    Keyword,
    /// The property name starts with `Z_` (in any case), which stores reserve for their own
    /// columns.
    Reserved,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameProblem::Empty => "names cannot be empty",
            NameProblem::NotIdentifier => {
                "names must be identifiers: a letter or _, then letters, digits or _ (ASCII)"
            }
            NameProblem::Keyword => "it is a keyword of the predicate language",
            NameProblem::Reserved => "names starting with Z_ are reserved for stores",
        })
    }
}

/// A pair of lower and upper bound rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RangeRules {
    /// `min` and `max`.
    Value,
    /// `minLength` and `maxLength`.
    Length,
    /// `minCount` and `maxCount`.
    Count,
}

impl RangeRules {
    /// The lower bound's name in model files.
    pub fn min_name(self) -> &'static str {
        match self {
            RangeRules::Value => "min",
            RangeRules::Length => "minLength",
            RangeRules::Count => "minCount",
        }
    }

    /// The upper bound's name in model files.
    pub fn max_name(self) -> &'static str {
        match self {
            RangeRules::Value => "max",
            RangeRules::Length => "maxLength",
            RangeRules::Count => "maxCount",
        }
    }
}

/// Which kind of property list a constraint error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConstraintKind {
    /// An entry of `uniquenessConstraints`.
    Uniqueness,
    /// An entry of `indexes`.
    Index,
}

impl fmt::Display for ConstraintKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConstraintKind::Uniqueness => "uniqueness constraint",
            ConstraintKind::Index => "index",
        })
    }
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion.map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default()
}

fn declared_where(inherited_from: Option<&str>) -> String {
    match inherited_from {
        Some(ancestor) => format!("inherited from {ancestor}"),
        None => "declared earlier".to_owned(),
    }
}

fn type_list() -> String {
    AttributeType::ALL.map(AttributeType::name).join(", ")
}

fn cycle_text(cycle: &[String]) -> String {
    let mut names: Vec<&str> = cycle.iter().map(String::as_str).collect();
    if let Some(&first) = names.first() {
        names.push(first);
    }
    names.join(" → ")
}

fn rule_scope(rule: &str) -> &'static str {
    match rule {
        "min" | "max" => "min and max apply to integer, double, float, decimal and date attributes",
        "minLength" | "maxLength" => "minLength and maxLength apply to string, uri and binary attributes",
        _ => "regex applies to string attributes",
    }
}
