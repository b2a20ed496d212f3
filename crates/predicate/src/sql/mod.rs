//! The SQL back-end: how a model maps to tables ([`SqlSchema`], [`DefaultSchema`]), the
//! compiler from a checked [`Predicate`](crate::Predicate) to a `WHERE` clause
//! ([`compile_where`]), `ORDER BY` for sort descriptors ([`compile_order_by`]) and the SQL
//! functions and collations the compiled SQL calls (`register_functions`, behind the crate's
//! `rusqlite` feature).
//!
//! Guarantees, for every predicate and every data set:
//! - every value taken from a predicate is a bound parameter (`?1`, `?2`, …), including
//!   `LIKE`/`MATCHES` patterns and text compared with `[c]`/`[d]`; identifiers are quoted.
//!   The only literals spliced into SQL are numbers this crate computes itself (entity codes,
//!   operator and option codes, `0`/`1`);
//! - the compiled SQL, plus the residual predicate evaluated in memory on the rows it returns,
//!   selects exactly the objects [`Predicate::evaluate`](crate::Predicate::evaluate) selects
//!   (the rules are in `semantics.md`; a differential property test holds the two together);
//! - what SQL cannot express faithfully (decimal arithmetic and ordering, JSON ordering, NaN
//!   constants) is returned as a residual, never answered wrongly.
//!
//! This module never opens a connection, runs a statement or touches a store: it produces
//! text and parameters. Only `register_functions` receives a connection, to install the
//! functions the text refers to.

mod compare;
mod compile;
mod ddl;
mod error;
#[cfg(feature = "rusqlite")]
mod functions;
mod operand;
mod order;
mod path;
mod schema;

pub use compile::{CompiledPredicate, compile_where, entity_filter};
pub use error::CompileError;
#[cfg(feature = "rusqlite")]
pub use functions::register_functions;
pub use order::{CompiledOrderBy, compile_order_by};
pub use schema::{
    Column, ColumnKind, DefaultSchema, ENTITY_COLUMN, Index, JOIN_SOURCE_COLUMN, JOIN_TARGET_COLUMN,
    JoinTable, PRIMARY_KEY_COLUMN, RelationshipMapping, SqlSchema, Table, VERSION_COLUMN,
};

/// Name of the SQL function comparing text under the predicate language's string rules:
/// `strata_string_op(operator_code, text, operand, options_code)` → 0 or 1 (see
/// [`strings::operator_code`](crate::strings::operator_code)).
pub const STRING_OP_FUNCTION: &str = "strata_string_op";

/// Collation ordering text by its `[c]`-folded form (case-insensitive sorting).
pub const NOCASE_COLLATION: &str = "strata_nocase";

/// Collation ordering text by [`localized_cmp`](crate::sort::localized_cmp) (localized
/// sorting).
pub const LOCALIZED_COLLATION: &str = "strata_localized";

/// Collation for localized, case-insensitive sorting.
pub const LOCALIZED_NOCASE_COLLATION: &str = "strata_localized_nocase";

/// The SQL dialect to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// SQLite 3.35 or later, with `register_functions` (feature `rusqlite`) installed on the
    /// connection.
    Sqlite,
    /// PostgreSQL 13 or later. Only DDL is generated for it so far; compiling predicates for
    /// it fails with [`CompileError::UnsupportedDialect`].
    Postgres,
}

impl Dialect {
    /// The dialect's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SQLite",
            Dialect::Postgres => "PostgreSQL",
        }
    }
}

/// Quotes an identifier for SQL: wrapped in double quotes, embedded double quotes doubled.
/// Valid for both dialects.
///
/// ```
/// use strata_predicate::sql::quote_identifier;
/// assert_eq!(quote_identifier("Clip"), r#""Clip""#);
/// assert_eq!(quote_identifier(r#"a"b"#), r#""a""b""#);
/// ```
pub fn quote_identifier(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    push_identifier(&mut out, name);
    out
}

/// Appends [`quote_identifier`]`(name)` to `out`.
pub(crate) fn push_identifier(out: &mut String, name: &str) {
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

/// `alias."column"`, both quoted.
pub(crate) fn qualified(alias: &str, column: &str) -> String {
    let mut out = String::with_capacity(alias.len() + column.len() + 5);
    push_identifier(&mut out, alias);
    out.push('.');
    push_identifier(&mut out, column);
    out
}
