//! Persistent history in SQLite files: the conformance checks with history on, tombstones
//! and old/new values read back from the file, history surviving a reopen (tokens,
//! deletions and expiry included), and a store without history writing none.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use strata_core::store::{
    ChangeKind, DeletedRow, HistoryDeleteRequest, HistoryRequest, InsertedRow, SaveInfo, SaveRequest,
    UpdatedRow,
};
use strata_core::{ObjectId, Store, StoreError, conformance};
use strata_model::{Model, Value};
use strata_sqlite::{SqliteOptions, SqliteStore};

const MODEL: &str = r#"{ "name": "History", "version": 1, "entities": [
  { "name": "Clip",
    "attributes": [
      { "name": "title", "type": "string", "preserveAfterDeletion": true },
      { "name": "score", "type": "double" },
      { "name": "taken", "type": "date", "preserveAfterDeletion": true } ] }
] }"#;

fn model() -> Arc<Model> {
    Arc::new(Model::from_json(MODEL).unwrap())
}

#[test]
fn sqlite_store_passes_the_history_checks() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    conformance::run_history(&|model| {
        let path = dir.path().join(format!("store-{}.sqlite", n.fetch_add(1, Ordering::Relaxed)));
        let options = SqliteOptions::default().with_history(true);
        Arc::new(SqliteStore::create(&path, model, options).unwrap()) as Arc<dyn Store>
    });
}

/// Inserts one clip, updates its score, deletes it; returns its ID.
fn insert_update_delete(store: &SqliteStore) -> ObjectId {
    let entity = store.model().entity("Clip").unwrap().index();
    let taken = Value::Date("2024-05-01T10:00:00Z".parse().unwrap());
    let saved = store
        .save(&SaveRequest {
            inserted: vec![InsertedRow {
                id: ObjectId::new_temporary(entity),
                values: vec!["clip".into(), Value::Double(1.5), taken],
                to_one: vec![],
            }],
            info: SaveInfo { author: Some("importer".into()), context_name: Some("main".into()) },
            ..Default::default()
        })
        .unwrap();
    let id = saved.permanent_ids[0].1;
    let update =
        UpdatedRow { id, expected_version: 1, values: vec![(1, Value::Double(3.0))], to_one: vec![] };
    store.save(&SaveRequest { updated: vec![update], ..Default::default() }).unwrap();
    store
        .save(&SaveRequest { deleted: vec![DeletedRow { id, expected_version: 2 }], ..Default::default() })
        .unwrap();
    id
}

#[test]
fn tombstones_and_values_are_read_back_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite");
    let options = SqliteOptions::default().with_history(true).with_history_values(true);
    let store = SqliteStore::create(&path, model(), options.clone()).unwrap();
    let id = insert_update_delete(&store);
    drop(store);
    let store = SqliteStore::open(&path, model(), options).unwrap();
    let history = store.history(&HistoryRequest::all()).unwrap();
    let kinds: Vec<_> = history.iter().map(|t| (t.changes[0].kind, t.changes[0].id)).collect();
    assert_eq!(kinds, [(ChangeKind::Insert, id), (ChangeKind::Update, id), (ChangeKind::Delete, id)]);
    assert_eq!(history[0].author.as_deref(), Some("importer"));
    assert_eq!(history[0].context_name.as_deref(), Some("main"));
    assert_eq!(history[0].process_id, std::process::id());
    assert!(history[0].application.is_some(), "the application is recorded");
    let update = &history[1].changes[0];
    assert_eq!(update.updated, ["score"]);
    assert_eq!(update.old_values, [("score".to_owned(), Value::Double(1.5))]);
    assert_eq!(update.new_values, [("score".to_owned(), Value::Double(3.0))]);
    let taken = Value::Date("2024-05-01T10:00:00Z".parse().unwrap());
    assert_eq!(
        history[2].changes[0].tombstone,
        [("title".to_owned(), Value::from("clip")), ("taken".to_owned(), taken)],
        "the preserved attributes, typed"
    );
}

#[test]
fn values_are_recorded_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::create(
        dir.path().join("h.sqlite"),
        model(),
        SqliteOptions::default().with_history(true),
    )
    .unwrap();
    insert_update_delete(&store);
    let history = store.history(&HistoryRequest::all().with_kind(ChangeKind::Update)).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].changes[0].updated, ["score"]);
    assert!(history[0].changes[0].old_values.is_empty() && history[0].changes[0].new_values.is_empty());
}

