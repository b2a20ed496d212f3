//! Merging changes saved elsewhere: `merge_changes` keeps the context's edits (collisions
//! by policy), forgets deleted objects, the cross-thread inbox, `merge_remote` from another
//! coordinator on the same store, and automatic merging.

use std::time::Duration;

use strata_core::context::ContextInbox;
use strata_core::{Coordinator, Error, MergePolicy, MergeRequest, ObjectId};

use super::merge_policies::scene;
use super::support::{Env, clip, save_all};

/// B changes the clip's title to "B" and visits to 5; the notification of its save.
fn other_save(env: &Env, c: ObjectId) -> std::sync::Arc<strata_core::DidSave> {
    let mut b = env.context();
    b.set(c, "title", "B").unwrap();
    b.set(c, "visits", 5_i64).unwrap();
    b.save().unwrap().notifications.remove(0)
}

#[test]
fn a_merge_keeps_the_context_edits() {
    let scene = scene();
    let (env, c) = (&scene.env, scene.clip);
    let mut a = env.context();
    a.set(c, "score", 7.0).unwrap();
    let extra = clip(&mut a, "extra", 1.0);
    let notification = other_save(env, c);
    assert_eq!(a.get::<String>(c, "title").unwrap(), "t0", "not merged yet");

    let (outcome, calls) = env.count(|| a.merge_changes(&*notification).unwrap());
    assert_eq!(calls.snapshots, 1, "one batched re-read");
    assert_eq!(outcome.refreshed, vec![c]);
    assert!(outcome.collided.is_empty() && outcome.forgotten.is_empty());
    assert_eq!(a.get::<String>(c, "title").unwrap(), "B");
    assert_eq!(a.get::<i64>(c, "visits").unwrap(), 5);
    assert_eq!(a.get::<f64>(c, "score").unwrap(), 7.0, "the edit survives");
    assert!(a.inserted_objects().contains(&extra), "so does the insert");
    a.save().expect("no conflict: the merged row is the new base");
    let mut fresh = env.context();
    assert_eq!(fresh.get::<String>(c, "title").unwrap(), "B");
    assert_eq!(fresh.get::<f64>(c, "score").unwrap(), 7.0);
    assert_eq!(fresh.get::<i64>(c, "visits").unwrap(), 5);
}

#[test]
fn a_merge_colliding_with_an_edit_follows_the_policy() {
    let cases = [
        (MergePolicy::MergeByPropertyObjectTrump, "A", "A", false),
        (MergePolicy::MergeByPropertyStoreTrump, "B", "B", false),
        (MergePolicy::Rollback, "B", "B", false),
        (MergePolicy::Overwrite, "A", "A", true),
        (MergePolicy::Error, "A", "B", true),
    ];
    for (policy, seen, stored, deferred) in cases {
        let scene = scene();
        let (env, c) = (&scene.env, scene.clip);
        let mut a = env.context();
        a.set_merge_policy(policy.clone());
        a.set(c, "title", "A").unwrap();
        let notification = other_save(env, c);
        let outcome = a.merge_changes(&notification).unwrap();
        assert_eq!(outcome.collided, vec![c], "{policy:?}");
        assert_eq!(outcome.deferred.contains(&c), deferred, "{policy:?}");
        assert_eq!(a.get::<String>(c, "title").unwrap(), seen, "{policy:?}: after the merge");
        assert_eq!(a.get::<i64>(c, "visits").unwrap(), 5, "{policy:?}: the merged visits");
        let result = a.save();
        if matches!(policy, MergePolicy::Error) {
            let Err(Error::Conflict(e)) = result else { panic!("Error leaves the conflict to the save") };
            assert_eq!(
                e.conflicts[0].read.as_ref().map(|s| s.version()),
                Some(1),
                "the row the edit was made on"
            );
            a.refresh(c, true).unwrap();
            a.save().expect("refresh settles the conflict");
        } else {
            result.unwrap_or_else(|e| panic!("{policy:?}: {e}"));
        }
        let mut fresh = env.context();
        let expected = if matches!(policy, MergePolicy::Error) { "A" } else { stored };
        assert_eq!(fresh.get::<String>(c, "title").unwrap(), expected, "{policy:?}: stored");
        assert_eq!(fresh.get::<i64>(c, "visits").unwrap(), 5, "{policy:?}: B's visits survive");
    }
}

#[test]
fn objects_deleted_elsewhere_are_forgotten() {
    let scene = scene();
    let (env, c, f1) = (&scene.env, scene.clip, scene.folders[0]);
    let mut a = env.context();
    a.set(c, "title", "edited").unwrap();
    assert_eq!(a.to_many(f1, "clips").unwrap(), vec![c]);
    let mut b = env.context();
    b.delete(c).unwrap();
    let notification = b.save().unwrap().notifications.remove(0);
    let outcome = a.merge_changes(&notification).unwrap();
    assert_eq!(outcome.forgotten, vec![c]);
    assert_eq!(outcome.lost_changes, vec![c], "the edit is lost, and reported");
    assert!(!a.is_registered(c));
    assert!(a.to_many(f1, "clips").unwrap().is_empty());
    assert!(!a.has_changes());
    a.save().unwrap();
}

#[test]
fn a_merge_request_from_any_source() {
    let scene = scene();
    let (env, c) = (&scene.env, scene.clip);
    let mut a = env.context();
    a.get::<String>(c, "title").unwrap();
    other_save(env, c);
    let request = MergeRequest::new(vec![], vec![c], vec![]);
    assert_eq!(a.merge_changes(request).unwrap().refreshed, vec![c]);
    assert_eq!(a.get::<String>(c, "title").unwrap(), "B");
}

