//! Store files: creating, reopening, reading the model back, refusing files that are not
//! stores or were made with another model (leaving them untouched), and permissions.

use std::path::Path;
use std::sync::Arc;

use strata_core::store::{SaveRequest, ToManyChange};
use strata_core::{Store, StoreError};
use strata_model::Value;
use strata_sqlite::{SqliteOptions, SqliteStore};

use crate::support::{LIBRARY, LOG, Lib, create_lib, keys, model};

fn open(path: &Path) -> Result<SqliteStore, StoreError> {
    SqliteStore::open(path, model(LIBRARY), SqliteOptions::default())
}

#[test]
fn reopening_keeps_data_identity_and_metadata() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (lib, sqlite, path) = create_lib(dir.path(), "reopen.sqlite");
    let shelf = lib.insert(vec![lib.row_linked("Shelf", &[("name", Value::from("A"))], &[])])[0];
    let books = lib.insert(vec![
        lib.row_linked(
            "Book",
            &[("title", Value::from("One")), ("code", Value::from("1"))],
            &[("shelf", shelf)],
        ),
        lib.row_linked("Book", &[("title", Value::from("Two")), ("code", Value::from("2"))], &[]),
    ]);
    let label = lib.insert(vec![lib.row_linked("Label", &[("name", Value::from("x"))], &[])])[0];
    let link = ToManyChange {
        source: books[1],
        relationship: lib.relationship("Item", "labels"),
        added: vec![label],
        removed: vec![],
    };
    lib.store.save(&SaveRequest { to_many: vec![link], ..Default::default() }).expect("link");
    let mut user = serde_json::Map::new();
    user.insert("owner".into(), serde_json::json!("ada"));
    lib.store.set_user_metadata(user.clone()).expect("user metadata");
    let before = lib.store.metadata();
    let snapshots = lib.store.snapshots(&books).expect("snapshots");
    drop((lib, sqlite));

    let reopened = Lib { store: Arc::new(open(&path).expect("reopen")), model: model(LIBRARY) };
    assert_eq!(reopened.store.metadata(), before, "UUID, hash, history and user metadata survive");
    assert_eq!(reopened.store.metadata().user, user);
    assert_eq!(reopened.store.snapshots(&books).expect("snapshots"), snapshots, "rows survive, same IDs");
    assert_eq!(reopened.fetch("Book", "shelf.name == 'A'", ""), vec![books[0]]);
    assert_eq!(
        reopened.store.related(&[label], reopened.relationship("Label", "items")).expect("related"),
        vec![vec![books[1]]]
    );
    drop(reopened);

    let existing = SqliteStore::open_existing(&path, SqliteOptions::default()).expect("open without a model");
    assert_eq!(existing.model().hash(), before.model_hash, "the model is read back from the store");
    assert_eq!(existing.model().to_json(), model(LIBRARY).to_json());
    let tools = Lib { model: existing.model().clone(), store: Arc::new(existing) };
    assert_eq!(keys(&tools.fetch("Item", "title BEGINSWITH 'T'", "")), keys(&books[1..]));
}

#[test]
fn keys_are_never_reused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (lib, sqlite, path) = create_lib(dir.path(), "keys.sqlite");
    let first = lib.insert((0..3).map(|_| lib.row_linked("Disc", &[], &[])).collect());
    let deleted =
        first.iter().map(|&id| strata_core::store::DeletedRow { id, expected_version: 1 }).collect();
    lib.store.save(&SaveRequest { deleted, ..Default::default() }).expect("delete all");
    drop((lib, sqlite));
    let lib = Lib { store: Arc::new(open(&path).expect("reopen")), model: model(LIBRARY) };
    let next = lib.insert(vec![lib.row_linked("Book", &[], &[])])[0];
    assert_eq!(next.primary_key(), Some(4), "the hierarchy's counter survives deletes and reopening");
}

/// The bytes of a file, to show a refused open left it alone.
fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read file")
}

#[test]
fn another_model_is_refused_and_the_file_left_unchanged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (lib, sqlite, path) = create_lib(dir.path(), "mismatch.sqlite");
    lib.insert(vec![lib.row_linked("Book", &[("title", Value::from("kept"))], &[])]);
    drop((lib, sqlite));
    let before = bytes(&path);
    let other = model(LOG);
    match SqliteStore::open(&path, other.clone(), SqliteOptions::default()) {
        Err(StoreError::ModelMismatch { expected, found, location }) => {
            assert_eq!((expected, found), (other.hash(), model(LIBRARY).hash()));
            assert!(location.contains("mismatch.sqlite"), "{location}");
        }
        other => panic!("opening with another model must fail with ModelMismatch, got {other:?}"),
    }
    assert_eq!(bytes(&path), before, "the refused store is byte for byte unchanged");
    let lib =
        Lib { store: Arc::new(open(&path).expect("the right model still opens")), model: model(LIBRARY) };
    assert_eq!(lib.count("Book", "title == 'kept'"), 1);
}

