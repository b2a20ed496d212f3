//! Relationships with inverses maintained on both sides, in the context and once saved.

use strata_core::{ContextError, FetchRequest};

use super::support::{Env, clip, context_error, folder, save_all, sorted};

#[test]
fn to_one_with_to_many_inverse_from_either_side() {
    let env = Env::new();
    let mut ctx = env.context();
    let f1 = folder(&mut ctx, "one");
    let f2 = folder(&mut ctx, "two");
    let c = clip(&mut ctx, "c", 1.0);
    ctx.set_to_one(c, "folder", Some(f1)).unwrap();
    assert_eq!(ctx.to_many(f1, "clips").unwrap(), vec![c]);
    ctx.set_to_one(c, "folder", Some(f2)).unwrap();
    assert!(ctx.to_many(f1, "clips").unwrap().is_empty(), "the old folder loses the clip");
    assert_eq!(ctx.to_many(f2, "clips").unwrap(), vec![c]);
    ctx.add_to_many(f1, "clips", c).unwrap();
    assert_eq!(ctx.to_one(c, "folder").unwrap(), Some(f1), "adding to the to-many sets the to-one");
    assert!(ctx.to_many(f2, "clips").unwrap().is_empty());
    let [f1, f2, c] = save_all(&mut ctx, &[f1, f2, c])[..] else { panic!() };

    // Stored, then changed from a fresh context whose lists load from the store.
    let mut fresh = env.context();
    assert_eq!(fresh.to_many(f1, "clips").unwrap(), vec![c]);
    assert_eq!(fresh.to_one(c, "folder").unwrap(), Some(f1));
    fresh.remove_to_many(f1, "clips", c).unwrap();
    assert_eq!(fresh.to_one(c, "folder").unwrap(), None, "removing from the to-many clears the to-one");
    fresh.set_to_many(f2, "clips", &[c]).unwrap();
    assert_eq!(fresh.to_one(c, "folder").unwrap(), Some(f2));
    fresh.save().unwrap();
    let mut check = env.context();
    assert!(check.to_many(f1, "clips").unwrap().is_empty());
    assert_eq!(check.to_many(f2, "clips").unwrap(), vec![c]);
    assert_eq!(check.to_one(c, "folder").unwrap(), Some(f2));
}

#[test]
fn many_to_many_both_ways() {
    let env = Env::new();
    let mut ctx = env.context();
    let c1 = clip(&mut ctx, "c1", 1.0);
    let c2 = clip(&mut ctx, "c2", 1.0);
    let t1 = ctx.insert("Tag").unwrap();
    let t2 = ctx.insert("Tag").unwrap();
    ctx.set(t1, "name", "rust").unwrap();
    ctx.set(t2, "name", "db").unwrap();
    ctx.add_to_many(c1, "tags", t1).unwrap();
    ctx.add_to_many(c1, "tags", t2).unwrap();
    ctx.add_to_many(t1, "clips", c2).unwrap();
    assert_eq!(sorted(ctx.to_many(t1, "clips").unwrap()), sorted(vec![c1, c2]));
    assert_eq!(ctx.to_many(c2, "tags").unwrap(), vec![t1]);
    ctx.remove_to_many(t2, "clips", c1).unwrap();
    assert_eq!(ctx.to_many(c1, "tags").unwrap(), vec![t1]);
    let [c1, c2, t1, t2] = save_all(&mut ctx, &[c1, c2, t1, t2])[..] else { panic!() };

    let mut fresh = env.context();
    assert_eq!(sorted(fresh.to_many(t1, "clips").unwrap()), sorted(vec![c1, c2]));
    assert!(fresh.to_many(t2, "clips").unwrap().is_empty());
    fresh.set_to_many(c1, "tags", &[t2]).unwrap();
    assert_eq!(fresh.to_many(t1, "clips").unwrap(), vec![c2], "set_to_many removes the inverse too");
    assert_eq!(fresh.to_many(t2, "clips").unwrap(), vec![c1]);
    fresh.save().unwrap();
    let mut check = env.context();
    assert_eq!(check.to_many(c1, "tags").unwrap(), vec![t2]);
    assert_eq!(check.to_many(t1, "clips").unwrap(), vec![c2]);
    assert_eq!(check.to_many(t2, "clips").unwrap(), vec![c1]);
}

