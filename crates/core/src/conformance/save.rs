//! Conformance checks of saving: identity, versions, atomicity, relationships, constraints.

use std::collections::HashSet;
use std::sync::Arc;

use strata_model::{Date, Decimal, Uuid, Value};

use super::{Fixture, StoreFactory};
use crate::store::{DeletedRow, SaveRequest, ToManyChange, UpdatedRow};
use crate::{ObjectId, StoreError};

pub(super) fn metadata(factory: StoreFactory<'_>) {
    let f = Fixture::new(factory);
    let meta = f.store.metadata();
    assert_eq!(meta.model_hash, f.model.hash(), "the store reports its model's hash");
    assert!(!meta.store_type.is_empty(), "the store names its type");
    assert_eq!(f.store.metadata().uuid, meta.uuid, "the UUID is stable");
    assert_ne!(Fixture::new(factory).store.metadata().uuid, meta.uuid, "each new store has its own UUID");
    let mut user = serde_json::Map::new();
    user.insert("owner".into(), serde_json::json!({"name": "ada", "n": [1, 2]}));
    f.store.set_user_metadata(user.clone()).expect("user metadata saves");
    assert_eq!(f.store.metadata().user, user, "user metadata reads back");
}

fn every_type() -> Vec<(&'static str, Value)> {
    vec![
        ("title", Value::from("naïve ☃ \"quoted\" 'x'; -- drop")),
        ("body", Value::from("")),
        ("small", Value::Int16(i16::MIN)),
        ("mid", Value::Int32(i32::MAX)),
        ("rank", Value::Int64(i64::MIN)),
        ("weight", Value::Double(-1.5e300)),
        ("ratio", Value::Float(0.25)),
        ("price", Value::Decimal(Decimal::new(-123_456_789, 4))),
        ("flag", Value::Bool(true)),
        ("created", Value::Date(Date::from_unix_micros(-1_234_567))),
        ("data", Value::Binary(vec![0, 255, 0, 7])),
        ("uid", Value::Uuid(Uuid::from_u128(0x0123_4567_89ab_cdef))),
        ("link", Value::Uri("https://example.com/a?b=c#d".into())),
        ("meta", Value::Json(serde_json::json!({"k": [1, null, "v"]}))),
    ]
}

pub(super) fn insert_and_read_back(factory: StoreFactory<'_>) {
    let f = Fixture::new(factory);
    let values = every_type();
    let ids = f.insert(vec![f.row("Note", &values), f.row("Note", &[("title", Value::from("nulls"))])]);
    assert_ne!(ids[0], ids[1], "permanent IDs are distinct");
    assert_eq!(ids[0].store(), Some(f.store.metadata().store_id()), "IDs name the store");
    let snapshot = f.snapshot(ids[0]);
    assert_eq!(snapshot.version(), 1, "inserted rows start at version 1");
    for (name, value) in &values {
        let stored = &snapshot.values()[f.attribute("Note", name)];
        assert_eq!(stored, value, "attribute {name} reads back exactly");
    }
    let nulls = f.snapshot(ids[1]);
    assert!(nulls.values().iter().skip(1).all(Value::is_null), "unset attributes read back as Null");
    let again = f.store.snapshots(&[ids[1], ids[0], ids[1]]).expect("batched look-up");
    assert_eq!(
        again.iter().map(|s| s.as_ref().map(|s| s.id())).collect::<Vec<_>>(),
        vec![Some(ids[1]), Some(ids[0]), Some(ids[1])]
    );
}

pub(super) fn updates_bump_versions(factory: StoreFactory<'_>) {
    let f = Fixture::new(factory);
    let id = f.insert(vec![f.row("Note", &[("title", "a".into()), ("rank", Value::Int64(1))])])[0];
    let title = f.attribute("Note", "title");
    let update = |version, text: &str| SaveRequest {
        updated: vec![UpdatedRow {
            id,
            expected_version: version,
            values: vec![(title, text.into())],
            to_one: vec![],
        }],
        ..Default::default()
    };
    let result = f.store.save(&update(1, "b")).expect("update at the read version saves");
    assert_eq!(result.versions, vec![(id, 2)], "an update reports the new version");
    let snapshot = f.snapshot(id);
    assert_eq!((snapshot.version(), &snapshot.values()[title]), (2, &Value::from("b")));
    assert_eq!(snapshot.values()[f.attribute("Note", "rank")], Value::Int64(1), "unchanged values stay");
    f.store.save(&update(2, "c")).expect("second update");
    assert_eq!(f.snapshot(id).version(), 3);
}

