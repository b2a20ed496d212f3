//! Several processes on one store file: a child process saving while this one reads and
//! saves (no lock error ever reaches either), and children killed with SIGKILL in the
//! middle of a stream of saves (the store stays whole and every save is all or nothing).
//!
//! The child is this very test binary, re-run on the ignored test [`child_process`] with
//! its instructions in environment variables, so `cargo test` in a fresh clone needs no
//! other binary.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use strata_core::store::{InsertedRow, SaveRequest, StoreFetchResult, StoreResultType};
use strata_core::{ObjectId, Store};
use strata_model::Value;
use strata_predicate::Predicate;
use strata_sqlite::{SqliteOptions, SqliteStore};

use crate::support::{LOG, model, wait_bounded};

const STORE: &str = "STRATA_SQLITE_CHILD_STORE";
const SAVES: &str = "STRATA_SQLITE_CHILD_SAVES";
const ROWS: &str = "STRATA_SQLITE_CHILD_ROWS";
const FIRST_TAG: &str = "STRATA_SQLITE_CHILD_FIRST_TAG";
const PAUSE_MS: &str = "STRATA_SQLITE_CHILD_PAUSE_MS";
const PROGRESS: &str = "STRATA_SQLITE_CHILD_PROGRESS";

/// Saves `saves` batches of `rows` entries; each batch's rows share one tag. With a
/// `progress` file, writes `begin <tag>` to it before each save and `end <tag>` after.
fn save_batches(
    store: &SqliteStore,
    first_tag: i64,
    saves: i64,
    rows: i64,
    pause: Duration,
    progress: Option<&Path>,
) {
    // Unbuffered appends: a killed process has written every line it got to.
    let mut progress = progress.map(|path| {
        std::fs::OpenOptions::new().create(true).append(true).open(path).expect("open the progress file")
    });
    let mut note = |line: String| {
        if let Some(file) = progress.as_mut() {
            file.write_all(line.as_bytes()).expect("write progress");
        }
    };
    let entry = store.model().entity("Entry").expect("Entry").index();
    for s in 0..saves {
        let inserted = (0..rows)
            .map(|n| InsertedRow {
                id: ObjectId::new_temporary(entry),
                values: vec![Value::Int64(first_tag + s), Value::Int64(n), Value::from("x".repeat(60))],
                to_one: vec![],
            })
            .collect();
        note(format!("begin {}\n", first_tag + s));
        store
            .save(&SaveRequest { inserted, ..Default::default() })
            .expect("a save never surfaces a lock error");
        note(format!("end {}\n", first_tag + s));
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }
}

/// The child's side: does what the environment says. Run directly (`--ignored`) it has no
/// instructions and does nothing.
#[test]
#[ignore = "the child process of the multi-process tests; they run it themselves"]
fn child_process() {
    let Ok(path) = std::env::var(STORE) else {
        eprintln!(
            "child_process: no {STORE} given; this test only runs as a child of the multi-process tests"
        );
        return;
    };
    let number = |name: &str| -> i64 {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} is not a number"))
    };
    let store =
        SqliteStore::open(&path, model(LOG), SqliteOptions::default()).expect("the child opens the store");
    let pause = Duration::from_millis(u64::try_from(number(PAUSE_MS)).unwrap_or(0));
    let progress = std::env::var_os(PROGRESS).map(std::path::PathBuf::from);
    save_batches(&store, number(FIRST_TAG), number(SAVES), number(ROWS), pause, progress.as_deref());
}

fn spawn_child(path: &Path, first_tag: i64, saves: i64, rows: i64, pause_ms: u64) -> Child {
    let exe = std::env::current_exe().expect("the test binary");
    Command::new(exe)
        .args([
            "--exact",
            "multiprocess::child_process",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
            "-q",
        ])
        .env(STORE, path)
        .env(FIRST_TAG, first_tag.to_string())
        .env(SAVES, saves.to_string())
        .env(ROWS, rows.to_string())
        .env(PAUSE_MS, pause_ms.to_string())
        .env(PROGRESS, progress_file(path))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the child")
}

fn child_stderr(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut text);
    }
    text
}

/// Where the child working on `store` writes its progress.
fn progress_file(store: &Path) -> std::path::PathBuf {
    store.with_extension("progress")
}

/// The tag of the save the child was in when it stopped, if its last `begin` has no `end`
/// (killed inside the save, or between its commit and the `end` line). Read once the child
/// has exited; consumes the file.
fn interrupted_save(store: &Path) -> Option<i64> {
    let file = progress_file(store);
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let _ = std::fs::remove_file(&file);
    let last = text.lines().next_back()?;
    last.strip_prefix("begin ")?.trim().parse().ok()
}

