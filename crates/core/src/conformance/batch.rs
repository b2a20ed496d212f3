//! Conformance checks of batch requests ([`Store::execute_batch`](crate::Store::execute_batch)):
//! inserts with type checks, updates through predicates (with residuals) that bump versions,
//! deletes honouring cascade, nullify and deny rules, uniqueness, and history. Stores that
//! answer `Unsupported` skip them. They use their own small model, made for delete rules.

use std::sync::Arc;

use strata_model::{Decimal, EntityIndex, Model, Value};
use strata_predicate::Predicate;

use super::StoreFactory;
use crate::store::{
    BatchOptions, BatchProgress, BatchRequest, BatchResult, ChangeKind, HistoryRequest, SaveInfo,
    StoreFetchRequest, StoreFetchResult, StoreResultType,
};
use crate::{ObjectId, Store, StoreError};

const MODEL: &str = r#"{ "name": "Batch", "version": 1, "entities": [
  { "name": "Owner",
    "attributes": [
      { "name": "name", "type": "string", "optional": false },
      { "name": "code", "type": "string" },
      { "name": "price", "type": "decimal" },
      { "name": "rank", "type": "int64" } ],
    "relationships": [
      { "name": "pets", "destination": "Pet", "toMany": true, "inverse": "owner", "deleteRule": "cascade" },
      { "name": "toys", "destination": "Toy", "toMany": true, "inverse": "owner", "deleteRule": "nullify" },
      { "name": "guards", "destination": "Guard", "toMany": true, "inverse": "owner", "deleteRule": "deny" } ],
    "uniquenessConstraints": [["code"]] },
  { "name": "Pet",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [
      { "name": "owner", "destination": "Owner", "toMany": false, "inverse": "pets" },
      { "name": "fleas", "destination": "Flea", "toMany": true, "inverse": "pet", "deleteRule": "cascade" } ] },
  { "name": "Flea",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [ { "name": "pet", "destination": "Pet", "toMany": false, "inverse": "fleas" } ] },
  { "name": "Toy",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [ { "name": "owner", "destination": "Owner", "toMany": false, "inverse": "toys" } ] },
  { "name": "Guard",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [ { "name": "owner", "destination": "Owner", "toMany": false, "inverse": "guards" } ] }
] }"#;

struct Setup {
    store: Arc<dyn Store>,
    model: Arc<Model>,
}

impl Setup {
    fn new(factory: StoreFactory<'_>) -> Setup {
        let model = Arc::new(Model::from_json(MODEL).expect("the batch model is valid"));
        Setup { store: factory(model.clone()), model }
    }

    fn entity(&self, name: &str) -> EntityIndex {
        self.model.entity(name).unwrap_or_else(|| panic!("no entity {name}")).index()
    }

    fn predicate(&self, entity: &str, source: &str) -> Option<Predicate> {
        let p = Predicate::parse(source).unwrap_or_else(|e| panic!("{e}"));
        Some(p.check(&self.model, self.entity(entity)).unwrap_or_else(|e| panic!("{e}")))
    }

    fn batch(&self, request: BatchRequest, return_ids: bool) -> Result<BatchResult, StoreError> {
        let options = BatchOptions { return_ids, ..BatchOptions::default() };
        self.store.execute_batch(&request, &options)
    }

    /// Inserts owners (name, code, price, rank); `None` if the store has no batches.
    fn owners(&self, rows: &[(&str, Option<&str>, &str, i64)]) -> Option<Vec<ObjectId>> {
        let rows = rows
            .iter()
            .map(|(name, code, price, rank)| {
                vec![
                    Value::from(*name),
                    code.map_or(Value::Null, Value::from),
                    Value::Decimal(price.parse::<Decimal>().expect("a decimal literal")),
                    Value::Int64(*rank),
                ]
            })
            .collect();
        match self.batch(BatchRequest::Insert { entity: self.entity("Owner"), rows }, true) {
            Ok(BatchResult::ObjectIds(ids)) => Some(ids),
            Err(StoreError::Unsupported { .. }) => None,
            other => panic!("a batch insert answers its IDs, got {other:?}"),
        }
    }

