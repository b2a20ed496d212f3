//! One test per way a model can be refused: the variant, its fields, and a message that
//! names the entity and property at fault.

use serde_json::json;
use strata_model::{
    AttributeBuilder, AttributeType, ConstraintKind, EntityBuilder, Model, ModelError, NameProblem, Place,
    RangeRules, RelationshipBuilder, RuleViolation, Value, ValueError,
};

use super::{clips_json, clips_with, reject, set};

#[track_caller]
fn says(err: &ModelError, text: &str) {
    let message = err.to_string();
    assert!(message.contains(text), "message {message:?} lacks {text:?}");
}

#[test]
fn json_syntax_error_has_line_and_column() {
    let err = Model::from_json("{ \"name\": \"Clips\",\n  \"version\": 1,\n  \"entities\": [ }").unwrap_err();
    assert!(matches!(err, ModelError::Syntax { line: 3, column: 17, .. }), "{err:?}");
    says(&err, "line 3 column 17");
}

#[test]
fn top_level_must_be_an_object() {
    let err = Model::from_json("[1, 2]").unwrap_err();
    assert!(matches!(err, ModelError::NotAnObject { found: "a list" }), "{err:?}");
}

#[test]
fn unknown_field_suggests_the_nearest() {
    let err = reject(&clips_with("/entities/0/attributes/0/optinal", json!(false)));
    match &err {
        ModelError::UnknownField { place: Place::Attribute { entity, attribute }, field, suggestion } => {
            assert_eq!((entity.as_str(), attribute.as_str()), ("Clip", "title"));
            assert_eq!(field, "optinal");
            assert_eq!(suggestion.as_deref(), Some("optional"));
        }
        other => panic!("{other:?}"),
    }
    says(&err, r#"entity Clip, attribute title: unknown field "optinal" (did you mean "optional"?)"#);

    let err = reject(&clips_with("/entities/1/relationships/0/inverted", json!("folder")));
    assert!(matches!(&err, ModelError::UnknownField { place: Place::Relationship { .. }, .. }), "{err:?}");
    says(&err, "entity Folder, relationship clips: unknown field \"inverted\" (did you mean \"inverse\"?)");

    let err = reject(&clips_with("/entities/2/uniqueConstraints", json!([["name"]])));
    says(&err, "entity Tag: unknown field \"uniqueConstraints\"");
    let err = reject(&clips_with("/versoin", json!(2)));
    assert!(matches!(&err, ModelError::UnknownField { place: Place::Model, .. }), "{err:?}");
    says(&err, "did you mean \"version\"?");
}

#[test]
fn missing_and_mistyped_fields() {
    let mut json = clips_json();
    json["entities"][0]["attributes"][3].as_object_mut().unwrap().remove("type");
    let err = reject(&json);
    assert!(matches!(&err, ModelError::MissingField { field: "type", .. }), "{err:?}");
    says(&err, "entity Clip, attribute score: missing field \"type\"");

    let mut json = clips_json();
    json["entities"][1].as_object_mut().unwrap().remove("name");
    let err = reject(&json);
    assert!(
        matches!(&err, ModelError::MissingField { place: Place::Entity { entity }, field: "name" } if entity == "#1")
    );

    let err = reject(&clips_with("/entities/0/attributes/0/optional", json!("no")));
    assert!(
        matches!(&err, ModelError::WrongFieldType { field: "optional", found: "a string", .. }),
        "{err:?}"
    );
    says(&err, "entity Clip, attribute title: field \"optional\" must be true or false, found a string");

    let err = reject(&clips_with("/version", json!(-1)));
    assert!(matches!(&err, ModelError::WrongFieldType { place: Place::Model, field: "version", .. }));
    let err = reject(&clips_with("/entities/0/uniquenessConstraints", json!(["uuid"])));
    says(
        &err,
        "entity Clip: field \"uniquenessConstraints\" must be a list of lists of property names, found a string",
    );
    let err = reject(&clips_with("/entities/0/attributes/2", json!("created")));
    says(&err, "entity Clip: field \"attributes\" must be a list of attribute objects");
    let err = reject(&clips_with("/entities/1/relationships/0/minCount", json!(1.5)));
    says(&err, "entity Folder, relationship clips: field \"minCount\" must be a whole number");
}

#[test]
fn unknown_attribute_type_lists_the_valid_ones() {
    let err = reject(&clips_with("/entities/0/attributes/3/type", json!("dbl")));
    assert!(
        matches!(&err, ModelError::UnknownAttributeType { entity, attribute, name, .. }
            if entity == "Clip" && attribute == "score" && name == "dbl"),
        "{err:?}"
    );
    says(&err, "entity Clip, attribute score: unknown attribute type \"dbl\"");
    says(&err, "int16, int32, int64, double, float, decimal, bool, string, date, binary, uuid, uri, json");
    let err = reject(&clips_with("/entities/0/attributes/3/type", json!("Double")));
    says(&err, "(did you mean \"double\"?)");
}

#[test]
fn unknown_delete_rule() {
    let err = reject(&clips_with("/entities/1/relationships/0/deleteRule", json!("delete")));
    assert!(
        matches!(&err, ModelError::UnknownDeleteRule { entity, relationship, name }
            if entity == "Folder" && relationship == "clips" && name == "delete"),
        "{err:?}"
    );
    says(&err, "nullify, cascade, deny, noAction");
}

#[test]
fn duplicate_entities_ignoring_case() {
    let err = reject(&clips_with("/entities/3", json!({ "name": "tag" })));
    assert!(
        matches!(&err, ModelError::DuplicateEntity { entity, existing } if entity == "tag" && existing == "Tag"),
        "{err:?}"
    );
}

#[test]
fn duplicate_properties() {
    let err = reject(&clips_with("/entities/0/attributes/7", json!({ "name": "Title", "type": "string" })));
    assert!(
        matches!(&err, ModelError::DuplicateProperty { entity, property, existing, inherited_from: None }
            if entity == "Clip" && property == "Title" && existing == "title"),
        "{err:?}"
    );
    says(&err, "entity Clip: duplicate property \"Title\"");

    // An attribute and a relationship share the name space.
    let err = reject(&clips_with("/entities/0/attributes/7", json!({ "name": "folder", "type": "string" })));
    let err2 = &err;
    assert!(
        matches!(err2, ModelError::DuplicateProperty { property, .. } if property == "folder"),
        "{err:?}"
    );

    // A sub-entity redeclaring an inherited property.
    let err = Model::builder("M", 1)
        .entity(EntityBuilder::new("Item").attribute(AttributeBuilder::new("title", AttributeType::String)))
        .entity(
            EntityBuilder::new("Note")
                .parent("Item")
                .attribute(AttributeBuilder::new("title", AttributeType::String)),
        )
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, ModelError::DuplicateProperty { entity, inherited_from: Some(from), .. }
            if entity == "Note" && from == "Item"),
        "{err:?}"
    );
    says(&err, "entity Note: duplicate property \"title\" (\"title\" is inherited from Item)");
}

