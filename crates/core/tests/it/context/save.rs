//! Saving: temporary IDs turned permanent everywhere, what the save request carries,
//! notifications, and version conflicts between two contexts.

use std::time::Duration;

use strata_core::{Error, FetchRequest};

use super::support::{Env, clip, folder, save_all, sorted};

#[test]
fn temporary_ids_become_permanent_everywhere() {
    let env = Env::new();
    let mut ctx = env.context();
    let f = folder(&mut ctx, "f");
    let c1 = clip(&mut ctx, "c1", 1.0);
    let c2 = clip(&mut ctx, "c2", 2.0);
    let t = ctx.insert("Tag").unwrap();
    ctx.set_to_many(f, "clips", &[c1, c2]).unwrap();
    ctx.add_to_many(t, "clips", c1).unwrap();
    let outcome = ctx.save().unwrap();
    assert_eq!(outcome.permanent_ids.len(), 4);
    assert_eq!(outcome.permanent_ids.iter().map(|(t, _)| *t).collect::<Vec<_>>(), vec![f, c1, c2, t]);
    let p = |id| ctx.permanent_id(id).unwrap();
    let (pf, pc1, pc2, pt) = (p(f), p(c1), p(c2), p(t));
    assert!([pf, pc1, pc2, pt].iter().all(|id| !id.is_temporary()));
    assert_eq!(outcome.permanent_id(c2), Some(pc2));
    assert!(!ctx.has_changes());
    assert!(ctx.is_registered(pc1) && ctx.is_registered(c1), "the old ID still resolves");
    assert_eq!(ctx.to_one(c1, "folder").unwrap(), Some(pf), "relationships hold permanent IDs");
    assert_eq!(sorted(ctx.to_many(pf, "clips").unwrap()), sorted(vec![pc1, pc2]));
    assert_eq!(ctx.to_many(pt, "clips").unwrap(), vec![pc1]);
    assert_eq!(ctx.to_many(pc1, "tags").unwrap(), vec![pt]);
    assert_eq!(ctx.get::<String>(c2, "title").unwrap(), "c2");
    // Editing after the save goes through the permanent row.
    ctx.set(c1, "title", "renamed").unwrap();
    assert_eq!(ctx.updated_objects().into_iter().collect::<Vec<_>>(), vec![pc1]);
    ctx.save().unwrap();

    let mut fresh = env.context();
    assert_eq!(fresh.to_one(pc1, "folder").unwrap(), Some(pf));
    assert_eq!(fresh.get::<String>(pc1, "title").unwrap(), "renamed");
    assert_eq!(fresh.to_many(pc1, "tags").unwrap(), vec![pt]);
}

#[test]
fn the_request_carries_only_what_changed() {
    let env = Env::new();
    let mut ctx = env.context();
    let f = folder(&mut ctx, "f");
    let c = clip(&mut ctx, "c", 1.0);
    let t = ctx.insert("Tag").unwrap();
    let [f, c, t] = save_all(&mut ctx, &[f, c, t])[..] else { panic!() };
    let inserted = env.store.last_save().unwrap();
    assert_eq!(inserted.inserted.len(), 3, "inserts carry full rows");
    assert!(
        inserted
            .inserted
            .iter()
            .all(|r| r.values.len() == env.model.entity_at(r.id.entity()).attributes().len())
    );

    let mut ctx = env.context();
    ctx.set(c, "score", 4.0).unwrap();
    ctx.set_to_one(c, "folder", Some(f)).unwrap();
    ctx.add_to_many(c, "tags", t).unwrap();
    ctx.save().unwrap();
    let request = env.store.last_save().unwrap();
    let clip_row = request.updated.iter().find(|r| r.id == c).unwrap();
    assert_eq!(clip_row.values.len(), 1, "only the changed attribute");
    assert_eq!(clip_row.to_one.len(), 1);
    assert_eq!(clip_row.expected_version, 1);
    assert!(request.updated.iter().any(|r| r.id == f && r.values.is_empty()), "the folder's clips changed");
    let mut links: Vec<_> = request.to_many.iter().map(|m| (m.source, m.added.clone())).collect();
    links.sort();
    assert_eq!(
        links,
        sorted_links(vec![(c, vec![t]), (t, vec![c])]),
        "only the many-to-many travels as links"
    );
    assert_eq!(request.info.author, None);

    let (_, calls) = env.count(|| ctx.save().unwrap());
    assert_eq!(calls.save, 0, "saving nothing calls no store");
}

