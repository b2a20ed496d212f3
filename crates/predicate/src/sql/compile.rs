//! The entry points of the predicate compiler: [`compile_where`] and [`entity_filter`], and
//! the logic connectives. Key paths are in `path.rs`, comparisons in `compare.rs`.
//!
//! Every compiled predicate is an SQL expression worth exactly 0 or 1, never NULL, so `NOT`,
//! `ALL` and `NONE` keep their two-valued meaning. A top-level conjunct that cannot be
//! expressed faithfully goes to the residual whole; nothing here ever guesses.

use strata_model::{EntityIndex, Model, SqlValue, Value};

use crate::ast::Predicate;

use super::operand::Scalar;
use super::{CompileError, Dialect, ENTITY_COLUMN, SqlSchema, qualified};

/// The result of [`compile_where`].
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledPredicate {
    /// The `WHERE` condition (without the `WHERE` keyword); `None` when SQL filters nothing.
    /// Parameters are numbered `?1`, `?2`, … in the order of [`params`](Self::params).
    pub sql: Option<String>,
    /// The parameter values, in order.
    pub params: Vec<SqlValue>,
    /// What SQL could not express: evaluate it in memory on the rows the SQL returns. It is a
    /// conjunct of the original predicate, so `sql AND residual` is the whole predicate.
    pub residual: Option<Predicate>,
}

/// Why a sub-expression was not compiled.
#[derive(Debug)]
pub(super) enum Fail {
    /// SQL cannot express it faithfully: leave it to in-memory evaluation.
    Residual,
    /// The predicate is ill-formed.
    Error(CompileError),
}

impl From<CompileError> for Fail {
    fn from(e: CompileError) -> Fail {
        Fail::Error(e)
    }
}

pub(super) type Compiled<T> = Result<T, Fail>;

/// Where key paths start: the evaluated object and the `SUBQUERY` variables in scope.
#[derive(Debug, Clone)]
pub(super) struct Scope {
    /// The alias of the evaluated object's row.
    pub self_alias: String,
    /// The evaluated object's entity.
    pub self_entity: EntityIndex,
    /// Bound variables, innermost last: (name, alias, entity).
    pub variables: Vec<(String, String, EntityIndex)>,
}

/// Compilation state: the model and schema, fresh aliases, parameters.
pub(super) struct Compiler<'a> {
    pub model: &'a Model,
    pub schema: &'a dyn SqlSchema,
    alias_prefix: String,
    next_alias: usize,
    pub params: Vec<SqlValue>,
}

impl<'a> Compiler<'a> {
    pub(super) fn new(model: &'a Model, schema: &'a dyn SqlSchema, alias: &str) -> Compiler<'a> {
        Compiler { model, schema, alias_prefix: alias.to_owned(), next_alias: 0, params: Vec::new() }
    }

    /// A fresh table alias, distinct from the caller's (`t0_1`, `t0_2`, …).
    pub(super) fn alias(&mut self) -> String {
        self.next_alias += 1;
        format!("{}_{}", self.alias_prefix, self.next_alias)
    }

    /// Binds `value` and returns its placeholder; `nil` is the literal `NULL`. Values SQL
    /// cannot hold faithfully (decimals, NaN) make the expression residual.
    pub(super) fn bind(&mut self, value: &Value) -> Compiled<String> {
        if value.is_null() {
            return Ok("NULL".to_owned());
        }
        if matches!(value, Value::Decimal(_)) {
            return Err(Fail::Residual);
        }
        let sql = value.to_sql().map_err(|_| Fail::Residual)?;
        self.params.push(sql);
        Ok(format!("?{}", self.params.len()))
    }

    /// Binds text (a folded string, a `LIKE` range bound).
    pub(super) fn bind_text(&mut self, text: String) -> String {
        self.params.push(SqlValue::Text(text));
        format!("?{}", self.params.len())
    }

    /// The SQL of a scalar (binding constants).
    pub(super) fn render(&mut self, scalar: &Scalar) -> Compiled<String> {
        match scalar {
            Scalar::Const(v) => self.bind(v),
            Scalar::Expr { sql, .. } => Ok(sql.clone()),
        }
    }

    /// Compiles a predicate to a 0/1 expression.
    pub(super) fn predicate(&mut self, predicate: &Predicate, scope: &Scope) -> Compiled<String> {
        match predicate {
            Predicate::True => Ok("1".to_owned()),
            Predicate::False => Ok("0".to_owned()),
            Predicate::And(parts) => self.connective(parts, " AND ", "1", scope),
            Predicate::Or(parts) => self.connective(parts, " OR ", "0", scope),
            Predicate::Not(inner) => Ok(format!("NOT ({})", self.predicate(inner, scope)?)),
            Predicate::Comparison(c) => self.comparison(c, scope),
        }
    }

    fn connective(
        &mut self,
        parts: &[Predicate],
        joiner: &str,
        empty: &str,
        scope: &Scope,
    ) -> Compiled<String> {
        if parts.is_empty() {
            return Ok(empty.to_owned());
        }
        let compiled = parts.iter().map(|p| self.predicate(p, scope)).collect::<Compiled<Vec<_>>>()?;
        Ok(format!("({})", compiled.join(joiner)))
    }
}