#[test]
fn one_to_one_both_sides() {
    let env = Env::new();
    let mut ctx = env.context();
    let c1 = clip(&mut ctx, "c1", 1.0);
    let c2 = clip(&mut ctx, "c2", 1.0);
    let n1 = ctx.insert("Note").unwrap();
    let n2 = ctx.insert("Note").unwrap();
    ctx.set_to_one(c1, "note", Some(n1)).unwrap();
    assert_eq!(ctx.to_one(n1, "clip").unwrap(), Some(c1));
    ctx.set_to_one(c1, "note", Some(n2)).unwrap();
    assert_eq!(ctx.to_one(n1, "clip").unwrap(), None, "the old partner is released");
    assert_eq!(ctx.to_one(n2, "clip").unwrap(), Some(c1));
    ctx.set_to_one(n2, "clip", Some(c2)).unwrap();
    assert_eq!(ctx.to_one(c1, "note").unwrap(), None, "the new partner's previous partner is released");
    assert_eq!(ctx.to_one(c2, "note").unwrap(), Some(n2));
    let [c1, c2, n1, n2] = save_all(&mut ctx, &[c1, c2, n1, n2])[..] else { panic!() };

    let mut fresh = env.context();
    assert_eq!(fresh.to_one(c2, "note").unwrap(), Some(n2));
    assert_eq!(fresh.to_one(n2, "clip").unwrap(), Some(c2));
    fresh.set_to_one(n1, "clip", Some(c2)).unwrap();
    assert_eq!(fresh.to_one(n2, "clip").unwrap(), None);
    fresh.save().unwrap();
    let mut check = env.context();
    assert_eq!(check.to_one(c2, "note").unwrap(), Some(n1));
    assert_eq!(check.to_one(n2, "clip").unwrap(), None);
    assert_eq!(check.to_one(c1, "note").unwrap(), None);
}

#[test]
fn reflexive_relationships() {
    let env = Env::new();
    let mut ctx = env.context();
    let root = folder(&mut ctx, "root");
    let child = folder(&mut ctx, "child");
    ctx.set_to_one(child, "parent", Some(root)).unwrap();
    assert_eq!(ctx.to_many(root, "children").unwrap(), vec![child]);
    let [root, child] = save_all(&mut ctx, &[root, child])[..] else { panic!() };
    let mut fresh = env.context();
    assert_eq!(fresh.to_many(root, "children").unwrap(), vec![child]);
    assert_eq!(fresh.to_one(child, "parent").unwrap(), Some(root));
}

#[test]
fn to_many_without_inverse_is_stored_as_links() {
    let env = Env::new();
    let mut ctx = env.context();
    let c1 = clip(&mut ctx, "c1", 1.0);
    let c2 = clip(&mut ctx, "c2", 1.0);
    let p = ctx.insert("Playlist").unwrap();
    ctx.set_to_one(p, "pick", Some(c1)).unwrap();
    ctx.set_to_many(p, "items", &[c1, c2, c1]).unwrap();
    assert_eq!(ctx.to_many(p, "items").unwrap(), vec![c1, c2], "duplicates are ignored");
    let [c1, c2, p] = save_all(&mut ctx, &[c1, c2, p])[..] else { panic!() };
    let mut fresh = env.context();
    assert_eq!(sorted(fresh.to_many(p, "items").unwrap()), sorted(vec![c1, c2]));
    fresh.remove_to_many(p, "items", c1).unwrap();
    fresh.save().unwrap();
    assert_eq!(env.context().to_many(p, "items").unwrap(), vec![c2]);
}

#[test]
fn destinations_are_checked() {
    let env = Env::new();
    let mut ctx = env.context();
    let c = clip(&mut ctx, "c", 1.0);
    let n = ctx.insert("Note").unwrap();
    let e = context_error(ctx.set_to_one(c, "folder", Some(n)).unwrap_err());
    assert_eq!(
        e,
        ContextError::WrongDestination {
            entity: "Clip".into(),
            relationship: "folder".into(),
            expected: "Folder".into(),
            found: "Note".into()
        }
    );
    let other = env.context().insert("Folder").unwrap();
    let e = context_error(ctx.set_to_one(c, "folder", Some(other)).unwrap_err());
    assert_eq!(e, ContextError::UnknownObject { id: other }, "another context's temporary ID is refused");
    assert_eq!(ctx.to_one(c, "folder").unwrap(), None);
}

#[test]
fn sub_entities_are_fetched_with_their_parent() {
    let env = Env::new();
    let mut ctx = env.context();
    let circle = ctx.insert("Circle").unwrap();
    let square = ctx.insert("Square").unwrap();
    ctx.set(circle, "name", "c").unwrap();
    ctx.set(square, "name", "s").unwrap();
    let [circle, square] = save_all(&mut ctx, &[circle, square])[..] else { panic!() };
    let mut fresh = env.context();
    let all = fresh.fetch(&FetchRequest::new("Shape")).unwrap().ids();
    assert_eq!(sorted(all), sorted(vec![circle, square]));
    let circles = fresh.fetch(&FetchRequest::new("Circle").include_subentities(false)).unwrap().ids();
    assert_eq!(circles, vec![circle]);
    let none = fresh.fetch(&FetchRequest::new("Shape").include_subentities(false)).unwrap().ids();
    assert!(none.is_empty(), "an abstract entity has no objects of its own");
    assert_eq!(fresh.get::<String>(square, "name").unwrap(), "s");
}
