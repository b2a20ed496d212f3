//! Faults and lazy relationships, counted in store calls.

use strata_core::{ContextError, Error, FetchRequest};

use super::support::{Env, clip, folder, save_all};

fn seed(env: &Env, n: usize) -> (strata_core::ObjectId, Vec<strata_core::ObjectId>) {
    let mut ctx = env.context();
    let f = folder(&mut ctx, "f");
    let mut ids = vec![f];
    for i in 0..n {
        let c = clip(&mut ctx, &format!("c{i}"), (i % 10) as f64);
        ctx.set_to_one(c, "folder", Some(f)).unwrap();
        ids.push(c);
    }
    let ids = save_all(&mut ctx, &ids);
    (ids[0], ids[1..].to_vec())
}

#[test]
fn faults_fire_in_one_batched_load() {
    let env = Env::new();
    let (_, clips) = seed(&env, 10);
    env.coordinator.row_cache().clear();
    let mut ctx = env.context();
    let (result, calls) = env.count(|| ctx.fetch(&FetchRequest::new("Clip").returns_faults(true)).unwrap());
    assert_eq!((calls.fetch, calls.snapshots), (1, 0), "a fetch of faults is one store call");
    let ids = result.ids();
    assert_eq!(ids, clips);
    assert!(ids.iter().all(|id| ctx.is_fault(*id)));
    let (_, calls) = env.count(|| {
        for id in &ids {
            ctx.get::<String>(*id, "title").unwrap();
        }
    });
    assert_eq!(calls.snapshots, 1, "the first access loads the whole batch; the rest need no call");
    assert!(ids.iter().all(|id| !ctx.is_fault(*id)));
}

#[test]
fn cached_rows_need_no_store_call() {
    let env = Env::new();
    let (_, clips) = seed(&env, 5);
    let mut reader = env.context();
    reader.fetch(&FetchRequest::new("Clip")).unwrap();
    let mut ctx = env.context();
    ctx.fetch(&FetchRequest::new("Clip").returns_faults(true)).unwrap();
    let (_, calls) = env.count(|| {
        for id in &clips {
            ctx.value(*id, "score").unwrap();
        }
    });
    assert_eq!(calls.snapshots, 0, "every row came from the row cache");
}

#[test]
fn fill_faults_is_one_call_and_filled_fetches_need_none() {
    let env = Env::new();
    let (_, clips) = seed(&env, 8);
    env.coordinator.row_cache().clear();
    let mut ctx = env.context();
    let (_, calls) = env.count(|| ctx.fill_faults(&clips).unwrap());
    assert_eq!(calls.snapshots, 1);
    let mut filled = env.context();
    let (ids, calls) = env.count(|| filled.fetch(&FetchRequest::new("Clip")).unwrap().ids());
    assert_eq!((calls.fetch, calls.snapshots), (1, 0));
    let (_, calls) = env.count(|| ids.iter().for_each(|id| drop(filled.value(*id, "title").unwrap())));
    assert_eq!(calls.snapshots, 0, "a filled fetch leaves nothing to load");
}

#[test]
fn to_many_loads_lazily_once() {
    let env = Env::new();
    let (f, clips) = seed(&env, 4);
    let mut ctx = env.context();
    let (list, calls) = env.count(|| ctx.to_many(f, "clips").unwrap());
    assert_eq!(list, clips);
    assert_eq!(calls.related, 1);
    let (_, calls) = env.count(|| ctx.to_many(f, "clips").unwrap());
    assert_eq!(calls.related, 0, "the list is kept");
}

#[test]
fn a_fault_whose_row_is_gone_is_an_error() {
    let env = Env::new();
    let (_, clips) = seed(&env, 1);
    let mut stale = env.context();
    stale.fetch(&FetchRequest::new("Clip").returns_faults(true)).unwrap();
    let mut remover = env.context();
    remover.delete(clips[0]).unwrap();
    remover.save().unwrap();
    let e = stale.value(clips[0], "title").unwrap_err();
    assert!(matches!(e, Error::Context(ContextError::ObjectNotFound { id }) if id == clips[0]), "{e:?}");
}
