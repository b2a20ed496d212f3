//! The `strata` command-line tool.
//!
//! A stable contract that tests and users script against: results go to stdout (`--format
//! json` prints one JSON object per line), errors go to stderr as `error: …` with a non-zero
//! exit status, and no input makes it panic. It uses only what an application could use:
//! the `strata` facade crate.

/// mimalloc: the bench measured it faster than glibc at the many small frees of dropping a
/// context (see bench/RESULTS.md), and both sides of every bench run under it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod args;
mod commands;
mod import_file;
mod output;
mod store;

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
    let mut out = std::io::stdout().lock();
    match commands::run(cli.command, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped early (`strata fetch … | head`) is not a failure.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", report(&error));
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes on one message: each cause is appended unless the message
/// already says it (library errors often include their source in their own text).
fn report(error: &anyhow::Error) -> String {
    let mut message = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
    }
    message
}
