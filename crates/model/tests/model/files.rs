//! Model files: the Clips example, builders agreeing with files, and `to_json` round trips.

use serde_json::json;
use strata_model::{AttributeType, DeleteRule, Model, Value};

use super::{clips_builder, clips_json, clips_path};

#[test]
fn loads_the_clips_example() {
    let model = Model::load(clips_path()).unwrap();
    assert_eq!((model.name(), model.version()), ("Clips", 1));
    let names: Vec<&str> = model.entities().iter().map(|e| e.name()).collect();
    assert_eq!(names, ["Clip", "Folder", "Tag"]);
    for (i, entity) in model.entities().iter().enumerate() {
        assert_eq!(entity.index().get(), i);
    }

    let clip = model.entity("Clip").unwrap();
    let attributes: Vec<(&str, AttributeType)> =
        clip.attributes().iter().map(|a| (a.name(), a.attribute_type())).collect();
    assert_eq!(
        attributes,
        [
            ("title", AttributeType::String),
            ("url", AttributeType::String),
            ("created", AttributeType::Date),
            ("score", AttributeType::Double),
            ("pinned", AttributeType::Bool),
            ("visits", AttributeType::Int64),
            ("uuid", AttributeType::Uuid),
        ]
    );
    let title = clip.attribute("title").unwrap();
    assert!(!title.is_optional());
    assert!(clip.attribute("url").unwrap().is_optional());
    assert!(clip.attribute("created").unwrap().is_indexed());
    assert_eq!(clip.attribute("score").unwrap().default_value(), &Value::Double(0.0));
    assert_eq!(clip.attribute("pinned").unwrap().default_value(), &Value::Bool(false));
    assert_eq!(clip.attribute("visits").unwrap().default_value(), &Value::Int64(0));
    assert_eq!(clip.attribute("url").unwrap().default_value(), &Value::Null);
    assert!(clip.attribute("uuid").unwrap().preserves_after_deletion());
    assert!(!title.preserves_after_deletion());
    assert_eq!(clip.uniqueness_constraints(), [vec!["uuid".to_owned()]]);

    let folder = model.entity("Folder").unwrap();
    let to_folder = clip.relationship("folder").unwrap();
    assert_eq!(to_folder.destination(), folder.index());
    assert!(!to_folder.is_to_many());
    assert_eq!(to_folder.delete_rule(), DeleteRule::Nullify);
    let clips = model.inverse_of(to_folder).unwrap();
    assert_eq!((clips.name(), clips.is_to_many(), clips.delete_rule()), ("clips", true, DeleteRule::Cascade));
    assert_eq!(model.inverse_of(clips).unwrap().name(), "folder");

    let tag = model.entity("Tag").unwrap();
    let tags = clip.relationship("tags").unwrap();
    assert_eq!(tags.destination(), tag.index());
    assert_eq!(model.inverse_of(tags).unwrap().destination(), clip.index());
    assert_eq!(tag.uniqueness_constraints(), [vec!["name".to_owned()]]);
    assert!(matches!(tag.property("name"), Some(strata_model::Property::Attribute(_))));
}

#[test]
fn builder_and_file_give_the_same_model() {
    let from_file = Model::from_json_value(&clips_json()).unwrap();
    let built = clips_builder().build().unwrap();
    assert_eq!(built.hash(), from_file.hash());
    for (a, b) in built.entities().iter().zip(from_file.entities()) {
        assert_eq!(a.hash(), b.hash(), "{}", a.name());
    }
    // Beyond the hash, the whole declaration agrees (defaults, rules, delete rules).
    assert_eq!(built.to_json(), from_file.to_json());
}

/// A model using every attribute type, rule and option the format has.
fn everything() -> serde_json::Value {
    json!({ "name": "Everything", "version": 7, "entities": [
        { "name": "Item", "abstract": true,
          "attributes": [
            { "name": "i16", "type": "int16", "default": -3, "min": -10, "max": 10, "indexed": true },
            { "name": "i32", "type": "int32", "default": 70000 },
            { "name": "i64", "type": "int64", "optional": false, "min": 0 },
            { "name": "f64", "type": "double", "default": 2.5, "max": 1e300 },
            { "name": "f32", "type": "float", "default": 0.1 },
            { "name": "dec", "type": "decimal", "default": "12.345", "max": "99.9" },
            { "name": "flag", "type": "bool", "default": true },
            { "name": "text", "type": "string", "default": "héllo", "minLength": 1, "maxLength": 40,
              "regex": "(?x) [a-zé]+ # lower-case words" },
            { "name": "when", "type": "date", "default": "2024-05-01T12:30:00.25Z",
              "min": "2000-01-01T00:00:00Z" },
            { "name": "blob", "type": "binary", "default": "AAEC", "maxLength": 16 },
            { "name": "id", "type": "uuid", "default": "67e55044-10b1-426f-9247-bb680e5fe0c8",
              "preserveAfterDeletion": true },
            { "name": "link", "type": "uri", "default": "https://example.com/a?b=c" },
            { "name": "doc", "type": "json", "default": { "a": [1, null, "x"] } } ],
          "relationships": [
            { "name": "owner", "destination": "Person", "inverse": "items", "deleteRule": "deny",
              "optional": false } ],
          "uniquenessConstraints": [["id"], ["i16", "owner"]],
          "indexes": [["when", "i64"]] },
        { "name": "Note", "parent": "Item",
          "attributes": [ { "name": "body", "type": "string", "regex": "a\n" } ],
          "indexes": [["body"]] },
        { "name": "Person",
          "relationships": [
            { "name": "items", "destination": "Item", "toMany": true, "inverse": "owner",
              "deleteRule": "cascade", "minCount": 0, "maxCount": 100 },
            { "name": "friends", "destination": "Person", "toMany": true, "inverse": "friends",
              "deleteRule": "noAction" } ] } ] })
}

