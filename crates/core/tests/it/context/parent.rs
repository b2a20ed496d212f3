//! Parent and child contexts: reads through the parent, saves into it, temporary IDs along
//! the chain, threads, delete rules and validation on a child's save.

use std::thread;

use strata_core::{Context, Error, FetchRequest, MergePolicy, SharedContext};

use super::support::{Env, clip, folder, sorted, text};

fn titles(context: &mut Context, request: &FetchRequest) -> Vec<String> {
    let ids = context.fetch(request).unwrap().ids();
    let mut out: Vec<String> =
        ids.into_iter().map(|id| text(context, id, "title").unwrap_or_default()).collect();
    out.sort();
    out
}

fn all_clips() -> FetchRequest {
    FetchRequest::new("Clip")
}

#[test]
fn child_inserts_reach_the_parent_only_when_the_child_saves() {
    let env = Env::new();
    let parent = SharedContext::new(env.context());
    let mut child = Context::new_child(&parent);
    let c = clip(&mut child, "draft", 2.0);
    assert!(!parent.lock().has_changes());
    assert_eq!(parent.lock().count(&all_clips()).unwrap(), 0);

    let (outcome, calls) = env.count(|| child.save().unwrap());
    assert_eq!(calls.save, 0, "a child's save never reaches the store");
    assert!(outcome.permanent_ids.is_empty());
    assert!(!child.has_changes());
    let mut p = parent.lock();
    assert_eq!(p.inserted_objects().into_iter().collect::<Vec<_>>(), vec![c], "same temporary ID");
    assert_eq!(text(&mut p, c, "title").as_deref(), Some("draft"));
    assert_eq!(p.get::<f64>(c, "score").unwrap(), 2.0);
    drop(p);
    // The child still reads the object, now from its parent.
    assert_eq!(text(&mut child, c, "title").as_deref(), Some("draft"));
}

#[test]
fn the_child_sees_its_parents_unsaved_inserts_and_edits() {
    let env = Env::new();
    let mut root = env.context();
    let stored = clip(&mut root, "stored", 1.0);
    let stored = root.save().unwrap().permanent_id(stored).unwrap();

    let parent = SharedContext::new(env.context());
    let inserted = {
        let mut p = parent.lock();
        p.set(stored, "title", "edited in parent").unwrap();
        clip(&mut p, "inserted in parent", 3.0)
    };
    let mut child = parent.new_child();
    assert_eq!(text(&mut child, stored, "title").as_deref(), Some("edited in parent"));
    assert_eq!(text(&mut child, inserted, "title").as_deref(), Some("inserted in parent"));
    assert_eq!(titles(&mut child, &all_clips()), vec!["edited in parent", "inserted in parent"]);
    let high = all_clips().filter("score > 2", &[]).unwrap();
    assert_eq!(child.fetch(&high).unwrap().ids(), vec![inserted]);

    // The child's own changes apply on top of what the parent shows.
    child.set(inserted, "score", 1.5).unwrap();
    let mine = clip(&mut child, "inserted in child", 9.0);
    assert_eq!(child.fetch(&high).unwrap().ids(), vec![mine]);
    assert_eq!(child.count(&all_clips()).unwrap(), 3);
    assert!(!child.is_deleted(stored));
    child.delete(stored).unwrap();
    assert_eq!(child.count(&all_clips()).unwrap(), 2);
    // None of it reached the parent.
    assert_eq!(parent.lock().get::<f64>(inserted, "score").unwrap(), 3.0);
    assert_eq!(parent.lock().count(&all_clips()).unwrap(), 2);
}

#[test]
fn a_child_save_then_the_parent_save_persists() {
    let env = Env::new();
    let parent = SharedContext::new(env.context());
    let mut child = parent.new_child();
    let c = clip(&mut child, "kept", 4.0);
    child.save().unwrap();
    let outcome = parent.lock().save().unwrap();
    let saved = outcome.permanent_id(c).expect("the parent saved the child's insert");
    assert_eq!(child.permanent_id(c), Some(saved));
    let mut fresh = env.context();
    assert_eq!(text(&mut fresh, saved, "title").as_deref(), Some("kept"));
    assert_eq!(fresh.get::<f64>(saved, "score").unwrap(), 4.0);
}

