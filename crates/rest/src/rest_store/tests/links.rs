//! Relationships through the RestStore: to-many lists in responses setting and clearing
//! their inverse, linked inserts sent destinations first, and remote-change wake-ups.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use strata_core::store::{InsertedRow, SaveRequest, ToManyChange};
use strata_core::{ObjectId, Store};
use strata_model::Value;

use super::{WAIT, entity, options, request, rows, setup, text};
use crate::HttpMethod;

#[test]
fn a_to_many_list_sets_and_clears_the_inverse() {
    let s = setup(options().with_synchronous(true));
    s.api.put("Palette", "1", json!({"title": "Sea"}));
    s.api.put("Palette", "2", json!({"title": "Sand"}));
    s.api.put("Person", "p1", json!({"name": "Ada", "palettes": ["1", "2"]}));
    let person = rows(&s.store, "Person").remove(0);
    assert!(s.store.wait_idle(WAIT), "the placeholders' object requests end");
    let mut members = s.store.related(&[person.id()], 0).expect("related").remove(0);
    members.sort();
    assert_eq!(members.len(), 2, "both palettes point at their owner");
    let palettes = rows(&s.store, "Palette");
    assert!(palettes.iter().all(|p| p.to_one()[0] == Some(person.id())));
    assert_eq!(super::titles(&palettes), vec![text("Sand"), text("Sea")], "the placeholders filled in");

    s.api.put("Person", "p1", json!({"name": "Ada", "palettes": ["2"]}));
    let changes = s.store.refresh(&request("Person", None)).expect("refresh");
    let sea = palettes.iter().find(|p| p.values()[0] == text("Sea")).expect("Sea").id();
    assert!(changes.updated.contains(&sea), "the palette that left the list changed");
    let sea_row = s.store.snapshots(&[sea]).expect("snapshots").remove(0).expect("still cached");
    assert_eq!(sea_row.to_one()[0], None, "the inverse was cleared");
    assert_eq!(s.store.related(&[person.id()], 0).expect("related")[0].len(), 1);
}

#[test]
fn linked_inserts_are_sent_destinations_first() {
    let s = setup(options().with_synchronous(true));
    let person = ObjectId::new_temporary(entity("Person"));
    let palette = ObjectId::new_temporary(entity("Palette"));
    let save = SaveRequest {
        inserted: vec![
            InsertedRow {
                id: palette,
                values: vec![text("Sea"), Value::Null],
                to_one: vec![Some(person), None],
            },
            InsertedRow { id: person, values: vec![text("Ada")], to_one: vec![None] },
        ],
        ..SaveRequest::default()
    };
    let result = s.store.save(&save).expect("saved");
    let posts: Vec<String> =
        s.api.log().iter().filter(|r| r.method == HttpMethod::Post).map(|r| r.url.clone()).collect();
    assert_eq!(posts, vec!["http://fake/Person".to_owned(), "http://fake/Palette".to_owned()]);
    assert_eq!(s.api.object("Palette", "n2").and_then(|o| o.get("owner").cloned()), Some(json!("n1")));
    let permanent = |temp| result.permanent_ids.iter().find(|(t, _)| *t == temp).map(|&(_, p)| p);
    let (person, palette) =
        (permanent(person).expect("person saved"), permanent(palette).expect("palette saved"));
    let row = s.store.snapshots(&[palette]).expect("snapshots").remove(0).expect("cached");
    assert_eq!(row.to_one()[0], Some(person));
}

#[test]
fn remote_change_handlers_hear_reads_that_changed_the_cache() {
    let s = setup(options().with_synchronous(true));
    let heard = Arc::new(AtomicUsize::new(0));
    let counter = heard.clone();
    let subscription = s
        .store
        .subscribe_remote_changes(Arc::new(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        }))
        .expect("subscribed");
    s.api.put("Palette", "1", json!({"title": "Sea"}));
    s.store.refresh(&request("Palette", None)).expect("refresh");
    assert_eq!(heard.load(Ordering::SeqCst), 1);
    s.store.refresh(&request("Palette", None)).expect("a 304");
    assert_eq!(heard.load(Ordering::SeqCst), 1, "a read that changed nothing wakes nobody");
    drop(subscription);
    s.api.put("Palette", "2", json!({"title": "Sand"}));
    s.store.refresh(&request("Palette", None)).expect("refresh");
    assert_eq!(heard.load(Ordering::SeqCst), 1, "a dropped subscription hears nothing");
}