    fn ids(&self, entity: &str, predicate: &str) -> Vec<ObjectId> {
        let request = StoreFetchRequest {
            entity: self.entity(entity),
            include_subentities: true,
            predicate: if predicate.is_empty() { None } else { self.predicate(entity, predicate) },
            sort: Vec::new(),
            offset: 0,
            limit: None,
            result: StoreResultType::Ids,
        };
        match self.store.fetch(&request).expect("fetch") {
            StoreFetchResult::Ids(ids) => ids,
            other => panic!("asked for IDs, got {other:?}"),
        }
    }

    fn version(&self, id: ObjectId) -> u64 {
        let snapshot = self.store.snapshots(&[id]).expect("snapshots").remove(0);
        snapshot.unwrap_or_else(|| panic!("{id:?} exists")).version()
    }

    /// Inserts one object of `entity` named `name` pointing at `owner` through relationship 0.
    fn child(&self, entity: &str, name: &str, parent: ObjectId) -> ObjectId {
        let index = self.entity(entity);
        let e = self.model.entity_at(index);
        let mut to_one = vec![None; e.relationships().len()];
        to_one[0] = Some(parent);
        let row = crate::store::InsertedRow {
            id: ObjectId::new_temporary(index),
            values: vec![name.into()],
            to_one,
        };
        let saved = self
            .store
            .save(&crate::store::SaveRequest { inserted: vec![row], ..Default::default() })
            .expect("child saves");
        saved.permanent_ids[0].1
    }
}

/// Inserts: IDs or a count, every row stored with permanent keys, and type checks that
/// refuse the whole batch.
pub fn inserts(factory: StoreFactory<'_>) {
    let s = Setup::new(factory);
    let Some(ids) = s.owners(&[("a", Some("A"), "1.5", 1), ("b", None, "2.25", 2)]) else { return };
    assert_eq!(ids.len(), 2, "one ID per inserted row");
    assert!(ids.iter().all(|id| !id.is_temporary()), "batch inserts answer permanent IDs");
    assert_eq!(s.ids("Owner", ""), ids, "inserted rows are stored, in key order");
    let owner = s.entity("Owner");
    let counted = s.batch(
        BatchRequest::Insert {
            entity: owner,
            rows: vec![vec!["c".into(), Value::Null, Value::Null, Value::Null]],
        },
        false,
    );
    assert!(matches!(counted, Ok(BatchResult::Count(1))), "a count when IDs are not asked for: {counted:?}");
    let wrong_type = vec![
        vec!["d".into(), Value::Null, Value::Null, Value::Null],
        vec!["e".into(), Value::Int64(3), Value::Null, Value::Null],
    ];
    let refused = s.batch(BatchRequest::Insert { entity: owner, rows: wrong_type }, false);
    assert!(
        matches!(refused, Err(StoreError::InvalidRequest { .. })),
        "an int64 in a string attribute is refused: {refused:?}"
    );
    let short = s.batch(BatchRequest::Insert { entity: owner, rows: vec![vec!["f".into()]] }, false);
    assert!(matches!(short, Err(StoreError::InvalidRequest { .. })), "a short row is refused: {short:?}");
    let null = s.batch(
        BatchRequest::Insert {
            entity: owner,
            rows: vec![vec![Value::Null, Value::Null, Value::Null, Value::Null]],
        },
        false,
    );
    assert!(
        matches!(null, Err(StoreError::InvalidRequest { .. })),
        "null in a required attribute is refused: {null:?}"
    );
    assert_eq!(s.ids("Owner", "").len(), 3, "refused batches store nothing");
    let calls = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = calls.clone();
    let progress = BatchProgress::new(move |n| seen.lock().expect("progress calls").push(n));
    let options = BatchOptions { progress: Some(progress), ..BatchOptions::default() };
    let rows = (0..2_500)
        .map(|i| vec![Value::from(format!("p{i}")), Value::Null, Value::Null, Value::Int64(i)])
        .collect();
    let done = s
        .store
        .execute_batch(&BatchRequest::Insert { entity: owner, rows }, &options)
        .expect("a large insert");
    assert_eq!(done, BatchResult::Count(2_500));
    let calls = calls.lock().expect("progress calls").clone();
    assert_eq!(calls.last(), Some(&2_500), "the last progress call has the total: {calls:?}");
    assert!(calls.windows(2).all(|w| w[0] < w[1]), "progress only advances: {calls:?}");
}

