//! The subcommands. Each file holds one command: its flags (raw, as clap reads them) and its
//! `run` function (validated, higher-level work).

mod demo;
mod model;
mod predicate;

use clap::Subcommand;

/// Every `strata` subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// A guided tour of what Strata does today, on an example model and data set.
    Demo,
    /// Loads a model file, reports every problem in it, and prints its entities and hashes.
    Model(model::ModelArgs),
    /// Parses and checks a predicate against an entity; shows its canonical form, and with
    /// --sql what it compiles to.
    Predicate(predicate::PredicateArgs),
}

/// Runs one command.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Demo => demo::run(),
        Command::Model(args) => model::run(&args),
        Command::Predicate(args) => predicate::run(&args),
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