#[test]
fn merges_cross_threads_through_an_inbox() {
    let scene = scene();
    let c = scene.clip;
    let (sender, inbox) = ContextInbox::new();
    let mut owner = scene.env.context();
    assert_eq!(owner.get::<String>(c, "title").unwrap(), "t0");
    owner.set(c, "score", 9.0).unwrap();
    let coordinator = scene.env.coordinator.clone();
    let worker = std::thread::spawn(move || {
        let mut other = strata_core::Context::new(coordinator);
        other.set(c, "title", "from the worker").unwrap();
        for notification in other.save().unwrap().notifications {
            sender.send(notification).unwrap();
        }
    });
    let outcome = inbox.apply_next(&mut owner, Duration::from_secs(10)).unwrap().expect("a request arrives");
    worker.join().unwrap();
    assert_eq!(outcome.refreshed, vec![c]);
    assert_eq!(owner.get::<String>(c, "title").unwrap(), "from the worker");
    assert_eq!(owner.get::<f64>(c, "score").unwrap(), 9.0);
    assert!(inbox.apply(&mut owner).unwrap().refreshed.is_empty(), "nothing more queued");

    let (sender, inbox) = ContextInbox::new();
    drop(inbox);
    let request = MergeRequest::new(vec![], vec![c], vec![]);
    let Err(closed) = sender.send(request.clone()) else { panic!("the inbox is gone") };
    assert_eq!(closed.request, request);
    assert!(closed.to_string().contains("1 object"), "{closed}");
}

#[test]
fn merge_remote_brings_another_coordinator_changes_in() {
    let scene = scene();
    let (env, c, t3) = (&scene.env, scene.clip, scene.tags[2]);
    let other = Coordinator::new(env.model.clone());
    other.add_store("Default", env.store.clone()).unwrap();
    let mut here = env.context();
    assert_eq!(here.get::<String>(c, "title").unwrap(), "t0");
    assert_eq!(here.to_many(t3, "clips").unwrap(), vec![]);

    let mut there = strata_core::Context::new(other.clone());
    there.set(c, "title", "remote").unwrap();
    let uri = other.uri(c).unwrap();
    there.save().unwrap();
    let mut remover = strata_core::Context::new(other);
    remover.delete(t3).unwrap();
    remover.save().unwrap();

    let mut stale = env.context();
    assert_eq!(stale.get::<String>(c, "title").unwrap(), "t0", "this coordinator's cache is stale");
    let outcomes = env.coordinator.merge_remote(&[uri.as_str()], &mut [&mut here]).unwrap();
    assert_eq!(outcomes[0].refreshed, vec![c]);
    assert_eq!(here.get::<String>(c, "title").unwrap(), "remote");
    let mut fresh = env.context();
    assert_eq!(fresh.get::<String>(c, "title").unwrap(), "remote", "the row cache is refreshed");

    let outcomes = env.coordinator.merge_remote(&[t3], &mut [&mut here, &mut stale]).unwrap();
    assert_eq!(outcomes[0].forgotten, vec![t3], "a row that is gone is a deletion");
    assert!(!here.is_registered(t3));
    assert!(outcomes[1].forgotten.is_empty(), "stale never held the tag");
    assert!(
        env.coordinator.merge_remote(&["strata:///Clip/t1"], &mut []).is_err(),
        "a foreign URI is refused"
    );
}

#[test]
fn automatic_merging_happens_at_the_next_save_or_explicit_call() {
    let scene = scene();
    let (env, c) = (&scene.env, scene.clip);
    let mut a = env.context();
    a.set_automatically_merges_changes(true);
    assert!(a.automatically_merges_changes());
    assert_eq!(a.get::<String>(c, "title").unwrap(), "t0");
    other_save(env, c);
    assert_eq!(a.get::<String>(c, "title").unwrap(), "t0", "value access does not merge");
    let outcome = a.merge_pending_notifications().unwrap();
    assert_eq!(outcome.refreshed, vec![c]);
    assert_eq!(a.get::<String>(c, "title").unwrap(), "B");

    // Its own saves are skipped.
    a.set(c, "score", 3.0).unwrap();
    a.save().unwrap();
    let (outcome, calls) = env.count(|| a.merge_pending_notifications().unwrap());
    assert!(outcome.refreshed.is_empty() && calls.snapshots == 0, "nothing to merge from its own save");

    // Another save merges at A's next save, before A's changes are sent.
    let mut b = env.context();
    b.set(c, "visits", 9_i64).unwrap();
    b.save().unwrap();
    let extra = clip(&mut a, "extra", 1.0);
    save_all(&mut a, &[extra]);
    let (visits, calls) = env.count(|| a.get::<i64>(c, "visits").unwrap());
    assert_eq!((visits, calls.snapshots), (9, 0), "merged by the save, without a later read");

    a.set_automatically_merges_changes(false);
    assert!(!a.automatically_merges_changes());
}

#[test]
fn automatic_merging_also_happens_at_the_next_fetch() {
    let scene = scene();
    let (env, c) = (&scene.env, scene.clip);
    let mut a = env.context();
    a.set_automatically_merges_changes(true);
    assert_eq!(a.get::<String>(c, "title").unwrap(), "t0");
    other_save(env, c);
    assert_eq!(a.get::<String>(c, "title").unwrap(), "t0", "value access does not merge");
    a.fetch(&strata_core::FetchRequest::new("Folder")).unwrap();
    assert_eq!(a.get::<String>(c, "title").unwrap(), "B", "the fetch merged first");
}
