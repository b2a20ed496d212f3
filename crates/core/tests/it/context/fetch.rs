//! Fetch requests: pending changes in all their cases, sorting merged with the store's,
//! paging, counts, IDs, dictionaries, sub-entities and typed errors.

use strata_core::value::Value;
use strata_core::{ContextError, Error, FetchRequest, FetchResult, PropertyValue, ResultType};
use strata_predicate::PredicateError;

use super::support::{Env, clip, folder, save_all, sorted};

/// Five stored clips scored 1..=5 titled s1..s5 (their IDs by score).
fn seed(env: &Env) -> Vec<strata_core::ObjectId> {
    let mut ctx = env.context();
    let ids: Vec<_> = (1..=5).map(|i| clip(&mut ctx, &format!("s{i}"), i as f64)).collect();
    save_all(&mut ctx, &ids)
}

fn titles(ctx: &mut strata_core::Context, request: &FetchRequest) -> Vec<String> {
    let ids = ctx.fetch(request).unwrap().ids();
    ids.into_iter().map(|id| ctx.get::<String>(id, "title").unwrap()).collect()
}

#[test]
fn pending_changes_are_honoured_in_every_case() {
    let env = Env::new();
    let s = seed(&env);
    let mut ctx = env.context();
    let request = FetchRequest::new("Clip").filter("score >= 3", &[]).unwrap().sort_by("score").unwrap();
    assert_eq!(titles(&mut ctx, &request), ["s3", "s4", "s5"]);

    clip(&mut ctx, "new match", 3.5);
    clip(&mut ctx, "new miss", 0.5);
    ctx.set(s[3], "score", 0.0).unwrap(); // s4 edited to no longer match
    ctx.set(s[0], "score", 9.0).unwrap(); // s1 edited to match
    ctx.delete(s[4]).unwrap(); // s5 deleted
    assert_eq!(titles(&mut ctx, &request), ["s3", "new match", "s1"]);
    assert_eq!(ctx.count(&request).unwrap(), 3);

    let unsaved = request.clone().include_pending_changes(false);
    assert_eq!(titles(&mut ctx, &unsaved), ["s3", "s4", "s5"], "the store's view ignores pending changes");
}

#[test]
fn paging_applies_after_merging() {
    let env = Env::new();
    let s = seed(&env);
    let mut ctx = env.context();
    clip(&mut ctx, "n2.5", 2.5);
    clip(&mut ctx, "n0", 0.0);
    ctx.set(s[4], "score", 1.5).unwrap(); // s5 moves between s1 and s2
    let all = FetchRequest::new("Clip").sort_by("score").unwrap();
    assert_eq!(titles(&mut ctx, &all), ["n0", "s1", "s5", "s2", "n2.5", "s3", "s4"]);
    assert_eq!(titles(&mut ctx, &all.clone().offset(1).limit(3)), ["s1", "s5", "s2"]);
    assert_eq!(titles(&mut ctx, &all.clone().offset(5).limit(10)), ["s3", "s4"]);
    assert_eq!(ctx.count(&all.clone().offset(2).limit(3)).unwrap(), 3);
    let descending = FetchRequest::new("Clip").sort_by("score desc").unwrap().limit(2);
    assert_eq!(titles(&mut ctx, &descending), ["s4", "s3"]);
    // Without sort keys: stored objects by primary key, then inserted ones in order.
    let unsorted = FetchRequest::new("Clip").filter("score < 2", &[]).unwrap();
    assert_eq!(titles(&mut ctx, &unsorted), ["s1", "s5", "n0"]);
}

#[test]
fn ties_follow_primary_keys_then_insertion_order() {
    let env = Env::new();
    let s = seed(&env);
    let mut ctx = env.context();
    let a = clip(&mut ctx, "a", 7.0);
    let b = clip(&mut ctx, "b", 7.0);
    ctx.set(s[2], "score", 7.0).unwrap();
    ctx.set(s[0], "score", 7.0).unwrap();
    let request = FetchRequest::new("Clip").filter("score == 7", &[]).unwrap().sort_by("score").unwrap();
    assert_eq!(ctx.fetch(&request).unwrap().ids(), vec![s[0], s[2], a, b]);
}

