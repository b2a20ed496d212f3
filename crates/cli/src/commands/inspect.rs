//! `strata inspect`: what a store file is — identity, model, history flag, rows per entity,
//! size on disk, user metadata — read through the public API (metadata and count fetches).
//!
//! It never changes the data: it opens the store with the model recorded in it and only
//! reads. A path that is missing or not a Strata store is an error naming it.

use std::io::Write;
use std::path::{Path, PathBuf};

use strata::core::FetchRequest;

use super::Format;
use crate::output::{JsonObject, Table};
use crate::store::OpenStore;

/// Flags of `strata inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The store file.
    #[arg(long)]
    pub store: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Bytes on disk of a SQLite store: the database and the files SQLite keeps beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskSize {
    /// The database file.
    pub database: u64,
    /// The write-ahead log (`-wal`), 0 when absent.
    pub wal: u64,
    /// The shared-memory index (`-shm`), 0 when absent.
    pub shm: u64,
}

impl DiskSize {
    /// The sizes of the files of the store at `path` (missing files count 0).
    pub fn of(path: &Path) -> DiskSize {
        let size = |suffix: &str| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            std::fs::metadata(PathBuf::from(name)).map_or(0, |m| m.len())
        };
        DiskSize { database: size(""), wal: size("-wal"), shm: size("-shm") }
    }

    /// All three together.
    pub fn total(self) -> u64 {
        self.database + self.wal + self.shm
    }
}

/// Prints the description of the store.
pub fn run(args: &InspectArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let open = OpenStore::open(&args.store)?;
    let metadata = open.store.metadata();
    let model = open.model().clone();
    let mut context = open.context();
    let mut rows = Vec::new();
    for entity in model.entities() {
        let count = if entity.is_abstract() {
            None
        } else {
            Some(context.count(&FetchRequest::new(entity.name()).include_subentities(false))?)
        };
        rows.push((entity.name().to_owned(), count));
    }
    let size = DiskSize::of(&args.store);
    let user = serde_json::Value::Object(metadata.user.clone());
    match args.format {
        Format::Table => {
            let mut table = Table::headerless(2);
            let mut add = |key: &str, value: String| table.row(vec![key.to_owned(), value]);
            add("store", args.store.display().to_string());
            add("uuid", metadata.uuid.to_string());
            add("type", metadata.store_type.clone());
            add("model", format!("{} v{}", model.name(), model.version()));
            add("model hash", metadata.model_hash.to_string());
            add("history", if metadata.history { "on" } else { "off" }.to_owned());
            add(
                "size",
                format!(
                    "{} bytes (database {}, wal {}, shm {})",
                    size.total(),
                    size.database,
                    size.wal,
                    size.shm
                ),
            );
            add("user metadata", user.to_string());
            write!(out, "{}", table.render())?;
            let mut entities = Table::new(["entity", "rows"]);
            for (name, count) in &rows {
                entities.row(vec![
                    name.clone(),
                    count.map_or_else(|| "(abstract)".to_owned(), |c| c.to_string()),
                ]);
            }
            writeln!(out)?;
            write!(out, "{}", entities.render())?;
        }
        Format::Json => {
            let mut counts = JsonObject::new();
            for (name, count) in &rows {
                if let Some(count) = count {
                    counts = counts.field(name, serde_json::Value::from(*count));
                }
            }
            let sizes = JsonObject::new()
                .field("database", serde_json::Value::from(size.database))
                .field("wal", serde_json::Value::from(size.wal))
                .field("shm", serde_json::Value::from(size.shm))
                .field("total", serde_json::Value::from(size.total()));
            let line = JsonObject::new()
                .field("path", args.store.display().to_string().as_str())
                .field("uuid", metadata.uuid.to_string().as_str())
                .field("type", metadata.store_type.as_str())
                .field("model", model.name())
                .field("modelVersion", serde_json::Value::from(model.version()))
                .field("modelHash", metadata.model_hash.to_string().as_str())
                .field("history", serde_json::Value::Bool(metadata.history))
                .field("rows", counts)
                .field("size", sizes)
                .field("user", user);
            writeln!(out, "{}", line.finish())?;
        }
    }
    Ok(())
}
