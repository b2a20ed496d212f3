//! Relationship prefetching: a constant number of store calls whatever the number of
//! objects, walking afterwards costs nothing, nested paths, and typed errors. Also the
//! library fixture the other `fetch_*` modules share.

use strata_core::{Context, ContextError, Coordinator, Error, FetchError, FetchRequest, ObjectId};

use super::support::{Calls, Env, clip, folder, save_all};

/// `n` clips in five folders (clip `i` in folder `i % 5`, scored `i % 10`), each tagged with
/// two of four tags; saved. Returns the clips' IDs.
pub fn library(env: &Env, n: usize) -> Vec<ObjectId> {
    let mut ctx = env.context();
    let folders: Vec<ObjectId> = (0..5).map(|i| folder(&mut ctx, &format!("f{i}"))).collect();
    let tags: Vec<ObjectId> = (0..4)
        .map(|i| {
            let tag = ctx.insert("Tag").unwrap();
            ctx.set(tag, "name", format!("t{i}")).unwrap();
            tag
        })
        .collect();
    let clips: Vec<ObjectId> = (0..n)
        .map(|i| {
            let c = clip(&mut ctx, &format!("c{i}"), (i % 10) as f64);
            ctx.set_to_one(c, "folder", Some(folders[i % 5])).unwrap();
            ctx.add_to_many(c, "tags", tags[i % 4]).unwrap();
            ctx.add_to_many(c, "tags", tags[(i + 1) % 4]).unwrap();
            c
        })
        .collect();
    save_all(&mut ctx, &clips)
}

/// A context on a new coordinator over the environment's counting store: an empty row
/// cache, so every row costs a store call.
pub fn cold_context(env: &Env) -> Context {
    let coordinator = Coordinator::new(env.model.clone());
    coordinator.add_store("Default", env.store.clone()).unwrap();
    Context::new(coordinator)
}

/// Reads every clip's folder name and tag names.
fn walk(ctx: &mut Context, clips: &[ObjectId]) -> usize {
    let mut names = 0;
    for &c in clips {
        let f = ctx.to_one(c, "folder").unwrap().unwrap();
        names += ctx.get::<String>(f, "name").unwrap().len();
        for t in ctx.to_many(c, "tags").unwrap() {
            names += ctx.get::<String>(t, "name").unwrap().len();
        }
    }
    names
}

#[test]
fn prefetching_costs_the_same_store_calls_for_10_and_200_objects() {
    let request = FetchRequest::new("Clip").prefetch(["folder", "tags"]);
    let mut costs = Vec::new();
    for n in [10, 200] {
        let env = Env::new();
        library(&env, n);
        let mut ctx = cold_context(&env);
        let (result, calls) = env.count(|| ctx.fetch(&request).unwrap());
        let clips = result.ids();
        assert_eq!(clips.len(), n);
        let (names, walking) = env.count(|| walk(&mut ctx, &clips));
        assert!(names > 0);
        assert_eq!(walking, Calls::default(), "walking prefetched relationships calls no store ({n} clips)");
        costs.push(calls);
    }
    assert_eq!(costs[0], costs[1], "store calls do not grow with the number of objects");
    assert_eq!(
        costs[0],
        Calls { fetch: 1, snapshots: 2, related: 1, save: 0 },
        "fetch, folders, tag lists, tags"
    );
}

#[test]
fn without_prefetching_walking_calls_the_store() {
    let env = Env::new();
    library(&env, 30);
    let mut ctx = cold_context(&env);
    let clips = ctx.fetch(&FetchRequest::new("Clip")).unwrap().ids();
    let (_, walking) = env.count(|| walk(&mut ctx, &clips));
    assert!(walking.related >= 30, "one to-many look-up per clip without prefetching: {walking:?}");
}

#[test]
fn nested_paths_and_faults_prefetch_too() {
    let env = Env::new();
    library(&env, 20);
    let mut setup = env.context();
    let owner = setup.insert("Owner").unwrap();
    setup.set(owner, "name", "o").unwrap();
    let folders = setup.fetch(&FetchRequest::new("Folder")).unwrap().ids();
    for f in folders {
        setup.set_to_one(f, "owner", Some(owner)).unwrap();
    }
    setup.save().unwrap();
    let mut ctx = cold_context(&env);
    let request = FetchRequest::new("Clip").returns_faults(true).prefetch(["folder.owner"]);
    let (result, calls) = env.count(|| ctx.fetch(&request).unwrap());
    assert_eq!(calls, Calls { fetch: 1, snapshots: 3, related: 0, save: 0 }, "IDs, clips, folders, owners");
    let clips = result.ids();
    let (_, walking) = env.count(|| {
        for &c in &clips {
            let f = ctx.to_one(c, "folder").unwrap().unwrap();
            let o = ctx.to_one(f, "owner").unwrap().unwrap();
            assert_eq!(ctx.get::<String>(o, "name").unwrap(), "o");
        }
    });
    assert_eq!(walking, Calls::default());
}

#[test]
fn prefetch_paths_are_checked() {
    let env = Env::new();
    let mut ctx = env.context();
    match ctx.fetch(&FetchRequest::new("Clip").prefetch(["folder.name"])) {
        Err(Error::Fetch(FetchError::PrefetchNotRelationship { key, .. })) => assert_eq!(key, "name"),
        other => panic!("expected PrefetchNotRelationship, got {other:?}"),
    }
    match ctx.fetch(&FetchRequest::new("Clip").prefetch(["foldr"])) {
        Err(Error::Context(ContextError::InvalidKeyPath { key_path, .. })) => assert_eq!(key_path, "foldr"),
        other => panic!("expected InvalidKeyPath, got {other:?}"),
    }
}
