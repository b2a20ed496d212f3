//! Integration tests of strata-sqlite, on real files in temporary directories: one binary,
//! one module per concern.

mod batch;
mod batch_direct;
mod conformance;
/// strata-core's context suite, run on SQLite files.
#[path = "../../../core/tests/it/context/mod.rs"]
mod context;
mod context_store;
mod fetch_scale;
mod files;
mod generations;
mod history;
mod locking;
mod merge_processes;
mod multiprocess;
mod notify;
mod queries;
mod rows;
mod saves;
mod support;
