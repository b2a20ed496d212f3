//! Integration tests of [`JsonFileStore`](strata_rest::JsonFileStore), on real files in
//! temporary directories: the store conformance suite, hand edits and malformed files,
//! atomic saves, and several stores and processes on one file.

mod conformance;
mod edits;
mod processes;
mod saves;
mod support;
