//! Several coordinators on one store: each keeps its own row cache, a change saved through
//! one reaches the other by refresh, merge or the staleness interval, and URIs made by one
//! resolve in the other.

use std::sync::Arc;
use std::time::Duration;

use strata_core::{Context, Coordinator, ObjectId};

use super::support::{Env, clip, save_all};

/// The suite's environment plus a second coordinator on the same store, with `n` clips
/// titled c0.. saved through the first.
fn two_coordinators(n: usize) -> (Env, Arc<Coordinator>, Vec<ObjectId>) {
    let env = Env::new();
    let other = Coordinator::new(env.model.clone());
    other.add_store("Default", env.store.clone()).expect("the same store fits the second coordinator");
    let mut ctx = env.context();
    let ids: Vec<_> = (0..n).map(|i| clip(&mut ctx, &format!("c{i}"), 1.0)).collect();
    let ids = save_all(&mut ctx, &ids);
    (env, other, ids)
}

/// Sets every clip's title to `prefix` + index through a context of `coordinator`.
fn retitle(coordinator: &Arc<Coordinator>, ids: &[ObjectId], prefix: &str) {
    let mut ctx = Context::new(coordinator.clone());
    for (i, &id) in ids.iter().enumerate() {
        ctx.set(id, "title", format!("{prefix}{i}")).unwrap();
    }
    ctx.save().unwrap();
}

/// The titles a new context of `coordinator` sees, faulting every clip in one batch.
fn titles(coordinator: &Arc<Coordinator>, ids: &[ObjectId]) -> Vec<String> {
    let mut ctx = Context::new(coordinator.clone());
    ctx.fill_faults(ids).unwrap();
    ids.iter().map(|&id| ctx.get::<String>(id, "title").unwrap()).collect()
}

#[test]
fn each_coordinator_keeps_its_own_cache_and_uris_resolve_across() {
    let (env, other, ids) = two_coordinators(3);
    assert_eq!(titles(&other, &ids), ["c0", "c1", "c2"], "the second coordinator reads the store");
    assert_eq!(other.staleness_interval(), None, "the default interval is infinite");

    retitle(&env.coordinator, &ids, "new");
    assert_eq!(titles(&env.coordinator, &ids), ["new0", "new1", "new2"], "the saver's cache has the save");
    let (seen, calls) = env.count(|| titles(&other, &ids));
    assert_eq!(seen, ["c0", "c1", "c2"], "the other coordinator's cache still has the rows it read");
    assert_eq!(calls.snapshots, 0, "cached rows of any age fill faults by default");

    for &id in &ids {
        let uri = env.coordinator.uri(id).unwrap();
        assert_eq!(other.object_id(&uri).unwrap(), id, "a URI of one coordinator resolves in the other");
    }

    let mut refreshed = Context::new(other.clone());
    refreshed.refresh(ids[0], false).unwrap();
    assert_eq!(refreshed.get::<String>(ids[0], "title").unwrap(), "new0", "refresh always re-reads");
    let uris: Vec<String> = ids.iter().map(|&id| env.coordinator.uri(id).unwrap()).collect();
    other.merge_remote(&uris, &mut []).unwrap();
    assert_eq!(titles(&other, &ids), ["new0", "new1", "new2"], "a merge refreshes the other cache");
}

#[test]
fn a_staleness_interval_re_reads_old_cached_rows_in_one_batch() {
    let (env, other, ids) = two_coordinators(5);
    assert_eq!(titles(&other, &ids).len(), 5);
    retitle(&env.coordinator, &ids, "new");

    other.set_staleness_interval(Some(Duration::from_secs(3600)));
    let (seen, calls) = env.count(|| titles(&other, &ids));
    assert_eq!(seen[0], "c0", "rows younger than the interval are used");
    assert_eq!(calls.snapshots, 0);

    std::thread::sleep(Duration::from_millis(20));
    other.set_staleness_interval(Some(Duration::from_millis(10)));
    let (seen, calls) = env.count(|| titles(&other, &ids));
    assert_eq!(seen, ["new0", "new1", "new2", "new3", "new4"], "older rows are re-read");
    assert_eq!(calls.snapshots, 1, "the stale rows of a fault batch are re-read together");

    other.set_staleness_interval(Some(Duration::from_secs(3600)));
    let (_, calls) = env.count(|| titles(&other, &ids));
    assert_eq!(calls.snapshots, 0, "the re-read rows are fresh again");

    other.set_staleness_interval(Some(Duration::ZERO));
    let (_, calls) = env.count(|| titles(&other, &ids));
    assert_eq!(calls.snapshots, 1, "a zero interval always re-reads");

    other.set_staleness_interval(None);
    retitle(&env.coordinator, &ids, "again");
    assert_eq!(titles(&other, &ids)[0], "new0", "back to the default: cached rows of any age");
}

#[test]
fn a_stale_row_deleted_elsewhere_is_gone_when_re_read() {
    let (env, other, ids) = two_coordinators(2);
    assert_eq!(titles(&other, &ids).len(), 2);
    let mut ctx = env.context();
    ctx.delete(ids[1]).unwrap();
    ctx.save().unwrap();
    assert!(other.row_cache().get(ids[1]).is_some(), "the other cache still holds the row");
    other.set_staleness_interval(Some(Duration::ZERO));
    let mut reader = Context::new(other.clone());
    assert!(reader.fill_faults(&ids).is_err(), "the re-read finds the row gone");
    assert!(other.row_cache().get(ids[1]).is_none(), "and the cache forgets it");
    assert_eq!(reader.get::<String>(ids[0], "title").unwrap(), "c0");
}
