//! The subcommands. Each file holds one command: its flags (raw, as clap reads them) and its
//! `run` function (validated, higher-level work). Commands write results to the writer they
//! are given (stdout in the binary) and return errors; only `main` prints errors.

mod batch;
mod bench;
mod demo;
mod demo_rest;
mod fetch;
mod history;
mod import;
mod init;
mod inspect;
mod model;
mod predicate;
mod watch;

use std::io::Write;

use clap::Subcommand;

/// Every `strata` subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sets attributes on every object of an entity that a predicate selects, directly in the
    /// store, and prints how many objects were updated.
    BatchUpdate(batch::BatchUpdateArgs),
    /// Deletes every object of an entity that a predicate selects, directly in the store
    /// (delete rules honoured), and prints how many objects were deleted.
    BatchDelete(batch::BatchDeleteArgs),
    /// Measures Strata against raw SQLite on identical data, side by side in one process,
    /// and prints each workload's ratio against its target, or its measured figures for
    /// workloads with no baseline.
    Bench(bench::BenchArgs),
    /// Strata in one command: an app and its extension (a second process) sharing one store,
    /// kept current by the history tracker; `demo tour` and `demo rest` show more. Works in a
    /// temporary directory that it removes at the end.
    Demo(demo::DemoArgs),
    /// Creates a new SQLite store for a model file.
    Init(init::InitArgs),
    /// Imports objects from a JSON-lines file into a store, through a context (validation,
    /// inverse relationships), in one save or in batches.
    Import(import::ImportArgs),
    /// Fetches objects from a store: a predicate, sort, paging, and objects, URIs, a count
    /// or dictionaries as the result.
    Fetch(fetch::FetchArgs),
    /// Prints a store's persistent history (one transaction per line), or deletes it up to
    /// a token with --delete-before.
    History(history::HistoryArgs),
    /// Describes a store: identity, model, history, rows per entity, size on disk.
    Inspect(inspect::InspectArgs),
    /// Loads a model file, reports every problem in it, and prints its entities and hashes.
    Model(model::ModelArgs),
    /// Parses and checks a predicate against an entity; shows its canonical form, and with
    /// --sql what it compiles to.
    Predicate(predicate::PredicateArgs),
    /// Waits for changes other processes commit to a store and prints one line per
    /// notification (token, and the transactions since the last line when history is on).
    Watch(watch::WatchArgs),
}

/// Runs one command, writing its results to `out`.
pub fn run(command: Command, out: &mut dyn Write) -> anyhow::Result<()> {
    match command {
        Command::BatchUpdate(args) => batch::run_update(&args, out),
        Command::BatchDelete(args) => batch::run_delete(&args, out),
        Command::Bench(args) => bench::run(&args, out),
        Command::Demo(args) => demo::run(&args, out),
        Command::Init(args) => init::run(&args, out),
        Command::Import(args) => import::run(&args, out),
        Command::Fetch(args) => fetch::run(&args, out),
        Command::History(args) => history::run(&args, out),
        Command::Inspect(args) => inspect::run(&args, out),
        Command::Model(args) => model::run(&args, out),
        Command::Predicate(args) => predicate::run(&args, out),
        Command::Watch(args) => watch::run(&args, out),
    }
}

/// The output format of commands that print results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    #[default]
    Table,
    /// One JSON object per line, for scripts.
    Json,
}
