//! rollback, reset, refresh, existing_object, and object URIs.

use strata_core::value::Uuid;
use strata_core::{ContextError, CoordinatorError, Error, FetchRequest, UriError};

use super::support::{Env, clip, folder, save_all};

#[test]
fn rollback_discards_every_pending_change() {
    let env = Env::new();
    let mut ctx = env.context();
    let f = folder(&mut ctx, "f");
    let c = clip(&mut ctx, "c", 1.0);
    let [f, c] = save_all(&mut ctx, &[f, c])[..] else { panic!() };
    ctx.set(c, "title", "edited").unwrap();
    ctx.set_to_one(c, "folder", Some(f)).unwrap();
    let inserted = clip(&mut ctx, "new", 1.0);
    ctx.delete(f).unwrap();
    ctx.rollback();
    assert!(!ctx.has_changes());
    assert!(!ctx.is_registered(inserted));
    assert!(!ctx.is_deleted(f));
    assert_eq!(ctx.get::<String>(c, "title").unwrap(), "c");
    assert_eq!(ctx.to_one(c, "folder").unwrap(), None);
    assert!(ctx.to_many(f, "clips").unwrap().is_empty());
    assert_eq!(ctx.count(&FetchRequest::new("Clip")).unwrap(), 1);
}

#[test]
fn reset_forgets_everything() {
    let env = Env::new();
    let mut ctx = env.context();
    let c = clip(&mut ctx, "c", 1.0);
    let [c] = save_all(&mut ctx, &[c])[..] else { panic!() };
    let temporary = clip(&mut ctx, "t", 1.0);
    ctx.set(c, "title", "x").unwrap();
    ctx.reset();
    assert_eq!(ctx.registered_count(), 0);
    assert!(!ctx.has_changes());
    let e = ctx.value(temporary, "title").unwrap_err();
    assert!(matches!(e, Error::Context(ContextError::UnknownObject { .. })), "{e:?}");
    assert_eq!(ctx.get::<String>(c, "title").unwrap(), "c");
}

#[test]
fn refresh_rereads_with_or_without_edits() {
    let env = Env::new();
    let mut ctx = env.context();
    let c = clip(&mut ctx, "c", 1.0);
    let [c] = save_all(&mut ctx, &[c])[..] else { panic!() };
    let mut reader = env.context();
    assert_eq!(reader.get::<String>(c, "title").unwrap(), "c");
    let mut writer = env.context();
    writer.set(c, "title", "new").unwrap();
    writer.save().unwrap();
    assert_eq!(reader.get::<String>(c, "title").unwrap(), "c", "a loaded object keeps its row");
    reader.set(c, "score", 3.0).unwrap();
    reader.refresh(c, false).unwrap();
    assert_eq!(reader.get::<String>(c, "title").unwrap(), "new");
    assert_eq!(reader.get::<f64>(c, "score").unwrap(), 1.0, "without merging, edits are dropped");
    assert!(!reader.has_changes());
    reader.set(c, "score", 4.0).unwrap();
    reader.refresh(c, true).unwrap();
    assert_eq!(reader.get::<f64>(c, "score").unwrap(), 4.0, "merging keeps edits");
    let mut remover = env.context();
    remover.delete(c).unwrap();
    remover.save().unwrap();
    let e = reader.refresh(c, false).unwrap_err();
    assert!(matches!(e, Error::Context(ContextError::ObjectNotFound { .. })), "{e:?}");
    assert!(!reader.is_registered(c), "a vanished object is forgotten");
}

#[test]
fn existing_object_errors_once_the_row_is_gone() {
    let env = Env::new();
    let mut ctx = env.context();
    let c = clip(&mut ctx, "c", 1.0);
    let temporary = clip(&mut ctx, "t", 1.0);
    let [c] = save_all(&mut ctx, &[c])[..] else { panic!() };
    let pending = clip(&mut ctx, "p", 1.0);
    assert_eq!(ctx.existing_object(pending).unwrap(), pending, "inserted objects exist");
    let mut other = env.context();
    assert_eq!(other.existing_object(c).unwrap(), c);
    let (_, calls) = env.count(|| other.existing_object(c).unwrap());
    assert_eq!(calls.snapshots, 0, "a loaded, cached row needs no call");
    let mut remover = env.context();
    remover.delete(c).unwrap();
    remover.save().unwrap();
    let e = other.existing_object(c).unwrap_err();
    assert!(matches!(e, Error::Context(ContextError::ObjectNotFound { .. })), "{e:?}");
    let e = env.context().existing_object(c).unwrap_err();
    assert!(matches!(e, Error::Context(ContextError::ObjectNotFound { .. })), "{e:?}");
    assert!(ctx.existing_object(temporary).is_ok(), "a saved temporary ID resolves to its row");
}

#[test]
fn uris_round_trip_and_unknown_stores_are_errors() {
    let env = Env::new();
    let mut ctx = env.context();
    let c = clip(&mut ctx, "c", 1.0);
    let temporary_uri = env.coordinator.uri(c).unwrap();
    assert!(temporary_uri.starts_with("strata:///Clip/t"));
    assert_eq!(env.coordinator.object_id(&temporary_uri).unwrap(), c);
    let [c] = save_all(&mut ctx, &[c])[..] else { panic!() };
    let uri = env.coordinator.uri(c).unwrap();
    let store = c.store().unwrap();
    assert!(uri.starts_with(&format!("strata://{store}/Clip/p")), "{uri}");
    assert_eq!(ctx.object_id_for_uri(&uri).unwrap(), c);
    assert_eq!(ctx.get::<String>(ctx.object_id_for_uri(&uri).unwrap(), "title").unwrap(), "c");

    let stranger = Uuid::from_u128(0x5EED);
    let foreign = uri.replace(&store.to_string(), &stranger.to_string());
    match env.coordinator.object_id(&foreign) {
        Err(Error::Coordinator(CoordinatorError::UnknownStore { store })) => assert_eq!(store, stranger),
        other => panic!("expected an unknown-store error, got {other:?}"),
    }
    let misnamed = uri.replace("/Clip/", "/Clp/");
    assert!(matches!(
        env.coordinator.object_id(&misnamed),
        Err(Error::Coordinator(CoordinatorError::UnknownEntity { .. }))
    ));
    assert!(matches!(
        env.coordinator.object_id("strata://nope"),
        Err(Error::Uri(UriError::Malformed { .. }))
    ));
}
