//! What can stop an import, by line: [`ImportProblem`] says what is wrong and where;
//! [`ImportError`] adds what the import had already saved, so the message tells the user
//! exactly what is in the store now.

use std::fmt;
use std::path::PathBuf;

use strata::core::Problem;
use strata::model::ValueError;

use crate::import_file::LineError;

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportProblem {
    /// The import file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system reported.
        source: std::io::Error,
    },
    /// A line is not a well-formed import line (or a ref is dangling or defined twice).
    #[error(transparent)]
    Line(#[from] LineError),
    /// An entity name the store's model does not have.
    #[error(
        "line {line}: the store's model has no entity {entity:?}{}",
        suggest(suggestion.as_deref())
    )]
    UnknownEntity {
        /// The line.
        line: usize,
        /// The name given.
        entity: String,
        /// The nearest entity name, if one is close.
        suggestion: Option<String>,
    },
    /// An abstract entity: only its sub-entities have objects.
    #[error("line {line}: entity {entity} is abstract; import objects of one of its sub-entities")]
    AbstractEntity {
        /// The line.
        line: usize,
        /// The entity.
        entity: String,
    },
    /// A name under `values` or `relationships` that is no property of the entity.
    #[error(
        "line {line}: entity {entity} has no {kind} {name:?}{}",
        suggest(suggestion.as_deref())
    )]
    UnknownProperty {
        /// The line.
        line: usize,
        /// The entity.
        entity: String,
        /// `"attribute"` (under `values`) or `"relationship"` (under `relationships`).
        kind: &'static str,
        /// The name given.
        name: String,
        /// The nearest property name, if one is close.
        suggestion: Option<String>,
    },
    /// A relationship under `values`, or an attribute under `relationships`.
    #[error(
        "line {line}: {entity}.{name} is {}",
        if *is_relationship {
            "a relationship: put it under \"relationships\" with refs"
        } else {
            "an attribute: put it under \"values\""
        }
    )]
    MisplacedProperty {
        /// The line.
        line: usize,
        /// The entity.
        entity: String,
        /// The property.
        name: String,
        /// Whether the property is a relationship (found under `values`).
        is_relationship: bool,
    },
    /// A value that does not fit its attribute's type.
    #[error("line {line}: {entity}.{attribute}: {source}")]
    InvalidValue {
        /// The line.
        line: usize,
        /// The entity.
        entity: String,
        /// The attribute.
        attribute: String,
        /// Why the value does not fit.
        source: ValueError,
    },
    /// A to-many relationship given one ref, or a to-one given an array.
    #[error(
        "line {line}: {entity}.{relationship} is a {}",
        if *to_many { "to-many relationship: give an array of refs" } else { "to-one relationship: give one ref or null" }
    )]
    WrongShape {
        /// The line.
        line: usize,
        /// The entity.
        entity: String,
        /// The relationship.
        relationship: String,
        /// Whether the relationship is to-many.
        to_many: bool,
    },
    /// A ref to an object of an entity the relationship cannot hold.
    #[error(transparent)]
    WrongDestination(Box<WrongDestination>),
    /// The context refused a change for this line.
    #[error("line {line}: {source}")]
    Context {
        /// The line.
        line: usize,
        /// The context's error (boxed: it is large and rare).
        source: Box<strata::Error>,
    },
    /// The save was refused because objects break the model's rules.
    #[error("{} validation error(s):{}", violations.len(), list(violations))]
    Invalid {
        /// Every violation, with the line of its object where known.
        violations: Vec<LineViolation>,
    },
    /// The store refused an object whose values a uniqueness constraint says must differ
    /// from a stored object's.
    #[error(
        "{}: {entity} objects must be unique by {}, and the store already has {}",
        line.map_or_else(|| "an object".to_owned(), |l| format!("line {l}")),
        properties.join(", "),
        existing.as_deref().unwrap_or("one with these values")
    )]
    Duplicate {
        /// The line of the refused object, when it is one of this import's.
        line: Option<usize>,
        /// The entity.
        entity: String,
        /// The constraint's properties.
        properties: Vec<String>,
        /// The URI of the stored object, when the store can tell.
        existing: Option<String>,
    },
    /// The save failed for another reason.
    #[error("the save failed: {source}")]
    Save {
        /// The error (boxed: it is large and rare).
        source: Box<strata::Error>,
    },
}