#[test]
fn result_types() {
    let env = Env::new();
    let s = seed(&env);
    let mut ctx = env.context();
    let f = folder(&mut ctx, "Inbox");
    ctx.set_to_one(s[1], "folder", Some(f)).unwrap();
    let request = FetchRequest::new("Clip").filter("score <= 2", &[]).unwrap().sort_by("score").unwrap();

    let ids = ctx.fetch(&request.clone().result_type(ResultType::ObjectIds)).unwrap();
    assert_eq!(ids, FetchResult::ObjectIds(vec![s[0], s[1]]));
    let mut other = env.context();
    other.fetch(&request.clone().result_type(ResultType::ObjectIds)).unwrap();
    assert_eq!(other.registered_count(), 0, "IDs are not registered");
    assert_eq!(ctx.fetch(&request.clone().result_type(ResultType::Count)).unwrap(), FetchResult::Count(2));

    let dictionaries =
        request.clone().result_type(ResultType::Dictionaries).properties(["title", "folder.name", "folder"]);
    let result = ctx.fetch(&dictionaries).unwrap();
    let rows = result.dictionaries();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].value("title"), Some(&Value::from("s1")));
    assert_eq!(rows[0].get("folder.name"), Some(&PropertyValue::Value(Value::Null)));
    assert_eq!(rows[0].get("folder"), Some(&PropertyValue::Object(None)));
    assert_eq!(
        rows[1].get("folder.name"),
        Some(&PropertyValue::Value(Value::from("Inbox"))),
        "pending edits count"
    );
    assert_eq!(rows[1].get("folder"), Some(&PropertyValue::Object(Some(f))));
    let everything = ctx.fetch(&request.clone().result_type(ResultType::Dictionaries)).unwrap();
    let keys: Vec<_> = everything.dictionaries()[0].entries.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["title", "score", "pinned", "visits", "created", "code", "uuid", "folder", "note"]);
}

#[test]
fn dictionaries_of_stored_rows_batch_their_look_ups() {
    let env = Env::new();
    let mut ctx = env.context();
    let mut ids = Vec::new();
    for i in 0..6 {
        let f = folder(&mut ctx, &format!("f{i}"));
        let c = clip(&mut ctx, &format!("c{i}"), 1.0);
        ctx.set_to_one(c, "folder", Some(f)).unwrap();
        ids.push(c);
    }
    save_all(&mut ctx, &ids);
    env.coordinator.row_cache().clear();
    let mut ctx = env.context();
    let request = FetchRequest::new("Clip").result_type(ResultType::Dictionaries).properties(["folder.name"]);
    let (result, calls) = env.count(|| ctx.fetch(&request).unwrap());
    assert_eq!(result.dictionaries().len(), 6);
    assert_eq!((calls.fetch, calls.snapshots), (1, 1), "one fetch and one batched look-up of the folders");
}

#[test]
fn requests_are_checked_with_typed_errors() {
    let env = Env::new();
    let mut ctx = env.context();
    let bad_key = FetchRequest::new("Clip").filter("titel == 'x'", &[]).unwrap();
    assert!(matches!(ctx.fetch(&bad_key), Err(Error::Predicate(PredicateError::Check(_)))));
    let bad_sort = FetchRequest::new("Clip").sort_by("tags.name").unwrap();
    assert!(matches!(ctx.fetch(&bad_sort), Err(Error::Predicate(PredicateError::Sort(_)))));
    let bad_entity = FetchRequest::new("Clips");
    let Err(Error::Context(e)) = ctx.fetch(&bad_entity) else { panic!("unknown entity") };
    assert_eq!(e, ContextError::UnknownEntity { entity: "Clips".into(), suggestion: Some("Clip".into()) });
    let bad_property =
        FetchRequest::new("Clip").result_type(ResultType::Dictionaries).properties(["tags.name"]);
    let Err(Error::Context(e)) = ctx.fetch(&bad_property) else { panic!("to-many key") };
    assert!(matches!(e, ContextError::InvalidKeyPath { .. }), "{e:?}");
    assert!(e.to_string().contains("to-many relationship"), "{e}");
    assert!(FetchRequest::new("Clip").filter("score >", &[]).is_err());
}

#[test]
fn pending_changes_in_sub_entities() {
    let env = Env::new();
    let mut ctx = env.context();
    let c = ctx.insert("Circle").unwrap();
    let q = ctx.insert("Square").unwrap();
    ctx.set(c, "name", "c").unwrap();
    ctx.set(q, "name", "q").unwrap();
    assert_eq!(sorted(ctx.fetch(&FetchRequest::new("Shape")).unwrap().ids()), sorted(vec![c, q]));
    let only = FetchRequest::new("Circle").include_subentities(false);
    assert_eq!(ctx.fetch(&only).unwrap().ids(), vec![c]);
}
