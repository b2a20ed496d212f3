//! Uniqueness conflicts under merge policies: an insert colliding with a stored object on a
//! uniqueness constraint becomes an update of it (insert-or-update), or fails under `Error`.

use std::sync::Arc;

use strata_core::context::ConstraintConflict;
use strata_core::{
    Error, FetchRequest, MergePolicy, MergePolicyHandler, MergeResolution, ObjectConflict, ObjectId,
    StoreError, Value,
};

use super::support::{Env, clip, folder, save_all, sorted};

const UUID: &str = "67e55044-10b1-426f-9247-bb680e5fe0c8";

/// A stored clip (uuid `UUID`, title "old", score 2, visits 3, folder g) and folders g and f.
fn stored_clip(env: &Env) -> (ObjectId, ObjectId, ObjectId) {
    let mut ctx = env.context();
    let c = clip(&mut ctx, "old", 2.0);
    ctx.set(c, "uuid", UUID).unwrap();
    ctx.set(c, "visits", 3_i64).unwrap();
    let g = folder(&mut ctx, "g");
    let f = folder(&mut ctx, "f");
    ctx.set_to_one(c, "folder", Some(g)).unwrap();
    let [c, g, f] = save_all(&mut ctx, &[c, g, f])[..] else { panic!() };
    (c, g, f)
}

/// Inserts a clip with the same uuid (title "new", score 5, folder f) under `policy` and
/// saves; returns the context, the temporary ID and the save's result.
fn insert_duplicate(
    env: &Env,
    policy: MergePolicy,
    f: ObjectId,
) -> (strata_core::Context, ObjectId, strata_core::Result<strata_core::SaveOutcome>) {
    let mut ctx = env.context();
    ctx.set_merge_policy(policy);
    let dup = clip(&mut ctx, "new", 5.0);
    ctx.set(dup, "uuid", UUID).unwrap();
    ctx.set_to_one(dup, "folder", Some(f)).unwrap();
    let result = ctx.save();
    (ctx, dup, result)
}

fn read(env: &Env, c: ObjectId) -> (String, f64, i64, Option<ObjectId>) {
    let mut ctx = env.context();
    assert_eq!(ctx.count(&FetchRequest::new("Clip")).unwrap(), 1, "still one clip");
    (
        ctx.get(c, "title").unwrap(),
        ctx.get(c, "score").unwrap(),
        ctx.get(c, "visits").unwrap(),
        ctx.to_one(c, "folder").unwrap(),
    )
}

#[test]
fn object_trump_turns_the_insert_into_an_update() {
    let env = Env::new();
    let (c, _, f) = stored_clip(&env);
    let (mut ctx, dup, result) = insert_duplicate(&env, MergePolicy::MergeByPropertyObjectTrump, f);
    let outcome = result.unwrap();
    assert_eq!(outcome.permanent_id(dup), Some(c), "the temporary ID maps to the stored object");
    assert_eq!(ctx.permanent_id(dup), Some(c));
    // What the insert set wins; visits, which it left at its default, keeps the stored 3.
    assert_eq!(read(&env, c), ("new".to_owned(), 5.0, 3, Some(f)));
    assert_eq!(ctx.get::<String>(dup, "title").unwrap(), "new", "the old ID still works");
    assert_eq!(ctx.to_many(f, "clips").unwrap(), vec![c]);
    let mut fresh = env.context();
    assert_eq!(fresh.to_many(f, "clips").unwrap(), vec![c]);
}

#[test]
fn store_trump_keeps_the_stored_values() {
    let env = Env::new();
    let (c, g, f) = stored_clip(&env);
    let (mut ctx, dup, result) = insert_duplicate(&env, MergePolicy::MergeByPropertyStoreTrump, f);
    let outcome = result.unwrap();
    assert_eq!(outcome.permanent_id(dup), Some(c));
    assert_eq!(read(&env, c), ("old".to_owned(), 2.0, 3, Some(g)));
    assert_eq!(ctx.to_one(dup, "folder").unwrap(), Some(g));
    assert!(ctx.to_many(f, "clips").unwrap().is_empty(), "the dropped folder link is undone on both sides");
    assert!(!ctx.has_changes());
}

#[test]
fn overwrite_writes_every_value_of_the_insert() {
    let env = Env::new();
    let (c, _, f) = stored_clip(&env);
    let (_, _, result) = insert_duplicate(&env, MergePolicy::Overwrite, f);
    result.unwrap();
    assert_eq!(read(&env, c), ("new".to_owned(), 5.0, 0, Some(f)), "visits takes the insert's default");
}

#[test]
fn error_fails_with_the_uniqueness_error() {
    let env = Env::new();
    let (c, _, f) = stored_clip(&env);
    let (ctx, dup, result) = insert_duplicate(&env, MergePolicy::Error, f);
    match result {
        Err(Error::Store(StoreError::Uniqueness { id, existing, properties, .. })) => {
            assert_eq!((id, existing, properties), (dup, Some(c), vec!["uuid".to_owned()]));
        }
        other => panic!("expected the uniqueness error, got {other:?}"),
    }
    assert!(ctx.inserted_objects().contains(&dup), "the insert is kept");
    assert_eq!(read(&env, c).0, "old");
}

#[test]
fn links_to_the_inserted_object_move_to_the_stored_one() {
    let env = Env::new();
    let mut seed = env.context();
    let rust = seed.insert("Tag").unwrap();
    seed.set(rust, "name", "rust").unwrap();
    let c1 = clip(&mut seed, "c1", 1.0);
    seed.add_to_many(c1, "tags", rust).unwrap();
    let [rust, c1] = save_all(&mut seed, &[rust, c1])[..] else { panic!() };

    let mut ctx = env.context();
    ctx.set_merge_policy(MergePolicy::MergeByPropertyStoreTrump);
    let tag = ctx.insert("Tag").unwrap();
    ctx.set(tag, "name", "rust").unwrap();
    let c2 = clip(&mut ctx, "c2", 1.0);
    ctx.add_to_many(c2, "tags", tag).unwrap();
    let outcome = ctx.save().unwrap();
    let c2 = outcome.permanent_id(c2).unwrap();
    assert_eq!(outcome.permanent_id(tag), Some(rust));
    assert_eq!(ctx.to_many(c2, "tags").unwrap(), vec![rust]);
    let mut fresh = env.context();
    assert_eq!(fresh.count(&FetchRequest::new("Tag")).unwrap(), 1);
    assert_eq!(sorted(fresh.to_many(rust, "clips").unwrap()), sorted(vec![c1, c2]));
}

#[test]
fn a_custom_handler_resolves_constraint_conflicts() {
    struct Count;
    impl MergePolicyHandler for Count {
        fn resolve(&self, _: &ObjectConflict) -> MergeResolution {
            MergeResolution::Fail
        }
        fn resolve_constraint(&self, conflict: &ConstraintConflict) -> MergeResolution {
            let visits = conflict.current.value(3).and_then(Value::as_i64).unwrap_or(0);
            MergeResolution::Values(vec![("visits".to_owned(), Value::Int64(visits + 10))])
        }
    }
    let env = Env::new();
    let (c, g, f) = stored_clip(&env);
    let (_, _, result) = insert_duplicate(&env, MergePolicy::Custom(Arc::new(Count)), f);
    result.unwrap();
    assert_eq!(read(&env, c), ("old".to_owned(), 2.0, 13, Some(g)));
}
