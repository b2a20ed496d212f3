//! Batch updates that run as one `UPDATE … RETURNING` statement give exactly what the general
//! path (`execute_batch_with_saves`: a fetch and a save) gives: the same rows, values,
//! versions and history, and the same errors with nothing changed. Each case runs on two
//! stores holding the same data, one through `SqliteStore::execute_batch`, the other through
//! the general path, and compares everything.

use std::sync::Arc;

use strata_core::Store;
use strata_core::store::{
    BatchOptions, BatchRequest, BatchResult, HistoryRequest, InsertedRow, SaveInfo, SaveRequest, StoreError,
    StoreFetchRequest, StoreFetchResult, StoreResultType, execute_batch_with_saves,
};
use strata_core::{ObjectId, Snapshot};
use strata_model::{Decimal, EntityIndex, Model, Value};
use strata_predicate::Predicate;
use strata_sqlite::{SqliteOptions, SqliteStore};

use crate::support::{keys, model};

const MODEL: &str = r#"{ "name": "Shop", "version": 1, "entities": [
  { "name": "Item", "attributes": [
      { "name": "name", "type": "string", "optional": false },
      { "name": "score", "type": "int64", "default": 0 },
      { "name": "price", "type": "decimal" },
      { "name": "flag", "type": "bool", "default": false } ],
    "uniquenessConstraints": [["name"]] },
  { "name": "Special", "parent": "Item", "attributes": [
      { "name": "note", "type": "string" } ] }
] }"#;

/// Two stores with the same 40 items (every fourth a Special), history on.
fn twins(dir: &std::path::Path) -> (Arc<Model>, SqliteStore, SqliteStore) {
    let model = model(MODEL);
    let options = SqliteOptions::default().with_history(true);
    let a = SqliteStore::create(dir.join("a.sqlite"), model.clone(), options.clone()).expect("create a");
    let b = SqliteStore::create(dir.join("b.sqlite"), model.clone(), options).expect("create b");
    let (item, special) = (entity(&model, "Item"), entity(&model, "Special"));
    let inserted: Vec<InsertedRow> = (0..40)
        .map(|n| {
            let price = Value::Decimal(Decimal::new(n * 125, 2));
            let mut values =
                vec![Value::String(format!("item {n}")), Value::Int64(n % 5), price, Value::Bool(n % 3 == 0)];
            let entity = if n % 4 == 0 {
                values.push(Value::String(format!("note {n}")));
                special
            } else {
                item
            };
            InsertedRow { id: ObjectId::new_temporary(entity), values, to_one: Vec::new() }
        })
        .collect();
    for store in [&a, &b] {
        let request = SaveRequest { inserted: inserted.clone(), ..Default::default() };
        store.save(&request).expect("seed");
    }
    (model, a, b)
}

fn entity(model: &Model, name: &str) -> EntityIndex {
    model.entity(name).expect("entity").index()
}

fn update(
    model: &Model,
    entity_name: &str,
    subentities: bool,
    predicate: &str,
    values: Vec<(usize, Value)>,
) -> BatchRequest {
    let entity = entity(model, entity_name);
    let predicate = Predicate::parse(predicate).expect("parses").check(model, entity).expect("checks");
    BatchRequest::Update { entity, include_subentities: subentities, predicate: Some(predicate), values }
}

fn options(return_ids: bool) -> BatchOptions {
    BatchOptions {
        info: SaveInfo { author: Some("batcher".into()), context_name: Some("batchContext".into()) },
        return_ids,
        ..BatchOptions::default()
    }
}

/// Every row of the store as (entity, key, version, values), in key order.
fn contents(store: &dyn Store, model: &Model) -> Vec<((u16, i64), u64, Vec<Value>)> {
    let request = StoreFetchRequest {
        entity: entity(model, "Item"),
        include_subentities: true,
        predicate: None,
        sort: Vec::new(),
        offset: 0,
        limit: None,
        result: StoreResultType::Snapshots,
    };
    let StoreFetchResult::Snapshots(rows) = store.fetch(&request).expect("fetch") else {
        panic!("snapshots")
    };
    rows.iter().map(|s: &Arc<Snapshot>| (keys(&[s.id()])[0], s.version(), s.values().to_vec())).collect()
}

/// The history as (author, context, [(kind, entity, key, updated names)]).
#[allow(clippy::type_complexity)]
fn history(
    store: &dyn Store,
) -> Vec<(Option<String>, Option<String>, Vec<(String, (u16, i64), Vec<String>)>)> {
    let transactions = store.history(&HistoryRequest::default()).expect("history");
    transactions
        .into_iter()
        .map(|t| {
            let changes = t
                .changes
                .iter()
                .map(|c| (c.kind.name().to_owned(), keys(&[c.id])[0], c.updated.clone()))
                .collect();
            (t.author, t.context_name, changes)
        })
        .collect()
}

