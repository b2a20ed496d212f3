//! Delete rules: cascade chains and cycles, nullify both ways, deny, noAction, and
//! deleting unsaved objects.

use std::collections::BTreeSet;

use strata_core::{Error, FetchRequest, Problem};

use super::support::{Env, clip, folder, save_all, sorted};

fn count(env: &Env, entity: &str) -> u64 {
    env.context().count(&FetchRequest::new(entity)).unwrap()
}

#[test]
fn cascade_follows_chains() {
    let env = Env::new();
    let mut ctx = env.context();
    let f = folder(&mut ctx, "f");
    let child = folder(&mut ctx, "child");
    ctx.set_to_one(child, "parent", Some(f)).unwrap();
    let mut ids = vec![f, child];
    for (i, owner) in [f, f, child].into_iter().enumerate() {
        let c = clip(&mut ctx, &format!("c{i}"), 1.0);
        let n = ctx.insert("Note").unwrap();
        ctx.set_to_one(c, "folder", Some(owner)).unwrap();
        ctx.set_to_one(c, "note", Some(n)).unwrap();
        ids.extend([c, n]);
    }
    let kept = clip(&mut ctx, "kept", 1.0);
    ids.push(kept);
    let ids = save_all(&mut ctx, &ids);
    let (f, kept) = (ids[0], ids[ids.len() - 1]);

    let mut ctx = env.context();
    ctx.delete(f).unwrap();
    let expected: BTreeSet<_> = ids[..ids.len() - 1].iter().copied().collect();
    assert_eq!(ctx.deleted_objects(), expected, "folder → child folder → clips → notes");
    let fetched = ctx.fetch(&FetchRequest::new("Clip")).unwrap().ids();
    assert_eq!(fetched, vec![kept], "deleted objects leave fetches before the save");
    ctx.save().unwrap();
    assert_eq!((count(&env, "Folder"), count(&env, "Clip"), count(&env, "Note")), (0, 1, 0));
}

#[test]
fn cascade_cycles_end() {
    let env = Env::new();
    let mut ctx = env.context();
    let nodes: Vec<_> = (0..4).map(|_| ctx.insert("Node").unwrap()).collect();
    for i in 0..4 {
        ctx.set_to_one(nodes[i], "next", Some(nodes[(i + 1) % 4])).unwrap();
    }
    assert_eq!(ctx.to_one(nodes[0], "prev").unwrap(), Some(nodes[3]));
    let nodes = save_all(&mut ctx, &nodes);
    let mut ctx = env.context();
    ctx.delete(nodes[2]).unwrap();
    assert_eq!(ctx.deleted_objects().len(), 4, "the whole ring goes, each node once");
    ctx.save().unwrap();
    assert_eq!(count(&env, "Node"), 0);
}

#[test]
fn nullify_updates_the_other_side() {
    let env = Env::new();
    let mut ctx = env.context();
    let f = folder(&mut ctx, "f");
    let c1 = clip(&mut ctx, "c1", 1.0);
    let c2 = clip(&mut ctx, "c2", 1.0);
    let t = ctx.insert("Tag").unwrap();
    let n = ctx.insert("Note").unwrap();
    ctx.set_to_many(f, "clips", &[c1, c2]).unwrap();
    ctx.set_to_many(t, "clips", &[c1, c2]).unwrap();
    ctx.set_to_one(c1, "note", Some(n)).unwrap();
    let [f, c1, c2, t, n] = save_all(&mut ctx, &[f, c1, c2, t, n])[..] else { panic!() };

    let mut ctx = env.context();
    // To-one inverse: the clips' foreign keys become nil (updates).
    ctx.delete(n).unwrap();
    assert_eq!(ctx.to_one(c1, "note").unwrap(), None);
    // To-many inverse (many-to-many): the tag leaves each clip's tags.
    ctx.delete(t).unwrap();
    assert!(ctx.to_many(c2, "tags").unwrap().is_empty());
    // The clip leaves its folder's clips.
    ctx.delete(c2).unwrap();
    assert_eq!(ctx.to_many(f, "clips").unwrap(), vec![c1]);
    assert!(ctx.updated_objects().contains(&c1), "a nullified foreign key is an update");
    assert!(ctx.updated_objects().contains(&f), "a to-many that lost a member is an update");
    ctx.save().unwrap();

    let mut check = env.context();
    assert_eq!(check.to_one(c1, "note").unwrap(), None);
    assert!(check.to_many(c1, "tags").unwrap().is_empty());
    assert_eq!(check.to_many(f, "clips").unwrap(), vec![c1]);
    assert_eq!((count(&env, "Tag"), count(&env, "Note"), count(&env, "Clip")), (0, 0, 1));
}

