//! The coordinator on its own: the row cache it keeps current through fetches and saves,
//! and IDs it refuses. Runs on the suite's store (`context_store`).

use std::sync::Arc;

use strata_core::store::{
    InsertedRow, SaveRequest, StoreFetchRequest, StoreFetchResult, StoreResultType, UpdatedRow,
};
use strata_core::value::Value;
use strata_core::{Coordinator, CoordinatorError, ObjectId, StoreId};
use strata_model::{EntityIndex, Model};

use crate::context_store::new_store;

fn setup(capacity: usize) -> (Arc<Coordinator>, Arc<Model>) {
    let model = Arc::new(
        Model::from_json(r#"{"name":"C","version":1,"entities":[{"name":"Note","attributes":[{"name":"text","type":"string"}]}]}"#)
            .unwrap(),
    );
    let coordinator = Coordinator::with_cache_capacity(model.clone(), capacity);
    coordinator.add_store("Default", new_store(model.clone())).unwrap();
    (coordinator, model)
}

fn insert(coordinator: &Coordinator, texts: &[&str]) -> Vec<ObjectId> {
    let inserted = texts
        .iter()
        .map(|t| InsertedRow {
            id: ObjectId::new_temporary(EntityIndex(0)),
            values: vec![Value::from(*t)],
            to_one: vec![],
        })
        .collect();
    let saved = coordinator.save(SaveRequest { inserted, ..Default::default() }).unwrap();
    saved.permanent_ids.iter().map(|(_, p)| *p).collect()
}

#[test]
fn saves_and_fetches_keep_the_row_cache_current() {
    let (coordinator, _) = setup(100);
    let ids = insert(&coordinator, &["a", "b"]);
    let cache = coordinator.row_cache();
    assert_eq!(cache.get(ids[0]).map(|s| s.version()), Some(1), "a save caches inserted rows");
    let update =
        UpdatedRow { id: ids[0], expected_version: 1, values: vec![(0, Value::from("A"))], to_one: vec![] };
    let saved = coordinator.save(SaveRequest { updated: vec![update], ..Default::default() }).unwrap();
    let row = cache.get(ids[0]).unwrap();
    assert_eq!((row.version(), row.value(0)), (2, Some(&Value::from("A"))), "and updated ones");
    assert!(Arc::ptr_eq(&row, &saved.snapshots[0]), "the save returns the cache's snapshot");
    cache.clear();
    let request = StoreFetchRequest {
        entity: EntityIndex(0),
        include_subentities: true,
        predicate: None,
        sort: vec![],
        offset: 0,
        limit: None,
        result: StoreResultType::Snapshots,
    };
    let StoreFetchResult::Snapshots(rows) = coordinator.fetch(&request).unwrap() else { panic!() };
    assert_eq!(rows.len(), 2);
    assert!(Arc::ptr_eq(&rows[1], &cache.get(ids[1]).unwrap()), "fetched rows fill the cache");
    let again = coordinator.snapshots(&[ids[1], ObjectId::new_temporary(EntityIndex(0))]).unwrap();
    assert!(Arc::ptr_eq(again[0].as_ref().unwrap(), &rows[1]));
    assert!(again[1].is_none(), "temporary IDs have no row");
}

#[test]
fn the_cache_stays_bounded_through_the_coordinator() {
    let (coordinator, _) = setup(4);
    let texts: Vec<String> = (0..20).map(|i| format!("n{i}")).collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    insert(&coordinator, &texts);
    // The save's own result held every row while the cache took them.
    coordinator.row_cache().sweep();
    assert_eq!(coordinator.row_cache().len(), 4, "released rows are evicted");
    for text in texts {
        insert(&coordinator, &[text]);
        assert!(coordinator.row_cache().len() <= 4, "unreferenced rows are evicted as new ones arrive");
    }
}

#[test]
fn ids_of_unknown_stores_and_entities_are_refused() {
    let (coordinator, _) = setup(10);
    let stranger = StoreId::from_uuid(strata_core::value::Uuid::from_u128(42));
    let id = ObjectId::permanent(stranger, EntityIndex(0), 1).unwrap();
    assert!(matches!(
        coordinator.snapshots(&[id]),
        Err(strata_core::Error::Coordinator(CoordinatorError::UnknownStore { .. }))
    ));
    let own = coordinator.stores()[0];
    let out_of_model = ObjectId::permanent(own, EntityIndex(9), 1).unwrap();
    assert!(matches!(coordinator.uri(out_of_model), Err(CoordinatorError::EntityOutOfRange { index: 9 })));
    assert!(coordinator.snapshots(&[out_of_model]).is_err());
}
