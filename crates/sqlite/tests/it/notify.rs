//! Remote-change notifications across store instances and processes: a child's saves
//! reach this process's subscriber with the final token, four concurrent writer processes
//! reach every watcher (in this process and in a watcher child), wake-ups coalesce, a raw
//! SQLite write is noticed by the fallback check, an idle subscriber costs no CPU, an
//! instance's own saves are not announced to itself, and dropping a subscription ends its
//! thread and the deliveries.
//!
//! Children are this test binary re-run on the ignored test [`notify_child`], told what to
//! do by environment variables. Every wait is bounded.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use strata_core::store::{InsertedRow, RemoteChange, RemoteChangeHandler, SaveRequest};
use strata_core::{Coordinator, ObjectId, Store};
use strata_model::Value;
use strata_sqlite::{SqliteOptions, SqliteStore};

use crate::support::{LOG, finish, model};

const STORE: &str = "STRATA_NOTIFY_CHILD_STORE";
const MODE: &str = "STRATA_NOTIFY_CHILD_MODE";
const COUNT: &str = "STRATA_NOTIFY_CHILD_COUNT";

/// How long any single wait for a delivery may take (generous: CI machines are slow).
const PATIENCE: Duration = Duration::from_secs(10);

fn create(dir: &Path) -> (PathBuf, SqliteStore) {
    let path = dir.join("notify.sqlite");
    let store = SqliteStore::create(&path, model(LOG), SqliteOptions::default()).expect("create");
    (path, store)
}

fn open(path: &Path) -> SqliteStore {
    SqliteStore::open_existing(path, SqliteOptions::default()).expect("open")
}

/// One save of one row.
fn save_one(store: &SqliteStore, n: i64) {
    let entry = store.model().entity("Entry").expect("Entry").index();
    let row = InsertedRow {
        id: ObjectId::new_temporary(entry),
        values: vec![Value::Int64(n), Value::Int64(n), Value::from("note")],
        to_one: vec![],
    };
    store.save(&SaveRequest { inserted: vec![row], ..Default::default() }).expect("save");
}

/// The commit counter in the store's `-notify` sidecar (the token sequence with history off).
fn sidecar_counter(path: &Path) -> u64 {
    let mut name = path.as_os_str().to_owned();
    name.push("-notify");
    let bytes = std::fs::read(PathBuf::from(name)).unwrap_or_default();
    bytes.get(..8).map_or(0, |b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
}

/// A handler sending every change into a channel.
fn channel_handler() -> (RemoteChangeHandler, Receiver<RemoteChange>) {
    let (sender, receiver) = mpsc::channel();
    let handler: RemoteChangeHandler = Arc::new(move |change| {
        let _ = sender.send(change);
    });
    (handler, receiver)
}

/// Receives until a change with sequence `target` arrives (returning every change seen);
/// fails the test after [`PATIENCE`].
fn until_sequence(receiver: &Receiver<RemoteChange>, target: u64) -> Vec<RemoteChange> {
    let deadline = Instant::now() + PATIENCE;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(left) {
            Ok(change) => {
                seen.push(change);
                if change.token.sequence >= target {
                    return seen;
                }
            }
            Err(_) => panic!("no change with sequence {target} within {PATIENCE:?}; saw {seen:?}"),
        }
    }
}

fn assert_increasing(seen: &[RemoteChange]) {
    for pair in seen.windows(2) {
        assert!(pair[0].token < pair[1].token, "tokens must increase: {seen:?}");
    }
}

