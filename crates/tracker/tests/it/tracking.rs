//! The tracker within one process, passes run with `process_now` (no worker), each member
//! on its own coordinator and store instance: what is merged, hooks and observers, the
//! bookmark advancing only after the targets accepted, expiry recovery into a context.

use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use strata_core::context::ContextInbox;
use strata_core::store::{ChangeKind, HistoryDeleteRequest};
use strata_core::{FetchRequest, Store};
use strata_model::Date;
use strata_tracker::{HistoryTracker, HookAction, StartPosition, TrackerError, TrackerEvent};

use crate::support::{Group, Recorder};

#[test]
fn merges_other_actors_and_its_own_batch_contexts_only() {
    let group = Group::new();
    let (app, ext) = (group.member(), group.member());
    let recorder = Recorder::default();
    let (events, received) = channel();
    let tracker = HistoryTracker::builder(&group.group, app.coordinator.clone(), app.store, "app")
        .actors(["app", "ext"])
        .batch_contexts(["batchContext"])
        .merge_with(recorder.target())
        .send_events_to(events)
        .run_worker(false)
        .start()
        .expect("start");
    let from_ext = ext.save_clips("ext", "viewContext", &["e1", "e2"]);
    let own_view = app.save_clips("app", "viewContext", &["a1"]);
    let own_batch = app.save_clips("app", "batchContext", &["b1"]);
    let anonymous = ext.save_clips("", "", &["n1"]);
    let report = tracker.process_now().expect("pass");
    assert_eq!(report.merged, 3);
    assert_eq!(report.skipped, 1);
    let mut expected = from_ext.clone();
    expected.extend(&own_batch);
    expected.extend(&anonymous);
    assert_eq!(recorder.inserted(), expected);
    assert!(!recorder.inserted().contains(&own_view[0]));
    let current = app.sqlite.current_history_token().unwrap();
    assert_eq!(tracker.bookmark(), Some(current));
    assert_eq!(report.bookmark, Some(current));
    // The event lists each merged transaction with its author and commit time.
    let Ok(TrackerEvent::Merged { transactions, bookmark }) = received.try_recv() else {
        panic!("a Merged event");
    };
    assert_eq!(bookmark, current);
    assert_eq!(transactions.len(), 3);
    assert_eq!(transactions[0].author.as_deref(), Some("ext"));
    assert_eq!(transactions[0].inserted, from_ext);
    assert!(transactions[0].timestamp <= Date::now());
    assert!(transactions[0].latency() < Duration::from_secs(60));
    // Nothing new: nothing merged, and a new tracker of the same actor starts at the
    // stored bookmark.
    assert_eq!(tracker.process_now().unwrap().merged, 0);
    drop(tracker);
    let again = HistoryTracker::builder(&group.group, app.coordinator.clone(), app.store, "app")
        .merge_with(recorder.target())
        .run_worker(false)
        .start()
        .expect("restart");
    assert_eq!(again.bookmark(), Some(current));
    assert_eq!(again.process_now().unwrap().merged, 0);
}

#[test]
fn hooks_rewrite_and_veto_and_observers_see_what_is_merged() {
    let group = Group::new();
    let (app, ext) = (group.member(), group.member());
    let recorder = Recorder::default();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let model = app.coordinator.model().clone();
    let note = model.entity("Note").unwrap().index();
    let tracker =
        HistoryTracker::builder(&group.group, app.coordinator.clone(), app.store, "app")
            .actors(["app", "ext"])
            // Veto whole transactions of a context, then strip notes from the rest.
            .hook(|t: &mut strata_core::store::HistoryTransaction| {
                if t.context_name.as_deref() == Some("drafts") { HookAction::Drop } else { HookAction::Keep }
            })
            .hook(move |t: &mut strata_core::store::HistoryTransaction| {
                t.changes.retain(|c| c.id.entity() != note);
                HookAction::Keep
            })
            .observe(Some("Clip"), &[ChangeKind::Insert], {
                let seen = seen.clone();
                move |change| seen.lock().unwrap().push(change.change.id)
            })
            .merge_with(recorder.target())
            .run_worker(false)
            .start()
            .expect("start");
    let kept = ext.save_clips("ext", "viewContext", &["k1"]);
    ext.save_clips("ext", "drafts", &["d1"]);
    let mut context = ext.context("ext", "viewContext");
    let text = context.insert("Note").unwrap();
    context.set(text, "text", "only a note").unwrap();
    context.save().unwrap();
    let report = tracker.process_now().unwrap();
    assert_eq!((report.merged, report.skipped), (1, 2));
    assert_eq!(recorder.inserted(), kept);
    assert_eq!(*seen.lock().unwrap(), kept);
    assert_eq!(tracker.bookmark(), Some(app.sqlite.current_history_token().unwrap()));
}