#[test]
fn temporary_ids_stay_consistent_across_the_chain() {
    let env = Env::new();
    let parent = SharedContext::new(env.context());
    let mut child = parent.new_child();
    let f = folder(&mut child, "inbox");
    let a = clip(&mut child, "a", 1.0);
    let b = clip(&mut child, "b", 2.0);
    child.set_to_one(a, "folder", Some(f)).unwrap();
    child.add_to_many(f, "clips", b).unwrap();
    child.save().unwrap();
    // The parent maintained both sides.
    assert_eq!(sorted(parent.lock().to_many(f, "clips").unwrap()), sorted(vec![a, b]));
    assert_eq!(parent.lock().to_one(b, "folder").unwrap(), Some(f));
    parent.lock().save().unwrap();

    let (pf, pa, pb) =
        (child.permanent_id(f).unwrap(), child.permanent_id(a).unwrap(), child.permanent_id(b).unwrap());
    assert!(!pf.is_temporary() && !pa.is_temporary() && !pb.is_temporary());
    // Both IDs work in the child, and the relationships hold the permanent IDs.
    assert_eq!(sorted(child.to_many(pf, "clips").unwrap()), sorted(vec![pa, pb]));
    assert_eq!(child.to_one(a, "folder").unwrap(), Some(pf));
    let mut fresh = env.context();
    assert_eq!(sorted(fresh.to_many(pf, "clips").unwrap()), sorted(vec![pa, pb]));
    assert_eq!(fresh.to_one(pb, "folder").unwrap(), Some(pf));
}

#[test]
fn many_children_of_one_parent() {
    let env = Env::new();
    let parent = SharedContext::new(env.context());
    let mut children: Vec<Context> = (0..3).map(|_| parent.new_child()).collect();
    let ids: Vec<_> =
        children.iter_mut().enumerate().map(|(i, c)| clip(c, &format!("c{i}"), i as f64)).collect();
    children[1].save().unwrap();
    assert_eq!(titles(&mut children[0], &all_clips()), vec!["c0", "c1"]);
    assert_eq!(titles(&mut children[2], &all_clips()), vec!["c1", "c2"]);
    children[0].save().unwrap();
    children[2].save().unwrap();
    assert_eq!(sorted(parent.lock().inserted_objects().into_iter().collect()), sorted(ids));
    parent.lock().save().unwrap();
    assert_eq!(titles(&mut env.context(), &all_clips()), vec!["c0", "c1", "c2"]);
}

#[test]
fn a_child_on_another_thread() {
    let env = Env::new();
    let parent = SharedContext::new(env.context());
    let existing = clip(&mut parent.lock(), "from parent", 1.0);
    let handle = {
        let parent = parent.clone();
        thread::spawn(move || {
            let mut child = Context::new_child(&parent);
            let seen = text(&mut child, existing, "title");
            for i in 0..5 {
                clip(&mut child, &format!("worker {i}"), 1.0);
            }
            child.set(existing, "score", 7.0).unwrap();
            child.save().unwrap();
            seen
        })
    };
    assert_eq!(handle.join().unwrap().as_deref(), Some("from parent"));
    let mut p = parent.lock();
    assert_eq!(p.get::<f64>(existing, "score").unwrap(), 7.0);
    assert_eq!(p.count(&all_clips()).unwrap(), 6);
    p.save().unwrap();
    drop(p);
    assert_eq!(env.context().count(&all_clips()).unwrap(), 6);
}

#[test]
fn a_grandchild_chain_of_three() {
    let env = Env::new();
    let top = SharedContext::new(env.context());
    let middle = top.new_child().into_shared();
    let mut bottom = middle.new_child();
    let in_top = clip(&mut top.lock(), "top", 1.0);
    assert_eq!(text(&mut bottom, in_top, "title").as_deref(), Some("top"), "reads through two levels");
    let f = folder(&mut bottom, "deep");
    bottom.set_to_one(in_top, "folder", Some(f)).unwrap();
    bottom.save().unwrap();
    let top_inserts: Vec<_> = top.lock().inserted_objects().into_iter().collect();
    assert_eq!(top_inserts, vec![in_top], "the grandchild's insert stops at the middle");
    assert_eq!(middle.lock().to_one(in_top, "folder").unwrap(), Some(f));
    assert!(top.lock().to_one(in_top, "folder").unwrap().is_none(), "not pushed past the middle yet");
    middle.lock().save().unwrap();
    assert_eq!(top.lock().to_one(in_top, "folder").unwrap(), Some(f));
    top.lock().save().unwrap();
    let pf = bottom.permanent_id(f).expect("the top's save names the grandchild's insert");
    assert_eq!(middle.lock().permanent_id(f), Some(pf));
    let pc = top.lock().permanent_id(in_top).unwrap();
    let mut fresh = env.context();
    assert_eq!(fresh.to_one(pc, "folder").unwrap(), Some(pf));
    assert_eq!(text(&mut fresh, pf, "name").as_deref(), Some("deep"));
}

