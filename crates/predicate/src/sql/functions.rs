//! The SQL functions and collations the SQLite dialect calls, installed on a connection by
//! [`register_functions`]. They call [`crate::strings`] and [`crate::sort`] — the very code
//! the in-memory evaluator and sorter use — so both back-ends fold, match and order text
//! identically. Nothing here may panic on any input: bad input is an SQL error.

use rusqlite::Connection;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;

use crate::ast::Operator;
use crate::sort::{SortComparison, compare_text};
use crate::strings::{operator_from_code, options_from_code, string_op};

use super::{LOCALIZED_COLLATION, LOCALIZED_NOCASE_COLLATION, NOCASE_COLLATION, STRING_OP_FUNCTION};

/// A `strata_string_op` call with an operator code no version of this crate generates.
#[derive(Debug, thiserror::Error)]
#[error("{STRING_OP_FUNCTION}: unknown operator code {code}")]
struct UnknownOperatorCode {
    code: i64,
}

/// Installs on `conn` what SQL compiled by this crate calls:
///
/// - `strata_string_op(operator_code, a, b, options_code)` → 0 or 1: for two texts,
///   [`string_op`] (`BEGINSWITH`, `LIKE`, `MATCHES`, and `==`, `<`, … under `[c]`/`[d]`);
///   otherwise `==` is true only when both are NULL, `!=` is its negation, and every other
///   operator is false. An invalid `MATCHES` pattern is an SQL error.
/// - collations `strata_nocase`, `strata_localized`, `strata_localized_nocase` for sorting
///   (see [`SortComparison`]).
///
/// All are deterministic and take UTF-8.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let conn = rusqlite::Connection::open_in_memory()?;
/// strata_predicate::sql::register_functions(&conn)?;
/// // BEGINSWITH[c]: operator code 6, options code 1.
/// let hit: i64 = conn.query_row("SELECT strata_string_op(6, 'Straße', 'STRASS', 1)", [], |r| r.get(0))?;
/// assert_eq!(hit, 1);
/// # Ok(()) }
/// ```
pub fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        STRING_OP_FUNCTION,
        4,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        string_op_function,
    )?;
    conn.create_collation(NOCASE_COLLATION, |a: &str, b: &str| {
        compare_text(a, b, SortComparison::CaseInsensitive)
    })?;
    conn.create_collation(LOCALIZED_COLLATION, |a: &str, b: &str| {
        compare_text(a, b, SortComparison::Localized)
    })?;
    conn.create_collation(LOCALIZED_NOCASE_COLLATION, |a: &str, b: &str| {
        compare_text(a, b, SortComparison::LocalizedCaseInsensitive)
    })?;
    Ok(())
}

fn string_op_function(ctx: &Context<'_>) -> rusqlite::Result<i64> {
    let code: i64 = ctx.get(0)?;
    let options = options_from_code(ctx.get(3)?);
    let op = operator_from_code(code)
        .ok_or_else(|| rusqlite::Error::UserFunctionError(Box::new(UnknownOperatorCode { code })))?;
    match (ctx.get_raw(1), ctx.get_raw(2)) {
        (ValueRef::Text(a), ValueRef::Text(b)) => {
            let text = |bytes| {
                std::str::from_utf8(bytes).map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))
            };
            let matched = string_op(op, text(a)?, text(b)?, options)
                .map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))?;
            Ok(i64::from(matched))
        }
        (a, b) => {
            let both_null = matches!((a, b), (ValueRef::Null, ValueRef::Null));
            Ok(i64::from(match op {
                Operator::Equal => both_null,
                Operator::NotEqual => !both_null,
                _ => false,
            }))
        }
    }
}