/// Entries with a tag in `[low, high)`.
fn count_tags(store: &SqliteStore, low: i64, high: i64) -> u64 {
    let entry = store.model().entity("Entry").expect("Entry").index();
    let predicate = Predicate::parse_with("tag >= %d AND tag < %d", &[low.into(), high.into()])
        .expect("parses")
        .check(store.model(), entry)
        .expect("checks");
    let request = strata_core::store::StoreFetchRequest {
        entity: entry,
        include_subentities: true,
        predicate: Some(predicate),
        sort: vec![],
        offset: 0,
        limit: None,
        result: StoreResultType::Count,
    };
    match store.fetch(&request).expect("a read never surfaces a lock error") {
        StoreFetchResult::Count(n) => n,
        other => panic!("asked for a count, got {other:?}"),
    }
}

const CHILD_TAGS: i64 = 1_000_000;

#[test]
fn a_child_saves_while_this_process_reads_and_saves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("shared.sqlite");
    let store = SqliteStore::create(&path, model(LOG), SqliteOptions::default()).expect("create");
    let (child_saves, rows) = (60, 50);
    let mut child = spawn_child(&path, CHILD_TAGS, child_saves, rows as i64, 1);
    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut seen, mut own_saves) = (Vec::new(), 0);
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll the child") {
            break status;
        }
        assert!(Instant::now() < deadline, "the child did not finish within 30 s");
        seen.push(count_tags(&store, CHILD_TAGS, 2 * CHILD_TAGS));
        if seen.len().is_multiple_of(8) && own_saves < 100 {
            save_batches(&store, own_saves, 1, rows as i64, Duration::ZERO, None);
            own_saves += 1;
        }
    };
    assert!(status.success(), "the child failed: {}", child_stderr(&mut child));
    let total = child_saves as u64 * rows;
    assert_eq!(count_tags(&store, CHILD_TAGS, 2 * CHILD_TAGS), total, "every child save arrived");
    assert_eq!(count_tags(&store, 0, CHILD_TAGS), own_saves as u64 * rows, "every own save arrived");
    assert!(seen.iter().all(|n| n.is_multiple_of(rows)), "reads see whole saves of the other process");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "reads never go back in time");
    assert!(seen.iter().any(|&n| n > 0 && n < total), "the processes overlapped: {seen:?}");
    assert!(own_saves > 0, "this process saved while the child did");
}

#[cfg(unix)]
#[test]
fn killed_children_leave_a_whole_store() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("crash.sqlite");
    let store = SqliteStore::create(&path, model(LOG), SqliteOptions::default()).expect("create");
    let rows = 200;
    let mut interrupted = 0;
    for round in 0..6_i64 {
        let first_tag = (round + 1) * CHILD_TAGS;
        let mut child = spawn_child(&path, first_tag, 100_000, rows, 0);
        // Let it get going, then kill it at a varying moment of its save loop.
        let deadline = Instant::now() + Duration::from_secs(15);
        while count_tags(&store, first_tag, first_tag + CHILD_TAGS) < 3 * rows as u64 {
            if let Some(status) = child.try_wait().expect("poll the child") {
                panic!("the child stopped early ({status}): {}", child_stderr(&mut child));
            }
            assert!(Instant::now() < deadline, "the child made no progress within 15 s");
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(3 + 5 * round as u64));
        child.kill().expect("SIGKILL the child");
        let status = wait_bounded(&mut child, Duration::from_secs(10));
        assert_eq!(status.signal(), Some(9), "the child was killed mid-loop, not finished");

        let check = rusqlite::Connection::open(&path).expect("inspect the file");
        let integrity: String =
            check.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("integrity check");
        assert_eq!(integrity, "ok", "round {round}");
        let partial: Vec<(i64, i64)> = check
            .prepare("SELECT tag, count(*) FROM Entry GROUP BY tag HAVING count(*) <> ?1")
            .expect("prepare")
            .query_map([rows], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert!(partial.is_empty(), "round {round}: saves stored partly: {partial:?}");
        let stored = count_tags(&store, first_tag, first_tag + CHILD_TAGS);
        assert!(
            stored >= 3 * rows as u64 && stored.is_multiple_of(rows as u64),
            "round {round}: {stored} rows"
        );
        // A kill between the commit and the `end` line leaves a whole save; one before the
        // commit leaves none of it (the check above says it is one or the other).
        if let Some(tag) = interrupted_save(&path)
            && count_tags(&store, tag, tag + 1) == 0
        {
            interrupted += 1;
        }
    }
    // Saves are most of the child's loop; a run where no kill landed inside one before its
    // commit would not have tested what it claims.
    assert!(interrupted > 0, "no kill landed inside a save");
    // The dead writers' locks are gone: this process saves and a fresh store opens.
    save_batches(&store, 0, 1, rows, Duration::ZERO, None);
    drop(store);
    let reopened = SqliteStore::open(&path, model(LOG), SqliteOptions::default()).expect("reopen");
    assert_eq!(count_tags(&reopened, 0, 1), rows as u64);
}