fn spawn_child(path: &Path, mode: &str, count: u64) -> Child {
    let exe = std::env::current_exe().expect("the test binary");
    Command::new(exe)
        .args(["--exact", "notify::notify_child", "--ignored", "--nocapture", "--test-threads=1", "-q"])
        .env(STORE, path)
        .env(MODE, mode)
        .env(COUNT, count.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the child")
}

/// Process CPU time (user + system) in clock ticks, from `/proc/self/stat`.
#[cfg(target_os = "linux")]
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("read /proc/self/stat");
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

/// The child's side. Modes: `save` (COUNT saves), `watch` (waits for sequence COUNT, then
/// prints `saw <sequence>`), `idle` (subscribes, idles a second, prints `ticks <n>`).
#[test]
#[ignore = "the child process of the notification tests; they run it themselves"]
fn notify_child() {
    let Ok(path) = std::env::var(STORE) else {
        eprintln!("notify_child: no {STORE} given; this test only runs as a child of the notification tests");
        return;
    };
    let count: u64 = std::env::var(COUNT).ok().and_then(|v| v.parse().ok()).expect("COUNT");
    let store = open(Path::new(&path));
    match std::env::var(MODE).as_deref() {
        Ok("save") => (0..count).for_each(|n| save_one(&store, n as i64)),
        Ok("watch") => {
            let (handler, receiver) = channel_handler();
            let _subscription = store.subscribe_remote_changes(handler).expect("subscribe");
            println!("subscribed");
            let seen = until_sequence(&receiver, count);
            println!("saw {}", seen.last().map_or(0, |c| c.token.sequence));
        }
        #[cfg(target_os = "linux")]
        Ok("idle") => {
            let (handler, _receiver) = channel_handler();
            let _subscription = store.subscribe_remote_changes(handler).expect("subscribe");
            std::thread::sleep(Duration::from_millis(200));
            let before = cpu_ticks();
            std::thread::sleep(Duration::from_millis(1_200));
            println!("ticks {}", cpu_ticks() - before);
        }
        other => panic!("unknown mode {other:?}"),
    }
}

#[test]
fn a_childs_saves_reach_this_process_with_the_final_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, store) = create(dir.path());
    let (handler, receiver) = channel_handler();
    let _subscription = store.subscribe_remote_changes(handler).expect("subscribe");
    let saves = 20;
    finish(spawn_child(&path, "save", saves), Duration::from_secs(60));
    assert_eq!(sidecar_counter(&path), saves);
    let seen = until_sequence(&receiver, saves);
    assert_increasing(&seen);
    let uuid = store.metadata().uuid;
    assert!(seen.iter().all(|c| c.store == uuid && c.token.store == uuid), "{seen:?}");
    assert_eq!(seen.last().map(|c| c.token.sequence), Some(saves));
}

#[test]
fn four_writer_processes_reach_every_watcher() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, store) = create(dir.path());
    let (handler, direct) = channel_handler();
    let _subscription = store.subscribe_remote_changes(handler).expect("subscribe");
    // A second instance behind a coordinator, through the channel adapter.
    let other: Arc<dyn Store> = Arc::new(open(&path));
    let coordinator = Coordinator::new(other.model().clone());
    coordinator.add_store("Default", other).expect("add store");
    let changes = coordinator.subscribe_remote_changes().expect("subscribe the coordinator");
    let (writers, saves) = (4, 25);
    let total = writers * saves;
    let mut watcher = spawn_child(&path, "watch", total);
    // The test harness prints its own lines first: read up to the child's "subscribed".
    let mut watcher_out = BufReader::new(watcher.stdout.take().expect("piped"));
    let mut line = String::new();
    while line.trim() != "subscribed" {
        line.clear();
        let read = watcher_out.read_line(&mut line).expect("read the watcher child");
        assert!(read > 0, "the watcher child ended before subscribing");
    }
    let children: Vec<Child> = (0..writers).map(|_| spawn_child(&path, "save", saves)).collect();
    for child in children {
        finish(child, Duration::from_secs(60));
    }
    assert_eq!(sidecar_counter(&path), total);
    assert_increasing(&until_sequence(&direct, total));
    assert_increasing(&until_sequence(changes.receiver(), total));
    finish(watcher, PATIENCE + Duration::from_secs(5));
    let mut out = String::new();
    watcher_out.read_to_string(&mut out).expect("read the watcher child");
    assert!(out.contains(&format!("saw {total}")), "the watcher child printed {out:?}");
}

#[test]
fn wake_ups_coalesce_but_the_latest_token_arrives() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, writer) = create(dir.path());
    let reader = open(&path);
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    // A slow handler: saves made while it runs are reported by one later call.
    let handler: RemoteChangeHandler = Arc::new(move |change: RemoteChange| {
        seen.lock().expect("lock").push(change.token.sequence);
        std::thread::sleep(Duration::from_millis(100));
    });
    let _subscription = reader.subscribe_remote_changes(handler).expect("subscribe");
    let saves = 30;
    (0..saves).for_each(|n| save_one(&writer, n as i64));
    let deadline = Instant::now() + PATIENCE;
    while calls.lock().expect("lock").last() != Some(&saves) {
        assert!(
            Instant::now() < deadline,
            "the final token never arrived: {:?}",
            calls.lock().expect("lock")
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let calls = calls.lock().expect("lock").clone();
    assert!(calls.len() < saves as usize, "{} saves must coalesce into fewer calls: {calls:?}", saves);
    assert!(calls.windows(2).all(|w| w[0] < w[1]), "{calls:?}");
}

#[test]
fn a_raw_sqlite_write_is_noticed_by_the_fallback() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, store) = create(dir.path());
    save_one(&store, 1);
    let watcher = open(&path);
    let (handler, receiver) = channel_handler();
    let _subscription = watcher.subscribe_remote_changes(handler).expect("subscribe");
    let raw = rusqlite::Connection::open(&path).expect("raw connection");
    raw.execute_batch("CREATE TABLE foreign_note (x); INSERT INTO foreign_note VALUES (1);")
        .expect("raw write");
    // Nothing bumped the counter: the watcher's fallback tick (1 s) must notice and bump it.
    let seen = until_sequence(&receiver, 2);
    assert_eq!(seen.last().map(|c| c.token.sequence), Some(2));
}

