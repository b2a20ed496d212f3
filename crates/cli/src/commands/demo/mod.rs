//! `strata demo`: Strata shown to a newcomer, on real files in a temporary directory.
//!
//! Without a part it runs the story of the mission (`story`): an app and its extension, two
//! processes, sharing one store in an app group, kept current by the history tracker and a
//! fetched-results observer. `strata demo tour` is the one-process tour (this file and
//! `data`, `queries`, `changes`): it creates a store from the example Clips model, imports a
//! small data set through a context, fetches with predicates (showing the SQL they compile
//! to), edits and saves, shows faults and the identity map, a cascading delete, a validation
//! error, an optimistic-locking conflict between two contexts and URIs resolving through the
//! coordinator, then removes the directory. Every part uses only the public API, as an
//! application would; every step checks what it shows, so a regression fails the demo
//! instead of printing something false. Each must stay readable by a newcomer and finish in
//! seconds.

mod args;
mod changes;
mod counting;
mod data;
mod queries;
mod story;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use strata::core::{Context, Coordinator};
use strata::model::Model;
use strata::sqlite::{SqliteOptions, SqliteStore};
use strata::{ObjectId, Store};

use super::inspect::DiskSize;
use super::model::describe;
pub use args::{DemoArgs, DemoPart};
use counting::CountingStore;

const MODEL: &str = include_str!("../../../../../examples/clips/model.json");

/// What the tour did, for its summary.
#[derive(Debug, Default)]
struct Summary {
    imported: usize,
    predicates: usize,
    saves: usize,
    deleted: usize,
    violations: usize,
    conflicts: usize,
    bytes: u64,
}

/// The tour's shared state: the store behind a coordinator, and where it writes.
struct Tour<'o> {
    out: &'o mut dyn Write,
    model: Arc<Model>,
    coordinator: Arc<Coordinator>,
    store: Arc<CountingStore>,
    summary: Summary,
}

/// Runs the part of the demo `args` names.
pub fn run(args: &DemoArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    match &args.part {
        None => story::run(out),
        Some(DemoPart::Tour) => tour(out),
        Some(DemoPart::Rest) => super::demo_rest::run(out),
        Some(DemoPart::Extension(args)) => story::run_extension(args),
    }
}

/// Runs the one-process tour.
fn tour(out: &mut dyn Write) -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("strata-demo-")
        .tempdir()
        .context("cannot create a temporary directory for the demo store")?;
    let path = dir.path().join("clips.sqlite");
    writeln!(out, "Strata demo — what works today\n")?;
    let summary = {
        let mut tour = Tour::start(&path, out)?;
        tour.run(&path)?;
        tour.summary
        // The tour, its coordinator and the store's connections are dropped here, before
        // the directory holding the file is removed.
    };
    let shown = dir.path().display().to_string();
    dir.close().with_context(|| format!("cannot remove the demo directory {shown}"))?;
    writeln!(
        out,
        "\nSummary: created a SQLite store, imported {} objects through a context, ran {} predicates \
         in SQL, made {} saves (an edit, a cascading delete of {} objects, a conflict resolved by \
         refreshing), caught {} validation errors and {} conflict; the file reached {} bytes.",
        summary.imported,
        summary.predicates,
        summary.saves,
        summary.deleted,
        summary.violations,
        summary.conflicts,
        summary.bytes
    )?;
    writeln!(out, "Removed {shown}; done in {:.1} s.", started.elapsed().as_secs_f64())?;
    writeln!(
        out,
        "\nOn your own data: strata init --store my.sqlite --model examples/clips/model.json, then \
         strata import, strata fetch and strata inspect (strata help <command>)."
    )?;
    Ok(())
}

impl<'o> Tour<'o> {
    fn start(path: &Path, out: &'o mut dyn Write) -> anyhow::Result<Tour<'o>> {
        let model = Arc::new(Model::from_json(MODEL).context("the example model")?);
        writeln!(out, "1. The model (examples/clips/model.json), validated, with a stable hash:\n")?;
        for line in describe(&model).lines() {
            writeln!(out, "   {line}")?;
        }
        let sqlite = SqliteStore::create(path, model.clone(), SqliteOptions::default())?;
        let metadata = sqlite.metadata();
        let store = Arc::new(CountingStore::new(Arc::new(sqlite)));
        let coordinator = Coordinator::new(model.clone());
        coordinator.add_store("Default", store.clone())?;
        writeln!(out, "\n2. A new SQLite store (WAL mode, file mode 0600), behind a coordinator:\n")?;
        writeln!(out, "   {}", path.display())?;
        writeln!(out, "   uuid {}, model hash {}", metadata.uuid, metadata.model_hash)?;
        Ok(Tour { out, model, coordinator, store, summary: Summary::default() })
    }

    fn run(&mut self, path: &Path) -> anyhow::Result<()> {
        let data = data::import(self)?;
        queries::predicates(self)?;
        queries::sorted(self)?;
        queries::mistakes(self)?;
        changes::edit(self)?;
        changes::faults(self)?;
        changes::cascade(self)?;
        changes::validation(self)?;
        changes::conflict(self)?;
        changes::uris(self, &data)?;
        self.summary.bytes = DiskSize::of(path).total();
        Ok(())
    }

    /// A new context on the tour's coordinator.
    fn context(&self) -> Context {
        Context::new(self.coordinator.clone())
    }

    /// Starts a numbered section.
    fn section(&mut self, title: &str) -> anyhow::Result<()> {
        writeln!(self.out, "\n{title}\n")?;
        Ok(())
    }

    /// Writes one indented line.
    fn say(&mut self, text: impl std::fmt::Display) -> anyhow::Result<()> {
        writeln!(self.out, "   {text}")?;
        Ok(())
    }

    /// The clip's title, for messages.
    fn title(context: &mut Context, id: ObjectId) -> anyhow::Result<String> {
        Ok(context.get::<String>(id, "title")?)
    }
}
