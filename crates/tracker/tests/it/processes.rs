//! Real processes in one app group: three actors on one SQLite store — this process ("app")
//! and two children ("ext", "widget", this test binary re-run on the ignored test
//! [`child`] with instructions in environment variables) — every one with a running
//! tracker that merges into a context and cleans every second notification. "ext" is
//! killed with SIGKILL mid-stream and restarted; "widget" starts late. In the end every
//! actor has merged every object it did not write exactly once, no registered actor met an
//! expired history, and once all caught up the history is cleaned away. Also: shared
//! defaults updated from two processes at once lose nothing.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use strata_core::store::{ChangeKind, HistoryRequest, HistoryTransaction};
use strata_core::{Context, FetchRequest, Store};
use strata_tracker::{
    AppGroup, CleanStrategy, GroupOptions, HistoryTracker, HookAction, TargetError, TargetMessage,
    TrackerEvent,
};

use crate::support::{Group, Member};

const ROLE: &str = "STRATA_TRACKER_CHILD_ROLE";
const GROUP: &str = "STRATA_TRACKER_CHILD_GROUP";
const ACTOR: &str = "STRATA_TRACKER_CHILD_ACTOR";
const PREFIX: &str = "STRATA_TRACKER_CHILD_PREFIX";
const SAVES: &str = "STRATA_TRACKER_CHILD_SAVES";
const LOG: &str = "STRATA_TRACKER_CHILD_LOG";
const EXPECT: &str = "STRATA_TRACKER_CHILD_EXPECT";
/// Optional: wait until this tag is merged (instead of every other member's clip).
const UNTIL_TAG: &str = "STRATA_TRACKER_CHILD_UNTIL_TAG";
/// Optional: the silent-actor cap in milliseconds.
const CAP_MS: &str = "STRATA_TRACKER_CHILD_CAP_MS";
/// Optional: "1" if the history must have expired (and been recovered) on the way.
const EXPECT_EXPIRED: &str = "STRATA_TRACKER_CHILD_EXPECT_EXPIRED";
/// Optional: the group's actors, comma-separated (default [`ACTORS`]).
const ACTORS_VAR: &str = "STRATA_TRACKER_CHILD_ACTORS";
const ACTORS: [&str; 3] = ["app", "ext", "widget"];
const LIMIT: Duration = Duration::from_secs(30);

/// The child's side. Run directly (`--ignored`) it has no instructions and does nothing.
#[test]
#[ignore = "the child process of the tracker process tests; they run it themselves"]
fn child() {
    let Ok(role) = std::env::var(ROLE) else {
        eprintln!("child: no {ROLE} given; this test only runs as a child of the process tests");
        return;
    };
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is given"));
    let group = AppGroup::open(var(GROUP), GroupOptions::default()).expect("open the group");
    match role.as_str() {
        "defaults" => {
            for _ in 0..40 {
                increment(&group);
            }
        }
        "member" => {
            let saves: usize = var(SAVES).parse().expect("a number");
            member(&group, &var(ACTOR), &var(PREFIX), saves, Path::new(&var(LOG)), Path::new(&var(EXPECT)));
        }
        other => panic!("unknown role {other}"),
    }
}

fn increment(group: &AppGroup) {
    group
        .defaults()
        .update("counter", |v| Some((v.and_then(|v| v.as_i64()).unwrap_or(0) + 1).into()))
        .expect("update");
}

/// The merged-tag lines of a log: (sequence, tag).
fn merged_lines(log: &Path) -> Vec<(u64, String)> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ' ');
            (parts.next() == Some("merged")).then_some(())?;
            Some((parts.next()?.parse().ok()?, parts.next()?.to_owned()))
        })
        .collect()
}