#[test]
fn the_bookmark_advances_only_after_every_target_accepted() {
    let group = Group::new();
    let (app, ext) = (group.member(), group.member());
    let (good, bad) = (Recorder::default(), Recorder::default());
    *bad.fail.lock().unwrap() = true;
    let tracker = HistoryTracker::builder(&group.group, app.coordinator.clone(), app.store, "app")
        .merge_with(good.target())
        .merge_with(bad.target())
        .run_worker(false)
        .start()
        .unwrap();
    let ids = ext.save_clips("ext", "v", &["x"]);
    let error = tracker.process_now().unwrap_err();
    assert!(matches!(error, TrackerError::Target { target: 1, .. }), "{error}");
    assert_eq!(tracker.bookmark(), None);
    *bad.fail.lock().unwrap() = false;
    assert_eq!(tracker.process_now().unwrap().merged, 1);
    // Offered again, as promised: at least once.
    assert_eq!(good.inserted(), [ids.clone(), ids.clone()].concat());
    assert_eq!(bad.inserted(), ids);
}

#[test]
fn starting_now_skips_earlier_history_and_paging_reads_everything() {
    let group = Group::new();
    let (app, ext) = (group.member(), group.member());
    ext.save_clips("ext", "v", &["old"]);
    let recorder = Recorder::default();
    let tracker = HistoryTracker::builder(&group.group, app.coordinator.clone(), app.store, "app")
        .start_position(StartPosition::Now)
        .page_size(2)
        .merge_with(recorder.target())
        .run_worker(false)
        .start()
        .unwrap();
    let mut expected = Vec::new();
    for n in 0..5 {
        expected.extend(ext.save_clips("ext", "v", &[&format!("new{n}")]));
    }
    assert_eq!(tracker.process_now().unwrap().merged, 5);
    assert_eq!(recorder.inserted(), expected);
    assert_eq!(recorder.received.lock().unwrap().len(), 3, "pages of 2, 2 and 1");
}

#[test]
fn expired_history_refreshes_every_object_and_resets_the_bookmark() {
    let group = Group::new();
    let (app, ext) = (group.member(), group.member());
    let ids = ext.save_clips("ext", "v", &["c1"]);
    let (sender, inbox) = ContextInbox::new();
    let (events, received) = channel();
    let tracker = HistoryTracker::builder(&group.group, app.coordinator.clone(), app.store, "app")
        .merge_into(sender)
        .send_events_to(events)
        .run_worker(false)
        .start()
        .unwrap();
    tracker.process_now().unwrap();
    let mut view = app.context("app", "viewContext");
    view.fetch(&FetchRequest::new("Clip")).unwrap();
    inbox.apply(&mut view).unwrap();
    assert_eq!(view.get::<String>(ids[0], "tag").unwrap(), "c1");
    let before = tracker.bookmark();
    // Another member changes the clip, then someone deletes all history behind our back.
    let mut edit = ext.context("ext", "v");
    edit.set(ids[0], "tag", "c1-edited").unwrap();
    edit.save().unwrap();
    ext.save_clips("ext", "v", &["c2"]);
    let current = ext.sqlite.current_history_token().unwrap();
    assert!(ext.sqlite.delete_history(&HistoryDeleteRequest::through(current)).unwrap() >= 2);
    let report = tracker.process_now().expect("the recovery is not an error");
    assert!(report.expired);
    assert_eq!(report.bookmark, Some(current));
    assert_eq!(tracker.bookmark(), Some(current));
    let events: Vec<TrackerEvent> = received.try_iter().collect();
    assert!(
        events.iter().any(|e| matches!(e, TrackerEvent::Expired { bookmark, reset_to } if *bookmark == before && *reset_to == current)),
        "{events:?}"
    );
    // The context re-reads what it holds.
    inbox.apply(&mut view).unwrap();
    assert_eq!(view.get::<String>(ids[0], "tag").unwrap(), "c1-edited");
    // And the tracker carries on from the new bookmark.
    ext.save_clips("ext", "v", &["c3"]);
    let after = tracker.process_now().unwrap();
    assert_eq!((after.merged, after.expired), (1, false));
}