/// Runs `request` directly on `a` and through the general path on `b`, and checks that the
/// answers, the data and the history agree.
fn same_on_both(model: &Model, a: &SqliteStore, b: &SqliteStore, request: &BatchRequest, return_ids: bool) {
    // The general path is what the direct one must equal; with a value that does not fit,
    // both refuse (the planner too).
    if let Ok(direct) = a.runs_batch_directly(request) {
        let expected = direct_expected(request);
        assert_eq!(direct, expected, "direct statement taken for {request:?}");
    }
    let direct = a.execute_batch(request, &options(return_ids));
    let general = execute_batch_with_saves(b, request, &options(return_ids));
    match (&direct, &general) {
        (Ok(BatchResult::ObjectIds(x)), Ok(BatchResult::ObjectIds(y))) => assert_eq!(keys(x), keys(y)),
        (Ok(x), Ok(y)) => assert_eq!(x, y),
        (Err(x), Err(y)) => assert_eq!(std::mem::discriminant(x), std::mem::discriminant(y), "{x} / {y}"),
        _ => panic!("direct {direct:?} but general {general:?}"),
    }
    assert_eq!(contents(a, model), contents(b, model), "rows after {request:?}");
    assert_eq!(history(a), history(b), "history after {request:?}");
}

/// Whether a request of these tests should take the direct statement: all do but the
/// decimal comparison (evaluated in memory) and updates of the unique `name`.
fn direct_expected(request: &BatchRequest) -> bool {
    let BatchRequest::Update { predicate, values, .. } = request else { return false };
    let decimal = predicate.as_ref().is_some_and(|p| p.to_string().contains("price"));
    let unique = values.iter().any(|(index, _)| *index == 0);
    !decimal && !unique
}

#[test]
fn direct_updates_match_the_general_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, a, b) = twins(dir.path());
    let score = 1;
    let flag = 3;
    // Compiled fully to SQL: the direct statement.
    same_on_both(
        &model,
        &a,
        &b,
        &update(&model, "Item", true, "flag == true", vec![(score, Value::Int64(9))]),
        false,
    );
    same_on_both(
        &model,
        &a,
        &b,
        &update(&model, "Item", true, "score < 3", vec![(flag, Value::Bool(true)), (score, Value::Int64(4))]),
        true,
    );
    // Only the Item rows, not the Specials stored in the same table.
    same_on_both(
        &model,
        &a,
        &b,
        &update(&model, "Item", false, "score == 4", vec![(score, Value::Int64(5))]),
        true,
    );
    // A sub-entity's own rows.
    same_on_both(
        &model,
        &a,
        &b,
        &update(&model, "Special", true, "TRUEPREDICATE", vec![(score, Value::Int64(1))]),
        false,
    );
    // Nothing matches: no history, no change.
    same_on_both(
        &model,
        &a,
        &b,
        &update(&model, "Item", true, "score > 100", vec![(score, Value::Int64(0))]),
        false,
    );
    // A decimal comparison is evaluated in memory (general path on both).
    same_on_both(
        &model,
        &a,
        &b,
        &update(&model, "Item", true, "price > 20", vec![(score, Value::Int64(2))]),
        true,
    );
}

#[test]
fn direct_updates_refuse_what_the_general_path_refuses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, a, b) = twins(dir.path());
    let before = (contents(&a, &model), history(&a));
    // Null for a non-optional attribute, a value of the wrong type.
    for values in [vec![(0, Value::Null)], vec![(1, Value::String("nine".into()))]] {
        let request = update(&model, "Item", true, "flag == true", values);
        same_on_both(&model, &a, &b, &request, false);
        assert!(matches!(a.execute_batch(&request, &options(false)), Err(StoreError::InvalidRequest { .. })));
    }
    // A unique attribute set to one value on several rows: a uniqueness error, nothing stored.
    let request = update(&model, "Item", true, "score == 0", vec![(0, Value::String("same".into()))]);
    same_on_both(&model, &a, &b, &request, false);
    assert!(matches!(a.execute_batch(&request, &options(false)), Err(StoreError::Uniqueness { .. })));
    assert_eq!((contents(&a, &model), history(&a)), before, "refused batches change nothing");
}

#[test]
fn without_history_or_ids_the_statement_only_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = model(MODEL);
    let store = SqliteStore::create(dir.path().join("c.sqlite"), model.clone(), SqliteOptions::default())
        .expect("create");
    let item = entity(&model, "Item");
    let inserted = (0..10)
        .map(|n| InsertedRow {
            id: ObjectId::new_temporary(item),
            values: vec![Value::String(format!("i{n}")), Value::Int64(n), Value::Null, Value::Bool(false)],
            to_one: Vec::new(),
        })
        .collect();
    store.save(&SaveRequest { inserted, ..Default::default() }).expect("seed");
    let request = update(&model, "Item", true, "score >= 4", vec![(1, Value::Int64(-1))]);
    assert!(store.runs_batch_directly(&request).expect("plans"));
    let counted = store.execute_batch(&request, &BatchOptions::default()).expect("batch");
    assert_eq!(counted, BatchResult::Count(6));
    let rows = contents(&store, &model);
    let changed: Vec<u64> =
        rows.iter().filter(|(_, _, v)| v[1] == Value::Int64(-1)).map(|(_, v, _)| *v).collect();
    assert_eq!(changed, vec![2; 6], "six rows set, each one version up");
    assert_eq!(rows.iter().filter(|(_, version, _)| *version == 1).count(), 4);
}
