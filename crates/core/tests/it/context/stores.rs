//! Several stores under one coordinator: configurations, routing, saves across stores,
//! partial saves, and store registration errors.

use std::sync::Arc;
use std::time::Duration;

use strata_core::{Context, Coordinator, CoordinatorError, Error, FetchRequest, StoreError};
use strata_model::Model;

use super::support::{CountingStore, clip, folder, model};
use crate::context_store::new_store;

struct TwoStores {
    coordinator: Arc<Coordinator>,
    main: Arc<CountingStore>,
    tags: Arc<CountingStore>,
}

/// Tags live in their own store; everything else in "Main".
fn two_stores() -> TwoStores {
    let model = model();
    let coordinator = Coordinator::new(model.clone());
    let main = CountingStore::new(new_store(model.clone()));
    let tags = CountingStore::new(new_store(model.clone()));
    coordinator.add_store_for("Tags", tags.clone(), &["Tag"]).unwrap();
    coordinator.add_store("Main", main.clone()).unwrap();
    TwoStores { coordinator, main, tags }
}

#[test]
fn registration_errors() {
    let model = model();
    let coordinator = Coordinator::new(model.clone());
    let other = Arc::new(
        Model::from_json(r#"{"name":"Other","version":1,"entities":[{"name":"Thing","attributes":[]}]}"#)
            .unwrap(),
    );
    let e = coordinator.add_store("Default", new_store(other)).unwrap_err();
    assert!(matches!(e, CoordinatorError::ModelMismatch { .. }), "{e:?}");
    let store = new_store(model.clone());
    coordinator.add_store_for("Tags", store.clone(), &["Tag"]).unwrap();
    let e = coordinator.add_store("Again", store).unwrap_err();
    assert!(matches!(e, CoordinatorError::DuplicateStore { .. }), "{e:?}");
    let e = coordinator.add_store("Tags", new_store(model.clone())).unwrap_err();
    assert!(matches!(e, CoordinatorError::DuplicateConfiguration { .. }), "{e:?}");
    let e = coordinator.add_store_for("More", new_store(model.clone()), &["Tag"]).unwrap_err();
    assert!(
        matches!(&e, CoordinatorError::EntityAlreadyAssigned { entity, configuration } if entity == "Tag" && configuration == "Tags")
    );
    let e = coordinator.add_store_for("More", new_store(model.clone()), &["Tagg"]).unwrap_err();
    assert!(matches!(&e, CoordinatorError::UnknownEntity { suggestion: Some(s), .. } if s == "Tag"), "{e:?}");
    let e = coordinator.store_for("Clip").unwrap_err();
    assert!(matches!(e, CoordinatorError::NoStoreForEntity { .. }));
    let e = Context::new(coordinator.clone()).insert("Clip").unwrap_err();
    assert!(matches!(e, Error::Coordinator(CoordinatorError::NoStoreForEntity { .. })), "{e:?}");
}

#[test]
fn configurations_partition_entities_and_hierarchies() {
    let model = model();
    let coordinator = Coordinator::new(model.clone());
    let shapes = coordinator.add_store_for("Shapes", new_store(model.clone()), &["Circle"]).unwrap();
    let rest = coordinator.add_store("Rest", new_store(model.clone())).unwrap();
    for entity in ["Shape", "Circle", "Square"] {
        assert_eq!(coordinator.store_for(entity).unwrap(), shapes, "{entity} goes with its hierarchy");
    }
    assert_eq!(coordinator.store_for("Clip").unwrap(), rest);
    assert_eq!(coordinator.stores(), vec![shapes, rest]);
    assert_eq!(coordinator.configuration(shapes).as_deref(), Some("Shapes"));
    assert_eq!(coordinator.entities_of(shapes).len(), 3);
    coordinator.remove_store(shapes).unwrap();
    assert!(matches!(coordinator.store_for("Square"), Err(CoordinatorError::NoStoreForEntity { .. })));
    assert!(coordinator.store(shapes).is_none());
}

#[test]
fn a_save_across_stores_is_one_save_per_store() {
    let s = two_stores();
    let notifications = s.coordinator.subscribe();
    let mut ctx = Context::new(s.coordinator.clone());
    let c = clip(&mut ctx, "c", 1.0);
    let t = ctx.insert("Tag").unwrap();
    ctx.set(t, "name", "rust").unwrap();
    let outcome = ctx.save().unwrap();
    assert_eq!(outcome.notifications.len(), 2);
    let (c, t) = (outcome.permanent_id(c).unwrap(), outcome.permanent_id(t).unwrap());
    assert_eq!(c.store(), Some(s.main.metadata_id()));
    assert_eq!(t.store(), Some(s.tags.metadata_id()));
    assert_eq!((s.main.calls().save, s.tags.calls().save), (1, 1));
    let first = notifications.recv_timeout(Duration::from_secs(5)).unwrap();
    let second = notifications.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(
        (first.inserted.clone(), second.inserted.clone()),
        (vec![t], vec![c]),
        "stores in the order added"
    );

    let mut fresh = Context::new(s.coordinator.clone());
    assert_eq!(fresh.fetch(&FetchRequest::new("Tag")).unwrap().ids(), vec![t]);
    assert_eq!(fresh.get::<String>(c, "title").unwrap(), "c");
    let (snapshots_before, tag_before) = (s.main.calls().snapshots, s.tags.calls().snapshots);
    s.coordinator.row_cache().clear();
    let rows = s.coordinator.snapshots(&[c, t, c]).unwrap();
    assert!(rows.iter().all(Option::is_some));
    assert_eq!(
        (s.main.calls().snapshots - snapshots_before, s.tags.calls().snapshots - tag_before),
        (1, 1),
        "one call per store"
    );
}

#[test]
fn relationships_cannot_cross_stores() {
    let s = two_stores();
    let mut ctx = Context::new(s.coordinator.clone());
    let c = clip(&mut ctx, "c", 1.0);
    let t = ctx.insert("Tag").unwrap();
    ctx.add_to_many(c, "tags", t).unwrap();
    let e = ctx.save().unwrap_err();
    assert!(matches!(e, Error::Coordinator(CoordinatorError::CrossStoreRelationship { .. })), "{e:?}");
    assert_eq!((s.main.calls().save, s.tags.calls().save), (0, 0), "refused before any store is called");
    assert!(ctx.has_changes());
}

#[test]
fn a_partial_save_commits_what_was_stored() {
    let s = two_stores();
    let mut seed = Context::new(s.coordinator.clone());
    let t = seed.insert("Tag").unwrap();
    seed.set(t, "name", "taken").unwrap();
    seed.save().unwrap();

    // "Tags" was added first, so it saves first: make the second store ("Main") fail.
    let mut ctx = Context::new(s.coordinator.clone());
    let t = ctx.insert("Tag").unwrap();
    ctx.set(t, "name", "fresh").unwrap();
    let c = clip(&mut ctx, "dup", 1.0);
    let uuid = strata_core::value::Uuid::from_u128(99);
    ctx.set(c, "uuid", uuid).unwrap();
    let mut other = Context::new(s.coordinator.clone());
    let taken = clip(&mut other, "first", 1.0);
    other.set(taken, "uuid", uuid).unwrap();
    other.save().unwrap();

    let e = ctx.save().unwrap_err();
    let Error::Coordinator(CoordinatorError::PartialSave { saved, source, .. }) = e else { panic!("{e:?}") };
    assert_eq!(saved.stores.len(), 1);
    assert!(matches!(*source, Error::Store(StoreError::Uniqueness { .. })), "{source:?}");
    let saved_tag = ctx.permanent_id(t).expect("the tag store's part is committed");
    assert!(!ctx.inserted_objects().contains(&t));
    assert!(ctx.inserted_objects().contains(&c), "the failed store's part stays pending");
    ctx.set(c, "uuid", strata_core::value::Uuid::from_u128(100)).unwrap();
    let outcome = ctx.save().unwrap();
    assert_eq!(outcome.permanent_ids.len(), 1);
    assert_eq!(Context::new(s.coordinator.clone()).count(&FetchRequest::new("Tag")).unwrap(), 2);
    assert!(Context::new(s.coordinator.clone()).existing_object(saved_tag).is_ok());
}

#[test]
fn uris_must_name_the_store_of_their_entity() {
    let s = two_stores();
    let mut ctx = Context::new(s.coordinator.clone());
    let f = folder(&mut ctx, "f");
    let outcome = ctx.save().unwrap();
    let f = outcome.permanent_id(f).unwrap();
    let uri = s.coordinator.uri(f).unwrap();
    let wrong = uri.replace(&s.main.metadata_id().to_string(), &s.tags.metadata_id().to_string());
    assert!(matches!(
        s.coordinator.object_id(&wrong),
        Err(Error::Coordinator(CoordinatorError::EntityNotInStore { .. }))
    ));
}

trait StoreIdOf {
    fn metadata_id(&self) -> strata_core::StoreId;
}

impl StoreIdOf for Arc<CountingStore> {
    fn metadata_id(&self) -> strata_core::StoreId {
        strata_core::Store::metadata(self.as_ref()).store_id()
    }
}