/// A merge target keeping `context` current and reporting the tag of every inserted clip
/// to `record` (with its transaction's sequence); a refresh-all re-reads every object and
/// is reported as `None`.
fn context_target(
    mut context: Context,
    mut record: impl FnMut(Option<(u64, String)>) -> std::io::Result<()> + Send + 'static,
) -> impl FnMut(TargetMessage<'_>) -> Result<(), TargetError> + Send + 'static {
    move |message| {
        match message {
            TargetMessage::Merge(batch) => {
                context.merge_changes(batch.request.clone())?;
                for transaction in &batch.transactions {
                    for change in transaction.changes.iter().filter(|c| c.kind == ChangeKind::Insert) {
                        let tag: String = context.get(change.id, "tag")?;
                        record(Some((transaction.token.sequence, tag)))
                            .map_err(|e| TargetError::Other(e.into()))?;
                    }
                }
            }
            TargetMessage::RefreshAll => {
                context.refresh_all_objects()?;
                record(None).map_err(|e| TargetError::Other(e.into()))?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// A member process: tracks, saves `saves` clips tagged `<prefix><n>`, then waits until
/// it has merged every clip it did not write (the total comes in the `expect` file), or
/// the clip tagged `UNTIL_TAG` if given.
fn member(group: &AppGroup, actor: &str, prefix: &str, saves: usize, log: &Path, expect: &Path) {
    let until = std::env::var(UNTIL_TAG).ok();
    let cap = std::env::var(CAP_MS).ok().and_then(|v| v.parse().ok()).map(Duration::from_millis);
    let expect_expired = std::env::var(EXPECT_EXPIRED).is_ok_and(|v| v == "1");
    let actors: Vec<String> = match std::env::var(ACTORS_VAR) {
        Ok(list) => list.split(',').map(str::to_owned).collect(),
        Err(_) => ACTORS.map(str::to_owned).to_vec(),
    };
    let store = Member::open(group);
    // Transactions a previous life of this actor logged are not merged again.
    let logged = merged_lines(log).iter().map(|(s, _)| *s).max().unwrap_or(0);
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("open the log");
    let expired = Arc::new(AtomicBool::new(false));
    let tracker = HistoryTracker::builder(group, store.coordinator.clone(), store.store, actor)
        .actors(actors)
        .hook(
            move |t: &mut HistoryTransaction| {
                if t.token.sequence <= logged { HookAction::Drop } else { HookAction::Keep }
            },
        )
        .merge_with(context_target(Context::new(store.coordinator.clone()), move |line| {
            // One unbuffered write per line: a killed process has written every whole line.
            let line = match line {
                Some((sequence, tag)) => format!("merged {sequence} {tag}\n"),
                None => "refresh-all\n".to_owned(),
            };
            file.write_all(line.as_bytes())
        }))
        .silent_actor_cap(cap.unwrap_or(strata_tracker::DEFAULT_SILENT_ACTOR_CAP))
        .on_event({
            let expired = expired.clone();
            move |event| {
                if matches!(event, TrackerEvent::Expired { .. }) {
                    expired.store(true, Ordering::SeqCst);
                }
            }
        })
        .clean_strategy(CleanStrategy::EveryNotifications(2))
        .poll_interval(Some(Duration::from_millis(100)))
        .start()
        .expect("start the tracker");
    for n in 0..saves {
        store.save_clips(actor, "viewContext", &[&format!("{prefix}{n}")]);
        std::thread::sleep(Duration::from_millis(15));
    }
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(tag) = &until {
            if merged_lines(log).iter().any(|(_, t)| t == tag) {
                break;
            }
            assert!(Instant::now() < deadline, "{actor} did not merge {tag} in time");
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        assert!(!expired.load(Ordering::SeqCst), "{actor} met an expired history");
        let total: Option<usize> = std::fs::read_to_string(expect).ok().and_then(|t| t.trim().parse().ok());
        if let Some(total) = total {
            let own = count(&store, &format!("{actor}-"));
            if merged_lines(log).len() >= total - own {
                break;
            }
        }
        assert!(Instant::now() < deadline, "{actor} did not merge everything in time");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        expired.load(Ordering::SeqCst),
        expect_expired,
        "{actor}: expired history met or not as expected"
    );
    // A last pass moves the bookmark past this actor's own latest saves.
    tracker.process_now().expect("a last pass");
    tracker.stop().expect("stop the tracker");
}

/// How many clips have a tag starting with `prefix`.
fn count(member: &Member, prefix: &str) -> usize {
    let mut context = Context::new(member.coordinator.clone());
    let request =
        FetchRequest::new("Clip").filter(&format!("tag BEGINSWITH \"{prefix}\""), &[]).expect("a predicate");
    usize::try_from(context.count(&request).expect("count")).expect("fits")
}

fn spawn(
    group: &Path,
    role: &str,
    actor: &str,
    prefix: &str,
    saves: usize,
    log: &Path,
    expect: &Path,
) -> Child {
    command(group, role, actor, prefix, saves, log, expect).spawn().expect("spawn the child")
}

/// The command running the child with these instructions (more may be added).
fn command(
    group: &Path,
    role: &str,
    actor: &str,
    prefix: &str,
    saves: usize,
    log: &Path,
    expect: &Path,
) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command
        .args(["--exact", "processes::child", "--ignored", "--nocapture", "--test-threads=1", "-q"])
        .env(ROLE, role)
        .env(GROUP, group)
        .env(ACTOR, actor)
        .env(PREFIX, prefix)
        .env(SAVES, saves.to_string())
        .env(LOG, log)
        .env(EXPECT, expect)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Waits for `child` at most `LIMIT`; fails the test with its stderr unless it succeeded.
fn finish(mut child: Child, what: &str) {
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll the child") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
    }
    assert!(status.success(), "{what} failed: {stderr}");
}

fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Every tag of a merged list is distinct and the list is exactly `expected`.
fn assert_exactly_once(who: &str, merged: &[String], expected: &BTreeSet<String>) {
    let distinct: BTreeSet<String> = merged.iter().cloned().collect();
    assert_eq!(distinct.len(), merged.len(), "{who} merged an object twice: {merged:?}");
    assert_eq!(&distinct, expected, "{who} did not merge exactly the others' objects");
}

#[test]
fn three_actors_one_late_one_killed_merge_everything_exactly_once() {
    let group = Group::new();
    let path: PathBuf = group.group.path().to_path_buf();
    let logs = path.parent().expect("a parent");
    let (ext_log, widget_log, expect) = (logs.join("ext.log"), logs.join("widget.log"), logs.join("expect"));
    let app = Member::open(&group.group);
    let merged = Arc::new(Mutex::new(Vec::<String>::new()));
    let (events, received) = channel();
    let tracker = HistoryTracker::builder(&group.group, app.coordinator.clone(), app.store, "app")
        .actors(ACTORS)
        .batch_contexts(["batchContext"])
        .merge_with(context_target(Context::new(app.coordinator.clone()), {
            let merged = merged.clone();
            move |line| {
                if let Some((_, tag)) = line {
                    merged.lock().expect("not poisoned").push(tag);
                }
                Ok(())
            }
        }))
        .send_events_to(events)
        .clean_strategy(CleanStrategy::EveryNotifications(2))
        .poll_interval(Some(Duration::from_millis(100)))
        .start()
        .expect("start the app's tracker");

    let ext = spawn(&path, "member", "ext", "ext-a", 1000, &ext_log, &expect);
    for n in 0..4 {
        app.save_clips("app", "viewContext", &[&format!("app-view{n}")]);
        app.save_clips("app", "batchContext", &[&format!("app-batch{n}")]);
        std::thread::sleep(Duration::from_millis(20));
    }
    tracker.wake();
    // Kill "ext" in the middle of its stream, once it has saved and merged some.
    wait_for("ext to save and merge", || count(&app, "ext-a") >= 5 && merged_lines(&ext_log).len() >= 2);
    let mut ext = ext;
    ext.kill().expect("SIGKILL ext");
    let _ = ext.wait();
    let widget = spawn(&path, "member", "widget", "widget-", 8, &widget_log, &expect);
    let ext = spawn(&path, "member", "ext", "ext-b", 8, &ext_log, &expect);
    wait_for("the late saves", || count(&app, "widget-") == 8 && count(&app, "ext-b") == 8);
    let all: BTreeSet<String> = app.tags().into_iter().collect();
    std::fs::write(&expect, all.len().to_string()).expect("write the total");
    finish(widget, "widget");
    finish(ext, "ext");

    // This process merged the others' clips and its own batch clips, each once.
    let expected_app: BTreeSet<String> = all.iter().filter(|t| !t.starts_with("app-view")).cloned().collect();
    wait_for("the app to merge everything", || {
        merged.lock().expect("not poisoned").len() >= expected_app.len()
    });
    tracker.process_now().expect("a last pass");
    assert_exactly_once("app", &merged.lock().expect("not poisoned"), &expected_app);
    for (who, log) in [("ext", &ext_log), ("widget", &widget_log)] {
        let tags: Vec<String> = merged_lines(log).into_iter().map(|(_, t)| t).collect();
        let expected = all.iter().filter(|t| !t.starts_with(&format!("{who}-"))).cloned().collect();
        assert_exactly_once(who, &tags, &expected);
    }
    let events: Vec<TrackerEvent> = received.try_iter().collect();
    assert!(
        !events.iter().any(|e| matches!(e, TrackerEvent::Expired { .. })),
        "the app met an expired history"
    );
    // Everyone has caught up: the members' history can all go.
    tracker.clean_now().expect("clean");
    let kept = app.sqlite.history(&HistoryRequest::all()).expect("history");
    assert!(kept.is_empty(), "{} transactions kept", kept.len());
    tracker.stop().expect("stop");
}

#[test]
fn shared_defaults_updated_from_two_processes_lose_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("group");
    let group = AppGroup::open(&path, GroupOptions::default()).expect("open the group");
    let none = Path::new("");
    let children: Vec<Child> = (0..2).map(|_| spawn(&path, "defaults", "", "", 0, none, none)).collect();
    for _ in 0..40 {
        increment(&group);
    }
    for child in children {
        finish(child, "a defaults child");
    }
    assert_eq!(group.defaults().get_as::<i64>("counter").expect("read"), Some(120));
}

#[test]
fn a_silent_process_stops_holding_history_back_and_recovers_when_it_returns() {
    let group = Group::new();
    let path: PathBuf = group.group.path().to_path_buf();
    let logs = path.parent().expect("a parent");
    let (log, expect) = (logs.join("widget.log"), logs.join("expect"));
    let cap = Duration::from_millis(800);
    let app = Member::open(&group.group);
    let tracker = HistoryTracker::builder(&group.group, app.coordinator.clone(), app.store, "app")
        .actors(["app", "widget"])
        .silent_actor_cap(cap)
        .run_worker(false)
        .start()
        .expect("start the app's tracker");
    let widget = |until: &str, expired: bool| {
        command(&path, "member", "widget", "widget-", 0, &log, &expect)
            .env(UNTIL_TAG, until)
            .env(CAP_MS, cap.as_millis().to_string())
            .env(ACTORS_VAR, "app,widget")
            .env(EXPECT_EXPIRED, if expired { "1" } else { "0" })
            .spawn()
            .expect("spawn the widget")
    };
    app.save_clips("app", "viewContext", &["first"]);
    finish(widget("first", false), "the widget's first run");
    // The widget falls silent; the app goes on, and within the cap the widget holds the
    // history back.
    app.save_clips("app", "viewContext", &["gap1"]);
    app.save_clips("app", "viewContext", &["gap2"]);
    tracker.process_now().expect("pass");
    let report = tracker.clean_now().expect("clean");
    assert_eq!((report.deleted, report.silent.len()), (1, 0), "only what the widget merged: {report:?}");
    std::thread::sleep(cap + Duration::from_millis(100));
    let report = tracker.clean_now().expect("clean");
    assert_eq!(report.silent, vec!["widget".to_owned()]);
    assert_eq!(report.deleted, 2, "the silent widget no longer holds the gap back");
    // Back, the widget meets the expired history, refreshes everything and carries on.
    let back = widget("last", true);
    wait_for("the widget's recovery", || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.contains("refresh-all"))
    });
    app.save_clips("app", "viewContext", &["last"]);
    finish(back, "the widget's second run");
    let text = std::fs::read_to_string(&log).expect("the widget's log");
    let lines: Vec<&str> = text.lines().map(|l| l.rsplit(' ').next().unwrap_or(l)).collect();
    assert_eq!(lines, ["first", "refresh-all", "last"], "{text}");
}
