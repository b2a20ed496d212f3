//! Batch requests on SQLite files: four processes batch-inserting 500 objects each into one
//! file with history on (every object stored, every insert in history, distinct ordered
//! tokens, every process's watcher reaching the final token), batches announced to watchers
//! of other instances (the conformance checks of batches run in
//! `conformance.rs` and `history.rs`).
//!
//! Children are this test binary re-run on the ignored test [`batch_child`], told what to do
//! by environment variables. Every wait is bounded.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use strata_core::Store;
use strata_core::store::{
    BatchOptions, BatchRequest, BatchResult, ChangeKind, HistoryRequest, RemoteChange, RemoteChangeHandler,
    SaveInfo, StoreFetchRequest, StoreFetchResult, StoreResultType,
};
use strata_model::Value;
use strata_sqlite::{SqliteOptions, SqliteStore};

use crate::support::{LOG, finish, model};

const STORE: &str = "STRATA_BATCH_CHILD_STORE";
const TAG: &str = "STRATA_BATCH_CHILD_TAG";
const TARGET: &str = "STRATA_BATCH_CHILD_TARGET";

/// Objects each writer process inserts, and how many per batch.
const OBJECTS: i64 = 500;
const PER_BATCH: i64 = 25;
const WRITERS: i64 = 4;

/// How long a wait for a delivery may take (generous: CI machines are slow).
const PATIENCE: Duration = Duration::from_secs(20);

fn channel_handler() -> (RemoteChangeHandler, Receiver<RemoteChange>) {
    let (sender, receiver) = mpsc::channel();
    let handler: RemoteChangeHandler = Arc::new(move |change| {
        let _ = sender.send(change);
    });
    (handler, receiver)
}

/// Receives until a change with sequence `target` or later arrives; returns the last one.
fn until_sequence(receiver: &Receiver<RemoteChange>, target: u64) -> u64 {
    let deadline = Instant::now() + PATIENCE;
    let mut last = 0;
    while last < target {
        let left = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(left) {
            Ok(change) => last = last.max(change.token.sequence),
            Err(_) => panic!("no change with sequence {target} within {PATIENCE:?}; the last was {last}"),
        }
    }
    last
}

/// Batch-inserts [`OBJECTS`] entries tagged `tag`, [`PER_BATCH`] per batch.
fn insert_entries(store: &SqliteStore, tag: i64) {
    let entry = store.model().entity("Entry").expect("Entry").index();
    let options = BatchOptions {
        info: SaveInfo { author: Some(format!("writer-{tag}")), context_name: None },
        return_ids: false,
        ..BatchOptions::default()
    };
    for first in (0..OBJECTS).step_by(PER_BATCH as usize) {
        let rows = (first..first + PER_BATCH)
            .map(|n| vec![Value::Int64(tag), Value::Int64(n), Value::from("batch")])
            .collect();
        let done = store
            .execute_batch(&BatchRequest::Insert { entity: entry, rows }, &options)
            .expect("batch insert");
        assert_eq!(done, BatchResult::Count(PER_BATCH as u64));
    }
}

/// The child's side: watches the store through its own instance (an instance is not told
/// of its own saves), inserts its entries through another, then waits for sequence TARGET
/// and prints `saw <sequence>`.
#[test]
#[ignore = "the child process of the batch tests; they run it themselves"]
fn batch_child() {
    let Ok(path) = std::env::var(STORE) else {
        eprintln!("batch_child: no {STORE} given; this test only runs as a child of the batch tests");
        return;
    };
    let tag: i64 = std::env::var(TAG).ok().and_then(|v| v.parse().ok()).expect("TAG");
    let target: u64 = std::env::var(TARGET).ok().and_then(|v| v.parse().ok()).expect("TARGET");
    let watcher = SqliteStore::open_existing(Path::new(&path), SqliteOptions::default()).expect("open");
    let (handler, receiver) = channel_handler();
    let _subscription = watcher.subscribe_remote_changes(handler).expect("subscribe");
    let writer = SqliteStore::open_existing(Path::new(&path), SqliteOptions::default()).expect("open");
    insert_entries(&writer, tag);
    println!("saw {}", until_sequence(&receiver, target));
}

