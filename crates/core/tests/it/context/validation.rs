//! Validation: every rule, every violation reported at once, edits kept after a failure,
//! and the save succeeding once everything is fixed.

use strata_core::value::{Uuid, Value};
use strata_core::{Error, FetchRequest, Problem, StoreError, ValidationError};
use strata_model::RuleViolation;

use super::support::{Env, clip, folder, save_all};

fn kinds(e: &ValidationError) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = e
        .violations
        .iter()
        .map(|v| {
            let problem = match &v.problem {
                Problem::Required => "required".to_owned(),
                Problem::Rule(RuleViolation::BelowMin { .. }) => "min".to_owned(),
                Problem::Rule(RuleViolation::AboveMax { .. }) => "max".to_owned(),
                Problem::Rule(RuleViolation::TooShort { .. }) => "minLength".to_owned(),
                Problem::Rule(RuleViolation::TooLong { .. }) => "maxLength".to_owned(),
                Problem::Rule(RuleViolation::NoMatch { .. }) => "regex".to_owned(),
                Problem::TooFew { .. } => "minCount".to_owned(),
                Problem::TooMany { .. } => "maxCount".to_owned(),
                Problem::NotUnique { .. } => "unique".to_owned(),
                other => format!("{other:?}"),
            };
            (v.entity.clone(), v.property.clone(), problem)
        })
        .collect();
    out.sort();
    out
}

fn row(entity: &str, property: &str, problem: &str) -> (String, String, String) {
    (entity.to_owned(), property.to_owned(), problem.to_owned())
}

#[test]
fn every_violation_is_reported_at_once_and_edits_survive() {
    let env = Env::new();
    let mut ctx = env.context();
    let untitled = ctx.insert("Clip").unwrap();
    let over = clip(&mut ctx, "over", 11.0);
    ctx.set(over, "code", "abc").unwrap();
    let empty_name = folder(&mut ctx, "");
    let long_name = folder(&mut ctx, "a name far longer than twenty characters");
    ctx.set(long_name, "position", -1_i64).unwrap();
    let tags: Vec<_> = (0..4).map(|_| ctx.insert("Tag").unwrap()).collect();
    for &t in &tags {
        ctx.add_to_many(over, "tags", t).unwrap();
    }
    ctx.set(tags[0], "name", "dup").unwrap();
    ctx.set(tags[1], "name", "dup").unwrap();
    let uuid = Uuid::from_u128(7);
    ctx.set(untitled, "uuid", uuid).unwrap();
    ctx.set(over, "uuid", uuid).unwrap();
    let playlist = ctx.insert("Playlist").unwrap();

    let Err(Error::Validation(e)) = ctx.save() else { panic!("the save must fail validation") };
    assert_eq!(
        kinds(&e),
        vec![
            row("Clip", "score", "max"),
            row("Clip", "tags", "maxCount"),
            row("Clip", "code", "regex"),
            row("Clip", "title", "required"),
            row("Clip", "uuid", "unique"),
            row("Folder", "name", "maxLength"),
            row("Folder", "name", "minLength"),
            row("Folder", "position", "min"),
            row("Playlist", "items", "minCount"),
            row("Playlist", "pick", "required"),
            row("Tag", "name", "unique"),
        ]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    let v = e.violations.iter().find(|v| v.property == "title").unwrap();
    assert_eq!(v.object, untitled);
    let v = e.violations.iter().find(|v| v.entity == "Tag").unwrap();
    assert_eq!(v.problem, Problem::NotUnique { properties: vec!["name".into()], other: tags[0] });
    assert_eq!(
        e.violations.iter().find(|v| v.property == "tags").unwrap().problem,
        Problem::TooMany { max: 3, count: 4 }
    );
    assert!(e.to_string().starts_with("11 validation error(s): "), "{e}");
    assert_eq!(env.calls().save, 0, "nothing reached the store");
    assert_eq!(ctx.inserted_objects().len(), 9, "every edit is kept");
    assert_eq!(ctx.get::<f64>(over, "score").unwrap(), 11.0);

    ctx.set(untitled, "title", "now titled").unwrap();
    ctx.set(untitled, "uuid", Uuid::from_u128(8)).unwrap();
    ctx.set(over, "score", 10.0).unwrap();
    ctx.set(over, "code", "ABC").unwrap();
    ctx.delete(tags[3]).unwrap();
    ctx.set(tags[1], "name", "other").unwrap();
    ctx.set(empty_name, "name", "x").unwrap();
    ctx.set(long_name, "name", "short").unwrap();
    ctx.set(long_name, "position", 100_i64).unwrap();
    ctx.add_to_many(playlist, "items", over).unwrap();
    ctx.set_to_one(playlist, "pick", Some(over)).unwrap();
    let saved = save_all(&mut ctx, &[over]);
    assert_eq!(ctx.get::<String>(saved[0], "code").unwrap(), "ABC");
    assert_eq!(env.context().count(&FetchRequest::new("Tag")).unwrap(), 3);
}

#[test]
fn updated_objects_are_validated_whole() {
    let env = Env::new();
    let mut ctx = env.context();
    let c = clip(&mut ctx, "c", 1.0);
    let [c] = save_all(&mut ctx, &[c])[..] else { panic!() };
    let mut ctx = env.context();
    ctx.set(c, "title", Value::Null).unwrap();
    ctx.set(c, "score", -1.0).unwrap();
    let Err(Error::Validation(e)) = ctx.save() else { panic!("must fail") };
    assert_eq!(kinds(&e), vec![row("Clip", "score", "min"), row("Clip", "title", "required")]);
}

#[test]
fn the_store_checks_uniqueness_against_stored_rows() {
    let env = Env::new();
    let mut ctx = env.context();
    let t = ctx.insert("Tag").unwrap();
    ctx.set(t, "name", "rust").unwrap();
    ctx.save().unwrap();
    let mut ctx = env.context();
    let t = ctx.insert("Tag").unwrap();
    ctx.set(t, "name", "rust").unwrap();
    let e = ctx.save().unwrap_err();
    assert!(matches!(&e, Error::Store(StoreError::Uniqueness { entity, .. }) if entity == "Tag"), "{e:?}");
    assert!(ctx.inserted_objects().contains(&t), "the insert stays pending");
    ctx.set(t, "name", "go").unwrap();
    ctx.save().unwrap();
}
