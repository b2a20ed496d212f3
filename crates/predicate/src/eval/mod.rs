//! In-memory evaluation: [`Predicate::evaluate`] over anything implementing [`ObjectView`].
//!
//! The evaluator follows `semantics.md` word for word, because the SQL compiler follows the
//! same text and a differential test holds the two to identical answers. Scalars compare
//! with [`Value::equals`] / [`Value::compare`]; text operators and `[c]`/`[d]` go through
//! [`strings`](crate::strings), the same functions the SQL back-end registers.
//!
//! It needs no model: it only asks objects for keys. It works on unchecked predicates too,
//! answering an error (never a panic) where a check would have refused the predicate. The
//! checked form is the one with exact semantics: [`Predicate::check`] makes an implicit
//! `ANY` explicit, which tells the evaluator that a path through an empty to-one
//! relationship (`folder.clips.title` with no folder) is an empty collection, not `nil`.
//!
//! This module never allocates to compare two scalars, never clones a collection it can
//! iterate, and never consults a store.

mod aggregate;
mod compare;
mod error;
mod path;

use std::borrow::Cow;

use strata_model::Value;

use crate::ast::{Expr, Predicate};
pub use error::EvalError;

/// What an object answers for one key.
#[derive(Debug, Clone, PartialEq)]
pub enum Field<O> {
    /// An attribute value.
    Value(Value),
    /// A to-one relationship's destination.
    ToOne(Option<O>),
    /// A to-many relationship's destinations.
    ToMany(Vec<O>),
}

/// Anything the evaluator can ask for key values: a context's object, a snapshot, a test
/// row. Cloning should be cheap (a handle or an `Rc`), because the evaluator clones objects
/// it walks through.
pub trait ObjectView: Clone {
    /// The value of `key` on this object: an attribute's value (`Value::Null` when it has
    /// none), or a relationship's destination(s). A key the object does not have is
    /// [`EvalError::UnknownKey`].
    fn field(&self, key: &str) -> Result<Field<Self>, EvalError>;
}

/// What an operand evaluates to.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand<'p, O> {
    /// A scalar. Constants are borrowed from the predicate; values read from objects are
    /// owned.
    Value(Cow<'p, Value>),
    /// An object (`SELF`, a to-one destination, a subquery variable), or `None` for
    /// nothing: an empty to-one relationship, or a path through one. Nothing compares as
    /// `nil`.
    Object(Option<O>),
    /// A collection: the elements of a to-many path (keys after a to-many key map over its
    /// elements and flatten), of a `SUBQUERY` or of a `{…}` list. Elements are values or
    /// objects, never collections.
    Collection(Vec<Operand<'p, O>>),
}

impl Predicate {
    /// Whether the predicate holds for `object`.
    ///
    /// Evaluate the predicate returned by [`Predicate::check`] for the exact semantics
    /// (see the module docs); an unchecked predicate evaluates too, with errors where the
    /// check would have refused it.
    ///
    /// ```
    /// use strata_model::Value;
    /// use strata_predicate::{EvalError, Field, ObjectView, Predicate};
    ///
    /// #[derive(Clone)]
    /// struct Row(&'static str);
    /// impl ObjectView for Row {
    ///     fn field(&self, key: &str) -> Result<Field<Row>, EvalError> {
    ///         match key {
    ///             "title" => Ok(Field::Value(Value::from(self.0))),
    ///             _ => Err(EvalError::UnknownKey { key: key.to_owned() }),
    ///         }
    ///     }
    /// }
    ///
    /// let p = Predicate::parse("title BEGINSWITH[c] 'stra'").unwrap();
    /// assert!(p.evaluate(&Row("Straße")).unwrap());
    /// assert!(!p.evaluate(&Row("Ostra")).unwrap());
    /// ```
    pub fn evaluate<O: ObjectView>(&self, object: &O) -> Result<bool, EvalError> {
        Env::new(object).predicate(self)
    }
}

/// Evaluates one operand of a predicate for `object`: a constant, a `{…}` list or a key
/// path (with collection operators and subqueries). Outside a `SUBQUERY` every `$variable`
/// is unbound.
pub fn evaluate_expr<'p, O: ObjectView>(expr: &'p Expr, object: &O) -> Result<Operand<'p, O>, EvalError> {
    Env::new(object).operand(expr)
}

/// The evaluated object and the subquery variables in scope.
struct Env<'s, O> {
    root: &'s O,
    scope: Option<&'s Binding<'s, O>>,
}

/// A `SUBQUERY` variable bound to one element; bindings form a stack through `parent`, so
/// entering a subquery allocates nothing.
struct Binding<'s, O> {
    name: &'s str,
    object: &'s O,
    parent: Option<&'s Binding<'s, O>>,
}

impl<'s, O: ObjectView> Env<'s, O> {
    fn new(root: &'s O) -> Self {
        Env { root, scope: None }
    }

    fn variable(&self, name: &str) -> Option<&'s O> {
        let mut binding = self.scope;
        while let Some(b) = binding {
            if b.name == name {
                return Some(b.object);
            }
            binding = b.parent;
        }
        None
    }

    fn predicate(&self, predicate: &Predicate) -> Result<bool, EvalError> {
        match predicate {
            Predicate::True => Ok(true),
            Predicate::False => Ok(false),
            Predicate::And(parts) => {
                for part in parts {
                    if !self.predicate(part)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Predicate::Or(parts) => {
                for part in parts {
                    if self.predicate(part)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Predicate::Not(inner) => Ok(!self.predicate(inner)?),
            Predicate::Comparison(c) => self.comparison(c),
        }
    }
}