#[test]
fn a_delete_in_the_child_cascades_in_the_parent_on_save() {
    let env = Env::new();
    let mut root = env.context();
    let f = folder(&mut root, "doomed");
    let a = clip(&mut root, "a", 1.0);
    let b = clip(&mut root, "b", 1.0);
    root.set_to_one(a, "folder", Some(f)).unwrap();
    root.set_to_one(b, "folder", Some(f)).unwrap();
    let saved = super::support::save_all(&mut root, &[f, a, b]);
    let (f, a, b) = (saved[0], saved[1], saved[2]);

    let parent = SharedContext::new(env.context());
    let mut child = parent.new_child();
    child.delete(f).unwrap();
    assert!(child.is_deleted(a) && child.is_deleted(b));
    assert!(parent.lock().deleted_objects().is_empty());
    child.save().unwrap();
    assert_eq!(parent.lock().deleted_objects().into_iter().collect::<Vec<_>>(), sorted(vec![f, a, b]));
    assert_eq!(child.count(&all_clips()).unwrap(), 0, "the child reads the parent's deletions");
    parent.lock().save().unwrap();
    assert_eq!(env.context().count(&all_clips()).unwrap(), 0);
    assert_eq!(env.context().count(&FetchRequest::new("Folder")).unwrap(), 0);
}

#[test]
fn a_validation_failure_in_a_child_save_leaves_the_parent_untouched() {
    let env = Env::new();
    let parent = SharedContext::new(env.context());
    let mut child = parent.new_child();
    let good = clip(&mut child, "fine", 1.0);
    let bad = folder(&mut child, "bad");
    child.set(bad, "position", 500_i64).unwrap();
    let error = child.save().unwrap_err();
    assert!(matches!(error, Error::Validation(_)), "{error:?}");
    assert!(!parent.lock().has_changes());
    assert!(child.has_changes() && child.inserted_objects().contains(&good));
    child.set(bad, "position", 5_i64).unwrap();
    child.save().unwrap();
    assert_eq!(parent.lock().inserted_objects().len(), 2);
}

/// A parent holding a saved clip, and a child that read it before the parent changed it.
fn conflicting(policy: MergePolicy) -> (Env, SharedContext, Context, strata_core::ObjectId) {
    let env = Env::new();
    let mut root = env.context();
    let c = clip(&mut root, "original", 1.0);
    let c = root.save().unwrap().permanent_id(c).unwrap();
    let parent = SharedContext::new(env.context());
    let mut child = parent.new_child();
    child.set_merge_policy(policy);
    assert_eq!(text(&mut child, c, "title").as_deref(), Some("original"));
    child.set(c, "title", "child's").unwrap();
    child.set(c, "visits", 3_i64).unwrap();
    {
        let mut p = parent.lock();
        p.set(c, "title", "parent's").unwrap();
        p.set(c, "score", 5.0).unwrap();
    }
    (env, parent, child, c)
}