pub(super) fn conflicts_are_atomic(factory: StoreFactory<'_>) {
    let f = Fixture::new(factory);
    let ids =
        f.insert(vec![f.row("Note", &[("title", "a".into())]), f.row("Note", &[("title", "b".into())])]);
    let title = f.attribute("Note", "title");
    let stale = SaveRequest {
        inserted: vec![f.row("Note", &[("title", "new".into())])],
        updated: vec![UpdatedRow {
            id: ids[0],
            expected_version: 7,
            values: vec![(title, "x".into())],
            to_one: vec![],
        }],
        deleted: vec![DeletedRow { id: ids[1], expected_version: 9 }],
        ..Default::default()
    };
    match f.store.save(&stale) {
        Err(StoreError::Conflict { conflicts }) => {
            let mut found: Vec<_> = conflicts.iter().map(|c| (c.id, c.expected_version)).collect();
            found.sort();
            assert_eq!(found, vec![(ids[0], 7), (ids[1], 9)], "every conflict is reported");
            for c in &conflicts {
                let current = c.current.as_ref().expect("the current row comes with the conflict");
                assert_eq!(current.version(), 1);
            }
        }
        other => panic!("a stale save must fail with Conflict, got {other:?}"),
    }
    assert_eq!(f.fetch("Note", "", "").len(), 2, "a failed save inserts nothing");
    assert_eq!(f.snapshot(ids[0]).values()[title], Value::from("a"), "a failed save updates nothing");
}

pub(super) fn deletes(factory: StoreFactory<'_>) {
    let f = Fixture::new(factory);
    let notes =
        f.insert(vec![f.row("Note", &[("title", "a".into())]), f.row("Note", &[("title", "b".into())])]);
    let tag = f.insert(vec![f.row("Tag", &[("name", "t".into())])])[0];
    let tags = f.relationship("Note", "tags");
    let link = ToManyChange { source: notes[0], relationship: tags, added: vec![tag], removed: vec![] };
    let back = ToManyChange {
        source: tag,
        relationship: f.relationship("Tag", "notes"),
        added: vec![notes[0]],
        removed: vec![],
    };
    f.store.save(&SaveRequest { to_many: vec![link, back], ..Default::default() }).expect("link");
    let delete =
        SaveRequest { deleted: vec![DeletedRow { id: notes[0], expected_version: 1 }], ..Default::default() };
    f.store.save(&delete).expect("delete at the read version");
    assert!(f.store.snapshots(&[notes[0]]).expect("look-up")[0].is_none(), "a deleted row is gone");
    assert_eq!(f.fetch("Note", "", ""), vec![notes[1]]);
    let related = f.store.related(&[tag], f.relationship("Tag", "notes")).expect("related");
    assert_eq!(related, vec![Vec::<ObjectId>::new()], "a deleted row's links are gone");
    match f.store.save(&delete) {
        Err(StoreError::Conflict { conflicts }) => {
            assert!(conflicts[0].current.is_none(), "deleted rows have no current")
        }
        other => panic!("deleting a deleted row is a conflict, got {other:?}"),
    }
    // A context deleting a tag also unlinks it from its notes, in the same save.
    let relink = ToManyChange { source: notes[1], relationship: tags, added: vec![tag], removed: vec![] };
    f.store.save(&SaveRequest { to_many: vec![relink], ..Default::default() }).expect("link");
    let unlink_and_delete = SaveRequest {
        deleted: vec![DeletedRow { id: tag, expected_version: 1 }],
        to_many: vec![ToManyChange {
            source: notes[1],
            relationship: tags,
            added: vec![],
            removed: vec![tag],
        }],
        ..Default::default()
    };
    f.store.save(&unlink_and_delete).expect("unlinking an object deleted by the same save");
    assert_eq!(f.store.related(&[notes[1]], tags).expect("related"), vec![Vec::<ObjectId>::new()]);
}