#[test]
fn invalid_entity_names() {
    for (name, problem) in [
        ("", NameProblem::Empty),
        ("9Lives", NameProblem::NotIdentifier),
        ("Clip Note", NameProblem::NotIdentifier),
        ("Self", NameProblem::Keyword),
        ("any", NameProblem::Keyword),
    ] {
        let err = reject(&clips_with("/entities/3", json!({ "name": name })));
        assert!(
            matches!(&err, ModelError::InvalidEntityName { entity, problem: p } if entity == name && *p == problem),
            "{name:?}: {err:?}"
        );
    }
}

#[test]
fn invalid_property_names() {
    for (name, problem) in [
        ("Z_PK", NameProblem::Reserved),
        ("z_ent", NameProblem::Reserved),
        ("BETWEEN", NameProblem::Keyword),
        ("truePredicate", NameProblem::Keyword),
        ("first-name", NameProblem::NotIdentifier),
        ("", NameProblem::Empty),
    ] {
        let err = reject(&clips_with("/entities/0/attributes/7", json!({ "name": name, "type": "string" })));
        assert!(
            matches!(&err, ModelError::InvalidPropertyName { entity, property, problem: p }
                if entity == "Clip" && property == name && *p == problem),
            "{name:?}: {err:?}"
        );
        says(&err, "entity Clip, property");
    }
    let err =
        reject(&clips_with("/entities/1/relationships/1", json!({ "name": "in", "destination": "Clip" })));
    assert!(matches!(&err, ModelError::InvalidPropertyName { problem: NameProblem::Keyword, .. }), "{err:?}");
}