#[test]
fn conflicts_with_the_parent_follow_the_childs_merge_policy() {
    let (_env, parent, mut child, c) = conflicting(MergePolicy::Error);
    let error = child.save().unwrap_err();
    let Error::Conflict(conflict) = error else { panic!("expected a conflict, got {error:?}") };
    assert_eq!(conflict.conflicts.len(), 1);
    assert_eq!(conflict.conflicts[0].id, c);
    assert_eq!(text(&mut parent.lock(), c, "title").as_deref(), Some("parent's"), "parent untouched");
    assert!(child.has_changes());

    let (_env, parent, mut child, c) = conflicting(MergePolicy::MergeByPropertyObjectTrump);
    child.save().unwrap();
    let mut p = parent.lock();
    assert_eq!(text(&mut p, c, "title").as_deref(), Some("child's"));
    assert_eq!(p.get::<f64>(c, "score").unwrap(), 5.0, "the parent's other change is kept");
    assert_eq!(p.get::<i16>(c, "visits").unwrap(), 3);
    drop(p);

    let (_env, parent, mut child, c) = conflicting(MergePolicy::MergeByPropertyStoreTrump);
    child.save().unwrap();
    let mut p = parent.lock();
    assert_eq!(text(&mut p, c, "title").as_deref(), Some("parent's"));
    assert_eq!(p.get::<f64>(c, "score").unwrap(), 5.0);
    assert_eq!(p.get::<i16>(c, "visits").unwrap(), 3, "the child's own change is kept");
    drop(p);
    assert_eq!(text(&mut child, c, "title").as_deref(), Some("parent's"));
}

#[test]
fn a_root_context_has_no_parent_and_rejects_unknown_temporary_ids() {
    let env = Env::new();
    let parent = SharedContext::new(env.context());
    let mut child = parent.new_child();
    assert!(child.parent().is_some());
    assert!(env.context().parent().is_none());
    let mut other = env.context();
    let foreign = clip(&mut other, "elsewhere", 1.0);
    assert!(child.value(foreign, "title").is_err(), "a temporary ID neither the child nor its parent knows");
}

#[test]
fn a_childs_sorted_fetch_merges_stored_parent_and_child_objects() {
    let env = Env::new();
    let mut root = env.context();
    clip(&mut root, "stored 5", 5.0);
    clip(&mut root, "stored 1", 1.0);
    root.save().unwrap();
    let parent = SharedContext::new(env.context());
    clip(&mut parent.lock(), "parent 3", 3.0);
    let mut child = parent.new_child();
    clip(&mut child, "child 4", 4.0);
    let request = all_clips().sort_by("score DESC").unwrap();
    let ids = child.fetch(&request).unwrap().ids();
    let order: Vec<String> =
        ids.into_iter().map(|id| text(&mut child, id, "title").unwrap_or_default()).collect();
    assert_eq!(order, vec!["stored 5", "child 4", "parent 3", "stored 1"]);
    let page = child.fetch(&request.clone().offset(1).limit(2)).unwrap().ids();
    let page: Vec<String> =
        page.into_iter().map(|id| text(&mut child, id, "title").unwrap_or_default()).collect();
    assert_eq!(page, vec!["child 4", "parent 3"]);
}

#[test]
fn automatic_merging_from_the_parent() {
    let env = Env::new();
    let parent = SharedContext::new(env.context());
    let c = clip(&mut parent.lock(), "first", 1.0);
    let mut merging = parent.new_child();
    merging.set_automatically_merges_changes_from_parent(true);
    assert!(merging.automatically_merges_changes_from_parent());
    let mut still = parent.new_child();
    assert_eq!(text(&mut merging, c, "title").as_deref(), Some("first"));
    assert_eq!(text(&mut still, c, "title").as_deref(), Some("first"));

    let mut sibling = parent.new_child();
    sibling.set(c, "title", "second").unwrap();
    sibling.save().unwrap();
    merging.count(&all_clips()).unwrap();
    still.count(&all_clips()).unwrap();
    assert_eq!(text(&mut merging, c, "title").as_deref(), Some("second"));
    assert_eq!(text(&mut still, c, "title").as_deref(), Some("first"), "read once, kept until re-read");

    // The parent's save gives the parent's insert its permanent ID in the merging child.
    let saved = parent.lock().save().unwrap().permanent_id(c).unwrap();
    merging.count(&all_clips()).unwrap();
    assert!(merging.is_registered(saved));
    assert_eq!(merging.permanent_id(c), Some(saved));
    assert_eq!(text(&mut merging, saved, "title").as_deref(), Some("second"));
}

