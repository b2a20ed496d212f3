//! Undo and redo: each change kind on both sides of each relationship kind, cascades,
//! grouping, redo invalidation, clearing, disabled recording and undo after a merge.

use std::collections::BTreeMap;

use strata_core::{Context, MergePolicy, ObjectId, Value};

use super::merge_policies::scene;
use super::support::{Env, clip, folder, save_all, sorted};

/// Everything the context answers about one object: deletion, every attribute, every
/// to-one destination and every to-many list (as a set: lists reverted by undo keep their
/// members, not necessarily the order of pending additions).
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub deleted: bool,
    pub values: Vec<Value>,
    pub to_one: Vec<Option<ObjectId>>,
    pub to_many: Vec<Vec<ObjectId>>,
}

/// The picture of each of `ids` (`None`: the context does not hold it), with the changed
/// sets and `has_changes`.
pub type World = (BTreeMap<ObjectId, Option<Picture>>, [Vec<ObjectId>; 3], bool);

pub fn world(ctx: &mut Context, ids: &[ObjectId]) -> World {
    let model = ctx.model().clone();
    let mut out = BTreeMap::new();
    for &id in ids {
        if id.is_temporary() && !ctx.is_registered(id) {
            out.insert(id, None);
            continue;
        }
        let entity = &model.entities()[id.entity().get()];
        let mut picture =
            Picture { deleted: ctx.is_deleted(id), values: vec![], to_one: vec![], to_many: vec![] };
        for a in entity.attributes() {
            picture.values.push(ctx.value(id, a.name()).unwrap());
        }
        for r in entity.relationships() {
            if r.is_to_many() {
                picture.to_many.push(sorted(ctx.to_many(id, r.name()).unwrap()));
            } else {
                picture.to_one.push(ctx.to_one(id, r.name()).unwrap());
            }
        }
        out.insert(id, Some(picture));
    }
    let sets = [
        ctx.inserted_objects().into_iter().collect(),
        ctx.updated_objects().into_iter().collect(),
        ctx.deleted_objects().into_iter().collect(),
    ];
    (out, sets, ctx.has_changes())
}

#[test]
fn an_attribute_change_is_undone_and_redone() {
    let scene = scene();
    let (env, c) = (&scene.env, scene.clip);
    let mut ctx = env.context();
    assert!(!ctx.can_undo());
    ctx.set(c, "title", "new").unwrap();
    ctx.set(c, "score", 4.0).unwrap();
    assert_eq!(ctx.undo_count(), 2, "one group per call");
    assert!(ctx.undo());
    assert_eq!(ctx.get::<f64>(c, "score").unwrap(), 1.0);
    assert_eq!(ctx.get::<String>(c, "title").unwrap(), "new");
    assert!(ctx.undo());
    assert_eq!(ctx.get::<String>(c, "title").unwrap(), "t0");
    assert!(!ctx.has_changes(), "undoing every change of a saved object makes it unchanged");
    assert!(ctx.updated_objects().is_empty() && ctx.changed_values(c).unwrap().is_empty());
    assert!(!ctx.undo() && !ctx.can_undo(), "nothing left");
    assert_eq!(ctx.redo_count(), 2);
    assert!(ctx.redo() && ctx.redo() && !ctx.redo());
    assert_eq!(ctx.get::<String>(c, "title").unwrap(), "new");
    assert_eq!(ctx.get::<f64>(c, "score").unwrap(), 4.0);
    assert_eq!(ctx.updated_objects().into_iter().collect::<Vec<_>>(), vec![c]);
    ctx.save().unwrap();
    assert_eq!(env.context().get::<f64>(c, "score").unwrap(), 4.0, "redone changes save");
}

