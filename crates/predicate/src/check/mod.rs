//! Checking a predicate against an entity of a model: [`Predicate::check`].
//!
//! The check applies the typing rules of `semantics.md` before either back-end runs, so the
//! evaluator and the SQL compiler only ever see predicates both understand the same way:
//! every key resolves (with a "did you mean" suggestion when it does not), constants are
//! fitted to the attribute they meet, operators fit their operands' types, constant
//! `MATCHES` patterns compile.
//!
//! The checked predicate differs from the input only in ways that keep its meaning:
//! - constants fitted to attribute types (`created > "2024-01-01T00:00:00Z"` holds a date);
//! - an implicit `ANY` made explicit (`tags.name == "x"` → `ANY tags.name == "x"`), so the
//!   evaluator knows the path is a collection even when it runs through an empty to-one;
//! - a comparison of a non-collection with a to-many path mirrored so the collection is on
//!   the left (`3 < tags.score` → `ANY tags.score > 3`).
//!
//! Spans are kept. Nothing here evaluates anything or touches a store.

mod compare;
mod error;
mod path;

use strata_model::{EntityIndex, Model};

pub use error::{CheckError, CheckErrorKind};

use crate::ast::{Predicate, Span};

impl Predicate {
    /// Resolves the predicate against `entity` of `model`, applies the typing rules and
    /// returns the predicate with constants fitted to the attributes they meet (see the
    /// module docs for every change it makes).
    ///
    /// A `$VARIABLE` outside a `SUBQUERY` that binds it is an error: substitute variables
    /// first ([`Predicate::substitute`]).
    pub fn check(&self, model: &Model, entity: EntityIndex) -> Result<Predicate, CheckError> {
        if model.entities().get(entity.get()).is_none() {
            return Err(CheckError::new(CheckErrorKind::UnknownEntity { index: entity.0 }, Span::default()));
        }
        Checker { model, root: entity, scopes: Vec::new() }.predicate(self)
    }
}

/// The model, the evaluated entity, and the `SUBQUERY` variables in scope (innermost last).
struct Checker<'m> {
    model: &'m Model,
    root: EntityIndex,
    scopes: Vec<(String, EntityIndex)>,
}

impl Checker<'_> {
    fn predicate(&mut self, predicate: &Predicate) -> Result<Predicate, CheckError> {
        Ok(match predicate {
            Predicate::True => Predicate::True,
            Predicate::False => Predicate::False,
            Predicate::And(parts) => Predicate::And(self.predicates(parts)?),
            Predicate::Or(parts) => Predicate::Or(self.predicates(parts)?),
            Predicate::Not(inner) => Predicate::Not(Box::new(self.predicate(inner)?)),
            Predicate::Comparison(c) => Predicate::Comparison(self.comparison(c)?),
        })
    }

    fn predicates(&mut self, parts: &[Predicate]) -> Result<Vec<Predicate>, CheckError> {
        parts.iter().map(|p| self.predicate(p)).collect()
    }
}