#[test]
fn rollback_deletions_and_objects_the_parent_deleted() {
    let (_env, parent, mut child, c) = conflicting(MergePolicy::Rollback);
    child.save().unwrap();
    assert_eq!(parent.lock().get::<i16>(c, "visits").unwrap(), 0, "the child's edits were dropped");
    assert_eq!(text(&mut child, c, "title").as_deref(), Some("parent's"));

    // A deletion conflicting with a parent change fails unless the child's side wins.
    let (_env, parent, mut child, c) = conflicting(MergePolicy::MergeByPropertyStoreTrump);
    child.rollback();
    child.delete(c).unwrap();
    assert!(matches!(child.save(), Err(Error::Conflict(_))));
    assert!(parent.lock().deleted_objects().is_empty());
    child.set_merge_policy(MergePolicy::MergeByPropertyObjectTrump);
    child.save().unwrap();
    assert_eq!(parent.lock().deleted_objects().into_iter().collect::<Vec<_>>(), vec![c]);

    // Edits to an object the parent deleted meanwhile are dropped unless the policy is Error.
    let (_env, parent, mut child, c) = conflicting(MergePolicy::MergeByPropertyObjectTrump);
    parent.lock().delete(c).unwrap();
    child.save().unwrap();
    assert!(!child.has_changes());
    assert!(parent.lock().is_deleted(c));
}

#[test]
fn many_to_many_and_one_to_one_changes_reach_the_parent_once() {
    let env = Env::new();
    let parent = SharedContext::new(env.context());
    let mut child = parent.new_child();
    let c = clip(&mut child, "tagged", 1.0);
    let tags: Vec<_> = (0..2)
        .map(|i| {
            let t = child.insert("Tag").unwrap();
            child.set(t, "name", format!("t{i}")).unwrap();
            child.add_to_many(c, "tags", t).unwrap();
            t
        })
        .collect();
    let note = child.insert("Note").unwrap();
    child.set_to_one(c, "note", Some(note)).unwrap();
    child.save().unwrap();
    {
        let mut p = parent.lock();
        assert_eq!(sorted(p.to_many(c, "tags").unwrap()), sorted(tags.clone()));
        assert_eq!(p.to_many(tags[0], "clips").unwrap(), vec![c]);
        assert_eq!(p.to_one(note, "clip").unwrap(), Some(c));
        p.save().unwrap();
    }
    let (pc, pt) = (child.permanent_id(c).unwrap(), child.permanent_id(tags[1]).unwrap());
    let mut fresh = env.context();
    assert_eq!(fresh.to_many(pc, "tags").unwrap().len(), 2);
    assert_eq!(fresh.to_many(pt, "clips").unwrap(), vec![pc]);
    assert!(fresh.to_one(pc, "note").unwrap().is_some());
}

#[test]
fn refresh_and_existing_object_read_the_parent() {
    let env = Env::new();
    let parent = SharedContext::new(env.context());
    let c = clip(&mut parent.lock(), "first", 1.0);
    let mut child = parent.new_child();
    assert_eq!(child.existing_object(c).unwrap(), c, "the parent's unsaved insert exists for the child");
    assert_eq!(text(&mut child, c, "title").as_deref(), Some("first"));
    parent.lock().set(c, "title", "second").unwrap();
    assert_eq!(text(&mut child, c, "title").as_deref(), Some("first"));
    child.refresh(c, false).unwrap();
    assert_eq!(text(&mut child, c, "title").as_deref(), Some("second"));
    parent.lock().delete(c).unwrap();
    assert!(child.existing_object(c).is_err(), "deleted in the parent");
}

#[test]
fn an_async_fetch_in_a_child_sees_its_parents_unsaved_changes() {
    use strata_core::CancelToken;

    let env = Env::new();
    let mut root = env.context();
    clip(&mut root, "stored", 1.0);
    root.save().unwrap();
    let parent = SharedContext::new(env.context());
    {
        let mut p = parent.lock();
        clip(&mut p, "inserted in parent", 3.0);
    }
    let mut child = parent.new_child();
    let fetch = child.fetch_async(&all_clips(), &CancelToken::new(), None).unwrap();
    let ids = child.finish_async(fetch).unwrap().ids();
    let mut names: Vec<String> =
        ids.into_iter().map(|id| text(&mut child, id, "title").unwrap_or_default()).collect();
    names.sort();
    assert_eq!(names, vec!["inserted in parent", "stored"], "as the synchronous fetch answers");
}