#[test]
fn tokens_deletions_and_expiry_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite");
    let options = SqliteOptions::default().with_history(true);
    let store = SqliteStore::create(&path, model(), options.clone()).unwrap();
    insert_update_delete(&store);
    let history = store.history(&HistoryRequest::all()).unwrap();
    assert_eq!(store.delete_history(&HistoryDeleteRequest::through_transaction(&history[2])).unwrap(), 3);
    let current = store.current_history_token().unwrap();
    assert_eq!(current, history[2].token, "deleting keeps the sequence");
    drop(store);

    let store = SqliteStore::open(&path, model(), options).unwrap();
    assert_eq!(store.current_history_token().unwrap(), current);
    assert!(store.history(&HistoryRequest::all()).unwrap().is_empty());
    assert!(matches!(
        store.history(&HistoryRequest::after(history[0].token)),
        Err(StoreError::HistoryExpired { .. })
    ));
    insert_update_delete(&store);
    let next = store.history(&HistoryRequest::after(current)).unwrap();
    assert_eq!(next.len(), 3);
    assert!(next[0].token > current, "sequences are never reused after deletion");
}

#[test]
fn a_store_without_history_writes_none() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite");
    let store = SqliteStore::create(&path, model(), SqliteOptions::default()).unwrap();
    insert_update_delete(&store);
    assert!(matches!(store.history(&HistoryRequest::all()), Err(StoreError::Unsupported { .. })));
    assert!(matches!(store.current_history_token(), Err(StoreError::Unsupported { .. })));
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'Z_HISTORY%'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 0, "no history table in the file");
}

#[test]
fn a_failed_save_writes_no_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::create(
        dir.path().join("h.sqlite"),
        model(),
        SqliteOptions::default().with_history(true),
    )
    .unwrap();
    let id = insert_update_delete(&store);
    let before = store.current_history_token().unwrap();
    let entity = store.model().entity("Clip").unwrap().index();
    let failing = SaveRequest {
        inserted: vec![InsertedRow {
            id: ObjectId::new_temporary(entity),
            values: vec!["new".into(), Value::Null, Value::Null],
            to_one: vec![],
        }],
        // The clip was deleted: this update fails after the insert was planned.
        updated: vec![UpdatedRow { id, expected_version: 2, values: vec![], to_one: vec![] }],
        ..Default::default()
    };
    assert!(matches!(store.save(&failing), Err(StoreError::Conflict { .. })));
    assert_eq!(store.current_history_token().unwrap(), before);
    assert!(store.history(&HistoryRequest::after(before)).unwrap().is_empty());
}

/// A child process (the multi-process tests' child, this test binary re-run) saving a
/// stream of batches into a store that records history is killed with SIGKILL, twice:
/// every stored row has exactly one insert change in the history and every transaction's
/// rows are stored, because both are written in one database transaction.
#[test]
fn a_killed_writer_leaves_history_and_data_in_agreement() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use strata_core::store::{StoreFetchResult, StoreResultType};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.sqlite");
    let options = SqliteOptions::default().with_history(true);
    let log = crate::support::model(crate::support::LOG);
    let store = SqliteStore::create(&path, log.clone(), options.clone()).unwrap();
    let entry = log.entity("Entry").unwrap().index();
    let count = |store: &SqliteStore| {
        let request = strata_core::store::StoreFetchRequest {
            entity: entry,
            include_subentities: true,
            predicate: None,
            sort: vec![],
            offset: 0,
            limit: None,
            result: StoreResultType::Count,
        };
        match store.fetch(&request).unwrap() {
            StoreFetchResult::Count(n) => n,
            other => panic!("a count, not {other:?}"),
        }
    };
    for round in 0..2_u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "multiprocess::child_process",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
                "-q",
            ])
            .env("STRATA_SQLITE_CHILD_STORE", &path)
            .env("STRATA_SQLITE_CHILD_FIRST_TAG", ((round + 1) * 1_000_000).to_string())
            .env("STRATA_SQLITE_CHILD_SAVES", "100000")
            .env("STRATA_SQLITE_CHILD_ROWS", "50")
            .env("STRATA_SQLITE_CHILD_PAUSE_MS", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let before = count(&store);
        let deadline = Instant::now() + Duration::from_secs(15);
        while count(&store) < before + 150 {
            assert!(child.try_wait().unwrap().is_none(), "the child stopped early");
            assert!(Instant::now() < deadline, "the child made no progress within 15 s");
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(3 + 7 * round));
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let reopened = SqliteStore::open(&path, log, options).unwrap();
    let history = reopened.history(&HistoryRequest::all()).unwrap();
    let inserts: Vec<ObjectId> = history.iter().flat_map(|t| t.changes.iter().map(|c| c.id)).collect();
    assert!(
        history
            .iter()
            .all(|t| t.changes.len() == 50 && t.changes.iter().all(|c| c.kind == ChangeKind::Insert))
    );
    assert_eq!(inserts.len() as u64, count(&reopened), "one insert change per stored row");
    let found = reopened.snapshots(&inserts).unwrap();
    assert!(found.iter().all(Option::is_some), "every recorded insert is stored");
    assert_eq!(history.last().map(|t| t.token), Some(reopened.current_history_token().unwrap()));
}