#[test]
fn unknown_parent() {
    let err = reject(&clips_with("/entities/2/parent", json!("Foldr")));
    assert!(
        matches!(&err, ModelError::UnknownParent { entity, parent, suggestion: Some(s) }
            if entity == "Tag" && parent == "Foldr" && s == "Folder"),
        "{err:?}"
    );
    says(&err, "entity Tag: unknown parent entity \"Foldr\" (did you mean \"Folder\"?)");
}

#[test]
fn inheritance_cycles_are_named() {
    let mut json = clips_json();
    set(&mut json, "/entities/3", json!({ "name": "A", "parent": "C" }));
    set(&mut json, "/entities/4", json!({ "name": "B", "parent": "A" }));
    set(&mut json, "/entities/5", json!({ "name": "C", "parent": "B" }));
    let err = reject(&json);
    assert!(matches!(&err, ModelError::InheritanceCycle { cycle } if cycle == &["A", "C", "B"]), "{err:?}");
    says(&err, "entity A: inheritance cycle A → C → B → A");

    let err = reject(&clips_with("/entities/2/parent", json!("Tag")));
    assert!(matches!(&err, ModelError::InheritanceCycle { cycle } if cycle == &["Tag"]), "{err:?}");
}

#[test]
fn dangling_destination() {
    let err = reject(&clips_with("/entities/0/relationships/1/destination", json!("Tags")));
    assert!(
        matches!(&err, ModelError::UnknownDestination { entity, relationship, destination, suggestion: Some(s) }
            if entity == "Clip" && relationship == "tags" && destination == "Tags" && s == "Tag"),
        "{err:?}"
    );
    says(&err, "entity Clip, relationship tags: unknown destination entity \"Tags\" (did you mean \"Tag\"?)");
}

#[test]
fn inverse_must_exist() {
    let err = reject(&clips_with("/entities/0/relationships/0/inverse", json!("clip")));
    assert!(
        matches!(&err, ModelError::UnknownInverse { entity, relationship, destination, inverse, suggestion: Some(s) }
            if entity == "Clip" && relationship == "folder" && destination == "Folder" && inverse == "clip" && s == "clips"),
        "{err:?}"
    );
    says(&err, "entity Clip, relationship folder: inverse \"clip\" is not a relationship of Folder");
    // An attribute is no inverse.
    let err = reject(&clips_with("/entities/0/relationships/0/inverse", json!("name")));
    assert!(matches!(&err, ModelError::UnknownInverse { .. }), "{err:?}");
}

#[test]
fn inverse_must_point_back() {
    // Folder.clips names `folder` as inverse; Clip.folder now names nothing.
    let mut json = clips_json();
    json["entities"][0]["relationships"][0].as_object_mut().unwrap().remove("inverse");
    let err = reject(&json);
    assert!(
        matches!(&err, ModelError::InverseDoesNotPointBack { entity, relationship, inverse, back: None, .. }
            if entity == "Folder" && relationship == "clips" && inverse == "folder"),
        "{err:?}"
    );
    says(
        &err,
        "entity Folder, relationship clips: inverse Clip.folder does not point back (its inverse is not set)",
    );

    // Two relationships on Clip name each other's partners crosswise.
    let mut json = clips_json();
    set(
        &mut json,
        "/entities/0/relationships/2",
        json!({ "name": "home", "destination": "Folder", "inverse": "clips" }),
    );
    let err = reject(&json);
    assert!(
        matches!(&err, ModelError::InverseDoesNotPointBack { relationship, back: Some(b), .. }
            if relationship == "home" && b == "folder"),
        "{err:?}"
    );
}

