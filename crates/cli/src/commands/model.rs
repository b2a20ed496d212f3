//! `strata model`: load a model file and describe it.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use strata::Model;
use strata::model::Property;

use super::Format;

/// Flags of `strata model`.
#[derive(Debug, clap::Args)]
pub struct ModelArgs {
    /// The JSON model file.
    pub path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Loads and describes the model.
pub fn run(args: &ModelArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let model = Model::load(&args.path).with_context(|| format!("cannot load {}", args.path.display()))?;
    match args.format {
        Format::Json => {
            for entity in model.entities() {
                let line = serde_json::json!({
                    "entity": entity.name(),
                    "abstract": entity.is_abstract(),
                    "parent": entity.parent().map(|p| model.entity_at(p).name()),
                    "attributes": entity.attributes().iter().map(|a| serde_json::json!({
                        "name": a.name(), "type": a.attribute_type().name(), "optional": a.is_optional(),
                    })).collect::<Vec<_>>(),
                    "relationships": entity.relationships().iter().map(|r| serde_json::json!({
                        "name": r.name(), "destination": model.entity_at(r.destination()).name(),
                        "toMany": r.is_to_many(), "inverse": r.inverse_name(),
                        "deleteRule": r.delete_rule().name(),
                    })).collect::<Vec<_>>(),
                    "hash": entity.hash().to_string(),
                });
                writeln!(out, "{line}")?;
            }
        }
        Format::Table => write!(out, "{}", describe(&model))?,
    }
    Ok(())
}

/// A human-readable description of a model: one block per entity.
pub fn describe(model: &Model) -> String {
    let mut out = format!("model {} v{}  hash {}\n", model.name(), model.version(), model.hash());
    for entity in model.entities() {
        let mut header = format!("  {}", entity.name());
        if entity.is_abstract() {
            header.push_str(" (abstract)");
        }
        if let Some(parent) = entity.parent() {
            header.push_str(&format!(" : {}", model.entity_at(parent).name()));
        }
        out.push_str(&header);
        out.push('\n');
        let names: Vec<&str> = entity.attributes().iter().map(|a| a.name()).collect();
        for name in names.iter().copied().chain(entity.relationships().iter().map(|r| r.name())) {
            let line = match entity.property(name) {
                Some(Property::Attribute(a)) => format!(
                    "    {:<12} {}{}",
                    a.name(),
                    a.attribute_type(),
                    if a.is_optional() { "?" } else { "" }
                ),
                Some(Property::Relationship(r)) => format!(
                    "    {:<12} -> {}{}{}",
                    r.name(),
                    model.entity_at(r.destination()).name(),
                    if r.is_to_many() { "[]" } else { "" },
                    r.inverse_name()
                        .map(|i| format!(" (inverse {i}, {})", r.delete_rule().name()))
                        .unwrap_or_default()
                ),
                None => continue,
            };
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}