pub(super) fn to_one_relationships(factory: StoreFactory<'_>) {
    let f = Fixture::new(factory);
    let folder_slot = f.relationship("Note", "folder");
    let cover_slot = f.relationship("Note", "cover");
    let folder = f.row("Folder", &[("name", "inbox".into())]);
    let cover = f.row("Cover", &[("caption", "c".into())]);
    let mut note = f.row("Note", &[("title", "n".into())]);
    note.to_one[folder_slot] = Some(folder.id);
    note.to_one[cover_slot] = Some(cover.id);
    let mut cover_side = cover.clone();
    cover_side.to_one[f.relationship("Cover", "note")] = Some(note.id);
    // Destinations may be temporary IDs of objects inserted by the same save.
    let ids = f.insert(vec![note, folder, cover_side]);
    let (note, folder, cover) = (ids[0], ids[1], ids[2]);
    let snapshot = f.snapshot(note);
    assert_eq!(snapshot.to_one()[folder_slot], Some(folder), "to-one reads back with the permanent ID");
    assert_eq!(snapshot.to_one()[cover_slot], Some(cover), "one-to-one reads back on one side");
    assert_eq!(f.snapshot(cover).to_one()[f.relationship("Cover", "note")], Some(note), "and on the other");
    assert!(snapshot.to_one()[f.relationship("Note", "tags")].is_none(), "to-many slots stay empty");
    let notes = f.relationship("Folder", "notes");
    assert_eq!(f.store.related(&[folder], notes).expect("related"), vec![vec![note]], "the inverse to-many");
    let second = f.insert(vec![f.row("Note", &[("title", "m".into())])])[0];
    let moves = SaveRequest {
        updated: vec![
            UpdatedRow { id: note, expected_version: 1, values: vec![], to_one: vec![(folder_slot, None)] },
            UpdatedRow {
                id: second,
                expected_version: 1,
                values: vec![],
                to_one: vec![(folder_slot, Some(folder))],
            },
        ],
        ..Default::default()
    };
    f.store.save(&moves).expect("moving notes between folders");
    assert_eq!(f.store.related(&[folder], notes).expect("related"), vec![vec![second]]);
    assert_eq!(f.snapshot(note).to_one()[folder_slot], None);
}

pub(super) fn many_to_many(factory: StoreFactory<'_>) {
    let f = Fixture::new(factory);
    let notes = f.insert((0..3).map(|i| f.row("Note", &[("title", format!("n{i}").into())])).collect());
    let tags = f.insert((0..2).map(|i| f.row("Tag", &[("name", format!("t{i}").into())])).collect());
    let (note_tags, tag_notes) = (f.relationship("Note", "tags"), f.relationship("Tag", "notes"));
    let mut changes = Vec::new();
    for &n in &notes {
        changes.push(ToManyChange {
            source: n,
            relationship: note_tags,
            added: vec![tags[0]],
            removed: vec![],
        });
    }
    changes.push(ToManyChange {
        source: tags[0],
        relationship: tag_notes,
        added: notes.clone(),
        removed: vec![],
    });
    changes.push(ToManyChange {
        source: notes[0],
        relationship: note_tags,
        added: vec![tags[1]],
        removed: vec![],
    });
    changes.push(ToManyChange {
        source: tags[1],
        relationship: tag_notes,
        added: vec![notes[0]],
        removed: vec![],
    });
    f.store.save(&SaveRequest { to_many: changes, ..Default::default() }).expect("links save");
    assert_eq!(
        f.store.related(&notes, note_tags).expect("related"),
        vec![tags.clone(), vec![tags[0]], vec![tags[0]]]
    );
    assert_eq!(
        f.store.related(&[tags[0]], tag_notes).expect("related"),
        vec![notes.clone()],
        "each link once"
    );
    let unlink = vec![
        ToManyChange { source: notes[0], relationship: note_tags, added: vec![], removed: vec![tags[0]] },
        ToManyChange { source: tags[0], relationship: tag_notes, added: vec![], removed: vec![notes[0]] },
    ];
    f.store.save(&SaveRequest { to_many: unlink, ..Default::default() }).expect("unlink saves");
    assert_eq!(f.store.related(&[tags[0]], tag_notes).expect("related"), vec![vec![notes[1], notes[2]]]);
    assert_eq!(f.store.related(&[notes[0]], note_tags).expect("related"), vec![vec![tags[1]]]);
}

