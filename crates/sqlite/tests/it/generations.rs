//! Several coordinators on one SQLite file (in this process and in a child process), the
//! staleness interval, and query generations held as WAL read snapshots.
//!
//! The child is this test binary re-run on the ignored test [`child_writes`] (the pattern
//! of `multiprocess.rs`), with its instructions in environment variables.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use strata_core::{Context, Coordinator, FetchRequest, ObjectId, ResultType, Store};
use strata_sqlite::{SqliteOptions, SqliteStore};

use crate::support::model;

const NOTES: &str = r#"{ "name": "Notes", "version": 1, "entities": [
  { "name": "Note", "attributes": [ { "name": "title", "type": "string" } ] }
] }"#;

const STORE: &str = "STRATA_GENERATION_CHILD_STORE";
const NOTE: &str = "STRATA_GENERATION_CHILD_NOTE";

/// The child's side: retitles the note named by URI to "child" and inserts a note "extra".
/// Run directly (`--ignored`) it does nothing.
#[test]
#[ignore = "the child process of the generation tests; they run it themselves"]
fn child_writes() {
    let Ok(path) = std::env::var(STORE) else {
        eprintln!("child_writes: no {STORE} given; this test only runs as a child of the generation tests");
        return;
    };
    let uri = std::env::var(NOTE).expect("the note's URI is given");
    let (coordinator, _) = open(Path::new(&path));
    let mut ctx = Context::new(coordinator.clone());
    let note = coordinator.object_id(&uri).expect("the parent's URI resolves in the child");
    ctx.set(note, "title", "child").unwrap();
    let extra = ctx.insert("Note").unwrap();
    ctx.set(extra, "title", "extra").unwrap();
    ctx.save().expect("the child saves");
}

/// A coordinator on the store file at `path` (a store instance of its own).
fn open(path: &Path) -> (Arc<Coordinator>, Arc<SqliteStore>) {
    let model = model(NOTES);
    let store = Arc::new(SqliteStore::open(path, model.clone(), SqliteOptions::default()).expect("open"));
    let coordinator = Coordinator::new(model);
    coordinator.add_store("Default", store.clone()).expect("the store fits");
    (coordinator, store)
}

/// A new store file with notes titled `titles`; its path and the notes' URIs.
fn create(dir: &Path, titles: &[&str]) -> (PathBuf, Vec<String>) {
    let path = dir.join("notes.sqlite");
    drop(SqliteStore::create(&path, model(NOTES), SqliteOptions::default()).expect("create"));
    let (coordinator, _) = open(&path);
    let mut ctx = Context::new(coordinator.clone());
    let ids: Vec<ObjectId> = titles
        .iter()
        .map(|t| {
            let id = ctx.insert("Note").unwrap();
            ctx.set(id, "title", *t).unwrap();
            id
        })
        .collect();
    let outcome = ctx.save().unwrap();
    let uris = ids.iter().map(|id| coordinator.uri(outcome.permanent_id(*id).unwrap()).unwrap()).collect();
    (path, uris)
}

fn title(coordinator: &Arc<Coordinator>, id: ObjectId) -> String {
    Context::new(coordinator.clone()).get::<String>(id, "title").unwrap()
}

fn count(ctx: &mut Context) -> u64 {
    ctx.count(&FetchRequest::new("Note").result_type(ResultType::Count)).unwrap()
}

#[test]
fn two_coordinators_on_one_file_keep_their_own_caches() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, uris) = create(dir.path(), &["a", "b"]);
    let (one, _) = open(&path);
    let (two, _) = open(&path);
    let a = one.object_id(&uris[0]).unwrap();
    assert_eq!(two.object_id(&uris[0]).unwrap(), a, "URIs resolve in every coordinator of the file");
    assert_eq!((title(&one, a), title(&two, a)), ("a".to_owned(), "a".to_owned()));

    let mut ctx = Context::new(one.clone());
    ctx.set(a, "title", "A").unwrap();
    ctx.save().unwrap();
    assert_eq!(title(&one, a), "A");
    assert_eq!(title(&two, a), "a", "the other coordinator's cache keeps its row (infinite interval)");

    two.set_staleness_interval(Some(Duration::ZERO));
    assert_eq!(title(&two, a), "A", "past the staleness interval a fault re-reads the file");
    two.set_staleness_interval(None);
    ctx.set(a, "title", "again").unwrap();
    ctx.save().unwrap();
    assert_eq!(title(&two, a), "A");
    two.merge_remote(&[uris[0].as_str()], &mut []).unwrap();
    assert_eq!(title(&two, a), "again", "merge_remote re-reads the file");
}

#[test]
fn a_child_process_save_reaches_pinned_and_unpinned_contexts_as_asked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, uris) = create(dir.path(), &["parent"]);
    let (coordinator, _) = open(&path);
    let note = coordinator.object_id(&uris[0]).unwrap();
    let mut pinned = Context::new(coordinator.clone());
    pinned.pin_query_generation().unwrap();
    assert_eq!(title(&coordinator, note), "parent", "the row is cached");

    let exe = std::env::current_exe().expect("the test binary");
    let output = Command::new(exe)
        .args(["--exact", "generations::child_writes", "--ignored", "--nocapture", "--test-threads=1", "-q"])
        .env(STORE, &path)
        .env(NOTE, &uris[0])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run the child");
    assert!(output.status.success(), "the child failed: {}", String::from_utf8_lossy(&output.stderr));

    assert_eq!(
        pinned.get::<String>(note, "title").unwrap(),
        "parent",
        "the pinned snapshot predates the child"
    );
    assert_eq!(count(&mut pinned), 1, "and so does its row set");
    assert_eq!(title(&coordinator, note), "parent", "the unpinned cache still holds its row");
    let mut current = Context::new(coordinator.clone());
    assert_eq!(count(&mut current), 2, "an unpinned fetch reads the file now");
    current.refresh(note, false).unwrap();
    assert_eq!(current.get::<String>(note, "title").unwrap(), "child", "refresh always re-reads");

    pinned.advance_query_generation().unwrap();
    assert_eq!(pinned.get::<String>(note, "title").unwrap(), "child");
    assert_eq!(count(&mut pinned), 2);
}

#[test]
fn a_held_generation_holds_back_the_checkpoint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, uris) = create(dir.path(), &["n"]);
    let (coordinator, store) = open(&path);
    let note = coordinator.object_id(&uris[0]).unwrap();
    let generation = store.open_generation().expect("SQLite stores open generations");
    let mut ctx = Context::new(coordinator.clone());
    for i in 0..5 {
        ctx.set(note, "title", format!("v{i}")).unwrap();
        ctx.save().unwrap();
    }
    let checkpoint = || {
        let conn = rusqlite::Connection::open(&path).expect("open the file");
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
        })
        .expect("checkpoint")
    };
    let (log, done) = checkpoint();
    assert!(done < log, "frames after the generation's snapshot stay in the WAL ({done} of {log})");
    let old = generation.snapshots(&[note]).unwrap().remove(0).expect("the row");
    assert_eq!(old.version(), 1, "the generation still reads its snapshot");
    drop(generation);
    let (log, done) = checkpoint();
    assert_eq!(done, log, "released, the WAL checkpoints fully");
}
