//! Batched fetches: rows load one batch (one store call) at a time, the context never holds
//! more than a batch, changed objects survive, pending changes count, and prefetching
//! applies per batch.

use strata_core::{Error, FetchError, FetchRequest, ObjectId, ResultType};

use super::fetch_prefetch::{cold_context, library};
use super::support::{Calls, Env, clip};

/// How many clips the flat-memory test iterates (raise with `STRATA_BATCHED_CLIPS`).
fn clip_count() -> usize {
    std::env::var("STRATA_BATCHED_CLIPS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_500)
}

#[test]
fn batches_load_one_store_call_each_and_the_context_stays_flat() {
    let env = Env::new();
    let n = clip_count();
    library(&env, n);
    let mut ctx = cold_context(&env);
    let request = FetchRequest::new("Clip").sort_by("title").unwrap().batch_size(100);
    let before = env.calls();
    let mut cursor = ctx.fetch_batched(&request).unwrap();
    assert_eq!(cursor.len(), n);
    let (mut seen, mut total, mut batches, mut most) = (0, 0.0, 0, 0);
    while let Some(batch) = cursor.next_batch().unwrap() {
        batches += 1;
        assert!(batch.len() <= 100);
        for id in batch {
            total += cursor.context().get::<f64>(id, "score").unwrap();
            seen += 1;
        }
        most = most.max(cursor.context().registered_count());
    }
    drop(cursor);
    let calls = env.calls();
    assert_eq!(seen, n);
    assert_eq!(total, (0..n).map(|i| (i % 10) as f64).sum::<f64>());
    assert_eq!(batches, n.div_ceil(100));
    assert!(most <= 100, "the context held {most} objects at most, never more than a batch");
    assert_eq!(ctx.registered_count(), 0, "the cursor released its last batch");
    assert_eq!(
        Calls {
            fetch: calls.fetch - before.fetch,
            snapshots: calls.snapshots - before.snapshots,
            ..Calls::default()
        },
        Calls { fetch: 1, snapshots: n.div_ceil(100), ..Calls::default() },
        "one ID fetch, then one row load per batch"
    );
}

#[test]
fn changed_and_earlier_objects_stay_and_pending_changes_count() {
    let env = Env::new();
    let clips = library(&env, 25);
    let mut ctx = env.context();
    ctx.fill_faults(&clips[..1]).unwrap();
    let unsaved = clip(&mut ctx, "zz unsaved", 9.0);
    ctx.delete(clips[2]).unwrap();
    let request = FetchRequest::new("Clip").sort_by("title").unwrap().batch_size(10);
    let mut cursor = ctx.fetch_batched(&request).unwrap();
    assert_eq!(cursor.len(), 25, "24 stored clips left after the deletion, plus the unsaved one");
    let mut edited = None;
    let mut all: Vec<ObjectId> = Vec::new();
    while let Some(batch) = cursor.next_batch().unwrap() {
        if edited.is_none() {
            let id = batch[3];
            cursor.context().set(id, "title", "edited").unwrap();
            edited = Some(id);
        }
        all.extend(batch);
    }
    drop(cursor);
    assert!(all.contains(&unsaved) && !all.contains(&clips[2]));
    let edited = edited.unwrap();
    assert!(ctx.is_registered(edited) && ctx.is_registered(clips[0]) && ctx.is_registered(unsaved));
    assert_eq!(
        ctx.get::<String>(edited, "title").unwrap(),
        "edited",
        "an edit made during iteration survives"
    );
    assert!(ctx.is_deleted(clips[2]));
    ctx.save().unwrap();
}

#[test]
fn prefetching_applies_per_batch_and_other_result_types_are_refused() {
    let env = Env::new();
    library(&env, 60);
    let mut ctx = cold_context(&env);
    let request = FetchRequest::new("Clip").batch_size(20).prefetch(["folder", "tags"]);
    let (_, calls) = env.count(|| {
        let mut cursor = ctx.fetch_batched(&request).unwrap();
        while let Some(batch) = cursor.next_batch().unwrap() {
            for id in batch {
                let f = cursor.context().to_one(id, "folder").unwrap().unwrap();
                cursor.context().get::<String>(f, "name").unwrap();
                assert_eq!(cursor.context().to_many(id, "tags").unwrap().len(), 2);
            }
        }
    });
    // Folders and tags are few: after the first batch the row cache answers for them.
    assert_eq!((calls.fetch, calls.related), (1, 3), "one ID fetch; one to-many load per batch");
    assert!(calls.snapshots <= 3 * 3, "at most clips, folders and tags per batch: {calls:?}");
    let count = FetchRequest::new("Clip").result_type(ResultType::Count);
    assert!(matches!(ctx.fetch_batched(&count), Err(Error::Fetch(FetchError::BatchedNeedsObjects))));
}

#[test]
fn a_batch_size_makes_fetch_return_faults() {
    let env = Env::new();
    library(&env, 12);
    let mut ctx = cold_context(&env);
    let (result, calls) = env.count(|| ctx.fetch(&FetchRequest::new("Clip").batch_size(5)).unwrap());
    assert_eq!(calls, Calls { fetch: 1, ..Calls::default() });
    assert!(result.ids().iter().all(|&id| ctx.is_fault(id)), "objects come back as faults");
}
