//! The fetched-results observer on a real context: each change kind from the context's own
//! saves, merges from another context (explicit, automatic, from another coordinator),
//! sections, refresh and reset, the work done per change, and the context's change log.

use strata_core::fetched_results::{FetchedResults, FetchedResultsError, IndexPath, ResultChange};
use strata_core::{
    ChangeCause, Context, ContextInbox, Coordinator, Error, FetchRequest, MergeRequest, ObjectId, StoreId,
};
use strata_model::EntityIndex;
use strata_model::Value;

use super::support::{Env, clip, save_all};

fn path(section: usize, row: usize) -> IndexPath {
    IndexPath { section, row }
}

/// Clips with visits > 0, by score descending.
fn visited() -> FetchRequest {
    FetchRequest::new("Clip")
        .filter("visits > 0", &[])
        .and_then(|r| r.sort_by("score desc"))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Saves clips (title, score, visits) and returns their permanent IDs.
fn clips(ctx: &mut Context, specs: &[(&str, f64, i64)]) -> Vec<ObjectId> {
    let ids: Vec<ObjectId> = specs
        .iter()
        .map(|(title, score, visits)| {
            let c = clip(ctx, title, *score);
            ctx.set(c, "visits", *visits).unwrap();
            c
        })
        .collect();
    save_all(ctx, &ids)
}

fn observe(ctx: &mut Context, request: FetchRequest) -> FetchedResults {
    let mut results = FetchedResults::new(request).unwrap_or_else(|e| panic!("{e}"));
    results.perform_fetch(ctx).unwrap_or_else(|e| panic!("{e}"));
    results
}

#[test]
fn own_saves_report_inserts_moves_updates_and_deletes() {
    let env = Env::new();
    let mut ctx = env.context();
    let [a, b, hidden] = clips(&mut ctx, &[("a", 5.0, 1), ("b", 3.0, 1), ("h", 9.0, 0)])[..] else {
        unreachable!()
    };
    let mut results = observe(&mut ctx, visited());
    assert_eq!(results.fetched_objects(), vec![a, b]);
    assert_eq!(results.index_path(b), Some(path(0, 1)));
    assert_eq!(results.object_at(path(0, 0)), Some(a));

    let new = clip(&mut ctx, "n", 4.0);
    ctx.set(new, "visits", 2_i64).unwrap();
    assert!(results.process_changes(&mut ctx).unwrap().is_empty(), "unsaved changes are not shown");
    let new = save_all(&mut ctx, &[new])[0];
    assert_eq!(
        results.process_changes(&mut ctx).unwrap(),
        vec![ResultChange::Insert { object: new, new: path(0, 1) }]
    );
    assert!(results.process_changes(&mut ctx).unwrap().is_empty(), "each change is reported once");

    ctx.set(b, "score", 6.0).unwrap();
    ctx.set(a, "title", "A").unwrap();
    ctx.save().unwrap();
    assert_eq!(
        results.process_changes(&mut ctx).unwrap(),
        vec![
            ResultChange::Move { object: b, old: path(0, 2), new: path(0, 0) },
            ResultChange::Update { object: a, old: path(0, 0), new: path(0, 1) },
        ]
    );

    ctx.set(hidden, "visits", 3_i64).unwrap();
    ctx.set(a, "visits", 0_i64).unwrap();
    ctx.delete(new).unwrap();
    ctx.save().unwrap();
    assert_eq!(
        results.process_changes(&mut ctx).unwrap(),
        vec![
            ResultChange::Delete { object: a, old: path(0, 1) },
            ResultChange::Delete { object: new, old: path(0, 2) },
            ResultChange::Insert { object: hidden, new: path(0, 0) },
        ]
    );
    assert_eq!(results.fetched_objects(), vec![hidden, b]);
    assert_eq!(results.fetched_objects(), ctx.fetch(&visited()).unwrap().ids());
}

#[test]
fn merges_from_another_context_are_reported() {
    let env = Env::new();
    let mut ctx = env.context();
    let [a, b] = clips(&mut ctx, &[("a", 5.0, 1), ("b", 3.0, 1)])[..] else { unreachable!() };
    let mut results = observe(&mut ctx, visited());

    // Objects this context never loaded: the observer reads them itself.
    let mut other = env.context();
    let c = clip(&mut other, "c", 4.0);
    other.set(c, "visits", 1_i64).unwrap();
    other.set(a, "score", 1.0).unwrap();
    other.delete(b).unwrap();
    let outcome = other.save().unwrap();
    let c = outcome.permanent_id(c).unwrap();
    assert!(results.process_changes(&mut ctx).unwrap().is_empty(), "not merged yet");
    ctx.merge_changes(&outcome.notifications[0]).unwrap();
    assert_eq!(
        results.process_changes(&mut ctx).unwrap(),
        vec![
            ResultChange::Delete { object: b, old: path(0, 1) },
            ResultChange::Insert { object: c, new: path(0, 0) },
            ResultChange::Move { object: a, old: path(0, 0), new: path(0, 1) },
        ]
    );

    // Automatic merging reports at the context's next fetch (or merge of notifications).
    ctx.set_automatically_merges_changes(true);
    other.set(a, "score", 9.0).unwrap();
    other.save().unwrap();
    ctx.merge_pending_notifications().unwrap();
    assert_eq!(
        results.process_changes(&mut ctx).unwrap(),
        vec![ResultChange::Move { object: a, old: path(0, 1), new: path(0, 0) }]
    );
    assert_eq!(results.fetched_objects(), vec![a, c]);
    ctx.set_automatically_merges_changes(false);

    // Through an inbox from another thread, and from another coordinator's saves.
    let (sender, inbox) = ContextInbox::new();
    other.set(c, "score", 10.0).unwrap();
    let notification = other.save().unwrap().notifications.remove(0);
    std::thread::spawn(move || sender.send(&notification).unwrap()).join().unwrap();
    inbox.apply(&mut ctx).unwrap();
    assert_eq!(
        results.process_changes(&mut ctx).unwrap(),
        vec![ResultChange::Move { object: c, old: path(0, 1), new: path(0, 0) }]
    );
    let elsewhere = Coordinator::new(env.model.clone());
    elsewhere.add_store("Default", env.store.clone()).unwrap();
    let mut remote = Context::new(elsewhere);
    remote.set(a, "visits", 0_i64).unwrap();
    remote.save().unwrap();
    env.coordinator.merge_remote(&[a], &mut [&mut ctx]).unwrap();
    assert_eq!(
        results.process_changes(&mut ctx).unwrap(),
        vec![ResultChange::Delete { object: a, old: path(0, 1) }]
    );
}

#[test]
fn objects_the_context_has_not_loaded_are_read_from_the_store() {
    let env = Env::new();
    let mut ctx = env.context();
    let [a, b] = clips(&mut ctx, &[("a", 5.0, 1), ("b", 3.0, 1)])[..] else { unreachable!() };
    ctx.reset();
    let mut results = observe(&mut ctx, visited());
    // Another coordinator on the same store: this coordinator's row cache is now stale.
    let elsewhere = Coordinator::new(env.model.clone());
    elsewhere.add_store("Default", env.store.clone()).unwrap();
    let mut other = Context::new(elsewhere);
    other.set(b, "score", 8.0).unwrap();
    other.save().unwrap();
    ctx.merge_changes(MergeRequest::new(vec![], vec![b], vec![])).unwrap();
    assert!(!ctx.is_registered(b), "the merge had nothing to re-read in the context");
    let (changes, calls) = env.count(|| results.process_changes(&mut ctx).unwrap());
    assert_eq!(changes, vec![ResultChange::Move { object: b, old: path(0, 1), new: path(0, 0) }]);
    assert_eq!((calls.fetch, calls.snapshots), (0, 1), "one read of the one changed object, no fetch");
    assert_eq!(results.fetched_objects(), vec![b, a]);

    // A loaded object re-read by refresh.
    assert_eq!(ctx.get::<f64>(a, "score").unwrap(), 5.0);
    other.set(a, "score", 9.0).unwrap();
    other.save().unwrap();
    ctx.refresh(a, false).unwrap();
    assert_eq!(
        results.process_changes(&mut ctx).unwrap(),
        vec![ResultChange::Move { object: a, old: path(0, 1), new: path(0, 0) }]
    );
}

#[test]
fn work_is_proportional_to_the_changed_objects() {
    let env = Env::new();
    let mut ctx = env.context();
    let specs: Vec<(String, f64, i64)> = (0..300).map(|i| (format!("c{i}"), f64::from(i % 10), 1)).collect();
    let specs: Vec<(&str, f64, i64)> = specs.iter().map(|(t, s, v)| (t.as_str(), *s, *v)).collect();
    let ids = clips(&mut ctx, &specs);
    ctx.reset();
    let mut results = observe(&mut ctx, visited());
    assert_eq!(results.len(), 300);
    let mut other = env.context();
    other.set(ids[7], "score", 9.5).unwrap();
    let outcome = other.save().unwrap();
    ctx.merge_changes(&outcome.notifications[0]).unwrap();
    let (changes, calls) = env.count(|| results.process_changes(&mut ctx).unwrap());
    assert_eq!(changes.len(), 1);
    assert!(
        matches!(changes[0], ResultChange::Move { object, new, .. } if object == ids[7] && new == path(0, 0))
    );
    assert_eq!((calls.fetch, calls.snapshots, calls.related), (0, 1, 0));
    assert_eq!(results.fetched_objects(), ctx.fetch(&visited()).unwrap().ids());
}

#[test]
fn sections_appear_and_disappear() {
    let env = Env::new();
    let mut ctx = env.context();
    let [a, b, c] = clips(&mut ctx, &[("a", 5.0, 1), ("b", 3.0, 2), ("c", 1.0, 2)])[..] else {
        unreachable!()
    };
    let request = FetchRequest::new("Clip").sort_by("visits, score desc").unwrap();
    let mut results = FetchedResults::sectioned(request, "visits").unwrap();
    results.perform_fetch(&mut ctx).unwrap();
    let layout = |r: &FetchedResults| -> Vec<(Value, Vec<ObjectId>)> {
        r.sections().iter().map(|s| (s.name().clone(), s.objects().to_vec())).collect()
    };
    assert_eq!(layout(&results), vec![(Value::Int16(1), vec![a]), (Value::Int16(2), vec![b, c])]);

    ctx.set(a, "visits", 3_i64).unwrap();
    ctx.set(c, "visits", 0_i64).unwrap();
    ctx.save().unwrap();
    assert_eq!(
        results.process_changes(&mut ctx).unwrap(),
        vec![
            ResultChange::DeleteSection { section: 0, name: Value::Int16(1) },
            ResultChange::InsertSection { section: 0, name: Value::Int16(0) },
            ResultChange::InsertSection { section: 2, name: Value::Int16(3) },
            ResultChange::Move { object: c, old: path(1, 1), new: path(0, 0) },
            ResultChange::Move { object: a, old: path(0, 0), new: path(2, 0) },
        ]
    );
    assert_eq!(
        layout(&results),
        vec![(Value::Int16(0), vec![c]), (Value::Int16(2), vec![b]), (Value::Int16(3), vec![a])]
    );
}

#[test]
fn a_reset_refetches_and_reports_the_difference() {
    let env = Env::new();
    let mut ctx = env.context();
    let [a, b] = clips(&mut ctx, &[("a", 5.0, 1), ("b", 3.0, 1)])[..] else { unreachable!() };
    let mut results = observe(&mut ctx, visited());
    let mut other = env.context();
    other.delete(a).unwrap();
    let c = clip(&mut other, "c", 1.0);
    other.set(c, "visits", 1_i64).unwrap();
    let c = save_all(&mut other, &[c])[0];
    ctx.reset();
    assert_eq!(
        results.process_changes(&mut ctx).unwrap(),
        vec![
            ResultChange::Delete { object: a, old: path(0, 0) },
            ResultChange::Insert { object: c, new: path(0, 1) },
            ResultChange::Update { object: b, old: path(0, 1), new: path(0, 0) },
        ]
    );
    assert_eq!(results.fetched_objects(), vec![b, c]);
}

#[test]
fn misuse_is_refused_with_typed_errors() {
    let env = Env::new();
    let mut ctx = env.context();
    let mut results = FetchedResults::new(visited()).unwrap();
    let not_fetched = results.process_changes(&mut ctx).unwrap_err();
    assert!(matches!(not_fetched, Error::FetchedResults(FetchedResultsError::NotFetched)), "{not_fetched:?}");
    results.perform_fetch(&mut ctx).unwrap();
    let mut stranger = env.context();
    let wrong = results.process_changes(&mut stranger).unwrap_err();
    assert!(matches!(wrong, Error::FetchedResults(FetchedResultsError::WrongContext)), "{wrong:?}");

    let shared = ctx.into_shared();
    let mut child = Context::new_child(&shared);
    let refused = FetchedResults::new(visited()).unwrap().perform_fetch(&mut child).unwrap_err();
    assert!(matches!(refused, Error::FetchedResults(FetchedResultsError::ChildContext)), "{refused:?}");

    let mut ctx = env.context();
    let unknown =
        FetchedResults::new(FetchRequest::new("Clipp")).unwrap().perform_fetch(&mut ctx).unwrap_err();
    assert!(matches!(unknown, Error::Context(_)), "{unknown:?}");
    let bad_key = FetchRequest::new("Clip").filter("visitz > 0", &[]).unwrap();
    let bad_key = FetchedResults::new(bad_key).unwrap().perform_fetch(&mut ctx).unwrap_err();
    assert!(matches!(bad_key, Error::Predicate(_)), "{bad_key:?}");
}

#[test]
fn objects_of_other_stores_or_models_named_by_a_merge_match_nothing() {
    let env = Env::new();
    let mut ctx = env.context();
    let [a] = clips(&mut ctx, &[("a", 5.0, 1)])[..] else { unreachable!() };
    let mut results = observe(&mut ctx, visited());
    let elsewhere = StoreId::from_uuid(strata_model::Uuid::from_u128(42));
    let foreign = ObjectId::permanent(elsewhere, a.entity(), 1).unwrap();
    let unknown_entity = ObjectId::permanent(a.store().unwrap(), EntityIndex(999), 1).unwrap();
    ctx.merge_changes(MergeRequest::new(vec![foreign], vec![unknown_entity], vec![])).unwrap();
    assert!(results.process_changes(&mut ctx).unwrap().is_empty());
    assert_eq!(results.fetched_objects(), vec![a]);
}

#[test]
fn the_change_log_reports_saves_merges_refreshes_and_resets() {
    let env = Env::new();
    let mut ctx = env.context();
    let log = ctx.observe_changes();
    let dropped = ctx.observe_changes();
    drop(dropped);
    let t = clip(&mut ctx, "a", 1.0);
    let outcome = ctx.save().unwrap();
    let a = outcome.permanent_id(t).unwrap();
    let saved = log.try_recv().unwrap();
    assert_eq!(saved.cause, ChangeCause::Save);
    assert_eq!((saved.inserted.clone(), saved.permanent_ids.clone()), (vec![a], vec![(t, a)]));

    let mut other = env.context();
    other.set(a, "score", 2.0).unwrap();
    let notification = other.save().unwrap().notifications.remove(0);
    ctx.merge_changes(&notification).unwrap();
    let merged = log.try_recv().unwrap();
    assert_eq!((merged.cause, merged.updated.clone()), (ChangeCause::Merge, vec![a]));

    ctx.refresh(a, false).unwrap();
    let refreshed = log.try_recv().unwrap();
    assert_eq!((refreshed.cause, refreshed.updated.clone()), (ChangeCause::Refresh, vec![a]));
    ctx.reset();
    let reset = log.try_recv().unwrap();
    assert!(reset.everything_changed && reset.cause == ChangeCause::Reset);
    assert!(log.try_recv().is_err(), "one message per operation");
    ctx.rollback();
    assert!(ctx.save().unwrap().notifications.is_empty());
    assert!(log.try_recv().is_err(), "nothing changed, nothing sent");
}
