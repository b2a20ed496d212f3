//! The cleaner's rules, each on its own: it deletes only up to the oldest bookmark of the
//! registered actors, only group members' transactions, nothing while a registered actor
//! has never merged, never anything a registered actor still needs (no actor meets an
//! expired history) — except that an actor silent for longer than the cap no longer holds
//! the history back (and recovers through the expiry path when it returns).

use std::time::Duration;

use strata_core::Store;
use strata_core::store::HistoryRequest;
use strata_tracker::{CleanStrategy, HistoryTracker};

use crate::support::{Group, Member, Recorder};

fn tracker(group: &Group, member: &Member, actor: &str, cap: Duration) -> (HistoryTracker, Recorder) {
    let recorder = Recorder::default();
    let tracker = HistoryTracker::builder(&group.group, member.coordinator.clone(), member.store, actor)
        .actors(["app", "ext", "widget"])
        .silent_actor_cap(cap)
        .merge_with(recorder.target())
        .run_worker(false)
        .start()
        .expect("start");
    (tracker, recorder)
}

/// The sequences of the transactions the store still keeps.
fn kept(member: &Member) -> Vec<u64> {
    member.sqlite.history(&HistoryRequest::all()).unwrap().iter().map(|t| t.token.sequence).collect()
}

const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);

#[test]
fn nothing_is_deleted_while_a_registered_actor_has_never_merged() {
    let group = Group::new();
    let (a, e) = (group.member(), group.member());
    let (app, _) = tracker(&group, &a, "app", WEEK);
    let (ext, _) = tracker(&group, &e, "ext", WEEK);
    e.save_clips("ext", "v", &["1"]);
    e.save_clips("ext", "v", &["2"]);
    app.process_now().unwrap();
    ext.process_now().unwrap();
    let report = app.clean_now().unwrap();
    assert_eq!(report.deleted, 0);
    assert_eq!(report.through, None);
    assert_eq!(report.waiting_for, vec!["widget".to_owned()]);
    assert_eq!(kept(&a).len(), 2);
}

#[test]
fn deletes_only_up_to_the_oldest_bookmark_and_no_actor_expires() {
    let group = Group::new();
    let (a, e, w) = (group.member(), group.member(), group.member());
    let (app, _) = tracker(&group, &a, "app", WEEK);
    let (ext, _) = tracker(&group, &e, "ext", WEEK);
    let (widget, widget_seen) = tracker(&group, &w, "widget", WEEK);
    e.save_clips("ext", "v", &["1"]);
    e.save_clips("ext", "v", &["2"]);
    widget.process_now().unwrap();
    let widget_mark = widget.bookmark().unwrap();
    let late = e.save_clips("ext", "v", &["3"]);
    a.save_clips("app", "v", &["4"]);
    app.process_now().unwrap();
    ext.process_now().unwrap();
    let report = app.clean_now().unwrap();
    assert_eq!(report.through, Some(widget_mark));
    assert_eq!(report.deleted, 2);
    assert_eq!(kept(&a), vec![3, 4]);
    // The actor holding the history back reads on without expiry.
    let after = widget.process_now().unwrap();
    assert!(!after.expired);
    assert!(widget_seen.inserted().contains(&late[0]));
    // Now everyone is at the end: everything goes.
    assert_eq!(ext.clean_now().unwrap().deleted, 2);
    assert!(kept(&a).is_empty());
    for tracker in [&app, &ext, &widget] {
        assert!(!tracker.process_now().unwrap().expired);
    }
}

#[test]
fn only_group_members_transactions_are_deleted() {
    let group = Group::new();
    let (a, e, w) = (group.member(), group.member(), group.member());
    let trackers: Vec<HistoryTracker> = [("app", &a), ("ext", &e), ("widget", &w)]
        .into_iter()
        .map(|(actor, member)| tracker(&group, member, actor, WEEK).0)
        .collect();
    e.save_clips("ext", "v", &["1"]);
    e.save_clips("importer", "v", &["2"]);
    e.save_clips("", "", &["3"]);
    a.save_clips("app", "v", &["4"]);
    for tracker in &trackers {
        tracker.process_now().unwrap();
    }
    let report = trackers[0].clean_now().unwrap();
    assert_eq!(report.deleted, 2);
    assert_eq!(kept(&a), vec![2, 3], "the outsider's and the anonymous transactions stay");
}

