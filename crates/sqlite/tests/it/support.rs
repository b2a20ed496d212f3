//! Test support: the models the tests use, stores in temporary directories, and helpers
//! that build requests by name.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::sync::Arc;
use std::time::{Duration, Instant};

use strata_core::ObjectId;
use strata_model::Model;
use strata_sqlite::{SqliteOptions, SqliteStore};

/// Inheritance (an abstract `Item` with `Book` and `Disc`), decimals, a polymorphic to-one
/// without inverse, a polymorphic to-many, a many-to-many pair, a one-to-one pair, an
/// indexed attribute, a constraint on the abstract parent and one on a sub-entity.
pub const LIBRARY: &str = r#"{ "name": "Library", "version": 1, "entities": [
  { "name": "Item", "abstract": true,
    "attributes": [
      { "name": "title", "type": "string" },
      { "name": "code", "type": "string" },
      { "name": "price", "type": "decimal" },
      { "name": "rank", "type": "int64", "indexed": true } ],
    "relationships": [
      { "name": "shelf", "destination": "Shelf", "toMany": false, "inverse": "items" },
      { "name": "labels", "destination": "Label", "toMany": true, "inverse": "items" } ],
    "uniquenessConstraints": [["code"]] },
  { "name": "Book", "parent": "Item",
    "attributes": [ { "name": "pages", "type": "int32" }, { "name": "isbn", "type": "string" } ],
    "uniquenessConstraints": [["isbn"]] },
  { "name": "Disc", "parent": "Item",
    "attributes": [ { "name": "minutes", "type": "double" } ] },
  { "name": "Shelf",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [
      { "name": "items", "destination": "Item", "toMany": true, "inverse": "shelf" },
      { "name": "favourite", "destination": "Item", "toMany": false } ] },
  { "name": "Label",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [ { "name": "items", "destination": "Item", "toMany": true, "inverse": "labels" } ] },
  { "name": "Person",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [ { "name": "badge", "destination": "Badge", "toMany": false, "inverse": "holder" } ] },
  { "name": "Badge",
    "attributes": [ { "name": "number", "type": "int64" } ],
    "relationships": [ { "name": "holder", "destination": "Person", "toMany": false, "inverse": "badge" } ] }
] }"#;

/// One entity of tagged rows, for the multi-process tests.
pub const LOG: &str = r#"{ "name": "Log", "version": 1, "entities": [
  { "name": "Entry",
    "attributes": [
      { "name": "tag", "type": "int64", "indexed": true },
      { "name": "n", "type": "int64" },
      { "name": "text", "type": "string" } ] }
] }"#;

/// A model from JSON text.
pub fn model(json: &str) -> Arc<Model> {
    Arc::new(Model::from_json(json).expect("test model is valid"))
}

/// A store under test with name-based helpers: the conformance suite's fixture, over any
/// model and any `Store` (the differential tests run the same helpers on a `MemoryStore`).
pub use strata_core::conformance::Fixture as Lib;

/// A new SQLite store of the library model at `dir/name`.
pub fn create_lib(dir: &Path, name: &str) -> (Lib, Arc<SqliteStore>, PathBuf) {
    let path = dir.join(name);
    let model = model(LIBRARY);
    let sqlite =
        Arc::new(SqliteStore::create(&path, model.clone(), SqliteOptions::default()).expect("create"));
    (Lib { store: sqlite.clone(), model }, sqlite, path)
}

/// (entity, key) of IDs, to compare the answers of two stores.
pub fn keys(ids: &[ObjectId]) -> Vec<(u16, i64)> {
    ids.iter().map(|id| (id.entity().0, id.primary_key().unwrap_or_default())).collect()
}

/// Waits for `child` at most `limit`; kills it and fails the test if it takes longer.
pub fn wait_bounded(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("poll the child") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits for a child that must succeed, at most `limit`: its stdout; fails the test with
/// its stderr if it failed.
pub fn finish(mut child: Child, limit: Duration) -> String {
    let status = wait_bounded(&mut child, limit);
    let (mut out, mut err) = (String::new(), String::new());
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut out);
    }
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut err);
    }
    assert!(status.success(), "the child failed: {err}");
    out
}
