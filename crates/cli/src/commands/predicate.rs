//! `strata predicate`: parse a predicate, check it against an entity, show what it means.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use strata::model::Model;
use strata::predicate::sql::{DefaultSchema, Dialect, compile_where};
use strata::predicate::{Predicate, PredicateError};

use super::Format;
use crate::args;

/// Flags of `strata predicate`.
#[derive(Debug, clap::Args)]
pub struct PredicateArgs {
    /// The JSON model file.
    #[arg(long)]
    pub model: PathBuf,
    /// The entity the predicate filters.
    #[arg(long)]
    pub entity: String,
    /// The predicate, in NSPredicate format (`title BEGINSWITH[c] %@ AND score > 2`).
    pub predicate: String,
    /// A value for the next `%@`/`%K`/`%d`/… placeholder: JSON when it parses, else text.
    #[arg(long = "arg", value_name = "VALUE")]
    pub args: Vec<String>,
    /// A value for a `$VARIABLE`: NAME=VALUE, the value read like --arg.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Also show the SQL it compiles to (SQLite dialect) and what is left for memory.
    #[arg(long)]
    pub sql: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Parses, substitutes, checks and optionally compiles the predicate.
pub fn run(args: &PredicateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let model = Model::load(&args.model).with_context(|| format!("cannot load {}", args.model.display()))?;
    let Some(entity) = model.entity(&args.entity) else {
        match model.nearest_entity(&args.entity) {
            Some(near) => bail!("the model has no entity {:?} (did you mean {near:?}?)", args.entity),
            None => bail!("the model has no entity {:?}", args.entity),
        }
    };
    let checked = prepare(&model, entity.index(), &args.predicate, &args.args, &args.vars)?;
    let compiled = if args.sql {
        let schema = DefaultSchema::new(&model);
        Some(compile_where(&checked, &model, entity.index(), &schema, Dialect::Sqlite, "t0")?)
    } else {
        None
    };
    match args.format {
        Format::Table => {
            writeln!(out, "{checked}")?;
            if let Some(c) = &compiled {
                writeln!(out, "sql:      {}", c.sql.as_deref().unwrap_or("(none: every row)"))?;
                for (i, p) in c.params.iter().enumerate() {
                    writeln!(out, "  ?{} = {p:?}", i + 1)?;
                }
                if let Some(r) = &c.residual {
                    writeln!(out, "residual: {r}   (evaluated in memory)")?;
                }
            }
        }
        Format::Json => {
            let mut line = serde_json::json!({ "entity": entity.name(), "predicate": checked.to_string() });
            if let Some(c) = &compiled {
                line["sql"] = c.sql.clone().into();
                line["params"] = c.params.iter().map(|p| format!("{p:?}")).collect::<Vec<_>>().into();
                line["residual"] = c.residual.as_ref().map(|r| r.to_string()).into();
            }
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// Parses `text` with `--arg` values, fills `--var` values, and checks the result against
/// `entity`; errors come back rendered with a caret under the fault.
pub fn prepare(
    model: &Model,
    entity: strata::model::EntityIndex,
    text: &str,
    arg_texts: &[String],
    var_texts: &[String],
) -> anyhow::Result<Predicate> {
    let arguments: Vec<_> = arg_texts.iter().map(|a| args::argument(a)).collect();
    let parsed = Predicate::parse_with(text, &arguments).map_err(|e| anyhow::anyhow!(e.render()))?;
    let mut variables = HashMap::new();
    for v in var_texts {
        let (name, value) = args::variable(v).map_err(anyhow::Error::msg)?;
        variables.insert(name, value);
    }
    let substituted = if variables.is_empty() && parsed.variables().is_empty() {
        parsed
    } else {
        parsed.substitute(&variables).map_err(|e| anyhow::anyhow!(render(&e.into(), text)))?
    };
    substituted.check(model, entity).map_err(|e| anyhow::anyhow!(e.render(text)))
}

/// A predicate error as a person reads it: the message, then the predicate with a caret.
pub fn render(error: &PredicateError, source: &str) -> String {
    match error {
        PredicateError::Parse(e) => e.render(),
        PredicateError::Check(e) => e.render(source),
        other => other.to_string(),
    }
}