#[test]
fn a_silent_actor_stops_holding_history_back_and_recovers_when_it_returns() {
    let group = Group::new();
    let (a, e, w) = (group.member(), group.member(), group.member());
    let cap = Duration::from_millis(800);
    let (app, _) = tracker(&group, &a, "app", cap);
    let (ext, _) = tracker(&group, &e, "ext", cap);
    let (widget, _) = tracker(&group, &w, "widget", cap);
    e.save_clips("ext", "v", &["1"]);
    widget.process_now().unwrap();
    drop(widget); // falls silent at sequence 1
    e.save_clips("ext", "v", &["2"]);
    e.save_clips("ext", "v", &["3"]);
    app.process_now().unwrap();
    ext.process_now().unwrap();
    // Within the cap the silent actor still holds the history back.
    let report = app.clean_now().unwrap();
    assert_eq!(report.through.map(|t| t.sequence), Some(1));
    assert!(report.silent.is_empty());
    std::thread::sleep(cap + Duration::from_millis(100));
    app.process_now().unwrap();
    ext.process_now().unwrap();
    let report = app.clean_now().unwrap();
    assert_eq!(report.silent, vec!["widget".to_owned()]);
    assert_eq!(report.through.map(|t| t.sequence), Some(3));
    assert!(kept(&a).is_empty());
    // The silent actor comes back: its history expired, it recovers and carries on.
    let (widget, seen) = tracker(&group, &w, "widget", cap);
    let report = widget.process_now().unwrap();
    assert!(report.expired);
    assert_eq!(seen.refreshes(), 1);
    assert_eq!(widget.bookmark(), Some(w.sqlite.current_history_token().unwrap()));
    let new = e.save_clips("ext", "v", &["4"]);
    assert!(!widget.process_now().unwrap().expired);
    assert_eq!(seen.inserted(), new);
}

#[test]
fn an_actor_that_never_ran_counts_from_its_registration() {
    let group = Group::new();
    let (a, e) = (group.member(), group.member());
    let cap = Duration::from_millis(800);
    let (app, _) = tracker(&group, &a, "app", cap);
    let (ext, _) = tracker(&group, &e, "ext", cap);
    e.save_clips("ext", "v", &["1"]);
    app.process_now().unwrap();
    ext.process_now().unwrap();
    assert_eq!(app.clean_now().unwrap().waiting_for, vec!["widget".to_owned()]);
    std::thread::sleep(cap + Duration::from_millis(100));
    app.process_now().unwrap();
    ext.process_now().unwrap();
    let report = app.clean_now().unwrap();
    assert_eq!((report.deleted, report.silent.clone()), (1, vec!["widget".to_owned()]));
    // Starting from the beginning of kept history never expires.
    let (widget, _) = tracker(&group, &group.member(), "widget", cap);
    assert!(!widget.process_now().unwrap().expired);
}

#[test]
fn strategies_clean_by_themselves() {
    let group = Group::new();
    let a = group.member();
    let build = |strategy| {
        HistoryTracker::builder(&group.group, a.coordinator.clone(), a.store, "solo")
            .clean_strategy(strategy)
            .run_worker(false)
            .start()
            .unwrap()
    };
    a.save_clips("other", "v", &["1"]);
    a.save_clips("solo", "batch", &["2"]);
    // Manual and None never clean in a pass.
    for strategy in [CleanStrategy::Manual, CleanStrategy::None] {
        let tracker = build(strategy);
        assert_eq!(tracker.process_now().unwrap().cleaned, None);
    }
    assert_eq!(kept(&a).len(), 2);
    // AtMostEvery cleans at the first pass, then not again within the interval.
    let tracker = build(CleanStrategy::AtMostEvery(Duration::from_secs(3600)));
    let first = tracker.process_now().unwrap().cleaned.expect("cleaned at the first pass");
    assert_eq!(first.deleted, 1, "only the member's own transaction");
    a.save_clips("solo", "batch", &["3"]);
    assert_eq!(tracker.process_now().unwrap().cleaned, None);
    // Notifications count only for passes they started: a manual pass is not one.
    let tracker = build(CleanStrategy::EveryNotifications(1));
    assert_eq!(tracker.process_now().unwrap().cleaned, None);
}
