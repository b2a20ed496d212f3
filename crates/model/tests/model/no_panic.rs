//! Arbitrary input never panics the loader, and every model it accepts writes back to an
//! identical model. Case counts follow `PROPTEST_CASES` (1024 by default).

use proptest::prelude::*;
use serde_json::{Map, Value as Json};
use strata_model::Model;

/// Names that exercise the validator: real entity and property names, near misses,
/// keywords, reserved and invalid names, type and rule names.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "Clip", "Folder", "Tag", "clips", "folder", "tags", "title", "name", "uuid", "score",
            "string", "int16", "double", "date", "uuid", "binary", "json", "uri", "decimal", "bool",
            "nullify", "cascade", "deny", "noAction", "Z_PK", "NOT", "self", "", "9x", "a b",
            "2024-01-01T00:00:00Z", "AAEC", "(", "[a-z]+", "(?x) a # c",
        ])
        .prop_map(str::to_owned),
        1 => "[A-Za-z_]{1,6}",
        1 => any::<String>(),
    ]
}

/// A JSON leaf or small container of the kinds model files hold.
fn value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(Json::from),
        (-3i64..300).prop_map(Json::from),
        any::<f64>().prop_map(Json::from),
        word().prop_map(Json::String),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::vec((word(), inner), 0..3)
                .prop_map(|kv| Json::Object(kv.into_iter().collect())),
        ]
    })
}

/// Mostly one of `usual`, sometimes any [`word`].
fn mostly(usual: &'static [&'static str]) -> BoxedStrategy<Json> {
    prop_oneof![
        8 => prop::sample::select(usual).prop_map(|s| Json::String(s.to_owned())),
        1 => word().prop_map(Json::String),
    ]
    .boxed()
}

/// Mostly a small count, sometimes any JSON.
fn count() -> BoxedStrategy<Json> {
    prop_oneof![8 => (0u64..20).prop_map(Json::from), 1 => value()].boxed()
}

const ENTITIES: &[&str] = &["Clip", "Folder", "Tag"];
const PROPERTIES: &[&str] = &["title", "name", "uuid", "score", "clips", "folder", "tags"];

/// An object whose keys are mostly drawn from `fields`, with values from `field_value`,
/// and now and then a stray key.
fn object(
    fields: &'static [&'static str],
    field_value: impl Fn(&'static str) -> BoxedStrategy<Json>,
) -> impl Strategy<Value = Json> {
    let entries: Vec<BoxedStrategy<Option<(String, Json)>>> = fields
        .iter()
        .map(|&f| {
            // Mostly keep required fields, so that most cases get past the shape checks.
            let odds = if matches!(f, "name" | "type" | "destination") { 0.95 } else { 0.3 };
            prop::option::weighted(odds, field_value(f).prop_map(move |v| (f.to_owned(), v))).boxed()
        })
        .collect();
    let stray = prop::option::weighted(0.05, (word(), value()));
    (entries, stray).prop_map(|(entries, stray)| {
        let map: Map<String, Json> = entries.into_iter().flatten().chain(stray).collect();
        Json::Object(map)
    })
}

fn name_lists() -> BoxedStrategy<Json> {
    prop::collection::vec(prop::collection::vec(mostly(PROPERTIES), 0..3).prop_map(Json::Array), 0..3)
        .prop_map(Json::Array)
        .boxed()
}

fn attribute() -> impl Strategy<Value = Json> {
    const FIELDS: &[&str] = &[
        "name",
        "type",
        "optional",
        "default",
        "indexed",
        "preserveAfterDeletion",
        "min",
        "max",
        "minLength",
        "maxLength",
        "regex",
    ];
    object(FIELDS, |f| {
        match f {
        "name" => mostly(PROPERTIES),
        "type" => mostly(&[
            "int16", "int32", "int64", "double", "float", "decimal", "bool", "string", "date", "binary", "uuid",
            "uri", "json",
        ]),
        "regex" => word().prop_map(Json::String).boxed(),
        "optional" | "indexed" | "preserveAfterDeletion" => any::<bool>().prop_map(Json::Bool).boxed(),
        "minLength" | "maxLength" => count(),
        _ => prop_oneof![
            3 => (-5i64..50).prop_map(Json::from),
            1 => any::<bool>().prop_map(Json::Bool),
            2 => mostly(&["2024-01-01T00:00:00Z", "67e55044-10b1-426f-9247-bb680e5fe0c8", "AAEC", "https://x.test", "1.5", "abc"]),
            1 => value(),
        ]
        .boxed(),
    }
    })
}

fn relationship() -> impl Strategy<Value = Json> {
    const FIELDS: &[&str] =
        &["name", "destination", "toMany", "inverse", "deleteRule", "optional", "minCount", "maxCount"];
    object(FIELDS, |f| match f {
        "toMany" | "optional" => any::<bool>().prop_map(Json::Bool).boxed(),
        "minCount" | "maxCount" => count(),
        "destination" => mostly(ENTITIES),
        "deleteRule" => mostly(&["nullify", "cascade", "deny", "noAction"]),
        _ => mostly(PROPERTIES),
    })
}

fn entity() -> impl Strategy<Value = Json> {
    const FIELDS: &[&str] =
        &["name", "abstract", "parent", "attributes", "relationships", "uniquenessConstraints", "indexes"];
    object(FIELDS, |f| match f {
        "name" | "parent" => mostly(ENTITIES),
        "abstract" => any::<bool>().prop_map(Json::Bool).boxed(),
        "attributes" => prop::collection::vec(attribute(), 0..4).prop_map(Json::Array).boxed(),
        "relationships" => prop::collection::vec(relationship(), 0..3).prop_map(Json::Array).boxed(),
        _ => name_lists(),
    })
}

fn model() -> impl Strategy<Value = Json> {
    (word(), 0u32..3, prop::collection::vec(entity(), 0..5)).prop_map(|(name, version, entities)| {
        serde_json::json!({ "name": name, "version": version, "entities": entities })
    })
}

/// Loads `json`; when accepted, checks the model writes back to itself.
fn load_and_round_trip(json: &Json) -> Result<(), TestCaseError> {
    if let Ok(model) = Model::from_json_value(json) {
        let written = model.to_json();
        let again = Model::from_json_value(&written)
            .map_err(|e| TestCaseError::fail(format!("written model refused: {e}\n{written}")))?;
        prop_assert_eq!(again.hash(), model.hash());
        prop_assert_eq!(again.to_json(), written);
    }
    Ok(())
}

/// 1024 cases unless `PROPTEST_CASES` says otherwise (each case takes microseconds).
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1024);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn structured_models_never_panic(json in model()) {
        load_and_round_trip(&json)?;
    }

    #[test]
    fn mutated_example_never_panics(
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..6),
    ) {
        let mut text: Vec<char> = include_str!("../../../../examples/clips/model.json").chars().collect();
        for (at, op, c) in edits {
            let i = at.index(text.len() + 1);
            match op {
                0 if i < text.len() => { text.remove(i); }
                1 if i < text.len() => text[i] = c,
                _ => text.insert(i, c),
            }
        }
        let text: String = text.into_iter().collect();
        if let Ok(json) = serde_json::from_str::<Json>(&text) {
            load_and_round_trip(&json)?;
        }
        let _ = Model::from_json(&text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in prop_oneof![any::<String>(), "[\\[\\]{}\":,0-9a-zA-Z \\-.]{0,80}"]) {
        let _ = Model::from_json(&text);
    }

    #[test]
    fn arbitrary_json_values_never_panic(json in value()) {
        let _ = Model::from_json_value(&json);
    }
}
