//! Integration tests of strata-sqlite, on real files in temporary directories: one binary,
//! one module per concern.

mod conformance;
mod files;
mod locking;
mod multiprocess;
mod queries;
mod saves;
mod support;
