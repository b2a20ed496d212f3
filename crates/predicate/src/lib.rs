//! Strata's predicate language: NSPredicate's format-string grammar, parsed once into an
//! AST ([`Predicate`]) that runs in two back-ends with one meaning.
//!
//! - [`Predicate::parse`] / [`Predicate::parse_with`] read a format string (with `%@`, `%K`,
//!   … arguments); [`Predicate::substitute`] fills `$VARIABLES`.
//! - [`Predicate::check`] resolves key paths against an entity of a
//!   [`Model`](strata_model::Model), reports unknown keys with the nearest valid name, and
//!   fits constants to attribute types.
//! - [`Predicate::evaluate`] runs in memory over anything implementing [`ObjectView`].
//! - [`sql`] compiles to SQL (SQLite dialect; PostgreSQL to come) with every value bound as a
//!   parameter; what SQL cannot express is handed back as a residual predicate to evaluate
//!   in memory, never answered wrongly.
//! - [`SortDescriptor`] orders results, in memory or in SQL.
//!
//! String semantics (`[c]`, `[d]`, `LIKE`, `MATCHES`) live in [`strings`], shared by both
//! back-ends. This crate never touches a store or a context.
//!
//! ```
//! use strata_predicate::Predicate;
//! let p = Predicate::parse("title BEGINSWITH[c] 'rust' AND score > 2").unwrap();
//! assert_eq!(p.to_string(), r#"title BEGINSWITH[c] "rust" AND score > 2"#);
//! let e = Predicate::parse("title BEGINSWITH").unwrap_err();
//! assert_eq!(e.to_string(), "expected a value after BEGINSWITH at 16");
//! ```

mod ast;
mod check;
mod error;
mod eval;
mod format;
mod lexer;
mod parse_error;
mod parser;
pub mod sort;
pub mod sql;
pub mod strings;
mod substitute;

pub use ast::{
    Argument, Comparison, Expr, KeyPath, Operator, PathBase, PathComponent, Predicate, Quantifier, Span,
    StringOptions, Subquery,
};
pub use check::{CheckError, CheckErrorKind};
pub use error::{PredicateError, render_caret};
pub use eval::{EvalError, Field, ObjectView, Operand, evaluate_expr};
pub use parse_error::{ParseError, ParseErrorKind};
pub use sort::{
    SortComparison, SortDescriptor, SortError, SortParseError, SortParseErrorKind, compare_objects,
};
