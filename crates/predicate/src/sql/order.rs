//! Sort descriptors to `ORDER BY`, agreeing with
//! [`compare_objects`](crate::sort::compare_objects): SQLite sorts NULL first ascending and
//! last descending, as [`Value::sort_cmp`](strata_model::Value::sort_cmp) does; text options
//! become the collations `register_functions` (feature `rusqlite`) installs; the
//! primary key breaks ties. Decimal keys cannot be ordered in SQL (they are stored as text),
//! so a sort with one is reported as to be done in memory.
//!
//! Sort keys are identifiers only: the `ORDER BY` text never holds a parameter or user text.

use strata_model::{AttributeType, EntityIndex, Model};

use crate::sort::{SortComparison, SortDescriptor};

use super::compile::{Compiler, Fail, Scope};
use super::operand::{Operand, Scalar};
use super::{
    CompileError, Dialect, LOCALIZED_COLLATION, LOCALIZED_NOCASE_COLLATION, NOCASE_COLLATION,
    PRIMARY_KEY_COLUMN, qualified,
};
use crate::ast::{KeyPath, PathBase, PathComponent, Span};

/// The result of [`compile_order_by`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledOrderBy {
    /// The `ORDER BY` terms (without the keywords), always ending with the primary key so
    /// the order is total. When [`in_memory`](Self::in_memory) is set this is the primary
    /// key alone.
    pub sql: String,
    /// Whether the rows must be sorted in memory by
    /// [`compare_objects`](crate::sort::compare_objects) (a key SQL cannot order: a decimal).
    /// Fetch in the `sql` order and sort stably, so ties keep primary-key order as in SQL;
    /// a limit or offset must then be applied after sorting.
    pub in_memory: bool,
}

/// Compiles `sorts` for rows of `entity` aliased `alias`. Each sort is checked first
/// ([`SortDescriptor::check`]).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let model = strata_model::Model::from_json(r#"{"name": "M", "version": 1, "entities": [
/// #   {"name": "Clip", "attributes": [{"name": "title", "type": "string"}]}]}"#)?;
/// use strata_predicate::SortDescriptor;
/// use strata_predicate::sql::{DefaultSchema, Dialect, compile_order_by};
/// let clip = model.entity("Clip").unwrap().index();
/// let schema = DefaultSchema::new(&model);
/// let sorts = [SortDescriptor::descending("title").case_insensitive()];
/// let order = compile_order_by(&sorts, &model, clip, &schema, Dialect::Sqlite, "t0")?;
/// assert_eq!(order.sql, r#""t0"."title" COLLATE strata_nocase DESC, "t0"."Z_PK""#);
/// # Ok(()) }
/// ```
pub fn compile_order_by(
    sorts: &[SortDescriptor],
    model: &Model,
    entity: EntityIndex,
    schema: &dyn super::SqlSchema,
    dialect: Dialect,
    alias: &str,
) -> Result<CompiledOrderBy, CompileError> {
    if dialect != Dialect::Sqlite {
        return Err(CompileError::UnsupportedDialect { dialect });
    }
    if entity.get() >= model.entities().len() || schema.table(entity).is_none() {
        return Err(CompileError::UnknownEntity { index: entity.0 });
    }
    let primary_key = qualified(alias, PRIMARY_KEY_COLUMN);
    let scope = Scope { self_alias: alias.to_owned(), self_entity: entity, variables: Vec::new() };
    let mut compiler = Compiler::new(model, schema, alias);
    let mut terms = Vec::with_capacity(sorts.len() + 1);
    let mut in_memory = false;
    for sort in sorts {
        sort.check(model, entity)?;
        let ty = attribute_type(model, entity, sort);
        if ty == Some(AttributeType::Decimal) {
            in_memory = true;
            continue;
        }
        let path = KeyPath {
            base: PathBase::SelfObject,
            components: sort.keys().map(|k| PathComponent::Key(k.to_owned())).collect(),
            span: Span::default(),
        };
        let sql = match compiler.key_path(&path, &scope) {
            Ok(Operand::Scalar(Scalar::Expr { sql, .. })) => sql,
            Err(Fail::Error(e)) => return Err(e),
            // `check` admits only attributes through to-one keys, which compile to scalars.
            _ => {
                in_memory = true;
                continue;
            }
        };
        let textual = ty.is_some_and(AttributeType::is_textual);
        let collation = match sort.comparison {
            _ if !textual => "",
            SortComparison::Default => "",
            SortComparison::CaseInsensitive => NOCASE_COLLATION,
            SortComparison::Localized => LOCALIZED_COLLATION,
            SortComparison::LocalizedCaseInsensitive => LOCALIZED_NOCASE_COLLATION,
        };
        let mut term = sql;
        if !collation.is_empty() {
            term.push_str(" COLLATE ");
            term.push_str(collation);
        }
        term.push_str(if sort.ascending { " ASC" } else { " DESC" });
        terms.push(term);
    }
    if in_memory {
        terms.clear();
    }
    terms.push(primary_key);
    Ok(CompiledOrderBy { sql: terms.join(", "), in_memory })
}

/// The type of the attribute a checked sort key ends on.
fn attribute_type(model: &Model, entity: EntityIndex, sort: &SortDescriptor) -> Option<AttributeType> {
    let mut current = model.entity_at(entity);
    let mut keys = sort.keys().peekable();
    while let Some(key) = keys.next() {
        if keys.peek().is_none() {
            return current.attribute(key).map(|a| a.attribute_type());
        }
        current = model.entity_at(current.relationship(key)?.destination());
    }
    None
}