/// Compiles a checked predicate about objects of `entity` into an SQL condition on the row
/// aliased `alias` (the caller's `FROM "Table" alias`), for `dialect`.
///
/// Top-level `AND` conjuncts SQL cannot express faithfully (anything touching a decimal,
/// JSON compared with anything but `nil`, NaN constants, shapes whose in-memory meaning SQL
/// cannot reproduce) are returned as [`CompiledPredicate::residual`]; an `OR` or `NOT`
/// containing such a part goes to the residual whole. The SQL uses the functions
/// `register_functions` (feature `rusqlite`) installs. The entity restriction
/// (`Z_ENT`) is not included: see [`entity_filter`].
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let model = strata_model::Model::from_json(r#"{"name": "M", "version": 1, "entities": [
/// #   {"name": "Clip", "attributes": [{"name": "title", "type": "string"}]}]}"#)?;
/// use strata_predicate::Predicate;
/// use strata_predicate::sql::{DefaultSchema, Dialect, compile_where};
/// let clip = model.entity("Clip").unwrap().index();
/// let schema = DefaultSchema::new(&model);
/// let p = Predicate::parse("title == 'x' OR title == nil")?.check(&model, clip)?;
/// let compiled = compile_where(&p, &model, clip, &schema, Dialect::Sqlite, "t0")?;
/// assert_eq!(compiled.sql.as_deref(), Some(r#"("t0"."title" IS ?1 OR "t0"."title" IS NULL)"#));
/// # Ok(()) }
/// ```
pub fn compile_where(
    predicate: &Predicate,
    model: &Model,
    entity: EntityIndex,
    schema: &dyn SqlSchema,
    dialect: Dialect,
    alias: &str,
) -> Result<CompiledPredicate, CompileError> {
    if dialect != Dialect::Sqlite {
        return Err(CompileError::UnsupportedDialect { dialect });
    }
    if entity.get() >= model.entities().len() || schema.table(entity).is_none() {
        return Err(CompileError::UnknownEntity { index: entity.0 });
    }
    let scope = Scope { self_alias: alias.to_owned(), self_entity: entity, variables: Vec::new() };
    let mut compiler = Compiler::new(model, schema, alias);
    let mut conjuncts = Vec::new();
    flatten_and(predicate, &mut conjuncts);
    let mut sql = Vec::new();
    let mut residual = Vec::new();
    for conjunct in conjuncts {
        match compiler.predicate(conjunct, &scope) {
            Ok(s) => sql.push(s),
            Err(Fail::Residual) => residual.push(conjunct.clone()),
            Err(Fail::Error(e)) => return Err(e),
        }
    }
    let (sql, params) = match sql.len() {
        0 => (None, Vec::new()),
        _ => {
            let (sql, params) = renumber(&sql.join(" AND "), &compiler.params);
            (Some(sql), params)
        }
    };
    let residual = match residual.len() {
        0 => None,
        1 => residual.pop(),
        _ => Some(Predicate::And(residual)),
    };
    Ok(CompiledPredicate { sql, params, residual })
}

/// Numbers the placeholders of `sql` `?1`, `?2`, … in order of appearance and keeps only the
/// parameters it uses: parts compiled and then dropped (a comparison decided at compile
/// time, a conjunct sent to the residual) leave parameters nothing refers to.
///
/// The scan skips quoted identifiers; the compiler emits no string literals.
fn renumber(sql: &str, params: &[SqlValue]) -> (String, Vec<SqlValue>) {
    let mut out = String::with_capacity(sql.len());
    let mut used: Vec<(usize, usize)> = Vec::new();
    let mut kept = Vec::new();
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        out.push(c);
        match c {
            '"' => {
                // Copy the identifier; `""` inside it reads as a close and a reopen.
                for (_, c) in chars.by_ref() {
                    out.push(c);
                    if c == '"' {
                        break;
                    }
                }
            }
            '?' => {
                let mut number = 0usize;
                while let Some(&(_, d)) = chars.peek() {
                    let Some(digit) = d.to_digit(10) else { break };
                    number = number.saturating_mul(10).saturating_add(digit as usize);
                    chars.next();
                }
                let new = match used.iter().find(|(old, _)| *old == number) {
                    Some(&(_, new)) => new,
                    None => {
                        kept.push(params.get(number.wrapping_sub(1)).cloned().unwrap_or(SqlValue::Null));
                        used.push((number, kept.len()));
                        kept.len()
                    }
                };
                out.push_str(&new.to_string());
            }
            _ => {}
        }
    }
    (out, kept)
}

