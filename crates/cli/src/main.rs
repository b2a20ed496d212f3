//! The `strata` command-line tool.
//!
//! A stable contract that tests and users script against: results go to stdout (`--format
//! json` prints one JSON object per line), errors go to stderr as `error: …` with a non-zero
//! exit status, and no input makes it panic.

mod args;
mod commands;

use std::process::ExitCode;

use clap::Parser;

/// Strata: object-graph persistence for Rust.
#[derive(Debug, Parser)]
#[command(name = "strata", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