#[test]
fn an_insert_is_undone_and_redone() {
    let env = Env::new();
    let mut ctx = env.context();
    let c = ctx.insert("Clip").unwrap();
    ctx.set(c, "title", "x").unwrap();
    ctx.undo();
    assert_eq!(ctx.get::<f64>(c, "score").unwrap(), 1.0, "still inserted");
    assert!(ctx.changed_values(c).unwrap().is_empty(), "no value set any more");
    ctx.undo();
    assert!(!ctx.is_registered(c) && !ctx.has_changes() && ctx.inserted_objects().is_empty());
    assert!(ctx.value(c, "title").is_err(), "the undone insert is gone");
    ctx.redo();
    ctx.redo();
    assert_eq!(ctx.get::<String>(c, "title").unwrap(), "x");
    assert_eq!(ctx.inserted_objects().into_iter().collect::<Vec<_>>(), vec![c]);
    let id = save_all(&mut ctx, &[c])[0];
    assert_eq!(env.context().get::<String>(id, "title").unwrap(), "x");
}

/// Undoes everything, checks the world equals `before`, redoes everything, checks it
/// equals `after`, and undoes again (so a test can go on from the original state).
fn round_trip(ctx: &mut Context, ids: &[ObjectId], before: &World, what: &str) {
    let after = world(ctx, ids);
    assert_ne!(&after, before, "{what}: the change changed something");
    while ctx.undo() {}
    assert_eq!(&world(ctx, ids), before, "{what}: undone");
    while ctx.redo() {}
    assert_eq!(world(ctx, ids), after, "{what}: redone");
    while ctx.undo() {}
}

#[test]
fn each_relationship_kind_is_undone_on_both_sides() {
    let scene = scene();
    let (env, c) = (&scene.env, scene.clip);
    let [f1, f2, _] = scene.folders;
    let [t1, t2, _] = scene.tags;
    let mut ctx = env.context();
    let n1 = ctx.insert("Note").unwrap();
    let n2 = ctx.insert("Note").unwrap();
    let other = clip(&mut ctx, "other", 2.0);
    ctx.set_to_one(other, "note", Some(n2)).unwrap();
    let ids = [c, other, f1, f2, t1, t2, n1, n2];
    let start = ctx.undo_count();
    let before = world(&mut ctx, &ids);

    // to-one with a to-many inverse, and the to-many side.
    ctx.set_to_one(c, "folder", Some(f2)).unwrap();
    assert_eq!(ctx.to_many(f1, "clips").unwrap(), vec![]);
    round_trip_from(&mut ctx, &ids, &before, start, "clip.folder = f2");
    ctx.set_to_one(c, "folder", None).unwrap();
    round_trip_from(&mut ctx, &ids, &before, start, "clip.folder = nil");
    ctx.add_to_many(f2, "clips", c).unwrap();
    assert_eq!(ctx.to_one(c, "folder").unwrap(), Some(f2));
    round_trip_from(&mut ctx, &ids, &before, start, "f2.clips += clip");
    ctx.remove_to_many(f1, "clips", c).unwrap();
    round_trip_from(&mut ctx, &ids, &before, start, "f1.clips -= clip");
    ctx.set_to_many(f2, "clips", &[c, other]).unwrap();
    round_trip_from(&mut ctx, &ids, &before, start, "f2.clips = [clip, other]");
    // many-to-many, both sides.
    ctx.add_to_many(c, "tags", t2).unwrap();
    ctx.remove_to_many(t1, "clips", c).unwrap();
    assert_eq!(ctx.to_many(t2, "clips").unwrap(), vec![c]);
    round_trip_from(&mut ctx, &ids, &before, start, "tags");
    ctx.set_to_many(c, "tags", &[t2]).unwrap();
    round_trip_from(&mut ctx, &ids, &before, start, "clip.tags = [t2]");
    // one-to-one: taking another object's partner clears the partner's old side.
    ctx.set_to_one(c, "note", Some(n2)).unwrap();
    assert_eq!(ctx.to_one(other, "note").unwrap(), None);
    round_trip_from(&mut ctx, &ids, &before, start, "clip.note = other's note");
    ctx.set_to_one(n1, "clip", Some(other)).unwrap();
    assert_eq!(ctx.to_one(n2, "clip").unwrap(), None);
    round_trip_from(&mut ctx, &ids, &before, start, "n1.clip = other");
}

/// `round_trip` for the groups recorded after the first `start` ones.
fn round_trip_from(ctx: &mut Context, ids: &[ObjectId], before: &World, start: usize, what: &str) {
    let after = world(ctx, ids);
    assert_ne!(&after, before, "{what}: the change changed something");
    while ctx.undo_count() > start {
        ctx.undo();
    }
    assert_eq!(&world(ctx, ids), before, "{what}: undone");
    while ctx.redo() {}
    assert_eq!(world(ctx, ids), after, "{what}: redone");
    while ctx.undo_count() > start {
        ctx.undo();
    }
}

