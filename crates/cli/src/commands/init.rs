//! `strata init`: create a new SQLite store for a model file.
//!
//! It never overwrites anything: an existing non-empty file (a store or not) is refused
//! before the store code sees it, and a failed creation leaves nothing behind.

use std::io::Read as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::anyhow;
use strata::Store;
use strata::model::Model;
use strata::sqlite::{SqliteOptions, SqliteStore};

use super::Format;
use crate::output::JsonObject;

/// Flags of `strata init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Where to create the store (a new file, or an empty one).
    #[arg(long)]
    pub store: PathBuf,
    /// The JSON model file the store is for; the store keeps a copy, so later commands
    /// need only the store.
    #[arg(long)]
    pub model: PathBuf,
    /// Record persistent history: every save writes a transaction record with its changes,
    /// read back with `strata history`.
    #[arg(long)]
    pub history: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Why `strata init` refused to start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// The target file exists and is not empty.
    #[error(
        "{} already exists and is not empty{}; strata init only creates new stores (choose another path or remove the file)",
        path.display(),
        if *is_sqlite { " (it is an SQLite database, perhaps a store)" } else { "" }
    )]
    FileExists {
        /// The path given.
        path: PathBuf,
        /// Whether the file starts like an SQLite database.
        is_sqlite: bool,
    },
}

/// Creates the store and prints its UUID and path.
pub fn run(args: &InitArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    refuse_existing(&args.store)?;
    let model =
        Model::load(&args.model).map_err(|e| anyhow!("cannot load model {}: {e}", args.model.display()))?;
    let options = SqliteOptions::default().with_history(args.history);
    let store = SqliteStore::create(&args.store, Arc::new(model), options)?;
    let metadata = store.metadata();
    let model = store.model();
    match args.format {
        Format::Table => {
            writeln!(out, "created store {} at {}", metadata.uuid, args.store.display())?;
            writeln!(
                out,
                "model {} v{} (hash {}), history {}",
                model.name(),
                model.version(),
                metadata.model_hash,
                if metadata.history { "on" } else { "off" }
            )?;
        }
        Format::Json => {
            let line = JsonObject::new()
                .field("uuid", metadata.uuid.to_string().as_str())
                .field("path", args.store.display().to_string().as_str())
                .field("model", model.name())
                .field("modelHash", metadata.model_hash.to_string().as_str())
                .field("history", serde_json::Value::Bool(metadata.history));
            writeln!(out, "{}", line.finish())?;
        }
    }
    Ok(())
}

fn refuse_existing(path: &Path) -> Result<(), InitError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() > 0 || !meta.is_file() => {
            let mut header = [0u8; 16];
            let is_sqlite = std::fs::File::open(path)
                .and_then(|mut file| file.read_exact(&mut header))
                .is_ok_and(|()| &header == b"SQLite format 3\0");
            Err(InitError::FileExists { path: path.to_owned(), is_sqlite })
        }
        // A missing or empty file is the store's to create; other failures it reports.
        _ => Ok(()),
    }
}