#[cfg(target_os = "linux")]
#[test]
fn an_idle_subscriber_uses_almost_no_cpu() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, _store) = create(dir.path());
    let out = finish(spawn_child(&path, "idle", 0), Duration::from_secs(30));
    let ticks: u64 = out
        .lines()
        .find_map(|line| line.strip_prefix("ticks "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("the idle child printed {out:?}"));
    // Clock ticks are 10 ms: a polling loop would burn the whole 1.2 s (120 ticks); one
    // fallback check a second costs well under one tick.
    assert!(ticks <= 5, "an idle subscriber used {ticks} ticks of CPU in 1.2 s");
}

#[test]
fn own_saves_are_not_announced_to_the_same_instance() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, store) = create(dir.path());
    let (handler, receiver) = channel_handler();
    let _subscription = store.subscribe_remote_changes(handler).expect("subscribe");
    save_one(&store, 1);
    save_one(&store, 2);
    assert!(receiver.recv_timeout(Duration::from_millis(300)).is_err(), "own saves were announced");
    // Another instance's save is announced, with the counter of all three.
    save_one(&open(&path), 3);
    assert_eq!(until_sequence(&receiver, 3).last().map(|c| c.token.sequence), Some(3));
}

#[test]
fn dropping_the_subscription_ends_its_thread_and_the_deliveries() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, writer) = create(dir.path());
    let reader = open(&path);
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let handler: RemoteChangeHandler = Arc::new(move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
    });
    let subscription = reader.subscribe_remote_changes(handler.clone()).expect("subscribe");
    save_one(&writer, 1);
    let deadline = Instant::now() + PATIENCE;
    while calls.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "no delivery before the drop");
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    drop(subscription);
    assert!(started.elapsed() < Duration::from_secs(1), "the drop took {:?}", started.elapsed());
    // The watcher thread has ended: it no longer holds its clone of the handler.
    assert_eq!(Arc::strong_count(&handler), 1, "the watcher thread outlived its subscription");
    let before = calls.load(Ordering::SeqCst);
    save_one(&writer, 2);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(calls.load(Ordering::SeqCst), before, "a change was delivered after the drop");
}

#[test]
fn a_coordinator_without_a_notifying_store_says_so() {
    let model = model(LOG);
    let coordinator = Coordinator::new(model.clone());
    let memory: Arc<dyn Store> = Arc::new(strata_core::memory_store::MemoryStore::new(model));
    coordinator.add_store("Default", memory).expect("add store");
    let error = coordinator.subscribe_remote_changes().expect_err("a memory store cannot notify");
    assert!(error.to_string().contains("remote-change"), "{error}");
}

#[test]
fn with_history_on_the_token_is_the_history_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("history.sqlite");
    let options = SqliteOptions::default().with_history(true);
    let store = SqliteStore::create(&path, model(LOG), options).expect("create");
    let (handler, receiver) = channel_handler();
    let _subscription = store.subscribe_remote_changes(handler).expect("subscribe");
    finish(spawn_child(&path, "save", 5), Duration::from_secs(60));
    let latest = store.current_history_token().expect("history is on");
    let deadline = Instant::now() + PATIENCE;
    let mut seen = Vec::new();
    while seen.last().map(|c: &RemoteChange| c.token) != Some(latest) {
        let left = deadline.saturating_duration_since(Instant::now());
        let change =
            receiver.recv_timeout(left).unwrap_or_else(|_| panic!("{latest:?} never came: {seen:?}"));
        seen.push(change);
    }
    assert_increasing(&seen);
}
