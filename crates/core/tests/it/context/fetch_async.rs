//! Asynchronous fetches: progress is monotonic and reaches the total, results equal a
//! synchronous fetch's (pending changes included), and cancellation stops promptly.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use strata_core::{CancelToken, Error, FetchError, FetchProgress, FetchRequest, FetchResult, ResultType};

use super::fetch_prefetch::{cold_context, library};
use super::support::{Env, clip};

fn recorder() -> (Arc<Mutex<Vec<FetchProgress>>>, strata_core::context::ProgressHandler) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (seen, Box::new(move |p| sink.lock().unwrap().push(p)))
}

#[test]
fn progress_is_monotonic_and_reaches_the_total() {
    let env = Env::new();
    library(&env, 450);
    let mut ctx = cold_context(&env);
    let request =
        FetchRequest::new("Clip").filter("score >= 2", &[]).unwrap().sort_by("title").unwrap().batch_size(50);
    let (seen, handler) = recorder();
    let fetch = ctx.fetch_async(&request, &CancelToken::new(), Some(handler)).unwrap();
    let result = ctx.finish_async(fetch).unwrap();
    let expected = cold_context(&env).fetch(&request.clone().batch_size(0)).unwrap();
    assert_eq!(result.ids(), expected.ids(), "the same objects in the same order as a synchronous fetch");
    assert!(result.ids().iter().all(|&id| !ctx.is_fault(id)), "rows loaded on the worker are registered");
    let seen = seen.lock().unwrap();
    let total = expected.count();
    assert_eq!(seen.first(), Some(&FetchProgress { loaded: 0, total }));
    assert_eq!(seen.last(), Some(&FetchProgress { loaded: total, total }));
    assert!(seen.windows(2).all(|w| w[0].loaded < w[1].loaded && w[0].total == w[1].total), "{seen:?}");
    assert_eq!(seen.len() as u64, 1 + total.div_ceil(50), "one report after the IDs, one per batch");
}

#[test]
fn cancelling_midway_stops_between_batches() {
    let env = Env::new();
    library(&env, 1_000);
    let mut ctx = cold_context(&env);
    let token = CancelToken::new();
    let (tx, rx) = mpsc::channel();
    let cancel = token.clone();
    let handler = Box::new(move |p: FetchProgress| {
        if p.loaded >= 300 {
            cancel.cancel();
        }
        let _ = tx.send(p);
    });
    let before = env.calls();
    let fetch = ctx.fetch_async(&FetchRequest::new("Clip").batch_size(100), &token, Some(handler)).unwrap();
    match ctx.finish_async(fetch) {
        Err(Error::Fetch(FetchError::Cancelled { loaded, total })) => {
            assert_eq!((loaded, total), (300, 1_000))
        }
        other => panic!("expected a cancelled fetch, got {other:?}"),
    }
    let reports: Vec<FetchProgress> = rx.try_iter().collect();
    assert_eq!(reports.last().map(|p| p.loaded), Some(300), "no batch loaded after the cancellation");
    assert_eq!(
        env.calls().snapshots - before.snapshots,
        3,
        "three batches loaded, the fourth never asked for"
    );
    assert_eq!(ctx.registered_count(), 0, "a cancelled fetch registers nothing");

    let early = CancelToken::new();
    early.cancel();
    let fetch = ctx.fetch_async(&FetchRequest::new("Clip"), &early, None).unwrap();
    assert!(matches!(
        ctx.finish_async(fetch),
        Err(Error::Fetch(FetchError::Cancelled { loaded: 0, total: 0 }))
    ));
}

#[test]
fn pending_changes_counts_and_ids_match_synchronous_fetches() {
    let env = Env::new();
    let clips = library(&env, 40);
    let mut ctx = env.context();
    let request =
        FetchRequest::new("Clip").filter("score > 7", &[]).unwrap().sort_by("score desc, title").unwrap();
    clip(&mut ctx, "new", 9.5);
    ctx.set(clips[0], "score", 8.5).unwrap();
    ctx.delete(clips[9]).unwrap();
    for result_type in [ResultType::Objects, ResultType::ObjectIds, ResultType::Count] {
        let request = request.clone().result_type(result_type).limit(5).offset(1);
        let fetch = ctx.fetch_async(&request, &CancelToken::new(), None).unwrap();
        let asynchronous = ctx.finish_async(fetch).unwrap();
        assert_eq!(asynchronous, ctx.fetch(&request).unwrap(), "{result_type:?}");
    }
    // The context changes while the worker runs: the answer is still a synchronous one's.
    let limited = request.clone().limit(3);
    let fetch = ctx.fetch_async(&limited, &CancelToken::new(), None).unwrap();
    ctx.set(clips[1], "score", 9.9).unwrap();
    ctx.set(clips[2], "score", 9.8).unwrap();
    let asynchronous = ctx.finish_async(fetch).unwrap();
    assert_eq!(asynchronous, ctx.fetch(&limited).unwrap());
    assert!(matches!(asynchronous, FetchResult::Objects(ref ids) if ids[..2] == [clips[1], clips[2]]));
}
