//! The conformance model and a small toolkit for building requests against it.

use std::sync::Arc;

use strata_model::{EntityIndex, Model, Value};
use strata_predicate::{Predicate, SortDescriptor};

use crate::store::{InsertedRow, SaveRequest, StoreFetchRequest, StoreFetchResult, StoreResultType};
use crate::{ObjectId, Snapshot, Store};

use super::StoreFactory;

const MODEL: &str = r#"{ "name": "Conformance", "version": 1, "entities": [
  { "name": "Note",
    "attributes": [
      { "name": "title", "type": "string", "optional": false },
      { "name": "body", "type": "string" },
      { "name": "small", "type": "int16" },
      { "name": "mid", "type": "int32" },
      { "name": "rank", "type": "int64", "indexed": true },
      { "name": "weight", "type": "double" },
      { "name": "ratio", "type": "float" },
      { "name": "price", "type": "decimal" },
      { "name": "flag", "type": "bool" },
      { "name": "created", "type": "date" },
      { "name": "data", "type": "binary" },
      { "name": "uid", "type": "uuid" },
      { "name": "link", "type": "uri" },
      { "name": "meta", "type": "json" } ],
    "relationships": [
      { "name": "folder", "destination": "Folder", "toMany": false, "inverse": "notes" },
      { "name": "tags", "destination": "Tag", "toMany": true, "inverse": "notes" },
      { "name": "cover", "destination": "Cover", "toMany": false, "inverse": "note" } ],
    "uniquenessConstraints": [["uid"]] },
  { "name": "Folder",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [
      { "name": "notes", "destination": "Note", "toMany": true, "inverse": "folder" } ] },
  { "name": "Tag",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [
      { "name": "notes", "destination": "Note", "toMany": true, "inverse": "tags" } ] },
  { "name": "Cover",
    "attributes": [ { "name": "caption", "type": "string" } ],
    "relationships": [
      { "name": "note", "destination": "Note", "toMany": false, "inverse": "cover" } ] },
  { "name": "Shape", "abstract": true,
    "attributes": [ { "name": "name", "type": "string" } ] },
  { "name": "Circle", "parent": "Shape",
    "attributes": [ { "name": "radius", "type": "double" } ] },
  { "name": "Square", "parent": "Shape",
    "attributes": [ { "name": "side", "type": "double" } ] }
] }"#;

/// The model every conformance check runs on: every attribute type, a to-one/to-many pair,
/// a many-to-many pair, a one-to-one pair, and an abstract entity with two sub-entities.
pub fn conformance_model() -> Arc<Model> {
    Arc::new(Model::from_json(MODEL).expect("the conformance model is valid"))
}

/// A store under test with helpers that build requests by name: the conformance model's
/// ([`Fixture::new`]) or any other (build it as `Fixture { store, model }`).
pub struct Fixture {
    /// The store under test.
    pub store: Arc<dyn Store>,
    /// Its model.
    pub model: Arc<Model>,
}

impl Fixture {
    /// A new, empty store from `factory`.
    pub fn new(factory: StoreFactory<'_>) -> Fixture {
        let model = conformance_model();
        Fixture { store: factory(model.clone()), model }
    }

    /// The index of entity `name`.
    pub fn entity(&self, name: &str) -> EntityIndex {
        self.model.entity(name).unwrap_or_else(|| panic!("no entity {name}")).index()
    }

    /// The index of attribute `name` of `entity`.
    pub fn attribute(&self, entity: &str, name: &str) -> usize {
        let e = self.model.entity_at(self.entity(entity));
        e.attributes().iter().position(|a| a.name() == name).unwrap_or_else(|| panic!("no attribute {name}"))
    }

    /// The index of relationship `name` of `entity`.
    pub fn relationship(&self, entity: &str, name: &str) -> usize {
        let e = self.model.entity_at(self.entity(entity));
        e.relationships()
            .iter()
            .position(|r| r.name() == name)
            .unwrap_or_else(|| panic!("no relationship {name}"))
    }

    /// A row to insert: the given attribute values, `Null` elsewhere, no relationships.
    pub fn row(&self, entity: &str, values: &[(&str, Value)]) -> InsertedRow {
        self.row_linked(entity, values, &[])
    }

    /// A row to insert with the given attribute values and to-one destinations (by
    /// relationship name), `Null` and empty elsewhere.
    pub fn row_linked(
        &self,
        entity: &str,
        values: &[(&str, Value)],
        to_one: &[(&str, ObjectId)],
    ) -> InsertedRow {
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

    /// Saves `rows` as one insert and returns their permanent IDs, in order.
    pub fn insert(&self, rows: Vec<InsertedRow>) -> Vec<ObjectId> {
        let temporary: Vec<ObjectId> = rows.iter().map(|r| r.id).collect();
        let result =
            self.store.save(&SaveRequest { inserted: rows, ..Default::default() }).expect("insert saves");
        assert_eq!(result.permanent_ids.len(), temporary.len(), "one permanent ID per inserted row");
        for ((t, p), expected) in result.permanent_ids.iter().zip(&temporary) {
            assert_eq!(t, expected, "permanent IDs come back in insertion order");
            assert!(!p.is_temporary() && p.entity() == t.entity(), "a permanent ID keeps the entity");
        }
        result.permanent_ids.iter().map(|(_, p)| *p).collect()
    }

    /// The stored snapshot of `id`, which must exist.
    pub fn snapshot(&self, id: ObjectId) -> Arc<Snapshot> {
        self.store.snapshots(&[id]).expect("snapshots").remove(0).unwrap_or_else(|| panic!("{id:?} exists"))
    }

    /// A fetch request for `entity` with `predicate` and `sort` parsed and checked.
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
        for s in &sort {
            s.check(&self.model, index).expect("sort checks");
        }
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

    /// The IDs a request returns.
    pub fn ids(&self, request: &StoreFetchRequest) -> Vec<ObjectId> {
        match self.store.fetch(request).expect("fetch") {
            StoreFetchResult::Ids(ids) => ids,
            other => panic!("asked for IDs, got {other:?}"),
        }
    }

    /// The IDs matching `predicate` among `entity`'s objects, sorted by `sort`.
    pub fn fetch(&self, entity: &str, predicate: &str, sort: &str) -> Vec<ObjectId> {
        self.ids(&self.request(entity, predicate, sort))
    }

    /// How many of `entity`'s objects match `predicate`.
    pub fn count(&self, entity: &str, predicate: &str) -> u64 {
        let mut request = self.request(entity, predicate, "");
        request.result = StoreResultType::Count;
        match self.store.fetch(&request).expect("count") {
            StoreFetchResult::Count(n) => n,
            other => panic!("asked for a count, got {other:?}"),
        }
    }
}