#[test]
fn inverse_must_lead_back_to_the_entity() {
    // Folder.clips claims Clip.tags (which leads to Tag) as its inverse; Clip.folder names
    // no inverse, so nothing else is wrong.
    let mut json = clips_with("/entities/1/relationships/0/inverse", json!("tags"));
    set(&mut json, "/entities/0/relationships/0/inverse", json!(null));
    let err = reject(&json);
    assert!(
        matches!(&err, ModelError::InverseWrongDestination { entity, relationship, inverse_destination, .. }
            if entity == "Folder" && relationship == "clips" && inverse_destination == "Tag"),
        "{err:?}"
    );
    says(&err, "entity Folder, relationship clips: inverse Clip.tags leads to Tag, not Folder");
}

#[test]
fn bad_defaults() {
    let err = reject(&clips_with("/entities/0/attributes/3/default", json!("high")));
    assert!(
        matches!(&err, ModelError::BadDefault { entity, attribute, ty: AttributeType::Double, value, .. }
            if entity == "Clip" && attribute == "score" && value == "\"high\""),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("entity Clip, attribute score: default \"high\" is not a valid double: ")
    );
    let err = reject(&clips_with("/entities/0/attributes/6/default", json!("not-a-uuid")));
    says(&err, "entity Clip, attribute uuid: default \"not-a-uuid\" is not a valid uuid");
    let err = reject(&clips_with("/entities/0/attributes/5/default", json!(1.5)));
    assert!(matches!(&err, ModelError::BadDefault { ty: AttributeType::Int64, .. }), "{err:?}");

    // A value no model file could hold back is refused from code too.
    let err = Model::builder("M", 1)
        .entity(
            EntityBuilder::new("E")
                .attribute(AttributeBuilder::new("x", AttributeType::Double).default_value(f64::NAN)),
        )
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, ModelError::BadDefault { source, .. } if matches!(**source, ValueError::NotStorable { .. }))
    );
    let err = Model::builder("M", 1)
        .entity(
            EntityBuilder::new("E")
                .attribute(AttributeBuilder::new("x", AttributeType::Int16).default_value(70_000)),
        )
        .build()
        .unwrap_err();
    says(&err, "entity E, attribute x: default 70000 is not a valid int16: 70000 is out of range for int16");
}

#[test]
fn default_must_satisfy_the_rules() {
    let mut json = clips_json();
    set(&mut json, "/entities/0/attributes/3/min", json!(1));
    let err = reject(&json);
    assert!(
        matches!(&err, ModelError::DefaultViolatesRule { entity, attribute, violation: RuleViolation::BelowMin { min }, .. }
            if entity == "Clip" && attribute == "score" && *min == Value::Double(1.0)),
        "{err:?}"
    );
    says(&err, "entity Clip, attribute score: default 0.0 must be at least 1.0");

    let err = Model::builder("M", 1)
        .entity(EntityBuilder::new("E").attribute(
            AttributeBuilder::new("code", AttributeType::String).regex("[A-Z]{3}").default_value("abc"),
        ))
        .build()
        .unwrap_err();
    assert!(matches!(&err, ModelError::DefaultViolatesRule { violation: RuleViolation::NoMatch { .. }, .. }));
    says(&err, "entity E, attribute code: default \"abc\" does not match regex \"[A-Z]{3}\"");
}

