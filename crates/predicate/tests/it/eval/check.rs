//! `Predicate::check`: every `CheckErrorKind` with its message, suggestions, spans and caret
//! rendering, and what a successful check returns (fitted constants, spans kept).

use strata_model::{
    AttributeBuilder, AttributeType, Date, EntityBuilder, EntityIndex, Model, RelationshipBuilder, Value,
};
use strata_predicate::{
    CheckErrorKind, Comparison, Expr, KeyPath, Operator, PathBase, PathComponent, Predicate, Quantifier,
    Span, StringOptions,
};

use crate::support::clips_model;

fn clip(model: &Model) -> EntityIndex {
    model.entity("Clip").map(|e| e.index()).expect("Clip entity")
}

fn check(text: &str) -> Result<Predicate, strata_predicate::CheckError> {
    let model = clips_model();
    let p = Predicate::parse(text).unwrap_or_else(|e| panic!("{text}: {}", e.render()));
    p.check(&model, clip(&model))
}

/// The check error's one-line message for `text`.
fn message(text: &str) -> String {
    match check(text) {
        Ok(p) => panic!("{text} passed the check as {p}"),
        Err(e) => e.to_string(),
    }
}

fn kind(text: &str) -> CheckErrorKind {
    match check(text) {
        Ok(p) => panic!("{text} passed the check as {p}"),
        Err(e) => e.kind().clone(),
    }
}