#[test]
fn to_json_round_trips_everything() {
    let model = Model::from_json_value(&everything()).unwrap();
    let written = model.to_json();
    let again = Model::from_json_value(&written).unwrap();
    assert_eq!(again.hash(), model.hash());
    assert_eq!(again.to_json(), written);
    assert_eq!((again.name(), again.version()), ("Everything", 7));

    // Defaults, rules and options survive, not only what the hash covers.
    let item = again.entity("Item").unwrap();
    assert!(item.is_abstract());
    assert_eq!(item.attribute("f32").unwrap().default_value(), &Value::Float(0.1));
    assert_eq!(item.attribute("dec").unwrap().default_value(), &Value::Decimal("12.345".parse().unwrap()));
    assert_eq!(item.attribute("blob").unwrap().default_value(), &Value::Binary(vec![0, 1, 2]));
    assert_eq!(item.attribute("doc").unwrap().default_value(), &Value::Json(json!({ "a": [1, null, "x"] })));
    let text = item.attribute("text").unwrap().validation();
    assert_eq!(text.regex_source(), Some("(?x) [a-zé]+ # lower-case words"));
    assert!(text.check(&Value::from("héllo")).is_ok());
    assert!(text.check(&Value::from("Hello")).is_err());
    let when = item.attribute("when").unwrap().validation();
    assert_eq!(when.min, Some(Value::Date("2000-01-01T00:00:00Z".parse().unwrap())));
    let owner = item.relationship("owner").unwrap();
    assert_eq!((owner.delete_rule(), owner.is_optional()), (DeleteRule::Deny, false));
    let items = again.entity("Person").unwrap().relationship("items").unwrap();
    assert_eq!((items.min_count(), items.max_count()), (Some(0), Some(100)));
    let note = again.entity("Note").unwrap();
    assert_eq!(note.attribute("body").unwrap().validation().regex_source(), Some("a\n"));

    // Each entity writes only what it declares itself.
    let note_json = &written["entities"][1];
    assert_eq!(note_json["parent"], json!("Item"));
    assert_eq!(note_json["attributes"].as_array().unwrap().len(), 1);
    assert_eq!(note_json["relationships"], json!([]));
    assert_eq!(note_json["indexes"], json!([["body"]]));
    assert!(note_json.get("uniquenessConstraints").is_none());
}

#[test]
fn to_json_of_the_example_reads_back_alike() {
    let model = Model::load(clips_path()).unwrap();
    let again = Model::from_json_value(&model.to_json()).unwrap();
    assert_eq!(again.hash(), model.hash());
    assert_eq!(again.to_json(), model.to_json());
    // And through text, as a store's metadata would keep it.
    let text = serde_json::to_string_pretty(&model.to_json()).unwrap();
    assert_eq!(Model::from_json(&text).unwrap().hash(), model.hash());
}

#[test]
fn null_means_absent_for_optional_fields() {
    let model = Model::from_json(
        r#"{ "name": "M", "version": 0, "entities": [
            { "name": "E", "parent": null, "abstract": null, "relationships": null,
              "attributes": [ { "name": "a", "type": "int32", "default": null, "min": null,
                                "regex": null, "optional": null } ] } ] }"#,
    )
    .unwrap();
    let a = model.entity("E").unwrap().attribute("a").unwrap();
    assert!(a.is_optional());
    assert_eq!(a.default_value(), &Value::Null);
    assert!(a.validation().min.is_none());
}

#[test]
fn an_empty_model_is_valid() {
    let model = Model::from_json(r#"{ "name": "Empty", "version": 1, "entities": [] }"#).unwrap();
    assert!(model.entities().is_empty());
    assert_eq!(Model::builder("Other", 2).build().unwrap().hash(), model.hash());
}
