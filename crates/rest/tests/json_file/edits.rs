//! Files edited by hand: changes are read back before the next operation, mistakes are
//! reported at their line and column, and the store carries on once the file is fixed.

use std::sync::Arc;

use strata_core::conformance::conformance_model;
use strata_core::store::{SaveRequest, UpdatedRow};
use strata_core::{Store, StoreError};
use strata_model::{Model, Value};
use strata_rest::{JsonFileStore, RestError};

use crate::support::{create, edit, rest_error};

#[test]
fn hand_edits_are_read_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (f, _, path) = create(dir.path(), "notes.json");
    let note = f.insert(vec![f.row("Note", &[("title", "a".into())])])[0];
    let title = f.attribute("Note", "title");

    edit(&path, |text| text.replace(r#""title": "a""#, r#""title": "edited by hand""#));
    let snapshot = f.snapshot(note);
    assert_eq!(snapshot.values()[title], Value::from("edited by hand"));
    assert_eq!(snapshot.version(), 1, "the version is the file's");
    // Same size, same inode, most likely the same modification time: only the content
    // tells this edit apart.
    edit(&path, |text| text.replace("edited by hand", "EDITED BY HAND"));
    assert_eq!(f.snapshot(note).values()[title], Value::from("EDITED BY HAND"));

    // An object added by hand, without a version; the store's next key goes past it.
    edit(&path, |text| text.replace(r#""Tag": []"#, r#""Tag": [ { "@id": 7, "name": "by hand" } ]"#));
    let tags = f.fetch("Tag", "", "");
    assert_eq!(tags.len(), 1);
    assert_eq!((tags[0].primary_key(), f.snapshot(tags[0]).version()), (Some(7), 1));
    let saved = f.insert(vec![f.row("Tag", &[("name", "saved".into())])])[0];
    assert_eq!(saved.primary_key(), Some(8), "keys are never reused or taken twice");

    // The hand edits went into the store's data, so its saves keep them.
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains("EDITED BY HAND") && text.contains("by hand"), "{text}");
    assert_eq!(f.fetch("Note", "title == 'EDITED BY HAND'", ""), vec![note]);
}

/// The line and 1-based column of the first character of the line containing `needle`,
/// after its indentation.
fn position_of(text: &str, needle: &str) -> (usize, usize) {
    let (index, line) = text.lines().enumerate().find(|(_, l)| l.contains(needle)).expect("needle");
    (index + 1, line.len() - line.trim_start().len() + 1)
}

#[test]
fn malformed_json_names_the_line_and_column_until_fixed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (f, _, path) = create(dir.path(), "notes.json");
    let note = f.insert(vec![f.row("Note", &[("title", "a".into())])])[0];
    let good = std::fs::read_to_string(&path).expect("read");

    // A missing comma: the parser stops at the next key.
    let broken = good.replacen(r#""title": "a","#, r#""title": "a""#, 1);
    std::fs::write(&path, &broken).expect("write");
    let (line, column) = position_of(&broken, r#""body""#);
    for error in [
        f.store.snapshots(&[note]).expect_err("a broken file fails reads"),
        f.store
            .save(&SaveRequest { inserted: vec![f.row("Tag", &[])], ..Default::default() })
            .expect_err("a broken file fails saves"),
    ] {
        assert!(matches!(error, StoreError::Backend { .. }), "{error:?}");
        match rest_error(&error) {
            RestError::MalformedFile { line: l, column: c, message, .. } => {
                assert_eq!((*l, *c), (line, column), "{message}");
            }
            other => panic!("expected a malformed file, got {other:?}"),
        }
        assert!(error.to_string().contains(&format!("line {line}, column {column}")), "{error}");
    }
    assert_eq!(std::fs::read_to_string(&path).expect("read"), broken, "a failed save writes nothing");

    std::fs::write(&path, &good).expect("fix the file");
    assert_eq!(f.snapshot(note).values()[f.attribute("Note", "title")], Value::from("a"));
    f.insert(vec![f.row("Tag", &[("name", "after the fix".into())])]);
    assert_eq!(f.count("Tag", ""), 1);
}

#[test]
fn shape_errors_say_what_and_where() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (f, _, path) = create(dir.path(), "notes.json");
    let note = f.insert(vec![f.row("Note", &[("title", "a".into())])])[0];
    let good = std::fs::read_to_string(&path).expect("read");
    let malformed = |text: &str| -> (usize, usize, String) {
        std::fs::write(&path, text).expect("write");
        let error = f.store.snapshots(&[note]).expect_err("a wrong file fails");
        match rest_error(&error) {
            RestError::MalformedFile { line, column, message, .. } => (*line, *column, message.clone()),
            other => panic!("expected a malformed file, got {other:?}"),
        }
    };

    let typo = good.replacen(r#""body": null"#, r#""bdy": null"#, 1);
    let (line, _, message) = malformed(&typo);
    assert_eq!(line, position_of(&typo, r#""bdy""#).0, "{message}");
    assert!(message.contains(r#"Note has no property "bdy" (did you mean "body"?)"#), "{message}");

    let wrong_type = good.replacen(r#""rank": null"#, r#""rank": "five""#, 1);
    let (line, _, message) = malformed(&wrong_type);
    assert_eq!(line, position_of(&wrong_type, r#""rank""#).0, "{message}");
    assert!(message.contains("Note.rank"), "{message}");

    let dangling = good.replacen(r#""folder": null"#, r#""folder": 99"#, 1);
    let (line, _, message) = malformed(&dangling);
    assert!(message.contains("Note 1: folder names Folder 99, which does not exist"), "{line}: {message}");

    let duplicate = good.replacen(r#""Folder": []"#, r#""Folder": [{"@id": 1}, {"@id": 1}]"#, 1);
    let (_, _, message) = malformed(&duplicate);
    assert!(message.contains("two objects have \"@id\" 1"), "{message}");

    std::fs::write(&path, &good).expect("fix the file");
    assert_eq!(f.snapshot(note).version(), 1);
}

fn other_model() -> Arc<Model> {
    let json = r#"{"name":"Other","version":1,"entities":[{"name":"Note","attributes":[{"name":"text","type":"string"}]}]}"#;
    Arc::new(Model::from_json(json).expect("model"))
}

#[test]
fn files_of_another_model_or_kind_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (f, _, path) = create(dir.path(), "notes.json");
    match JsonFileStore::open(&path, other_model()).map(|_| ()) {
        Err(RestError::Store(StoreError::ModelMismatch { expected, found, location })) => {
            assert_eq!((expected, found), (other_model().hash(), f.model.hash()));
            assert!(location.contains("notes.json"));
        }
        other => panic!("expected a model mismatch, got {other:?}"),
    }
    for (name, text) in
        [("plain.json", r#"{"hello": 1}"#), ("binary.png", "\u{89}PNG\r\n"), ("empty.json", "")]
    {
        let other = dir.path().join(name);
        std::fs::write(&other, text).expect("write");
        let result = JsonFileStore::open(&other, conformance_model()).map(|_| ());
        assert!(matches!(result, Err(RestError::Store(StoreError::NotAStore { .. }))), "{name}: {result:?}");
    }
    let missing = JsonFileStore::open(dir.path().join("missing.json"), conformance_model()).map(|_| ());
    assert!(matches!(missing, Err(RestError::Io { .. })), "{missing:?}");
    let again = JsonFileStore::create(&path, conformance_model()).map(|_| ());
    let exists = matches!(&again, Err(RestError::Io { source, .. }) if source.kind() == std::io::ErrorKind::AlreadyExists);
    assert!(exists, "{again:?}");
    let reopened = JsonFileStore::open_or_create(&path, conformance_model()).expect("open_or_create opens");
    assert_eq!(reopened.metadata().uuid, f.store.metadata().uuid);
    assert!(!reopened.metadata().history, "no persistent history");
    let unsupported = reopened.current_history_token().map(|_| ());
    assert!(matches!(unsupported, Err(StoreError::Unsupported { .. })), "{unsupported:?}");

    // Another store's file copied over this one: the objects' IDs would change meaning.
    let (_, _, other_path) = create(dir.path(), "other.json");
    std::fs::copy(&other_path, &path).expect("copy");
    let error = f.store.fetch(&f.request("Note", "", "")).expect_err("another store's file is refused");
    assert!(matches!(error, StoreError::NotAStore { .. }), "{error:?}");
}

#[test]
fn an_update_written_by_hand_is_a_conflict_for_stale_readers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (f, _, path) = create(dir.path(), "notes.json");
    let note = f.insert(vec![f.row("Note", &[("title", "a".into())])])[0];
    edit(&path, |text| text.replacen(r#""@version": 1"#, r#""@version": 5"#, 1));
    let error = f
        .store
        .save(&SaveRequest {
            updated: vec![UpdatedRow { id: note, expected_version: 1, values: vec![], to_one: vec![] }],
            ..Default::default()
        })
        .expect_err("the version read is stale");
    match error {
        StoreError::Conflict { conflicts } => {
            assert_eq!(conflicts.len(), 1);
            assert_eq!(conflicts[0].current.as_ref().map(|s| s.version()), Some(5));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}