#[test]
fn files_that_are_not_stores_are_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let not_a_store = |path: &Path, why: &str| match open(path) {
        Err(StoreError::NotAStore { reason, .. }) => {
            assert!(reason.contains(why), "{reason:?} should say {why:?}")
        }
        other => panic!("{} is not a store, got {other:?}", path.display()),
    };
    not_a_store(&dir.path().join("missing.sqlite"), "does not exist");
    assert!(!dir.path().join("missing.sqlite").exists(), "opening does not create");
    let empty = dir.path().join("empty.sqlite");
    std::fs::write(&empty, b"").expect("write");
    not_a_store(&empty, "empty");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "SQLite? no, just some text that is long enough to have a header\n".repeat(20))
        .expect("write");
    let before = bytes(&text);
    not_a_store(&text, "not an SQLite database");
    assert_eq!(bytes(&text), before);

    let plain = dir.path().join("plain.sqlite");
    let conn = rusqlite::Connection::open(&plain).expect("plain database");
    conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);").expect("plain table");
    drop(conn);
    let before = bytes(&plain);
    not_a_store(&plain, "without Strata's Z_METADATA table");
    assert_eq!(bytes(&plain), before, "a plain SQLite database is left alone");

    let foreign = dir.path().join("foreign.sqlite");
    let conn = rusqlite::Connection::open(&foreign).expect("database");
    conn.execute_batch(
        "CREATE TABLE Z_METADATA (Z_KEY TEXT PRIMARY KEY, Z_VALUE TEXT); \
         INSERT INTO Z_METADATA VALUES ('storeType', 'Memory');",
    )
    .expect("foreign metadata");
    drop(conn);
    not_a_store(&foreign, "\"Memory\" store");
    assert!(matches!(
        SqliteStore::open_existing(&plain, SqliteOptions::default()),
        Err(StoreError::NotAStore { .. })
    ));
}

#[test]
fn create_refuses_existing_files_and_accepts_empty_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_lib, _sqlite, path) = create_lib(dir.path(), "taken.sqlite");
    let refused = |path: &Path| match SqliteStore::create(path, model(LIBRARY), SqliteOptions::default()) {
        Err(StoreError::Backend { source: Some(source), .. }) => {
            let io = source.downcast_ref::<std::io::Error>().expect("an I/O error");
            assert_eq!(io.kind(), std::io::ErrorKind::AlreadyExists);
        }
        other => panic!("creating over {} must fail, got {other:?}", path.display()),
    };
    refused(&path);
    let text = dir.path().join("text");
    std::fs::write(&text, "keep me").expect("write");
    refused(&text);
    assert_eq!(std::fs::read_to_string(&text).expect("read"), "keep me");

    let empty = tempfile::NamedTempFile::new_in(dir.path()).expect("temp file");
    let store = SqliteStore::create(empty.path(), model(LIBRARY), SqliteOptions::default())
        .expect("an empty file is fine");
    assert_eq!(store.metadata().store_type, "SQLite");

    // Entity names that would clash with the store's own tables never reach a store: the
    // model refuses the `Z_` prefix.
    let reserved = r#"{ "name": "R", "version": 1, "entities": [ { "name": "Z_METADATA" } ] }"#;
    assert!(strata_model::Model::from_json(reserved).is_err());
}

#[test]
fn open_or_create_and_the_history_flag() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("either.sqlite");
    let options = SqliteOptions::default().with_history(true);
    let created = SqliteStore::open_or_create(&path, model(LOG), options.clone()).expect("creates");
    let uuid = created.metadata().uuid;
    assert!(created.metadata().history, "the history flag is recorded");
    drop(created);
    let opened = SqliteStore::open_or_create(&path, model(LOG), SqliteOptions::default()).expect("opens");
    assert_eq!(opened.metadata().uuid, uuid, "the second call opened the first store");
    assert!(opened.metadata().history, "an existing store keeps its flag");
}

#[cfg(unix)]
#[test]
fn store_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let (lib, sqlite, path) = create_lib(dir.path(), "private.sqlite");
    lib.insert(vec![lib.row_linked("Book", &[("title", Value::from("secret"))], &[])]);
    assert_eq!(lib.count("Book", ""), 1, "a read opens a reader too");
    for suffix in ["", "-wal", "-shm"] {
        let file = strata_path(&path, suffix);
        let mode = std::fs::metadata(&file)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{} is {:o}", file.display(), mode & 0o777);
    }
    drop((lib, sqlite));
}

fn strata_path(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}