/// Updates: a predicate with a decimal comparison, values set on exactly the matching rows,
/// versions bumped, others untouched; type checks refuse the batch.
pub fn updates(factory: StoreFactory<'_>) {
    let s = Setup::new(factory);
    let Some(ids) = s.owners(&[("a", None, "1.10", 1), ("b", None, "2.50", 2), ("c", None, "10.01", 3)])
    else {
        return;
    };
    let owner = s.entity("Owner");
    let request = BatchRequest::Update {
        entity: owner,
        include_subentities: true,
        predicate: s.predicate("Owner", "price > 2.4 AND name MATCHES '[a-z]'"),
        values: vec![(0, "updated".into()), (3, Value::Int64(99))],
    };
    let result = s.batch(request, true).expect("batch update");
    assert_eq!(
        result,
        BatchResult::ObjectIds(vec![ids[1], ids[2]]),
        "exactly the matching objects are updated"
    );
    assert_eq!(s.ids("Owner", "name == 'updated' AND rank == 99"), vec![ids[1], ids[2]], "values are stored");
    assert_eq!(s.version(ids[0]), 1, "a row that did not match keeps its version");
    assert_eq!(s.version(ids[1]), 2, "a batch update bumps the version of every row it updates");
    let wrong = BatchRequest::Update {
        entity: owner,
        include_subentities: true,
        predicate: None,
        values: vec![(3, "x".into())],
    };
    assert!(
        matches!(s.batch(wrong, false), Err(StoreError::InvalidRequest { .. })),
        "a string in an int64 is refused"
    );
    let none = BatchRequest::Update {
        entity: owner,
        include_subentities: true,
        predicate: s.predicate("Owner", "rank > 1000"),
        values: vec![(3, Value::Int64(1))],
    };
    assert_eq!(
        s.batch(none, false).expect("empty update"),
        BatchResult::Count(0),
        "nothing matches, nothing counted"
    );
}

/// Deletes: cascade (recursively), nullify (the survivors' foreign keys are cleared) and
/// deny (the batch is refused, nothing deleted).
pub fn deletes_honour_rules(factory: StoreFactory<'_>) {
    let s = Setup::new(factory);
    let Some(owners) = s.owners(&[("a", None, "1", 1), ("b", None, "2", 2)]) else { return };
    let pet = s.child("Pet", "rex", owners[0]);
    let flea = s.child("Flea", "f", pet);
    let toy = s.child("Toy", "ball", owners[0]);
    let guard = s.child("Guard", "g", owners[1]);
    let owner = s.entity("Owner");
    let delete_a = BatchRequest::Delete {
        entity: owner,
        include_subentities: true,
        predicate: s.predicate("Owner", "name == 'a'"),
    };
    let result = s.batch(delete_a, true).expect("batch delete");
    let BatchResult::ObjectIds(mut deleted) = result else { panic!("asked for IDs, got {result:?}") };
    deleted.sort();
    let mut expected = vec![owners[0], pet, flea];
    expected.sort();
    assert_eq!(deleted, expected, "cascade rules delete pets and their fleas too");
    assert!(s.ids("Pet", "").is_empty() && s.ids("Flea", "").is_empty(), "cascaded rows are gone");
    let toy_row = s.store.snapshots(&[toy]).expect("snapshots").remove(0).expect("the toy survives");
    assert_eq!(toy_row.to_one()[0], None, "nullify clears the survivor's foreign key");
    let delete_b = BatchRequest::Delete { entity: owner, include_subentities: true, predicate: None };
    match s.batch(delete_b.clone(), false) {
        Err(StoreError::DeleteDenied { relationship, id, .. }) => {
            assert_eq!(
                (relationship.as_str(), id),
                ("guards", owners[1]),
                "the error names the deny relationship"
            )
        }
        other => panic!("a non-empty deny relationship refuses the delete, got {other:?}"),
    }
    assert_eq!(s.ids("Owner", ""), vec![owners[1]], "a refused delete deletes nothing");
    let guards =
        BatchRequest::Delete { entity: s.entity("Guard"), include_subentities: true, predicate: None };
    assert_eq!(s.batch(guards, false).expect("guards delete"), BatchResult::Count(1));
    assert!(s.store.snapshots(&[guard]).expect("snapshots")[0].is_none(), "the guard is gone");
    assert_eq!(s.batch(delete_b, false).expect("delete after the guard"), BatchResult::Count(1));
}

