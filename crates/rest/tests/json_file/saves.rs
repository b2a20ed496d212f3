//! Saves: what the file holds afterwards (readable, and read back identically by another
//! instance), and failed saves leaving the file byte-identical and the store unchanged.

use strata_core::StoreError;
use strata_core::store::{SaveRequest, ToManyChange, UpdatedRow};
use strata_model::{Date, Decimal, Uuid, Value};

use crate::support::{create, open};

#[test]
fn saved_data_reads_back_identically_in_another_instance() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (f, _, path) = create(dir.path(), "notes.json");
    let values = [
        ("title", Value::from("naïve ☃ \"quoted\"\n")),
        ("small", Value::Int16(i16::MIN)),
        ("rank", Value::Int64(i64::MAX)),
        ("weight", Value::Double(0.1 + 0.2)),
        ("ratio", Value::Float(1.0 / 3.0)),
        ("price", Value::Decimal(Decimal::new(-123_456_789, 4))),
        ("flag", Value::Bool(false)),
        ("created", Value::Date(Date::from_unix_micros(1_700_000_000_123_456))),
        ("data", Value::Binary(vec![0, 255, 7])),
        ("uid", Value::Uuid(Uuid::from_u128(42))),
        ("link", Value::Uri("https://example.com/?q=1".into())),
        ("meta", Value::Json(serde_json::json!({"k": [1, null]}))),
    ];
    let folder = f.insert(vec![f.row("Folder", &[("name", "home".into())])])[0];
    let tags = f.insert(vec![f.row("Tag", &[("name", "x".into())]), f.row("Tag", &[("name", "y".into())])]);
    let note = f.insert(vec![f.row_linked("Note", &values, &[("folder", folder)])])[0];
    let cover = f.insert(vec![f.row_linked("Cover", &[("caption", "c".into())], &[("note", note)])])[0];
    let circle = f.insert(vec![f.row("Circle", &[("name", "o".into()), ("radius", Value::Double(2.5))])])[0];
    let square = f.insert(vec![f.row("Square", &[("name", "s".into())])])[0];
    assert_ne!(circle.primary_key(), square.primary_key(), "keys are per hierarchy");
    let tags_r = f.relationship("Note", "tags");
    f.store
        .save(&SaveRequest {
            updated: vec![UpdatedRow {
                id: note,
                expected_version: 1,
                values: vec![],
                to_one: vec![(f.relationship("Note", "cover"), Some(cover))],
            }],
            to_many: vec![ToManyChange {
                source: note,
                relationship: tags_r,
                added: tags.clone(),
                removed: vec![],
            }],
            ..Default::default()
        })
        .expect("link");

    let other = open(&path);
    let ids = [folder, tags[0], tags[1], note, cover, circle, square];
    assert_eq!(
        other.store.snapshots(&ids).expect("snapshots"),
        f.store.snapshots(&ids).expect("snapshots"),
        "every value, link and version reads back from the file"
    );
    let notes_r = f.relationship("Tag", "notes");
    assert_eq!(other.store.related(&tags, notes_r).expect("related"), vec![vec![note], vec![note]]);
    assert_eq!(other.store.related(&[note], tags_r).expect("related"), vec![tags.clone()]);
    assert_eq!(
        other.store.related(&[folder], f.relationship("Folder", "notes")).expect("related"),
        vec![vec![note]]
    );
    assert_eq!(other.fetch("Shape", "", "name"), vec![circle, square]);
    assert_eq!(other.store.metadata().uuid, f.store.metadata().uuid);

    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("JSON");
    assert_eq!(json["format"], "strata-json-store");
    assert_eq!(json["objects"]["Note"][0]["@version"], 2);
    assert_eq!(json["objects"]["Note"][0]["folder"], folder.primary_key().expect("key"));
    assert_eq!(json["objects"]["Tag"][1]["notes"], serde_json::json!([note.primary_key()]));
    assert!(json["objects"].get("Shape").is_none(), "abstract entities have no array");
    assert!(
        json["objects"]["Folder"][0].get("notes").is_none(),
        "to-many sides of to-one inverses are derived"
    );
}

#[test]
fn failed_saves_leave_the_file_and_the_store_unchanged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (f, _, path) = create(dir.path(), "notes.json");
    let ids = f.insert(vec![
        f.row("Note", &[("title", "a".into()), ("uid", Value::Uuid(Uuid::from_u128(1)))]),
        f.row("Note", &[("title", "b".into()), ("uid", Value::Uuid(Uuid::from_u128(2)))]),
    ]);
    let before = std::fs::read(&path).expect("read");
    let snapshots = f.store.snapshots(&ids).expect("snapshots");
    let update = |id, version, attribute: &str, value: Value| UpdatedRow {
        id,
        expected_version: version,
        values: vec![(f.attribute("Note", attribute), value)],
        to_one: vec![],
    };
    let failures = [
        // A stale version next to a good update: nothing of either is saved.
        SaveRequest {
            updated: vec![update(ids[0], 1, "title", "A".into()), update(ids[1], 9, "title", "B".into())],
            ..Default::default()
        },
        SaveRequest {
            updated: vec![update(ids[1], 1, "uid", Value::Uuid(Uuid::from_u128(1)))],
            ..Default::default()
        },
        // Checked by the in-memory store, refused only when written: JSON has no NaN.
        SaveRequest {
            updated: vec![update(ids[0], 1, "weight", Value::Double(f64::NAN))],
            inserted: vec![f.row("Tag", &[("name", "t".into())])],
            ..Default::default()
        },
    ];
    let mut kinds = Vec::new();
    for request in &failures {
        let error = f.store.save(request).expect_err("the save fails");
        kinds.push(match error {
            StoreError::Conflict { .. } => "conflict",
            StoreError::Uniqueness { .. } => "uniqueness",
            StoreError::InvalidRequest { .. } => "invalid",
            other => panic!("unexpected {other:?}"),
        });
        assert_eq!(std::fs::read(&path).expect("read"), before, "the file is byte-identical");
        assert_eq!(f.store.snapshots(&ids).expect("snapshots"), snapshots, "the store is unchanged");
        assert_eq!(f.count("Tag", ""), 0);
    }
    assert_eq!(kinds, ["conflict", "uniqueness", "invalid"]);
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left: {leftovers:?}");
    f.store
        .save(&SaveRequest { updated: vec![update(ids[0], 1, "title", "A".into())], ..Default::default() })
        .expect("the store still saves");
    assert_ne!(std::fs::read(&path).expect("read"), before);
}