#[test]
fn a_cascade_delete_is_undone_with_every_object_and_link() {
    let env = Env::new();
    let mut ctx = env.context();
    let f = folder(&mut ctx, "f");
    let child = folder(&mut ctx, "child");
    let owner = ctx.insert("Owner").unwrap();
    ctx.set_to_one(f, "owner", Some(owner)).unwrap();
    ctx.set_to_one(child, "parent", Some(f)).unwrap();
    let mut ids = vec![f, child, owner];
    for (i, home) in [f, f, child].into_iter().enumerate() {
        let c = clip(&mut ctx, &format!("c{i}"), 1.0);
        let n = ctx.insert("Note").unwrap();
        let t = ctx.insert("Tag").unwrap();
        ctx.set_to_one(c, "folder", Some(home)).unwrap();
        ctx.set_to_one(c, "note", Some(n)).unwrap();
        ctx.add_to_many(c, "tags", t).unwrap();
        ids.extend([c, n, t]);
    }
    let ids = save_all(&mut ctx, &ids);
    let mut ctx = env.context();
    let before = world(&mut ctx, &ids);
    ctx.delete(ids[0]).unwrap();
    assert_eq!(ctx.deleted_objects().len(), 8, "two folders, three clips, three notes");
    assert_eq!(ctx.undo_count(), 1, "a delete and its cascade are one group");
    round_trip(&mut ctx, &ids, &before, "cascade delete");
    assert!(!ctx.has_changes());
    ctx.redo();
    ctx.save().unwrap();
    assert_eq!(env.context().count(&strata_core::FetchRequest::new("Clip")).unwrap(), 0);
}

#[test]
fn deleting_an_inserted_object_is_undone() {
    let scene = scene();
    let (env, [f1, _, _]) = (&scene.env, scene.folders);
    let mut ctx = env.context();
    let first = ctx.insert("Tag").unwrap();
    let c = clip(&mut ctx, "new", 3.0);
    let last = ctx.insert("Tag").unwrap();
    let n = ctx.insert("Note").unwrap();
    ctx.set_to_one(c, "folder", Some(f1)).unwrap();
    ctx.set_to_one(c, "note", Some(n)).unwrap();
    ctx.add_to_many(c, "tags", scene.tags[1]).unwrap();
    let ids = [c, n, f1, scene.tags[1], first, last];
    let before = world(&mut ctx, &ids);
    let order: Vec<_> = ctx.inserted_objects().into_iter().collect();
    let start = ctx.undo_count();
    ctx.delete(c).unwrap();
    assert!(!ctx.is_registered(c) && !ctx.is_registered(n), "the clip and its cascaded note are gone");
    round_trip_from(&mut ctx, &ids, &before, start, "delete an inserted clip");
    assert_eq!(ctx.inserted_objects().into_iter().collect::<Vec<_>>(), order);
    let saved = save_all(&mut ctx, &[c, n]);
    let mut fresh = env.context();
    assert_eq!(fresh.to_one(saved[0], "note").unwrap(), Some(saved[1]));
    assert_eq!(fresh.to_many(f1, "clips").unwrap().len(), 2);
}

