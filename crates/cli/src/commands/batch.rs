//! `strata batch-update` and `strata batch-delete`: change every object of an entity that a
//! predicate selects, directly in the store (`Store::execute_batch`), without loading the
//! objects into a context, and print how many objects were affected.
//!
//! Every flag is checked against the store's model before anything is written: an unknown
//! entity or attribute, a predicate that does not fit, or a `--set` value of the wrong type
//! is an error and the store is left as it was. A batch is one transaction: it is recorded
//! in history (with `--author`) and announced to watchers like any save.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, bail};
use strata::core::store::{BatchOptions, BatchRequest, BatchResult, SaveInfo};
use strata::model::{Entity, Model, Value};
use strata::predicate::Predicate;

use super::predicate::prepare;
use crate::store::OpenStore;

/// The flags both batch commands share: which store, which objects, who changes them.
#[derive(Debug, clap::Args)]
pub struct BatchTarget {
    /// The store file.
    #[arg(long)]
    pub store: PathBuf,
    /// The entity whose objects change (objects of its sub-entities are included).
    #[arg(long)]
    pub entity: String,
    /// Only objects for which this predicate holds (NSPredicate format); every object of
    /// the entity without it.
    #[arg(long = "where", value_name = "PREDICATE")]
    pub predicate: Option<String>,
    /// A value for the next `%@`/`%K`/`%d`/… placeholder: JSON when it parses, else text.
    #[arg(long = "arg", value_name = "VALUE")]
    pub args: Vec<String>,
    /// The transaction author recorded in history.
    #[arg(long)]
    pub author: Option<String>,
    /// The context name recorded in history (as a context's name is for its saves).
    #[arg(long = "context", value_name = "NAME")]
    pub context: Option<String>,
}

/// Flags of `strata batch-update`.
#[derive(Debug, clap::Args)]
pub struct BatchUpdateArgs {
    /// Store, entity, predicate and author.
    #[command(flatten)]
    pub target: BatchTarget,
    /// An attribute and its new value as JSON (`score=4.5`, `title="x"`, `url=null`);
    /// repeatable, at least once.
    #[arg(long = "set", value_name = "KEY=JSON", required = true)]
    pub set: Vec<String>,
}

/// Flags of `strata batch-delete`.
#[derive(Debug, clap::Args)]
pub struct BatchDeleteArgs {
    /// Store, entity, predicate and author.
    #[command(flatten)]
    pub target: BatchTarget,
}

/// Runs `strata batch-update`.
pub fn run_update(args: &BatchUpdateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let open = OpenStore::open(&args.target.store)?;
    let model = open.model().clone();
    let (entity, predicate) = args.target.resolve(&model)?;
    let values = args.set.iter().map(|s| assignment(entity, s)).collect::<anyhow::Result<Vec<_>>>()?;
    let request =
        BatchRequest::Update { entity: entity.index(), include_subentities: true, predicate, values };
    let count = execute(&open, &request, &args.target)?;
    writeln!(out, "updated {count} object(s)")?;
    Ok(())
}

/// Runs `strata batch-delete`.
pub fn run_delete(args: &BatchDeleteArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let open = OpenStore::open(&args.target.store)?;
    let model = open.model().clone();
    let (entity, predicate) = args.target.resolve(&model)?;
    let request = BatchRequest::Delete { entity: entity.index(), include_subentities: true, predicate };
    let count = execute(&open, &request, &args.target)?;
    writeln!(out, "deleted {count} object(s)")?;
    Ok(())
}

impl BatchTarget {
    /// The entity and the checked predicate these flags name.
    fn resolve<'m>(&self, model: &'m Model) -> anyhow::Result<(&'m Entity, Option<Predicate>)> {
        let Some(entity) = model.entity(&self.entity) else {
            return Err(match model.nearest_entity(&self.entity) {
                Some(near) => {
                    anyhow!("the store's model has no entity {:?} (did you mean {near:?}?)", self.entity)
                }
                None => anyhow!("the store's model has no entity {:?}", self.entity),
            });
        };
        let predicate = match &self.predicate {
            Some(text) => Some(prepare(model, entity.index(), text, &self.args, &[])?),
            None if !self.args.is_empty() => {
                bail!("--arg fills placeholders of a predicate: give one with --where")
            }
            None => None,
        };
        Ok((entity, predicate))
    }
}

/// Runs the batch and answers how many objects it affected.
fn execute(open: &OpenStore, request: &BatchRequest, target: &BatchTarget) -> anyhow::Result<u64> {
    let options = BatchOptions {
        info: SaveInfo { author: target.author.clone(), context_name: target.context.clone() },
        return_ids: false,
        ..BatchOptions::default()
    };
    match open.store.execute_batch(request, &options)? {
        BatchResult::Count(n) => Ok(n),
        BatchResult::ObjectIds(ids) => Ok(ids.len() as u64),
        other => bail!("the store answered the batch with {other:?}"),
    }
}

/// One `--set KEY=JSON`, as (attribute index, value) checked against the attribute's type.
fn assignment(entity: &Entity, text: &str) -> anyhow::Result<(usize, Value)> {
    let Some((key, json)) = text.split_once('=') else {
        bail!("--set {text:?}: write it as KEY=JSON (score=4.5, title=\"x\", url=null)")
    };
    let key = key.trim();
    let Some(index) = entity.attributes().iter().position(|a| a.name() == key) else {
        let hint =
            entity.nearest_property(key).map(|n| format!(" (did you mean {n:?}?)")).unwrap_or_default();
        if entity.relationship(key).is_some() {
            bail!(
                "--set {key}: {key} is a relationship of {}; batch updates set attributes only",
                entity.name()
            );
        }
        bail!("--set {key}: {} has no attribute {key:?}{hint}", entity.name());
    };
    let attribute = &entity.attributes()[index];
    let json: serde_json::Value =
        serde_json::from_str(json).map_err(|e| anyhow!("--set {key}: {json:?} is not JSON ({e})"))?;
    let value = Value::from_json(&json, attribute.attribute_type())
        .map_err(|e| anyhow!("--set {key}: {json} does not fit {}.{key}: {e}", entity.name()))?;
    Ok((index, value))
}
