//! Identity map, values by name, typed accessors and their errors, change tracking.

use strata_core::value::{Date, Value};
use strata_core::{ContextError, Error, FetchRequest, PropertyValue, ValueError};

use super::support::{Env, clip, context_error, folder, save_all, sorted, text};

#[test]
fn fetching_twice_gives_the_same_ids_and_state() {
    let env = Env::new();
    let mut seed = env.context();
    let ids: Vec<_> = (0..3).map(|i| clip(&mut seed, &format!("c{i}"), i as f64)).collect();
    save_all(&mut seed, &ids);

    let mut ctx = env.context();
    let request = FetchRequest::new("Clip").sort_by("score").unwrap();
    let first = ctx.fetch(&request).unwrap().ids();
    assert_eq!(first.len(), 3);
    ctx.set(first[0], "title", "edited").unwrap();
    let second = ctx.fetch(&request).unwrap().ids();
    assert_eq!(first, second, "the same objects come back under the same IDs");
    assert_eq!(ctx.registered_count(), 3, "one state per object");
    assert_eq!(text(&mut ctx, second[0], "title").as_deref(), Some("edited"), "the state (edits) is kept");
}

#[test]
fn insert_set_get_save_and_refetch() {
    let env = Env::new();
    let mut ctx = env.context();
    let id = ctx.insert("Clip").unwrap();
    assert!(id.is_temporary());
    assert_eq!(ctx.value(id, "score").unwrap(), Value::Double(1.0), "attributes start at their defaults");
    assert_eq!(ctx.value(id, "title").unwrap(), Value::Null);
    ctx.set(id, "title", "Rust").unwrap();
    ctx.set(id, "visits", 7_i64).unwrap();
    ctx.set(id, "created", "2024-05-01T12:00:00Z").unwrap();
    let saved = save_all(&mut ctx, &[id])[0];
    assert!(!saved.is_temporary());

    let mut fresh = env.context();
    let fetched = fresh.fetch(&FetchRequest::new("Clip")).unwrap().ids();
    assert_eq!(fetched, vec![saved]);
    assert_eq!(fresh.get::<String>(saved, "title").unwrap(), "Rust");
    assert_eq!(
        fresh.value(saved, "visits").unwrap(),
        Value::Int16(7),
        "values are fitted to the attribute type"
    );
    let created = fresh.get::<Date>(saved, "created").unwrap();
    assert_eq!(created.to_rfc3339().as_deref(), Some("2024-05-01T12:00:00Z"));
    assert_eq!(fresh.get::<f64>(saved, "score").unwrap(), 1.0);
    assert!(!fresh.get::<bool>(saved, "pinned").unwrap());
    assert_eq!(fresh.get::<Option<String>>(saved, "code").unwrap(), None);
}

#[test]
fn type_errors_and_unknown_names_are_typed_errors() {
    let env = Env::new();
    let mut ctx = env.context();
    let id = clip(&mut ctx, "t", 2.0);

    let e = context_error(ctx.set(id, "score", "high").unwrap_err());
    assert!(matches!(&e, ContextError::InvalidValue { attribute, .. } if attribute == "score"), "{e:?}");
    let e = context_error(ctx.set(id, "visits", 70_000_i64).unwrap_err());
    assert!(matches!(e, ContextError::InvalidValue { source: ValueError::OutOfRange { .. }, .. }), "{e:?}");
    assert_eq!(ctx.get::<f64>(id, "score").unwrap(), 2.0, "a refused value changes nothing");
    let e = context_error(ctx.get::<bool>(id, "title").unwrap_err());
    assert!(matches!(e, ContextError::InvalidValue { source: ValueError::TypeMismatch { .. }, .. }), "{e:?}");

    let e = context_error(ctx.value(id, "titel").unwrap_err());
    assert_eq!(
        e,
        ContextError::UnknownProperty {
            entity: "Clip".into(),
            property: "titel".into(),
            suggestion: Some("title".into())
        }
    );
    assert_eq!(e.to_string(), r#"entity Clip has no property "titel" (did you mean "title"?)"#);
    let e = context_error(ctx.value(id, "folder").unwrap_err());
    assert!(matches!(e, ContextError::WrongPropertyKind { expected: "an attribute", .. }), "{e:?}");
    let e = context_error(ctx.to_one(id, "tags").unwrap_err());
    assert!(matches!(e, ContextError::WrongPropertyKind { actual: "a to-many relationship", .. }), "{e:?}");
    let e = context_error(ctx.insert("Clp").unwrap_err());
    assert_eq!(e, ContextError::UnknownEntity { entity: "Clp".into(), suggestion: Some("Clip".into()) });
    let e = context_error(ctx.insert("Shape").unwrap_err());
    assert_eq!(e, ContextError::AbstractEntity { entity: "Shape".into() });
}

#[test]
fn the_object_handle_forwards_to_the_context() {
    let env = Env::new();
    let mut ctx = env.context();
    let f = folder(&mut ctx, "Inbox");
    let id = ctx.insert("Clip").unwrap();
    let mut handle = ctx.object(id);
    handle.set("title", "a").unwrap().set("score", 3_i64).unwrap().set_to_one("folder", Some(f)).unwrap();
    assert_eq!(handle.get::<f64>("score").unwrap(), 3.0);
    assert_eq!(handle.to_one("folder").unwrap(), Some(f));
    assert_eq!(ctx.to_many(f, "clips").unwrap(), vec![id]);
}

#[test]
fn change_tracking_reports_what_is_pending() {
    let env = Env::new();
    let mut seed = env.context();
    let a = clip(&mut seed, "a", 1.0);
    let b = clip(&mut seed, "b", 2.0);
    let [a, b] = save_all(&mut seed, &[a, b])[..] else { panic!() };

    let mut ctx = env.context();
    assert!(!ctx.has_changes());
    ctx.fill_faults(&[a, b]).unwrap();
    ctx.set(a, "title", "a").unwrap();
    assert!(!ctx.has_changes(), "setting the stored value is no change");
    ctx.set(a, "title", "A").unwrap();
    ctx.set(a, "score", 5.5).unwrap();
    let c = clip(&mut ctx, "c", 0.0);
    ctx.delete(b).unwrap();
    assert!(ctx.has_changes());
    assert_eq!(ctx.updated_objects().into_iter().collect::<Vec<_>>(), vec![a]);
    assert_eq!(ctx.inserted_objects().into_iter().collect::<Vec<_>>(), vec![c]);
    assert_eq!(ctx.deleted_objects().into_iter().collect::<Vec<_>>(), vec![b]);
    let changed = ctx.changed_values(a).unwrap();
    assert_eq!(changed.len(), 2);
    assert_eq!(changed["title"], PropertyValue::Value(Value::from("A")));
    assert_eq!(changed["score"], PropertyValue::Value(Value::Double(5.5)));
    ctx.set(a, "title", "a").unwrap();
    assert_eq!(ctx.changed_values(a).unwrap().len(), 1, "setting a value back drops its change");
    assert!(matches!(ctx.set(b, "title", "x"), Err(Error::Context(ContextError::ObjectDeleted { .. }))));
    assert_eq!(
        sorted(vec![a, b]),
        sorted(ctx.fetch(&FetchRequest::new("Clip").include_pending_changes(false)).unwrap().ids())
    );
}
