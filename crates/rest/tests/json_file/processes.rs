//! Several stores on one file — instances on threads, and a child process — saving
//! concurrently: the sidecar lock serializes their saves and versions catch every
//! conflict, so no update is lost.
//!
//! The child is this very test binary, re-run on the ignored test [`child_process`] with
//! its instructions in environment variables.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use strata_core::conformance::Fixture;
use strata_core::store::{SaveRequest, UpdatedRow};
use strata_core::{ObjectId, StoreError};
use strata_model::Value;

use crate::support::{create, open};

const STORE: &str = "STRATA_JSON_CHILD_STORE";
const NOTE: &str = "STRATA_JSON_CHILD_NOTE";
const TIMES: &str = "STRATA_JSON_CHILD_TIMES";

/// Adds 1 to `note`'s rank `times` times, each a read and a save at the version read,
/// retried on conflict.
fn increment(f: &Fixture, note: ObjectId, times: i64) {
    let rank = f.attribute("Note", "rank");
    let deadline = Instant::now() + Duration::from_secs(30);
    for _ in 0..times {
        loop {
            assert!(Instant::now() < deadline, "increments take too long");
            let current = f.snapshot(note);
            let Value::Int64(n) = current.values()[rank] else { panic!("rank is set") };
            let request = SaveRequest {
                updated: vec![UpdatedRow {
                    id: note,
                    expected_version: current.version(),
                    values: vec![(rank, Value::Int64(n + 1))],
                    to_one: vec![],
                }],
                ..Default::default()
            };
            match f.store.save(&request) {
                Ok(_) => break,
                Err(StoreError::Conflict { conflicts }) => {
                    assert_eq!(conflicts.len(), 1);
                    assert!(conflicts[0].current.as_ref().is_some_and(|c| c.version() > current.version()));
                }
                Err(other) => panic!("an increment fails: {other}"),
            }
        }
    }
}

fn counter(dir: &Path) -> (Fixture, ObjectId, std::path::PathBuf) {
    let (f, _, path) = create(dir, "counter.json");
    let note = f.insert(vec![f.row("Note", &[("title", "counter".into()), ("rank", Value::Int64(0))])])[0];
    (f, note, path)
}

#[test]
fn two_instances_see_each_others_saves_as_conflicts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, note, path) = counter(dir.path());
    let b = open(&path);
    let title = a.attribute("Note", "title");
    let update = |version, text: &str| SaveRequest {
        updated: vec![UpdatedRow {
            id: note,
            expected_version: version,
            values: vec![(title, text.into())],
            to_one: vec![],
        }],
        ..Default::default()
    };
    assert_eq!(b.snapshot(note).version(), 1);
    a.store.save(&update(1, "from a")).expect("a saves");
    match b.store.save(&update(1, "from b")) {
        Err(StoreError::Conflict { conflicts }) => {
            let current = conflicts[0].current.as_ref().expect("still there");
            assert_eq!((current.version(), &current.values()[title]), (2, &Value::from("from a")));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    b.store.save(&update(2, "from b")).expect("b saves at the version it now knows");
    assert_eq!(a.snapshot(note).values()[title], Value::from("from b"));
}

#[test]
fn concurrent_instances_lose_no_update() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, note, path) = counter(dir.path());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| increment(&open(&path), note, 10));
        }
    });
    let f = open(&path);
    let snapshot = f.snapshot(note);
    assert_eq!(snapshot.values()[f.attribute("Note", "rank")], Value::Int64(40));
    assert_eq!(snapshot.version(), 41);
}

#[test]
fn a_child_process_and_this_one_lose_no_update() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (f, note, path) = counter(dir.path());
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = Command::new(exe)
        .args(["--exact", "processes::child_process", "--ignored", "--nocapture", "--test-threads=1", "-q"])
        .env(STORE, &path)
        .env(NOTE, note.primary_key().expect("key").to_string())
        .env(TIMES, "20")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the child");
    increment(&f, note, 20);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll the child") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut err = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut stderr, &mut err);
    }
    assert!(status.success(), "the child failed: {err}");
    assert_eq!(f.snapshot(note).values()[f.attribute("Note", "rank")], Value::Int64(40));
}

/// The child's side: increments the counter as the environment says. Run directly
/// (`--ignored`) it has no instructions and does nothing.
#[test]
#[ignore = "the child process of a multi-process test, which runs it itself"]
fn child_process() {
    let Ok(path) = std::env::var(STORE) else {
        eprintln!("child_process: no {STORE} given; this test only runs as a child of another test");
        return;
    };
    let number = |name: &str| -> i64 {
        std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{name} is a number"))
    };
    let f = open(Path::new(&path));
    let note =
        ObjectId::permanent(f.store.metadata().store_id(), f.entity("Note"), number(NOTE)).expect("an ID");
    increment(&f, note, number(TIMES));
}

#[test]
fn readers_never_see_half_a_save_of_another_instance() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (reader, _, path) = create(dir.path(), "pairs.json");
    let writer = open(&path);
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for i in 0..30 {
                let pair = vec![
                    writer.row("Note", &[("title", format!("{i}a").into())]),
                    writer.row("Note", &[("title", format!("{i}b").into())]),
                ];
                writer.insert(pair);
            }
            done.store(true, std::sync::atomic::Ordering::Release);
        });
        let mut seen = 0;
        while !done.load(std::sync::atomic::Ordering::Acquire) {
            let count = reader.count("Note", "");
            assert_eq!(count % 2, 0, "a save of two objects is seen whole or not at all");
            assert!(count >= seen, "the data seen never goes back");
            seen = count;
        }
    });
    assert_eq!(reader.count("Note", ""), 60);
}