#[test]
fn rule_bounds_must_convert() {
    let err = reject(&clips_with("/entities/0/attributes/5/max", json!("lots")));
    assert!(
        matches!(&err, ModelError::BadRuleValue { entity, attribute, rule: "max", .. }
            if entity == "Clip" && attribute == "visits"),
        "{err:?}"
    );
    says(&err, "entity Clip, attribute visits: max \"lots\" is not a valid int64");
    let err = reject(&clips_with("/entities/0/attributes/2/min", json!("yesterday")));
    assert!(matches!(&err, ModelError::BadRuleValue { rule: "min", ty: AttributeType::Date, .. }), "{err:?}");
}

#[test]
fn misplaced_rules() {
    for (attribute, rule, value) in [
        (0, "min", json!(1)),
        (5, "minLength", json!(1)),
        (3, "maxLength", json!(1)),
        (4, "max", json!(true)),
        (6, "regex", json!("[0-9a-f-]+")),
        (2, "regex", json!(".*")),
    ] {
        let err = reject(&clips_with(&format!("/entities/0/attributes/{attribute}/{rule}"), value));
        assert!(
            matches!(&err, ModelError::MisplacedRule { entity, rule: r, .. } if entity == "Clip" && *r == rule),
            "{rule}: {err:?}"
        );
        says(&err, "entity Clip, attribute ");
        says(&err, &format!("{rule} does not apply to a"));
    }
    let err = Model::builder("M", 1)
        .entity(
            EntityBuilder::new("E")
                .attribute(AttributeBuilder::new("link", AttributeType::Uri).regex("https:.*")),
        )
        .build()
        .unwrap_err();
    says(
        &err,
        "entity E, attribute link: regex does not apply to a uri attribute (regex applies to string attributes)",
    );
}

#[test]
fn inverted_ranges() {
    let mut json = clips_json();
    set(&mut json, "/entities/0/attributes/5/min", json!(10));
    set(&mut json, "/entities/0/attributes/5/max", json!(5));
    let err = reject(&json);
    assert!(
        matches!(&err, ModelError::InvertedRange { entity, property, rules: RangeRules::Value, min, max }
            if entity == "Clip" && property == "visits" && min == "10" && max == "5"),
        "{err:?}"
    );
    says(&err, "entity Clip, property visits: min 10 is greater than max 5");

    let mut json = clips_json();
    set(&mut json, "/entities/0/attributes/0/minLength", json!(3));
    set(&mut json, "/entities/0/attributes/0/maxLength", json!(2));
    let err = reject(&json);
    assert!(matches!(&err, ModelError::InvertedRange { rules: RangeRules::Length, .. }), "{err:?}");

    let mut json = clips_json();
    set(&mut json, "/entities/1/relationships/0/minCount", json!(3));
    set(&mut json, "/entities/1/relationships/0/maxCount", json!(1));
    let err = reject(&json);
    assert!(
        matches!(&err, ModelError::InvertedRange { entity, property, rules: RangeRules::Count, .. }
            if entity == "Folder" && property == "clips"),
        "{err:?}"
    );
    says(&err, "entity Folder, property clips: minCount 3 is greater than maxCount 1");
}

#[test]
fn invalid_regex() {
    for pattern in ["(unclosed", "a)|(b", "[z-a]"] {
        let err = reject(&clips_with("/entities/0/attributes/1/regex", json!(pattern)));
        assert!(
            matches!(&err, ModelError::InvalidRegex { entity, attribute, pattern: p, .. }
                if entity == "Clip" && attribute == "url" && p == pattern),
            "{pattern}: {err:?}"
        );
        says(&err, "entity Clip, attribute url: invalid regex");
    }
}

#[test]
fn counts_only_on_to_many() {
    let err = reject(&clips_with("/entities/0/relationships/0/maxCount", json!(1)));
    assert!(
        matches!(&err, ModelError::CountOnToOne { entity, relationship, rule: "maxCount" }
            if entity == "Clip" && relationship == "folder"),
        "{err:?}"
    );
    says(&err, "entity Clip, relationship folder: maxCount applies only to to-many relationships");
}