#[test]
fn groups_nest_and_the_closure_form_makes_one_group() {
    let scene = scene();
    let (env, c) = (&scene.env, scene.clip);
    let mut ctx = env.context();
    ctx.begin_undo_group();
    ctx.set(c, "title", "a").unwrap();
    ctx.begin_undo_group();
    ctx.set(c, "score", 2.0).unwrap();
    assert!(ctx.end_undo_group(), "inner");
    ctx.set_to_one(c, "folder", Some(scene.folders[1])).unwrap();
    assert!(ctx.end_undo_group(), "outer");
    assert!(!ctx.end_undo_group(), "no group open");
    let added = ctx
        .undo_group(|ctx| -> strata_core::Result<ObjectId> {
            let t = ctx.insert("Tag")?;
            ctx.set(t, "name", "tx")?;
            ctx.add_to_many(c, "tags", t)?;
            Ok(t)
        })
        .unwrap();
    assert_eq!(ctx.undo_count(), 2);
    ctx.undo();
    assert!(!ctx.is_registered(added));
    assert_eq!(ctx.to_many(c, "tags").unwrap(), vec![scene.tags[0]]);
    assert_eq!(ctx.get::<f64>(c, "score").unwrap(), 2.0, "the first group stays");
    ctx.undo();
    assert_eq!(ctx.get::<String>(c, "title").unwrap(), "t0");
    assert_eq!(ctx.get::<f64>(c, "score").unwrap(), 1.0);
    assert_eq!(ctx.to_one(c, "folder").unwrap(), Some(scene.folders[0]));
    assert_eq!(ctx.to_many(scene.folders[1], "clips").unwrap(), vec![]);
    assert!(!ctx.has_changes());

    // An undo inside an open group closes it first.
    ctx.begin_undo_group();
    ctx.set(c, "title", "b").unwrap();
    ctx.set(c, "visits", 3_i64).unwrap();
    assert!(ctx.undo());
    assert!(!ctx.end_undo_group(), "the undo closed the group");
    assert!(!ctx.has_changes());
}

#[test]
fn a_new_change_clears_the_redo_stack() {
    let scene = scene();
    let (env, c) = (&scene.env, scene.clip);
    let mut ctx = env.context();
    ctx.set(c, "title", "a").unwrap();
    ctx.set(c, "title", "b").unwrap();
    ctx.undo();
    assert!(ctx.can_redo());
    ctx.set(c, "score", 5.0).unwrap();
    assert!(!ctx.can_redo() && !ctx.redo());
    assert_eq!(ctx.undo_count(), 2);
    ctx.undo();
    ctx.undo();
    assert!(!ctx.has_changes());
}

#[test]
fn save_reset_and_rollback_clear_the_stacks() {
    let scene = scene();
    let (env, c) = (&scene.env, scene.clip);
    let mut ctx = env.context();
    let fresh = clip(&mut ctx, "fresh", 1.0);
    ctx.set(c, "title", "a").unwrap();
    ctx.undo();
    assert!(ctx.can_undo() && ctx.can_redo());
    let fresh = save_all(&mut ctx, &[fresh])[0];
    assert!(!ctx.can_undo() && !ctx.can_redo(), "save");
    assert!(!ctx.undo());
    assert_eq!(ctx.get::<String>(fresh, "title").unwrap(), "fresh", "nothing undone after the save");

    for clear in [Context::reset as fn(&mut Context), Context::rollback] {
        let mut ctx = env.context();
        ctx.set(c, "title", "a").unwrap();
        ctx.set(c, "title", "b").unwrap();
        ctx.undo();
        clear(&mut ctx);
        assert!(!ctx.can_undo() && !ctx.can_redo() && !ctx.redo());
        assert_eq!(ctx.get::<String>(c, "title").unwrap(), "t0");
    }
}

#[test]
fn recording_can_be_disabled() {
    let scene = scene();
    let (env, c) = (&scene.env, scene.clip);
    let mut ctx = env.context();
    assert!(ctx.is_undo_enabled());
    ctx.set(c, "score", 2.0).unwrap();
    ctx.set_undo_enabled(false);
    let t = ctx.insert("Tag").unwrap();
    ctx.set(c, "title", "bulk").unwrap();
    ctx.add_to_many(c, "tags", t).unwrap();
    assert_eq!(ctx.undo_count(), 1, "nothing recorded while disabled; earlier groups kept");
    ctx.set_undo_enabled(true);
    ctx.undo();
    assert_eq!(ctx.get::<f64>(c, "score").unwrap(), 1.0);
    assert_eq!(ctx.get::<String>(c, "title").unwrap(), "bulk", "unrecorded changes stay");
    assert!(ctx.is_registered(t));
    assert!(!ctx.can_undo());
}

