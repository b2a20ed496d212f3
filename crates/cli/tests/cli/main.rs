//! The `strata` binary, run for real on temporary directories: every command, both output
//! formats, and the errors scripts rely on (message on stderr starting with `error: `,
//! non-zero exit, nothing written to the store).

mod batch;
mod bench;
mod demo;
mod demo_rest;
mod fetch;
mod history;
mod import;
mod init;
mod inspect;
mod support;
mod watch;