#[test]
fn constraints_name_known_to_one_properties() {
    let err = reject(&clips_with("/entities/0/uniquenessConstraints/1", json!(["title", "uid"])));
    assert!(
        matches!(&err, ModelError::ConstraintUnknownProperty { entity, kind: ConstraintKind::Uniqueness, property, suggestion: Some(s) }
            if entity == "Clip" && property == "uid" && s == "uuid"),
        "{err:?}"
    );
    says(&err, "entity Clip: uniqueness constraint names unknown property \"uid\" (did you mean \"uuid\"?)");

    let err = reject(&clips_with("/entities/0/indexes", json!([["title", "tags"]])));
    assert!(
        matches!(&err, ModelError::ConstraintToMany { entity, kind: ConstraintKind::Index, relationship }
            if entity == "Clip" && relationship == "tags"),
        "{err:?}"
    );
    says(&err, "entity Clip: index names to-many relationship \"tags\"");

    let err = reject(&clips_with("/entities/2/uniquenessConstraints/1", json!([])));
    assert!(
        matches!(&err, ModelError::EmptyConstraint { entity, kind: ConstraintKind::Uniqueness } if entity == "Tag")
    );
    says(&err, "entity Tag: empty uniqueness constraint");

    // A to-one relationship may take part in a constraint or an index.
    let json = clips_with("/entities/0/indexes", json!([["folder", "created"]]));
    let model = Model::from_json_value(&json).unwrap();
    assert_eq!(model.entity("Clip").unwrap().indexes(), [vec!["folder".to_owned(), "created".to_owned()]]);
}

#[test]
fn unreadable_file() {
    let err = Model::load("/nonexistent/strata/model.json").unwrap_err();
    assert!(matches!(&err, ModelError::Io { path, .. } if path.ends_with("strata/model.json")), "{err:?}");
    says(&err, "cannot read model file /nonexistent/strata/model.json");
}

#[test]
fn too_many_entities() {
    let builder =
        (0..=65_536).fold(Model::builder("Huge", 1), |b, i| b.entity(EntityBuilder::new(format!("E{i}"))));
    let err = builder.build().unwrap_err();
    assert!(matches!(err, ModelError::TooManyEntities { count: 65_537 }), "{err:?}");
}

#[test]
fn builder_relationships_are_checked_like_files() {
    let err = Model::builder("M", 1)
        .entity(EntityBuilder::new("A").relationship(RelationshipBuilder::to_one("b", "B").min_count(1)))
        .entity(EntityBuilder::new("B"))
        .build()
        .unwrap_err();
    assert!(matches!(&err, ModelError::CountOnToOne { rule: "minCount", .. }), "{err:?}");
}

#[test]
fn flattened_hierarchies_are_bounded() {
    // 1,000 attributes inherited by 1,001 sub-entities would be a million copies.
    let root = (0..1_000).fold(EntityBuilder::new("Root"), |e, i| {
        e.attribute(AttributeBuilder::new(format!("a{i}"), AttributeType::Int32))
    });
    let wide = |root: EntityBuilder| {
        (0..1_001).fold(Model::builder("Wide", 1).entity(root), |b, i| {
            b.entity(EntityBuilder::new(format!("C{i}")).parent("Root"))
        })
    };
    let err = wide(root).build().unwrap_err();
    assert!(matches!(&err, ModelError::TooLarge { limit: 1_000_000, .. }), "{err:?}");
    says(&err, "more than 1000000 properties, constraint and index entries");

    // Inherited constraints count too.
    let root = (0..500).fold(
        EntityBuilder::new("Root").attribute(AttributeBuilder::new("a", AttributeType::Int32)),
        |e, _| e.unique(["a"]),
    );
    assert!(matches!(wide(root).build(), Err(ModelError::TooLarge { .. })));
}
