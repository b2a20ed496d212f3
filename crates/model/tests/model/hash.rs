//! Model hashes: a golden value, and exactly the changes that alter stored data alter it.

use serde_json::{Value as Json, json};
use strata_model::{Model, ModelHash};

use super::{clips_json, clips_with, set};

/// The hash of `examples/clips/model.json`. It must never change by accident: every store
/// created with the Clips model records it. (Checked independently against the encoding
/// documented in `src/hash.rs`.)
const CLIPS_HASH: &str = "8b2d68428972b720434d67660984c5a7be8a81a5f38b4a8a571465b3cfe07719";

fn hash(json: &Json) -> ModelHash {
    Model::from_json_value(json).unwrap_or_else(|e| panic!("{e}")).hash()
}

fn entity_hash(json: &Json, entity: &str) -> ModelHash {
    Model::from_json_value(json).unwrap().entity(entity).unwrap().hash()
}

#[test]
fn golden_hash_of_the_clips_model() {
    assert_eq!(hash(&clips_json()).to_string(), CLIPS_HASH);
    assert_eq!(format!("{:?}", hash(&clips_json())), format!("ModelHash({CLIPS_HASH})"));
}

#[test]
fn unchanged_by_what_does_not_change_storage() {
    let base = hash(&clips_json());
    for (at, value) in [
        ("/name", json!("Renamed")),
        ("/version", json!(99)),
        ("/entities/0/attributes/3/default", json!(5)),
        ("/entities/0/attributes/1/default", json!("https://x.test")),
        ("/entities/0/attributes/5/max", json!(1000)),
        ("/entities/0/attributes/0/maxLength", json!(200)),
        ("/entities/0/attributes/1/regex", json!("https?:.*")),
        ("/entities/0/attributes/0/optional", json!(true)),
        ("/entities/0/attributes/1/optional", json!(false)),
        ("/entities/0/attributes/2/indexed", json!(false)),
        ("/entities/0/attributes/0/indexed", json!(true)),
        ("/entities/0/indexes", json!([["title", "created"]])),
        ("/entities/1/relationships/0/deleteRule", json!("deny")),
        ("/entities/0/relationships/0/optional", json!(false)),
        ("/entities/1/relationships/0/maxCount", json!(10)),
        ("/entities/0/attributes/6/preserveAfterDeletion", json!(false)),
        ("/entities/0/attributes/0/preserveAfterDeletion", json!(true)),
    ] {
        assert_eq!(hash(&clips_with(at, value.clone())), base, "{at} = {value}");
    }
}

/// The Clips model without the folder ⇄ clips inverse pair, so relationships can be
/// re-pointed freely.
fn without_folder_inverses() -> Json {
    let mut json = clips_json();
    set(&mut json, "/entities/0/relationships/0/inverse", Json::Null);
    set(&mut json, "/entities/1/relationships/0/inverse", Json::Null);
    json
}

#[test]
fn changed_by_what_changes_storage() {
    let base = clips_json();
    let free = without_folder_inverses();
    let mut renamed_tag = clips_json();
    set(&mut renamed_tag, "/entities/2/name", json!("Label"));
    set(&mut renamed_tag, "/entities/0/relationships/1/destination", json!("Label"));
    let mut swapped = clips_json();
    let entities = swapped["entities"].as_array_mut().unwrap();
    entities.swap(1, 2);
    let cases: Vec<(&str, Json, Json, &str)> = vec![
        ("attribute type", base.clone(), clips_with("/entities/0/attributes/3/type", json!("float")), "Clip"),
        ("attribute name", base.clone(), clips_with("/entities/0/attributes/1/name", json!("link")), "Clip"),
        ("inverse", base.clone(), free.clone(), "Clip"),
        (
            "destination",
            free.clone(),
            {
                let mut j = free.clone();
                set(&mut j, "/entities/0/relationships/0/destination", json!("Tag"));
                j
            },
            "Clip",
        ),
        (
            "toMany",
            free.clone(),
            {
                let mut j = free.clone();
                set(&mut j, "/entities/0/relationships/0/toMany", json!(true));
                j
            },
            "Clip",
        ),
        ("entity name", base.clone(), renamed_tag, "Clip"),
        (
            "uniqueness constraint",
            base.clone(),
            {
                let mut j = clips_json();
                j["entities"][2].as_object_mut().unwrap().remove("uniquenessConstraints");
                j
            },
            "Tag",
        ),
        ("abstract", base.clone(), clips_with("/entities/1/abstract", json!(true)), "Folder"),
        (
            "parent",
            base.clone(),
            {
                let mut j = clips_json();
                set(&mut j, "/entities/3", json!({ "name": "Thing" }));
                set(&mut j, "/entities/2/parent", json!("Thing"));
                j
            },
            "Tag",
        ),
    ];
    for (what, before, after, entity) in cases {
        assert_ne!(hash(&before), hash(&after), "model hash unchanged by {what}");
        assert_ne!(
            entity_hash(&before, entity),
            entity_hash(&after, entity),
            "{entity} hash unchanged by {what}"
        );
    }

    // Entity order is the EntityIndex stored in every object ID: the model hash covers it,
    // while each entity's own hash stays.
    assert_ne!(hash(&base), hash(&swapped));
    for entity in ["Clip", "Folder", "Tag"] {
        assert_eq!(entity_hash(&base, entity), entity_hash(&swapped, entity));
    }
}

#[test]
fn entity_hashes_are_distinct_and_stable() {
    let model = Model::from_json_value(&clips_json()).unwrap();
    let hashes: Vec<ModelHash> = model.entities().iter().map(|e| e.hash()).collect();
    assert_ne!(hashes[0], hashes[1]);
    assert_ne!(hashes[1], hashes[2]);
    assert_ne!(hashes[0], model.hash());
    let again = Model::from_json_value(&clips_json()).unwrap();
    assert_eq!(again.entities().iter().map(|e| e.hash()).collect::<Vec<_>>(), hashes);
}