/// Uniqueness: a batch insert or update that would duplicate a constrained value fails with
/// `Uniqueness`, storing nothing.
pub fn uniqueness(factory: StoreFactory<'_>) {
    let s = Setup::new(factory);
    let Some(ids) = s.owners(&[("a", Some("A"), "1", 1), ("b", Some("B"), "2", 2)]) else { return };
    let owner = s.entity("Owner");
    let row = |name: &str, code: &str| vec![name.into(), code.into(), Value::Null, Value::Null];
    let duplicate = BatchRequest::Insert { entity: owner, rows: vec![row("c", "C"), row("d", "A")] };
    assert!(
        matches!(s.batch(duplicate, false), Err(StoreError::Uniqueness { .. })),
        "a duplicate of a stored code"
    );
    let within = BatchRequest::Insert { entity: owner, rows: vec![row("c", "C"), row("d", "C")] };
    assert!(
        matches!(s.batch(within, false), Err(StoreError::Uniqueness { .. })),
        "a duplicate within the batch"
    );
    let update = BatchRequest::Update {
        entity: owner,
        include_subentities: true,
        predicate: None,
        values: vec![(1, "Z".into())],
    };
    assert!(
        matches!(s.batch(update, false), Err(StoreError::Uniqueness { .. })),
        "an update giving two rows one code"
    );
    assert_eq!(s.ids("Owner", ""), ids, "nothing was inserted");
    assert_eq!(s.ids("Owner", "code == 'Z'"), Vec::<ObjectId>::new(), "nothing was updated");
}

/// History: each batch is one transaction with its author and one change per object.
pub fn history_of_batches(factory: StoreFactory<'_>) {
    let s = Setup::new(factory);
    let Ok(start) = s.store.current_history_token() else { return };
    let options = BatchOptions {
        info: SaveInfo { author: Some("importer".into()), context_name: None },
        return_ids: false,
        ..BatchOptions::default()
    };
    let rows = (0..3)
        .map(|i| vec![Value::from(format!("n{i}")), Value::Null, Value::Null, Value::Int64(i)])
        .collect();
    match s.store.execute_batch(&BatchRequest::Insert { entity: s.entity("Owner"), rows }, &options) {
        Ok(_) => {}
        Err(StoreError::Unsupported { .. }) => return,
        Err(e) => panic!("batch insert fails: {e}"),
    }
    let update = BatchRequest::Update {
        entity: s.entity("Owner"),
        include_subentities: true,
        predicate: s.predicate("Owner", "rank >= 1"),
        values: vec![(0, "u".into())],
    };
    s.store.execute_batch(&update, &options).expect("batch update");
    let delete =
        BatchRequest::Delete { entity: s.entity("Owner"), include_subentities: true, predicate: None };
    s.store.execute_batch(&delete, &options).expect("batch delete");
    let history =
        s.store.history(&HistoryRequest { after: Some(start), ..Default::default() }).expect("history");
    let kinds: Vec<(usize, ChangeKind)> =
        history.iter().map(|t| (t.changes.len(), t.changes[0].kind)).collect();
    assert_eq!(
        kinds,
        vec![(3, ChangeKind::Insert), (2, ChangeKind::Update), (3, ChangeKind::Delete)],
        "one transaction per batch"
    );
    assert!(history.iter().all(|t| t.author.as_deref() == Some("importer")), "batches record their author");
    assert_eq!(history[1].changes[0].updated, vec!["name".to_owned()], "updates record the attributes set");
}