/// A ref to an object of an entity the relationship cannot hold
/// ([`ImportProblem::WrongDestination`]).
#[derive(Debug, thiserror::Error)]
#[error(
    "line {line}: {entity}.{relationship} holds {expected} objects, but ref {reference:?} (line {target_line}) is a {found}"
)]
pub struct WrongDestination {
    /// The line.
    pub line: usize,
    /// The entity.
    pub entity: String,
    /// The relationship.
    pub relationship: String,
    /// The ref.
    pub reference: String,
    /// The line defining the ref.
    pub target_line: usize,
    /// The destination entity of the relationship.
    pub expected: String,
    /// The entity of the referenced object.
    pub found: String,
}

fn suggest(suggestion: Option<&str>) -> String {
    suggestion.map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default()
}

fn list(violations: &[LineViolation]) -> String {
    violations.iter().map(|v| format!("\n  {v}")).collect()
}

/// One broken rule of a refused save, placed by line.
#[derive(Debug)]
pub struct LineViolation {
    /// The line that made the object, when it is one of this import's.
    pub line: Option<usize>,
    /// The object's ref, if the line gave one.
    pub reference: Option<String>,
    /// The object's entity.
    pub entity: String,
    /// The object's URI, for objects without a line.
    pub object: String,
    /// The property at fault.
    pub property: String,
    /// What is wrong.
    pub problem: Problem,
    /// For a uniqueness violation: the line of the other object, when known.
    pub other_line: Option<usize>,
}

impl fmt::Display for LineViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, &self.reference) {
            (Some(line), Some(r)) => write!(f, "line {line} ({} {r:?}): ", self.entity)?,
            (Some(line), None) => write!(f, "line {line} ({}): ", self.entity)?,
            (None, _) => write!(f, "{} {}: ", self.entity, self.object)?,
        }
        match (&self.problem, self.other_line) {
            (Problem::NotUnique { properties, .. }, Some(other)) => write!(
                f,
                "{} duplicates line {other} on the uniqueness constraint ({})",
                self.property,
                properties.join(", ")
            ),
            (problem, _) => write!(f, "{} {problem}", self.property),
        }
    }
}

/// An import that stopped, with what it had saved before.
#[derive(Debug, thiserror::Error)]
#[error("{problem}\n{}", Saved(*saved))]
pub struct ImportError {
    /// What stopped it.
    #[source]
    pub problem: ImportProblem,
    /// What earlier saves stored.
    pub saved: SavedSoFar,
}

/// What an import had stored when it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SavedSoFar {
    /// Objects stored.
    pub objects: usize,
    /// Saves made.
    pub saves: usize,
    /// The last line those saves covered.
    pub through_line: usize,
}

struct Saved(SavedSoFar);

impl fmt::Display for Saved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        if s.saves == 0 {
            f.write_str("nothing was imported: the store is unchanged")
        } else {
            write!(
                f,
                "nothing after line {} was saved; the {} object(s) of lines 1-{} were saved by {} earlier save(s) and stay in the store",
                s.through_line, s.objects, s.through_line, s.saves
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_was_saved() {
        let problem = ImportProblem::AbstractEntity { line: 4, entity: "Shape".into() };
        let none = ImportError { problem, saved: SavedSoFar::default() };
        assert_eq!(
            none.to_string(),
            "line 4: entity Shape is abstract; import objects of one of its sub-entities\nnothing was imported: the store is unchanged"
        );
        let problem = ImportProblem::UnknownProperty {
            line: 9,
            entity: "Clip".into(),
            kind: "attribute",
            name: "titel".into(),
            suggestion: Some("title".into()),
        };
        let some = ImportError { problem, saved: SavedSoFar { objects: 6, saves: 2, through_line: 7 } };
        let text = some.to_string();
        assert!(
            text.starts_with("line 9: entity Clip has no attribute \"titel\" (did you mean \"title\"?)\n")
        );
        assert!(
            text.ends_with(
                "the 6 object(s) of lines 1-7 were saved by 2 earlier save(s) and stay in the store"
            )
        );
    }
}
