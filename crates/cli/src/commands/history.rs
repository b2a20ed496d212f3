//! `strata history`: a store's persistent history, one transaction per line (JSON) or row
//! (table), read page by page so a long history is never loaded whole; and with
//! `--delete-before TOKEN`, the deletion of every transaction up to and including TOKEN.
//!
//! Reading never changes the store. Tokens are printed and accepted as
//! `<store-uuid>:<sequence>`; a token of another store, or one older than deleted history
//! ("expired"), is an error.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use strata::core::history::TokenParseError;
use strata::core::store::{
    HistoryChange, HistoryDeleteRequest, HistoryRequest, HistoryToken, HistoryTransaction,
};
use strata::model::{Date, Model, Value};

use super::Format;
use crate::output::{JsonObject, Table, short_id, value_json};
use crate::store::OpenStore;

/// Transactions read per request while printing.
const PAGE: usize = 500;

/// Flags of `strata history`.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// The store file.
    #[arg(long)]
    pub store: PathBuf,
    /// Only transactions after this token (`<store-uuid>:<sequence>`).
    #[arg(long, value_parser = parse_token)]
    pub after: Option<HistoryToken>,
    /// Only transactions committed after this date (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// Only transactions of this author (repeatable: any of them).
    #[arg(long)]
    pub author: Vec<String>,
    /// Only transactions saved by contexts of this name.
    #[arg(long)]
    pub context: Option<String>,
    /// Only changes to objects of this entity (and its sub-entities).
    #[arg(long)]
    pub entity: Option<String>,
    /// Deletes every transaction up to and including this token instead of printing.
    #[arg(long, value_parser = parse_token, conflicts_with_all = ["after", "since", "context", "entity"])]
    pub delete_before: Option<HistoryToken>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

fn parse_token(text: &str) -> Result<HistoryToken, TokenParseError> {
    text.parse()
}

/// Prints (or deletes) the history of the store.
pub fn run(args: &HistoryArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let open = OpenStore::open(&args.store)?;
    if !open.store.metadata().history {
        anyhow::bail!(
            "the store at {} does not record history (create it with `strata init --history`)",
            args.store.display()
        );
    }
    if let Some(token) = args.delete_before {
        let mut request = HistoryDeleteRequest::through(token);
        for author in &args.author {
            request = request.with_author(author.clone());
        }
        let deleted = open.store.delete_history(&request)?;
        writeln!(out, "deleted {deleted} transaction(s) up to {token}")?;
        return Ok(());
    }
    let model = open.model().clone();
    if let Some(entity) = &args.entity
        && model.entity(entity).is_none()
    {
        let hint = model.nearest_entity(entity).map(|n| format!(" (did you mean {n}?)")).unwrap_or_default();
        anyhow::bail!("the model has no entity {entity}{hint}");
    }
    let mut request = HistoryRequest::all().with_limit(PAGE);
    request.after = args.after;
    if let Some(since) = &args.since {
        let date: Date = since.parse().map_err(|e| anyhow::anyhow!("--since {since:?}: {e}"))?;
        request = request.with_after_date(date);
    }
    for author in &args.author {
        request = request.with_author(author.clone());
    }
    if let Some(context) = &args.context {
        request = request.with_context_name(context.clone());
    }
    if let Some(entity) = &args.entity {
        request = request.with_entity(entity.clone());
    }
    let mut table = Table::new(["token", "timestamp", "author", "context", "changes"]);
    loop {
        let page = open.store.history(&request)?;
        for transaction in &page {
            match args.format {
                Format::Json => writeln!(out, "{}", transaction_json(&model, transaction)?)?,
                Format::Table => table.row(transaction_row(&model, transaction)),
            }
        }
        match page.last() {
            Some(last) if page.len() == PAGE => request.after = Some(last.token),
            _ => break,
        }
    }
    if args.format == Format::Table {
        write!(out, "{}", table.render())?;
    }
    Ok(())
}

/// One transaction as a JSON line.
fn transaction_json(model: &Model, transaction: &HistoryTransaction) -> anyhow::Result<String> {
    let text = |v: &Option<String>| v.as_deref().map_or(serde_json::Value::Null, serde_json::Value::from);
    let timestamp =
        transaction.timestamp.to_rfc3339().map_or(serde_json::Value::Null, serde_json::Value::from);
    let mut changes = Vec::with_capacity(transaction.changes.len());
    for change in &transaction.changes {
        changes.push(change_json(model, change)?);
    }
    Ok(JsonObject::new()
        .field("token", transaction.token.to_string().as_str())
        .field("timestamp", timestamp)
        .field("author", text(&transaction.author))
        .field("context", text(&transaction.context_name))
        .field("process", serde_json::Value::from(transaction.process_id))
        .field("application", text(&transaction.application))
        .field("changes", serde_json::Value::Array(changes))
        .finish())
}

/// One change as JSON: type, URI, entity, and what the change carries.
fn change_json(model: &Model, change: &HistoryChange) -> anyhow::Result<serde_json::Value> {
    let entity = model.entity_at(change.id.entity()).name();
    let values = |values: &[(String, Value)]| -> anyhow::Result<serde_json::Value> {
        let mut object = serde_json::Map::new();
        for (name, value) in values {
            object.insert(name.clone(), value_json(value, entity, name)?);
        }
        Ok(serde_json::Value::Object(object))
    };
    let mut object = serde_json::Map::new();
    object.insert("type".into(), change.kind.name().into());
    object.insert("id".into(), change.id.uri(model).into());
    object.insert("entity".into(), entity.into());
    object.insert("updated".into(), change.updated.clone().into());
    if !change.tombstone.is_empty() {
        object.insert("tombstone".into(), values(&change.tombstone).context("tombstone")?);
    }
    if !change.old_values.is_empty() || !change.new_values.is_empty() {
        object.insert("old".into(), values(&change.old_values)?);
        object.insert("new".into(), values(&change.new_values)?);
    }
    Ok(serde_json::Value::Object(object))
}

/// One transaction as a table row; changes as `update Clip/p3 (score)`, `; `-separated.
fn transaction_row(model: &Model, transaction: &HistoryTransaction) -> Vec<String> {
    let changes: Vec<String> = transaction
        .changes
        .iter()
        .map(|c| {
            let id = short_id(model, c.id);
            if c.updated.is_empty() {
                format!("{} {id}", c.kind.name())
            } else {
                format!("{} {id} ({})", c.kind.name(), c.updated.join(", "))
            }
        })
        .collect();
    vec![
        transaction.token.to_string(),
        transaction.timestamp.to_rfc3339().unwrap_or_default(),
        transaction.author.clone().unwrap_or_default(),
        transaction.context_name.clone().unwrap_or_default(),
        changes.join("; "),
    ]
}