fn spawn_child(path: &Path, tag: i64, target: u64) -> Child {
    let exe = std::env::current_exe().expect("the test binary");
    Command::new(exe)
        .args(["--exact", "batch::batch_child", "--ignored", "--nocapture", "--test-threads=1", "-q"])
        .env(STORE, path)
        .env(TAG, tag.to_string())
        .env(TARGET, target.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the child")
}

#[test]
fn four_processes_batch_insert_two_thousand_objects_with_history() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("batch.sqlite");
    let store =
        SqliteStore::create(&path, model(LOG), SqliteOptions::default().with_history(true)).expect("create");
    let start = store.current_history_token().expect("token");
    let (handler, receiver) = channel_handler();
    let _subscription = store.subscribe_remote_changes(handler).expect("subscribe");
    let batches = (WRITERS * OBJECTS / PER_BATCH) as u64;
    let target = start.sequence + batches;
    let children: Vec<Child> = (0..WRITERS).map(|tag| spawn_child(&path, tag, target)).collect();
    let outputs: Vec<String> = children.into_iter().map(|c| finish(c, Duration::from_secs(120))).collect();
    assert_eq!(until_sequence(&receiver, target), target, "this process's watcher saw the final token");
    for out in &outputs {
        assert!(out.contains(&format!("saw {target}")), "every child's watcher saw the final token: {out:?}");
    }
    let entry = store.model().entity("Entry").expect("Entry").index();
    let count = StoreFetchRequest {
        entity: entry,
        include_subentities: true,
        predicate: None,
        sort: vec![],
        offset: 0,
        limit: None,
        result: StoreResultType::Count,
    };
    assert_eq!(
        store.fetch(&count).expect("count"),
        StoreFetchResult::Count(2_000),
        "all 2,000 objects are stored"
    );
    let history = store.history(&HistoryRequest::after(start)).expect("history");
    assert_eq!(history.len() as u64, batches, "one transaction per batch");
    for pair in history.windows(2) {
        assert!(pair[0].token < pair[1].token, "tokens are distinct and ordered");
    }
    let inserts = history.iter().flat_map(|t| &t.changes).filter(|c| c.kind == ChangeKind::Insert).count();
    assert_eq!(inserts, 2_000, "every inserted object is in history");
    let mut ids: Vec<_> = history.iter().flat_map(|t| t.changes.iter().map(|c| c.id)).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2_000, "every object got its own key");
}

#[test]
fn a_batch_is_announced_to_other_instances() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("announce.sqlite");
    let store =
        SqliteStore::create(&path, model(LOG), SqliteOptions::default().with_history(true)).expect("create");
    let other = SqliteStore::open_existing(&path, SqliteOptions::default()).expect("open");
    let (handler, receiver) = channel_handler();
    let _subscription = other.subscribe_remote_changes(handler).expect("subscribe");
    let entry = store.model().entity("Entry").expect("Entry").index();
    let rows = vec![vec![Value::Int64(1), Value::Int64(1), Value::from("x")]];
    store
        .execute_batch(&BatchRequest::Insert { entity: entry, rows }, &BatchOptions::default())
        .expect("insert");
    let inserted = store.current_history_token().expect("token").sequence;
    assert_eq!(until_sequence(&receiver, inserted), inserted, "the insert is announced");
    let delete = BatchRequest::Delete { entity: entry, include_subentities: true, predicate: None };
    store.execute_batch(&delete, &BatchOptions::default()).expect("delete");
    let deleted = store.current_history_token().expect("token").sequence;
    assert!(deleted > inserted, "the delete is a transaction of its own");
    assert_eq!(until_sequence(&receiver, deleted), deleted, "the delete is announced");
}

#[test]
fn concurrent_batch_updates_all_apply_and_bump_every_version() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("updates.sqlite");
    let store = SqliteStore::create(&path, model(LOG), SqliteOptions::default()).expect("create");
    let entry = store.model().entity("Entry").expect("Entry").index();
    let rows = (0..50).map(|n| vec![Value::Int64(0), Value::Int64(n), Value::from("x")]).collect();
    store
        .execute_batch(&BatchRequest::Insert { entity: entry, rows }, &BatchOptions::default())
        .expect("insert");
    let (threads, updates) = (2, 10);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let path = path.clone();
            scope.spawn(move || {
                let own = SqliteStore::open_existing(&path, SqliteOptions::default()).expect("open");
                for u in 0..updates {
                    let set = BatchRequest::Update {
                        entity: entry,
                        include_subentities: true,
                        predicate: None,
                        values: vec![(0, Value::Int64(t * 100 + u))],
                    };
                    let done = own
                        .execute_batch(&set, &BatchOptions::default())
                        .expect("no conflict reaches the caller");
                    assert_eq!(done, BatchResult::Count(50));
                }
            });
        }
    });
    let all = StoreFetchRequest {
        entity: entry,
        include_subentities: true,
        predicate: None,
        sort: vec![],
        offset: 0,
        limit: None,
        result: StoreResultType::Ids,
    };
    let StoreFetchResult::Ids(ids) = store.fetch(&all).expect("fetch") else { panic!("asked for IDs") };
    for snapshot in store.snapshots(&ids).expect("snapshots").into_iter().flatten() {
        assert_eq!(
            snapshot.version(),
            1 + (threads * updates) as u64,
            "every batch update bumped the version"
        );
    }
}