/// Top-level conjuncts of `predicate`, nested `AND`s flattened and `TRUEPREDICATE`s dropped.
fn flatten_and<'p>(predicate: &'p Predicate, out: &mut Vec<&'p Predicate>) {
    match predicate {
        Predicate::And(parts) => parts.iter().for_each(|p| flatten_and(p, out)),
        Predicate::True => {}
        other => out.push(other),
    }
}

/// The condition restricting the rows of `entity`'s table (aliased `alias`) to objects of
/// `entity` and its sub-entities, or `None` when every row of the table is one.
///
/// Entity codes are numbers from the schema, spliced as literals (no user text).
pub fn entity_filter(
    model: &Model,
    entity: EntityIndex,
    schema: &dyn SqlSchema,
    alias: &str,
) -> Result<Option<String>, CompileError> {
    if entity.get() >= model.entities().len() || schema.table(entity).is_none() {
        return Err(CompileError::UnknownEntity { index: entity.0 });
    }
    let kinds = model.descendants(entity);
    if schema.table_entities(entity).iter().all(|e| kinds.contains(e)) {
        return Ok(None);
    }
    let column = qualified(alias, ENTITY_COLUMN);
    let codes: Vec<String> = kinds.iter().map(|&e| schema.entity_code(e).to_string()).collect();
    Ok(Some(match codes.as_slice() {
        [one] => format!("{column} = {one}"),
        _ => format!("{column} IN ({})", codes.join(", ")),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renumber_keeps_used_parameters_in_order_of_appearance() {
        let params: Vec<SqlValue> = (1..=4).map(SqlValue::Integer).collect();
        let (sql, kept) = renumber(r#"?3 < "a?1""b" AND ?1 IS ?3 OR ?4"#, &params);
        assert_eq!(sql, r#"?1 < "a?1""b" AND ?2 IS ?1 OR ?3"#);
        assert_eq!(kept, [SqlValue::Integer(3), SqlValue::Integer(1), SqlValue::Integer(4)]);
        assert_eq!(renumber("0", &params), ("0".to_owned(), Vec::new()));
    }
}
