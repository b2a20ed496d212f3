//! Integration tests of the predicate language: one binary, one module per concern.

mod differential;
mod eval;
mod injection;
mod no_panic;
mod parser;
mod sort;
mod sql;
mod support;