pub(super) fn missing_and_foreign_objects(factory: StoreFactory<'_>) {
    let f = Fixture::new(factory);
    let folder = f.insert(vec![f.row("Folder", &[])])[0];
    let gone =
        SaveRequest { deleted: vec![DeletedRow { id: folder, expected_version: 1 }], ..Default::default() };
    f.store.save(&gone).expect("delete");
    let mut note = f.row("Note", &[("title", "n".into())]);
    note.to_one[f.relationship("Note", "folder")] = Some(folder);
    let result = f.store.save(&SaveRequest { inserted: vec![note], ..Default::default() });
    assert!(matches!(result, Err(StoreError::MissingObject { .. })), "a link to a deleted row: {result:?}");
    assert!(f.fetch("Note", "", "").is_empty(), "nothing was inserted");
    let other = Fixture::new(factory);
    let foreign = other.insert(vec![other.row("Folder", &[])])[0];
    assert!(
        matches!(f.store.snapshots(&[foreign]), Err(StoreError::ForeignObject { .. })),
        "foreign IDs are refused"
    );
    let stray = ObjectId::new_temporary(f.entity("Folder"));
    assert!(f.store.snapshots(&[stray]).is_err(), "temporary IDs are not in any store");
}

pub(super) fn uniqueness(factory: StoreFactory<'_>) {
    let f = Fixture::new(factory);
    let uid = Value::Uuid(Uuid::from_u128(42));
    f.insert(vec![f.row("Note", &[("title", "a".into()), ("uid", uid.clone())])]);
    let twin = f.row("Note", &[("title", "b".into()), ("uid", uid.clone())]);
    let twin_id = twin.id;
    let result =
        f.store.save(&SaveRequest { inserted: vec![f.row("Folder", &[]), twin], ..Default::default() });
    match result {
        Err(StoreError::Uniqueness { entity, properties, id, .. }) => {
            assert_eq!((entity.as_str(), properties, id), ("Note", vec!["uid".to_owned()], twin_id));
        }
        other => panic!("a duplicate uid must fail with Uniqueness, got {other:?}"),
    }
    assert!(f.fetch("Folder", "", "").is_empty(), "a refused save stores nothing");
    let nulls = (0..3).map(|i| f.row("Note", &[("title", format!("null{i}").into())])).collect();
    f.insert(nulls);
    assert_eq!(f.fetch("Note", "uid == nil", "").len(), 3, "rows with nil constrained values do not collide");
}

pub(super) fn concurrent_saves(factory: StoreFactory<'_>) {
    let f = Fixture::new(factory);
    let id = f.insert(vec![f.row("Note", &[("title", "shared".into())])])[0];
    let title = f.attribute("Note", "title");
    let store = Arc::clone(&f.store);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = Arc::clone(&store);
            let rows: Vec<_> =
                (0..25).map(|i| f.row("Note", &[("title", format!("t{t}-{i}").into())])).collect();
            std::thread::spawn(move || {
                let inserted =
                    store.save(&SaveRequest { inserted: rows, ..Default::default() }).expect("insert");
                let update = SaveRequest {
                    updated: vec![UpdatedRow {
                        id,
                        expected_version: 1,
                        values: vec![(title, format!("{t}").into())],
                        to_one: vec![],
                    }],
                    ..Default::default()
                };
                (inserted.permanent_ids, store.save(&update).is_ok())
            })
        })
        .collect();
    let mut keys = HashSet::new();
    let mut winners = 0;
    for t in threads {
        let (ids, won) = t.join().expect("thread");
        keys.extend(ids.into_iter().map(|(_, p)| p));
        winners += usize::from(won);
    }
    assert_eq!(keys.len(), 100, "concurrent inserts get distinct permanent IDs");
    assert_eq!(winners, 1, "exactly one of four updates at the same version wins");
    assert_eq!(f.fetch("Note", "", "").len(), 101);
}