#[test]
fn undo_after_a_merge_restores_the_recorded_values() {
    let scene = scene();
    let (env, c) = (&scene.env, scene.clip);
    let [f1, f2, _] = scene.folders;
    let mut a = env.context();
    a.set_merge_policy(MergePolicy::MergeByPropertyObjectTrump);
    a.set(c, "title", "A").unwrap();
    a.set_to_one(c, "folder", Some(f2)).unwrap();
    let mut b = env.context();
    b.set(c, "title", "B").unwrap();
    b.set(c, "visits", 5_i64).unwrap();
    let saved = b.save().unwrap();
    a.merge_changes(&saved.notifications[0]).unwrap();
    assert_eq!(a.get::<String>(c, "title").unwrap(), "A", "object trump keeps the edit");
    assert_eq!(a.undo_count(), 2, "the merge recorded nothing and cleared nothing");

    a.undo();
    assert_eq!(a.to_one(c, "folder").unwrap(), Some(f1));
    assert_eq!(a.to_many(f1, "clips").unwrap(), vec![c]);
    assert_eq!(a.to_many(f2, "clips").unwrap(), vec![]);
    a.undo();
    assert_eq!(a.get::<String>(c, "title").unwrap(), "t0", "the value the undo recorded");
    assert_eq!(a.get::<i64>(c, "visits").unwrap(), 5, "the merged value the undo did not touch");
    assert!(a.has_changes(), "t0 differs from the merged row: a pending edit");
    a.save().unwrap();
    assert_eq!(env.context().get::<String>(c, "title").unwrap(), "t0");

    // An object deleted elsewhere and merged away is not brought back by an undo.
    let gone = scene.tags[2];
    let mut a = env.context();
    a.set(gone, "name", "mine").unwrap();
    let mut b = env.context();
    b.delete(gone).unwrap();
    let saved = b.save().unwrap();
    a.merge_changes(&saved.notifications[0]).unwrap();
    assert!(!a.is_registered(gone));
    assert!(a.undo());
    assert!(!a.is_registered(gone) && !a.has_changes(), "the change about the forgotten object is skipped");
}

/// The recording cost on the hot path: 100k `set` calls with undo on and off. Run in
/// release with `cargo test --release -p strata-core --test it undo_cost -- --ignored
/// --nocapture`; it prints both timings.
#[test]
#[ignore = "a measurement, run in release"]
fn undo_cost_of_a_set_loop() {
    const SETS: usize = 100_000;
    let scene = scene();
    let mut timings = Vec::new();
    for enabled in [false, true, false, true] {
        let mut ctx = scene.env.context();
        ctx.set_undo_enabled(enabled);
        ctx.get::<f64>(scene.clip, "score").unwrap();
        let start = std::time::Instant::now();
        for i in 0..SETS {
            ctx.set(scene.clip, "title", if i % 2 == 0 { "even" } else { "odd" }).unwrap();
        }
        let elapsed = start.elapsed();
        assert_eq!(ctx.undo_count(), if enabled { SETS } else { 0 });
        timings.push((enabled, elapsed));
    }
    for (enabled, elapsed) in timings {
        let per = elapsed.as_nanos() / SETS as u128;
        println!(
            "undo {}: {SETS} sets in {elapsed:?} ({per} ns per set)",
            if enabled { "on" } else { "off" }
        );
    }
}

#[test]
fn a_child_save_is_not_undoable_in_the_parent() {
    let scene = scene();
    let (env, c) = (&scene.env, scene.clip);
    let parent = strata_core::SharedContext::new(env.context());
    parent.lock().set(c, "score", 2.0).unwrap();
    let mut child = Context::new_child(&parent);
    child.set(c, "title", "child").unwrap();
    let t = child.insert("Tag").unwrap();
    child.add_to_many(c, "tags", t).unwrap();
    assert_eq!(child.undo_count(), 3);
    child.save().unwrap();
    assert!(!child.can_undo(), "the child's save clears its stack");
    let mut p = parent.lock();
    assert_eq!(p.undo_count(), 1, "the push recorded nothing in the parent");
    assert!(p.undo());
    assert_eq!(p.get::<f64>(c, "score").unwrap(), 1.0);
    assert_eq!(p.get::<String>(c, "title").unwrap(), "child", "the pushed changes stay");
    assert_eq!(sorted(p.to_many(c, "tags").unwrap()), sorted(vec![scene.tags[0], t]));
    assert!(!p.undo());
}