#[test]
fn deny_fails_the_save_naming_the_object_until_the_relationship_is_empty() {
    let env = Env::new();
    let mut ctx = env.context();
    let owner = ctx.insert("Owner").unwrap();
    let f = folder(&mut ctx, "f");
    ctx.set_to_one(f, "owner", Some(owner)).unwrap();
    let [owner, f] = save_all(&mut ctx, &[owner, f])[..] else { panic!() };

    let mut ctx = env.context();
    ctx.delete(owner).unwrap();
    let before = env.calls().save;
    let Err(Error::Validation(e)) = ctx.save() else { panic!("deny must fail the save") };
    assert_eq!(env.calls().save, before, "nothing reaches the store");
    assert_eq!(e.violations.len(), 1);
    let v = &e.violations[0];
    assert_eq!((v.object, v.entity.as_str(), v.property.as_str()), (owner, "Owner", "folders"));
    assert_eq!(v.problem, Problem::DeleteDenied { count: 1 });
    assert!(e.to_string().contains("folders still holds 1 object(s) and its delete rule is deny"), "{e}");
    assert!(ctx.is_deleted(owner), "the delete stays pending");

    ctx.set_to_one(f, "owner", None).unwrap();
    ctx.save().unwrap();
    assert_eq!(count(&env, "Owner"), 0);
    assert_eq!(count(&env, "Folder"), 1);
}

#[test]
fn deny_is_satisfied_when_the_destinations_go_too() {
    let env = Env::new();
    let mut ctx = env.context();
    let owner = ctx.insert("Owner").unwrap();
    let f = folder(&mut ctx, "f");
    ctx.set_to_one(f, "owner", Some(owner)).unwrap();
    let [owner, f] = save_all(&mut ctx, &[owner, f])[..] else { panic!() };
    let mut ctx = env.context();
    ctx.delete(f).unwrap();
    ctx.delete(owner).unwrap();
    ctx.save().unwrap();
    assert_eq!(count(&env, "Owner") + count(&env, "Folder"), 0);
}

#[test]
fn no_action_leaves_destinations_alone() {
    let env = Env::new();
    let mut ctx = env.context();
    let c = clip(&mut ctx, "c", 1.0);
    let p = ctx.insert("Playlist").unwrap();
    ctx.set_to_one(p, "pick", Some(c)).unwrap();
    ctx.add_to_many(p, "items", c).unwrap();
    let [c, p] = save_all(&mut ctx, &[c, p])[..] else { panic!() };
    let mut ctx = env.context();
    ctx.delete(p).unwrap();
    assert!(ctx.updated_objects().is_empty(), "noAction and inverse-less nullify touch nothing");
    ctx.save().unwrap();
    assert_eq!(count(&env, "Clip"), 1);
    assert!(env.context().existing_object(c).is_ok());
}

#[test]
fn deleting_an_inserted_object_forgets_it() {
    let env = Env::new();
    let mut ctx = env.context();
    let f = folder(&mut ctx, "f");
    let [f] = save_all(&mut ctx, &[f])[..] else { panic!() };
    let c = clip(&mut ctx, "c", 1.0);
    ctx.set_to_one(c, "folder", Some(f)).unwrap();
    assert!(ctx.has_changes());
    ctx.delete(c).unwrap();
    assert!(!ctx.has_changes(), "the insert and its inverse edits cancel out");
    assert!(!ctx.is_registered(c));
    assert!(ctx.to_many(f, "clips").unwrap().is_empty());
    assert_eq!(sorted(ctx.fetch(&FetchRequest::new("Clip")).unwrap().ids()), vec![]);
}

#[test]
fn deleting_many_objects_batches_the_loads() {
    let env = Env::new();
    let mut ctx = env.context();
    let mut ids = Vec::new();
    for i in 0..6 {
        let f = folder(&mut ctx, &format!("f{i}"));
        let c = clip(&mut ctx, &format!("c{i}"), 1.0);
        ctx.set_to_one(c, "folder", Some(f)).unwrap();
        ids.push(f);
    }
    let folders = save_all(&mut ctx, &ids);
    env.coordinator.row_cache().clear();
    let mut ctx = env.context();
    let (_, calls) = env.count(|| ctx.delete_objects(&folders).unwrap());
    assert_eq!(ctx.deleted_objects().len(), 12, "the folders and their clips");
    // Level 1: the folders' rows, their clips and children; level 2: the clips' rows and
    // tags (to nullify).
    assert_eq!(calls.snapshots, 2, "one row load per level");
    assert_eq!(calls.related, 3, "one list load per relationship and level");
    ctx.save().unwrap();
    assert_eq!(count(&env, "Clip"), 0);
}
