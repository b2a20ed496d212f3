//! The model crate's integration tests: model files and builders, every rejection, hashes,
//! inheritance, and robustness against arbitrary input.

mod files;
mod hash;
mod inheritance;
mod no_panic;
mod rejections;

use serde_json::Value as Json;
use strata_model::{
    AttributeBuilder, AttributeType, DeleteRule, EntityBuilder, Model, ModelBuilder, ModelError,
    RelationshipBuilder,
};

/// The path of the Clips example model, the one the CLI demo uses.
fn clips_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/clips/model.json")
}

/// The Clips example model file, parsed but not validated, for tests to alter.
fn clips_json() -> Json {
    serde_json::from_str(include_str!("../../../../examples/clips/model.json")).expect("the example is JSON")
}

/// The Clips model as code, declaring what `examples/clips/model.json` declares.
fn clips_builder() -> ModelBuilder {
    use AttributeType as T;
    Model::builder("Clips", 1)
        .entity(
            EntityBuilder::new("Clip")
                .attribute(AttributeBuilder::new("title", T::String).required())
                .attribute(AttributeBuilder::new("url", T::String))
                .attribute(AttributeBuilder::new("created", T::Date).indexed())
                .attribute(AttributeBuilder::new("score", T::Double).default_value(0.0))
                .attribute(AttributeBuilder::new("pinned", T::Bool).default_value(false))
                .attribute(AttributeBuilder::new("visits", T::Int64).default_value(0))
                .attribute(AttributeBuilder::new("uuid", T::Uuid).preserve_after_deletion())
                .relationship(RelationshipBuilder::to_one("folder", "Folder").inverse("clips"))
                .relationship(RelationshipBuilder::to_many("tags", "Tag").inverse("clips"))
                .unique(["uuid"]),
        )
        .entity(
            EntityBuilder::new("Folder")
                .attribute(AttributeBuilder::new("name", T::String).required())
                .relationship(
                    RelationshipBuilder::to_many("clips", "Clip")
                        .inverse("folder")
                        .delete_rule(DeleteRule::Cascade),
                ),
        )
        .entity(
            EntityBuilder::new("Tag")
                .attribute(AttributeBuilder::new("name", T::String).required())
                .relationship(RelationshipBuilder::to_many("clips", "Clip").inverse("tags"))
                .unique(["name"]),
        )
}

/// Loads `json` as a model file, which must be refused.
#[track_caller]
fn reject(json: &Json) -> ModelError {
    match Model::from_json_value(json) {
        Ok(model) => panic!("accepted an invalid model: {}", model.to_json()),
        Err(e) => e,
    }
}

/// Sets the field at JSON pointer `at` (whose parent must exist) to `value`.
#[track_caller]
fn set(json: &mut Json, at: &str, value: Json) {
    let (parent, key) = at.rsplit_once('/').expect("a pointer with a parent");
    match json.pointer_mut(parent).expect("the parent exists") {
        Json::Object(map) => {
            map.insert(key.to_owned(), value);
        }
        Json::Array(items) => {
            let i: usize = key.parse().expect("an index");
            if i == items.len() {
                items.push(value);
            } else {
                items[i] = value;
            }
        }
        other => panic!("cannot set {key} in {other}"),
    }
}

/// The Clips model file with one change.
#[track_caller]
fn clips_with(at: &str, value: Json) -> Json {
    let mut json = clips_json();
    set(&mut json, at, value);
    json
}