fn sorted_links(
    mut links: Vec<(strata_core::ObjectId, Vec<strata_core::ObjectId>)>,
) -> Vec<(strata_core::ObjectId, Vec<strata_core::ObjectId>)> {
    links.sort();
    links
}

#[test]
fn did_save_is_delivered_to_subscribers() {
    let env = Env::new();
    let notifications = env.coordinator.subscribe();
    let mut ctx = env.context();
    ctx.set_name(Some("importer"));
    ctx.set_transaction_author(Some("ada"));
    let a = clip(&mut ctx, "a", 1.0);
    let b = clip(&mut ctx, "b", 1.0);
    let [a, b] = save_all(&mut ctx, &[a, b])[..] else { panic!() };
    let first = notifications.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(first.inserted, vec![a, b]);
    assert!(first.updated.is_empty() && first.deleted.is_empty());
    assert_eq!(first.author.as_deref(), Some("ada"));
    assert_eq!(first.context_name.as_deref(), Some("importer"));
    assert_eq!(Some(first.store), a.store());

    ctx.set(a, "title", "A").unwrap();
    ctx.delete(b).unwrap();
    let outcome = ctx.save().unwrap();
    let second = notifications.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!((second.updated.clone(), second.deleted.clone()), (vec![a], vec![b]));
    assert_eq!(outcome.notifications, vec![second]);
    assert!(notifications.try_recv().is_err(), "one notification per store saved");
}

#[test]
fn conflicts_between_two_contexts_are_typed_and_keep_edits() {
    let env = Env::new();
    let mut ctx = env.context();
    let c = clip(&mut ctx, "c", 1.0);
    let [c] = save_all(&mut ctx, &[c])[..] else { panic!() };

    let mut first = env.context();
    let mut second = env.context();
    first.set(c, "title", "first").unwrap();
    second.set(c, "score", 9.0).unwrap();
    first.save().unwrap();
    let Err(Error::Conflict(e)) = second.save() else { panic!("the second save must conflict") };
    assert_eq!(e.conflicts.len(), 1);
    let conflict = &e.conflicts[0];
    assert_eq!((conflict.id, conflict.entity.as_str(), conflict.expected_version), (c, "Clip", 1));
    assert_eq!(conflict.read.as_ref().map(|s| s.version()), Some(1));
    assert_eq!(conflict.current.as_ref().map(|s| s.version()), Some(2));
    assert_eq!(conflict.changed, vec!["score".to_owned()]);
    assert_eq!(second.get::<f64>(c, "score").unwrap(), 9.0, "the edit survives the conflict");

    second.refresh(c, true).unwrap();
    assert_eq!(second.get::<String>(c, "title").unwrap(), "first", "refresh reads the new row");
    assert_eq!(second.get::<f64>(c, "score").unwrap(), 9.0, "and keeps the edit on top");
    second.save().unwrap();
    let mut check = env.context();
    assert_eq!(check.get::<String>(c, "title").unwrap(), "first");
    assert_eq!(check.get::<f64>(c, "score").unwrap(), 9.0);
    assert_eq!(check.count(&FetchRequest::new("Clip")).unwrap(), 1);
}

#[test]
fn a_deleted_row_conflicts_with_an_update() {
    let env = Env::new();
    let mut ctx = env.context();
    let c = clip(&mut ctx, "c", 1.0);
    let [c] = save_all(&mut ctx, &[c])[..] else { panic!() };
    let mut editor = env.context();
    editor.set(c, "title", "edited").unwrap();
    let mut remover = env.context();
    remover.delete(c).unwrap();
    remover.save().unwrap();
    let Err(Error::Conflict(e)) = editor.save() else { panic!("must conflict") };
    assert_eq!(e.conflicts[0].current, None, "the row is gone");
}
