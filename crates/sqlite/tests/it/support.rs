//! Test support: the models the tests use, stores in temporary directories, and helpers
//! that build requests by name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use strata_core::store::{InsertedRow, SaveRequest, StoreFetchRequest, StoreFetchResult, StoreResultType};
use strata_core::{ObjectId, Snapshot, Store};
use strata_model::{EntityIndex, Model, Value};
use strata_predicate::{Predicate, SortDescriptor};
use strata_sqlite::{SqliteOptions, SqliteStore};

/// Inheritance (an abstract `Item` with `Book` and `Disc`), decimals, a polymorphic to-one
/// without inverse, a polymorphic to-many, a many-to-many pair, a one-to-one pair, an
/// indexed attribute, a constraint on the abstract parent and one on a sub-entity.
pub const LIBRARY: &str = r#"{ "name": "Library", "version": 1, "entities": [
  { "name": "Item", "abstract": true,
    "attributes": [
      { "name": "title", "type": "string" },
      { "name": "code", "type": "string" },
      { "name": "price", "type": "decimal" },
      { "name": "rank", "type": "int64", "indexed": true } ],
    "relationships": [
      { "name": "shelf", "destination": "Shelf", "toMany": false, "inverse": "items" },
      { "name": "labels", "destination": "Label", "toMany": true, "inverse": "items" } ],
    "uniquenessConstraints": [["code"]] },
  { "name": "Book", "parent": "Item",
    "attributes": [ { "name": "pages", "type": "int32" }, { "name": "isbn", "type": "string" } ],
    "uniquenessConstraints": [["isbn"]] },
  { "name": "Disc", "parent": "Item",
    "attributes": [ { "name": "minutes", "type": "double" } ] },
  { "name": "Shelf",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [
      { "name": "items", "destination": "Item", "toMany": true, "inverse": "shelf" },
      { "name": "favourite", "destination": "Item", "toMany": false } ] },
  { "name": "Label",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [ { "name": "items", "destination": "Item", "toMany": true, "inverse": "labels" } ] },
  { "name": "Person",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [ { "name": "badge", "destination": "Badge", "toMany": false, "inverse": "holder" } ] },
  { "name": "Badge",
    "attributes": [ { "name": "number", "type": "int64" } ],
    "relationships": [ { "name": "holder", "destination": "Person", "toMany": false, "inverse": "badge" } ] }
] }"#;

/// One entity of tagged rows, for the multi-process tests.
pub const LOG: &str = r#"{ "name": "Log", "version": 1, "entities": [
  { "name": "Entry",
    "attributes": [
      { "name": "tag", "type": "int64", "indexed": true },
      { "name": "n", "type": "int64" },
      { "name": "text", "type": "string" } ] }
] }"#;

/// A model from JSON text.
pub fn model(json: &str) -> Arc<Model> {
    Arc::new(Model::from_json(json).expect("test model is valid"))
}

/// A store under test with name-based helpers (any `Store`: the differential tests run
/// the same helpers on a `MemoryStore`).
pub struct Lib {
    pub store: Arc<dyn Store>,
    pub model: Arc<Model>,
}

impl Lib {
    /// A new SQLite store of the library model at `dir/name`.
    pub fn create(dir: &Path, name: &str) -> (Lib, Arc<SqliteStore>, PathBuf) {
        let path = dir.join(name);
        let model = model(LIBRARY);
        let sqlite =
            Arc::new(SqliteStore::create(&path, model.clone(), SqliteOptions::default()).expect("create"));
        (Lib { store: sqlite.clone(), model }, sqlite, path)
    }

    pub fn entity(&self, name: &str) -> EntityIndex {
        self.model.entity(name).unwrap_or_else(|| panic!("no entity {name}")).index()
    }

    pub fn attribute(&self, entity: &str, name: &str) -> usize {
        let e = self.model.entity_at(self.entity(entity));
        e.attributes().iter().position(|a| a.name() == name).unwrap_or_else(|| panic!("no attribute {name}"))
    }

    pub fn relationship(&self, entity: &str, name: &str) -> usize {
        let e = self.model.entity_at(self.entity(entity));
        e.relationships()
            .iter()
            .position(|r| r.name() == name)
            .unwrap_or_else(|| panic!("no relationship {name}"))
    }

    /// A row to insert with the given attribute values and to-one destinations.
    pub fn row(&self, entity: &str, values: &[(&str, Value)], to_one: &[(&str, ObjectId)]) -> InsertedRow {
        let index = self.entity(entity);
        let e = self.model.entity_at(index);
        let mut row = InsertedRow {
            id: ObjectId::new_temporary(index),
            values: vec![Value::Null; e.attributes().len()],
            to_one: vec![None; e.relationships().len()],
        };
        for (name, value) in values {
            row.values[self.attribute(entity, name)] = value.clone();
        }
        for (name, destination) in to_one {
            row.to_one[self.relationship(entity, name)] = Some(*destination);
        }
        row
    }

    /// Saves `rows` as one insert; their permanent IDs in order.
    pub fn insert(&self, rows: Vec<InsertedRow>) -> Vec<ObjectId> {
        let result =
            self.store.save(&SaveRequest { inserted: rows, ..Default::default() }).expect("insert saves");
        result.permanent_ids.into_iter().map(|(_, p)| p).collect()
    }

    pub fn snapshot(&self, id: ObjectId) -> Arc<Snapshot> {
        self.store.snapshots(&[id]).expect("snapshots").remove(0).unwrap_or_else(|| panic!("{id:?} exists"))
    }

    /// A checked fetch request.
    pub fn request(&self, entity: &str, predicate: &str, sort: &str) -> StoreFetchRequest {
        let index = self.entity(entity);
        let predicate = (!predicate.is_empty()).then(|| {
            Predicate::parse(predicate)
                .unwrap_or_else(|e| panic!("{predicate}: {e}"))
                .check(&self.model, index)
                .unwrap_or_else(|e| panic!("{predicate}: {e}"))
        });
        let sort =
            if sort.is_empty() { Vec::new() } else { SortDescriptor::parse_list(sort).expect("sort parses") };
        StoreFetchRequest {
            entity: index,
            include_subentities: true,
            predicate,
            sort,
            offset: 0,
            limit: None,
            result: StoreResultType::Ids,
        }
    }

    pub fn ids(&self, request: &StoreFetchRequest) -> Vec<ObjectId> {
        match self.store.fetch(request).expect("fetch") {
            StoreFetchResult::Ids(ids) => ids,
            other => panic!("asked for IDs, got {other:?}"),
        }
    }

    pub fn fetch(&self, entity: &str, predicate: &str, sort: &str) -> Vec<ObjectId> {
        self.ids(&self.request(entity, predicate, sort))
    }

    pub fn count(&self, entity: &str, predicate: &str) -> u64 {
        let mut request = self.request(entity, predicate, "");
        request.result = StoreResultType::Count;
        match self.store.fetch(&request).expect("count") {
            StoreFetchResult::Count(n) => n,
            other => panic!("asked for a count, got {other:?}"),
        }
    }
}

/// (entity, key) of IDs, to compare the answers of two stores.
pub fn keys(ids: &[ObjectId]) -> Vec<(u16, i64)> {
    ids.iter().map(|id| (id.entity().0, id.primary_key().unwrap_or_default())).collect()
}
