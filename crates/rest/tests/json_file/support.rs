//! Helpers shared by the JSON-file store tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use strata_core::conformance::{Fixture, conformance_model};
use strata_core::{Store, StoreError};
use strata_rest::{JsonFileStore, RestError};

/// A new store file `name` in `dir` for the conformance model, with its fixture.
pub fn create(dir: &Path, name: &str) -> (Fixture, Arc<JsonFileStore>, PathBuf) {
    let path = dir.join(name);
    let model = conformance_model();
    let store = Arc::new(JsonFileStore::create(&path, model.clone()).expect("create a store"));
    (Fixture { store: store.clone() as Arc<dyn Store>, model }, store, path)
}

/// Another store instance on the same file, with its fixture.
pub fn open(path: &Path) -> Fixture {
    let model = conformance_model();
    let store = JsonFileStore::open(path, model.clone()).expect("open the store");
    Fixture { store: Arc::new(store), model }
}

/// The [`RestError`] inside a store error (a backend error's source).
pub fn rest_error(error: &StoreError) -> &RestError {
    RestError::of(error).unwrap_or_else(|| panic!("expected a backend error from a RestError, got {error:?}"))
}

/// Rewrites the file at `path` with `edit` applied to its text, as a person would.
pub fn edit(path: &Path, edit: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).expect("read the store file");
    let edited = edit(text.clone());
    assert_ne!(edited, text, "the edit changes the file");
    std::fs::write(path, edited).expect("write the store file");
}