#[test]
fn a_worker_stops_within_its_timeout() {
    let group = Group::new();
    let app = group.member();
    let tracker = HistoryTracker::builder(&group.group, app.coordinator.clone(), app.store, "app")
        .poll_interval(Some(Duration::from_millis(20)))
        .stop_timeout(Duration::from_secs(5))
        .start()
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let started = std::time::Instant::now();
    tracker.stop().expect("stops");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn configuration_errors_are_typed() {
    let group = Group::new();
    let app = group.member();
    let builder =
        || HistoryTracker::builder(&group.group, app.coordinator.clone(), app.store, "app").run_worker(false);
    assert!(matches!(builder().page_size(0).start(), Err(TrackerError::InvalidConfig { .. })));
    assert!(matches!(
        HistoryTracker::builder(&group.group, app.coordinator.clone(), app.store, "").start(),
        Err(TrackerError::InvalidConfig { .. })
    ));
    assert!(matches!(
        builder().observe(Some("Nope"), &[], |_| {}).start(),
        Err(TrackerError::UnknownEntity { ref name }) if name == "Nope"
    ));
    // A store without history cannot be tracked.
    let path = group.group.store_path("Plain.sqlite").unwrap();
    let plain =
        strata_sqlite::SqliteStore::create(&path, crate::support::model(), Default::default()).unwrap();
    let coordinator = strata_core::Coordinator::new(crate::support::model());
    let store = coordinator.add_store("Default", Arc::new(plain)).unwrap();
    assert!(matches!(
        HistoryTracker::builder(&group.group, coordinator, store, "app").start(),
        Err(TrackerError::HistoryOff { .. })
    ));
}

/// Waits at most 10 s for a `Merged` event and returns its transactions' inserted IDs.
fn next_merge(received: &std::sync::mpsc::Receiver<TrackerEvent>) -> Vec<strata_core::ObjectId> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match received.recv_timeout(left) {
            Ok(TrackerEvent::Merged { transactions, .. }) => {
                return transactions.into_iter().flat_map(|t| t.inserted).collect();
            }
            Ok(_) => {}
            Err(_) => panic!("no merge within 10 s"),
        }
    }
}

#[test]
fn the_worker_merges_on_notifications_and_own_batch_saves_without_polling() {
    let group = Group::new();
    let (app, ext) = (group.member(), group.member());
    let (events, received) = channel();
    let early = ext.save_clips("ext", "v", &["early"]);
    let tracker = HistoryTracker::builder(&group.group, app.coordinator.clone(), app.store, "app")
        .batch_contexts(["batchContext"])
        .send_events_to(events)
        .poll_interval(None)
        .start()
        .unwrap();
    assert_eq!(next_merge(&received), early, "the catch-up pass at start");
    // Another store instance's save arrives as a notification.
    let remote = ext.save_clips("ext", "v", &["remote"]);
    assert_eq!(next_merge(&received), remote);
    // This process's batch-context save wakes the worker too; a view-context save does not
    // need merging.
    app.save_clips("app", "viewContext", &["view"]);
    let batch = app.save_clips("app", "batchContext", &["batch"]);
    assert_eq!(next_merge(&received), batch);
    tracker.stop().unwrap();
}

#[test]
fn trackers_and_groups_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<HistoryTracker>();
    shared::<strata_tracker::AppGroup>();
    shared::<strata_tracker::SharedDefaults>();
    shared::<TrackerEvent>();
}