#[test]
fn many_to_many_links_arrive_and_leave_as_whole_lists() {
    let s = setup(options().with_synchronous(true));
    s.api.put("Tag", "t1", json!({"label": "blue"}));
    s.api.put("Tag", "t2", json!({"label": "warm"}));
    s.api.put("Palette", "1", json!({"title": "Sea", "tags": ["t1", "t2"]}));
    let palette = rows(&s.store, "Palette").remove(0);
    assert!(s.store.wait_idle(WAIT));
    let tags = s.store.related(&[palette.id()], 1).expect("related").remove(0);
    assert_eq!(tags.len(), 2, "the tags were linked, as placeholders first");
    let labels: Vec<Value> = s
        .store
        .snapshots(&tags)
        .expect("snapshots")
        .into_iter()
        .flatten()
        .map(|t| t.values()[0].clone())
        .collect();
    assert_eq!(labels.len(), 2);
    assert!(labels.contains(&text("blue")) && labels.contains(&text("warm")), "the placeholders filled in");
    let blue = tags[labels.iter().position(|l| *l == text("blue")).expect("blue")];

    let change =
        ToManyChange { source: palette.id(), relationship: 1, added: Vec::new(), removed: vec![blue] };
    s.store.save(&SaveRequest { to_many: vec![change], ..SaveRequest::default() }).expect("saved");
    assert_eq!(s.api.object("Palette", "1").and_then(|o| o.get("tags").cloned()), Some(json!(["t2"])));
    assert_eq!(s.store.related(&[palette.id()], 1).expect("related")[0].len(), 1);
    assert_eq!(s.store.related(&[blue], 0).expect("related"), vec![Vec::<ObjectId>::new()]);
}

#[test]
fn new_objects_linking_each_other_are_inserted_then_linked() {
    let s = setup(options().with_synchronous(true));
    let palette = ObjectId::new_temporary(entity("Palette"));
    let tag = ObjectId::new_temporary(entity("Tag"));
    let save = SaveRequest {
        inserted: vec![
            InsertedRow { id: palette, values: vec![text("Sea"), Value::Null], to_one: vec![None, None] },
            InsertedRow { id: tag, values: vec![text("blue")], to_one: vec![None] },
        ],
        // Many-to-many changes come for both sides, each naming the other's temporary ID.
        to_many: vec![
            ToManyChange { source: palette, relationship: 1, added: vec![tag], removed: Vec::new() },
            ToManyChange { source: tag, relationship: 0, added: vec![palette], removed: Vec::new() },
        ],
        ..SaveRequest::default()
    };
    let result = s.store.save(&save).expect("saved");
    assert_eq!(s.api.object("Palette", "n1").and_then(|o| o.get("tags").cloned()), Some(json!(["n2"])));
    assert_eq!(s.api.object("Tag", "n2").and_then(|o| o.get("palettes").cloned()), Some(json!(["n1"])));
    let permanent = |temp| result.permanent_ids.iter().find(|(t, _)| *t == temp).map(|&(_, p)| p);
    let (palette, tag) = (permanent(palette).expect("saved"), permanent(tag).expect("saved"));
    assert_eq!(s.store.related(&[palette], 1).expect("related"), vec![vec![tag]]);
}

#[test]
fn relationship_requests_set_the_members_when_asked_for() {
    let s = setup(options().with_synchronous(true).with_relationship_requests(true));
    s.api.put("Palette", "1", json!({"title": "Sea"}));
    s.api.put("Palette", "2", json!({"title": "Sand"}));
    s.api.put("Person", "p1", json!({"name": "Ada", "@palettes": ["1", "2"]}));
    let person = rows(&s.store, "Person").remove(0);
    let members = s.store.related(&[person.id()], 0).expect("related").remove(0);
    assert_eq!(members.len(), 2, "the relationship request's answer became the members");
    let event = super::next_event(&s.events, |e| {
        matches!(e, super::RestEvent::FetchFinished { kind: super::super::RemoteKind::Relationship, .. })
    });
    assert!(event.merge_request().is_some_and(|m| m.inserted.len() == 2));
    s.api.put("Person", "p1", json!({"name": "Ada", "@palettes": ["2"]}));
    let members = s.store.related(&[person.id()], 0).expect("related").remove(0);
    assert_eq!(members.len(), 1);
    let sea = rows(&s.store, "Palette").into_iter().find(|p| p.values()[0] == text("Sea")).expect("Sea");
    assert_eq!(sea.to_one()[0], None, "the palette that left the list lost its owner");
    let without = setup(options().with_synchronous(true));
    without.api.put("Person", "p1", json!({"name": "Ada", "@palettes": ["1"]}));
    let person = rows(&without.store, "Person").remove(0);
    let sent = without.api.log().len();
    assert_eq!(without.store.related(&[person.id()], 0).expect("related"), vec![Vec::<ObjectId>::new()]);
    assert_eq!(without.api.log().len(), sent, "no relationship request unless asked for");
}

#[test]
fn a_placeholder_of_an_ancestor_entity_fills_in_from_a_sub_entity_answer() {
    let s = setup(options().with_synchronous(true));
    s.api.put("Drawing", "d1", json!({"title": "Plan", "shape": "c1"}));
    s.api.put("Shape", "c1", json!({"_entity": "Circle", "name": "round", "radius": 2.0}));
    let drawing = rows(&s.store, "Drawing").remove(0);
    let shape = drawing.to_one()[0].expect("a placeholder for the shape");
    assert_eq!(shape.entity(), entity("Shape"));
    assert!(s.store.wait_idle(WAIT));
    let row = s.store.snapshots(&[shape]).expect("snapshots").remove(0).expect("cached");
    assert_eq!(row.values(), &[text("round")], "the answer filled in what the cached entity has");
}