#[test]
fn unknown_keys_name_the_entity_and_suggest() {
    assert_eq!(message("titel == 'x'"), r#"entity Clip has no key "titel" (did you mean "title"?) at 0"#);
    assert_eq!(
        kind("titel == 'x'"),
        CheckErrorKind::UnknownKey {
            entity: "Clip".into(),
            key: "titel".into(),
            suggestion: Some("title".into())
        }
    );
    assert_eq!(
        message("score > 1 AND folder.nmae == 'x'"),
        r#"entity Folder has no key "nmae" (did you mean "name"?) at 14"#
    );
    assert_eq!(message("zzzzzz == 1"), r#"entity Clip has no key "zzzzzz" at 0"#);
    assert_eq!(message("Tags.@count > 1"), r#"entity Clip has no key "Tags" (did you mean "tags"?) at 0"#);
    assert_eq!(
        message("SUBQUERY(tags, $t, $t.nmae == 'x').@count > 0"),
        r#"entity Tag has no key "nmae" (did you mean "name"?) at 19"#
    );
    assert_eq!(
        message("tags.@sum.visit == 1"),
        r#"entity Tag has no key "visit" at 0"#,
        "keys after a collection operator resolve against the destination"
    );
    let text = "score > 1 AND titel == 'x'";
    let e = check(text).unwrap_err();
    assert_eq!(e.offset(), 14);
    assert_eq!(
        e.render(text),
        "entity Clip has no key \"titel\" (did you mean \"title\"?) at 14\nscore > 1 AND titel == 'x'\n              ^^^^^"
    );
}

#[test]
fn inherited_properties_resolve() {
    let model = Model::builder("Notes", 1)
        .entity(
            EntityBuilder::new("Item")
                .abstract_entity()
                .attribute(AttributeBuilder::new("name", AttributeType::String))
                .relationship(RelationshipBuilder::to_one("owner", "Person").inverse("items")),
        )
        .entity(
            EntityBuilder::new("Note")
                .parent("Item")
                .attribute(AttributeBuilder::new("body", AttributeType::String)),
        )
        .entity(
            EntityBuilder::new("Person")
                .attribute(AttributeBuilder::new("name", AttributeType::String))
                .relationship(RelationshipBuilder::to_many("items", "Item").inverse("owner")),
        )
        .build()
        .unwrap();
    let note = model.entity("Note").unwrap().index();
    let p = Predicate::parse("name BEGINSWITH 'a' AND body != nil AND owner.name == 'x'").unwrap();
    assert!(p.check(&model, note).is_ok());
    let e = Predicate::parse("bdy == nil").unwrap().check(&model, note).unwrap_err();
    assert_eq!(e.to_string(), r#"entity Note has no key "bdy" (did you mean "body"?) at 0"#);
    let item = model.entity("Item").unwrap().index();
    let e = Predicate::parse("body == nil").unwrap().check(&model, item).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"entity Item has no key "body" at 0"#,
        "a parent does not see its children's keys"
    );
}

#[test]
fn paths_that_do_not_resolve_to_what_they_need() {
    assert_eq!(
        message("title.length == 1"),
        r#""length" cannot follow title, which is a value, not an object at 0"#
    );
    assert!(matches!(kind("folder.name.x == 1"), CheckErrorKind::KeyAfterAttribute { .. }));
    assert_eq!(
        kind("tags.@count.name == 1"),
        CheckErrorKind::KeyAfterAttribute { attribute: "@count".into(), key: "name".into() }
    );
    assert_eq!(message("ANY title == 'x'"), "ANY needs a to-many key path, found title (string) at 4");
    assert_eq!(
        message("ALL folder.name == 'x'"),
        "ALL needs a to-many key path, found folder.name (string) at 4"
    );
    assert!(matches!(
        kind("NONE tags.@count == 1"),
        CheckErrorKind::NotAToManyPath { needed_by: "NONE", .. }
    ));
    assert_eq!(
        message("SUBQUERY(folder, $f, $f.name == 'x').@count > 0"),
        "SUBQUERY needs a to-many key path, found folder (relationship) at 9"
    );
    assert!(matches!(
        kind("SUBQUERY(tags.name, $n, $n == 'x').@count > 0"),
        CheckErrorKind::NotAToManyPath { needed_by: "SUBQUERY", .. }
    ));
    assert!(matches!(
        kind("SUBQUERY(folder.clips.folder, $f, $f == nil).@count > 0"),
        CheckErrorKind::NotAToManyPath { needed_by: "SUBQUERY", .. }
    ));
    assert_eq!(
        message("ANY tags.clips.folder.clips.title == 'x'"),
        "key path tags.clips.folder.clips.title reaches a to-many key through a to-one key after another \
         to-many key, which is not supported at 4"
    );
    assert_eq!(message("$x == 1"), "variable $x is not bound (substitute variables before checking) at 0");
    assert_eq!(
        kind("SUBQUERY(tags, $t, $u.name == 'x').@count > 0"),
        CheckErrorKind::UnboundVariable { name: "u".into() }
    );
    assert_eq!(
        message("SUBQUERY(tags, $t, $t.name == 'x') == nil"),
        "SUBQUERY(…) must be followed by a collection operator such as .@count at 0"
    );
}

#[test]
fn collection_operator_errors() {
    assert_eq!(
        message("folder.@count == 1"),
        "@count must come right after a to-many key (tags.@count) or after SUBQUERY(…) at 0"
    );
    assert_eq!(
        kind("tags.name.@max == 'x'"),
        CheckErrorKind::CollectionOperatorPlacement { operator: "@max" }
    );
    assert_eq!(message("tags.@sum == 1"), "@sum needs a key after it, as in tags.@sum.score at 0");
    assert_eq!(
        message("folder.clips.@avg.tags.name == 1"),
        "the key path after @avg must reach an attribute through to-one keys, but tags is to-many at 0"
    );
    assert_eq!(message("tags.@sum.name == 1"), "@sum cannot aggregate name (string) at 0");
    assert_eq!(message("folder.clips.@max.meta == nil"), "@max cannot aggregate meta (json) at 0");
    assert_eq!(
        message("folder.clips.@min.folder == nil"),
        "@min cannot aggregate folder (relationship) at 0"
    );
    assert_eq!(
        kind("folder.clips.@avg.created > 1"),
        CheckErrorKind::AggregateType { operator: "@avg", found: "created (date)".into() }
    );
    assert_eq!(
        kind("folder.clips.@sum.@count > 1"),
        CheckErrorKind::CollectionOperatorPlacement { operator: "@count" }
    );
}

#[test]
fn type_rules() {
    assert_eq!(message("title == 3"), "cannot compare title (string) with 3 (int64) at 9");
    assert_eq!(message("3 == title"), "cannot compare title (string) with 3 (int64) at 0");
    assert_eq!(message("score == 'high'"), r#"cannot compare score (double) with "high" (string) at 9"#);
    assert!(matches!(kind("visits IN {1, 'two'}"), CheckErrorKind::TypeMismatch { .. }));
    assert!(matches!(kind("created == 5"), CheckErrorKind::TypeMismatch { .. }));
    assert!(matches!(kind("pinned == 'yes'"), CheckErrorKind::TypeMismatch { .. }));
    assert_eq!(message("score == title"), "cannot compare score (double) with title (string) at 9");
    assert!(matches!(kind("created < score"), CheckErrorKind::TypeMismatch { .. }));
    assert!(matches!(kind("uuid == created"), CheckErrorKind::TypeMismatch { .. }));
    assert!(matches!(kind("'a' < 1"), CheckErrorKind::TypeMismatch { .. }));
    assert!(matches!(kind("score BETWEEN {1, 'z'}"), CheckErrorKind::TypeMismatch { .. }));
    assert!(matches!(kind("tags.@count == 'two'"), CheckErrorKind::TypeMismatch { .. }));
    // Compatible kinds pass: numbers with numbers (bool as 0/1, decimal), text with text.
    for ok in [
        "score == visits",
        "rating < price",
        "pinned == 1",
        "pinned > score",
        "price == 2",
        "price < 2.5",
        "title == url",
        "url == 'https://x.test'",
        "url BEGINSWITH 'http'",
        "created == created",
        "score < nil",
        "meta == nil",
        "meta != nil",
        "thumbnail == nil",
        "folder == nil",
        "nil != folder",
        "SELF != nil",
        "tags.@count == 1.0",
    ] {
        assert!(check(ok).is_ok(), "{ok}: {}", check(ok).unwrap_err());
    }
}

#[test]
fn constants_are_fitted_or_refused() {
    let parse_error = "yesterday".parse::<Date>().unwrap_err();
    assert_eq!(
        message("created > 'yesterday'"),
        format!(
            "constant does not fit created (date): {parse_error} (write dates as RFC 3339 text or \
             CAST(seconds, \"NSDate\")) at 10"
        )
    );
    assert!(parse_error.to_string().starts_with(r#""yesterday" is not a valid date"#), "{parse_error}");
    assert!(matches!(
        kind("uuid == 'not-a-uuid'"),
        CheckErrorKind::InvalidConstant { expected: AttributeType::Uuid, .. }
    ));
    assert!(matches!(
        kind("price == 'abc'"),
        CheckErrorKind::InvalidConstant { expected: AttributeType::Decimal, .. }
    ));
    assert!(matches!(
        kind("created IN {'2024-01-01T00:00:00Z', 'soon'}"),
        CheckErrorKind::InvalidConstant { .. }
    ));

    let p = check("created > '2024-01-01T00:00:00Z' AND price IN {'1.5', 2} AND 'x' == title").unwrap();
    let Predicate::And(parts) = &p else { panic!("{p:?}") };
    let Predicate::Comparison(Comparison { right: Expr::Constant(date, span), .. }) = &parts[0] else {
        panic!("{:?}", parts[0])
    };
    assert_eq!(*date, Value::Date("2024-01-01T00:00:00Z".parse().unwrap()));
    assert_eq!(*span, Span::new(10, 32), "spans are kept");
    let Predicate::Comparison(Comparison { right: Expr::List(items, _), .. }) = &parts[1] else {
        panic!("{:?}", parts[1])
    };
    assert_eq!(items[0], Expr::Constant(Value::Decimal("1.5".parse().unwrap()), Span::new(47, 52)));
    assert_eq!(items[1], Expr::Constant(Value::Int64(2), Span::new(54, 55)), "numbers stay as they are");
    let Predicate::Comparison(Comparison { left: Expr::Constant(x, _), .. }) = &parts[2] else {
        panic!("{:?}", parts[2])
    };
    assert_eq!(*x, Value::from("x"), "a scalar comparison keeps its sides as written");
}

#[test]
fn operators_a_type_does_not_support() {
    assert_eq!(
        message("meta == 'x'"),
        "== is not supported on meta (json): json values only support == nil and != nil at 0"
    );
    assert_eq!(
        message("meta < nil"),
        "< is not supported on meta (json): json values only support == nil and != nil at 0"
    );
    assert_eq!(
        message("thumbnail > nil"),
        "> is not supported on thumbnail (binary): binary values only support == and != with nil or bytes at 0"
    );
    assert!(matches!(kind("thumbnail == thumbnail"), CheckErrorKind::UnsupportedOperator { .. }));
    assert!(matches!(kind("meta IN {nil, 1}"), CheckErrorKind::UnsupportedOperator { .. }));
    assert_eq!(
        message("score BEGINSWITH '1'"),
        "BEGINSWITH needs text on both sides, found score (double) at 0"
    );
    assert_eq!(message("title CONTAINS nil"), "CONTAINS needs text on both sides, found nil at 15");
    assert!(matches!(kind("title LIKE 3"), CheckErrorKind::NotText { operator: Operator::Like, .. }));
    assert!(matches!(kind("created ENDSWITH 'Z'"), CheckErrorKind::NotText { .. }));
    assert!(matches!(
        kind("folder.name MATCHES folder"),
        CheckErrorKind::NotText { .. } | CheckErrorKind::ObjectComparison { .. }
    ));
    let e = kind("title MATCHES '(a'");
    let CheckErrorKind::InvalidRegex { pattern, reason } = &e else { panic!("{e:?}") };
    assert_eq!(pattern, "(a");
    assert!(!reason.is_empty());
    assert!(message("title MATCHES[c] 'a)'").starts_with("invalid regular expression \"a)\": "));
    assert!(check("title MATCHES '[a-z]+'").is_ok());
}

#[test]
fn objects_lists_and_collections() {
    assert_eq!(
        message("folder == 'Work'"),
        "comparing objects is not supported: folder (relationship) can only be compared with nil by == or != at 0"
    );
    assert!(matches!(kind("folder < nil"), CheckErrorKind::ObjectComparison { .. }));
    assert!(matches!(kind("folder == folder"), CheckErrorKind::ObjectComparison { .. }));
    assert!(matches!(kind("ANY tags == nil"), CheckErrorKind::ObjectComparison { .. }));
    assert!(matches!(kind("'x' IN tags"), CheckErrorKind::ObjectComparison { .. }));
    assert!(matches!(kind("folder IN {nil}"), CheckErrorKind::ObjectComparison { .. }));
    assert!(matches!(kind("nil IN {folder}"), CheckErrorKind::ObjectComparison { .. }));
    assert!(matches!(
        kind("SUBQUERY(tags, $t, $t == 'x').@count > 0"),
        CheckErrorKind::ObjectComparison { .. }
    ));
    assert_eq!(
        message("title IN 'abc'"),
        r#"IN needs a list {…} or a to-many key path on its right, found "abc" (string) at 9"#
    );
    assert!(matches!(kind("title IN folder.name"), CheckErrorKind::InNeedsCollection { .. }));
    assert_eq!(
        message("score == {1, 2}"),
        "a list {…} cannot be compared by ==; lists go after IN or BETWEEN at 9"
    );
    assert!(matches!(kind("{1, 2} IN {1}"), CheckErrorKind::ListNotAllowed { .. }));
    assert!(matches!(kind("score IN {1, {2}}"), CheckErrorKind::ListNotAllowed { .. }));
    assert_eq!(
        message("tags.name == folder.clips.title"),
        "only one side of a comparison can be a collection at 0"
    );
    assert!(matches!(kind("ANY tags.name IN folder.clips.title"), CheckErrorKind::TwoCollections));
    assert!(matches!(kind("title IN {tags.name}"), CheckErrorKind::TwoCollections));
    assert_eq!(
        message("'rust and go' CONTAINS tags.name"),
        "a to-many key path cannot be on the right of CONTAINS; put it on the left with ANY, ALL or NONE at 23"
    );
    assert!(matches!(kind("ANY 'x' == tags.name"), CheckErrorKind::NotAToManyPath { .. }));
}

fn comparison(left: Expr, operator: Operator, right: Expr) -> Predicate {
    Predicate::Comparison(Comparison {
        quantifier: Quantifier::Direct,
        left,
        operator,
        options: StringOptions::NONE,
        right,
        span: Span::new(0, 20),
    })
}

fn key(name: &str) -> Expr {
    Expr::KeyPath(KeyPath {
        base: PathBase::SelfObject,
        components: vec![PathComponent::Key(name.into())],
        span: Span::new(0, name.len()),
    })
}

#[test]
fn between_needs_two_bounds_and_the_entity_must_exist() {
    let model = clips_model();
    let three = Expr::List(
        (1..=3).map(|i| Expr::Constant(Value::Int64(i), Span::new(10, 11))).collect(),
        Span::new(9, 20),
    );
    let e = comparison(key("score"), Operator::Between, three).check(&model, clip(&model)).unwrap_err();
    assert_eq!(e.kind(), &CheckErrorKind::BetweenNeedsTwoValues { found: 3 });
    assert_eq!(e.to_string(), "BETWEEN needs two bounds written {low, high}, found 3 values at 9");
    let single =
        comparison(key("score"), Operator::Between, Expr::Constant(Value::Int64(1), Span::new(14, 15)));
    let e = single.check(&model, clip(&model)).unwrap_err();
    assert_eq!(e.to_string(), "BETWEEN needs two bounds written {low, high}, found 1 value at 14");
    let e = Predicate::True.check(&model, EntityIndex(99)).unwrap_err();
    assert_eq!(e.kind(), &CheckErrorKind::UnknownEntity { index: 99 });
    assert_eq!(e.to_string(), "entity index 99 is not in the model at 0");
}

#[test]
fn every_entity_checks_its_own_keys() {
    let model = clips_model();
    let folder = model.entity("Folder").unwrap().index();
    let p = Predicate::parse("name == 'x' AND clips.@count > 0 AND ANY clips.tags.name == 'y'").unwrap();
    assert!(p.check(&model, folder).is_ok());
    let e = Predicate::parse("title == 'x'").unwrap().check(&model, folder).unwrap_err();
    assert_eq!(e.to_string(), r#"entity Folder has no key "title" at 0"#);
}
