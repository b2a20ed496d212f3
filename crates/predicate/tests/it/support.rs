//! Shared test fixtures: the Clips test model and [`TestObject`], an in-memory object graph
//! that answers key paths for the evaluator.
//!
//! The graph does not consult the model: it has its own small shape table
//! ([`CLIPS_SHAPE`]) saying which keys are attributes, to-one or to-many relationships and
//! what their inverses are, so it works even where no model is at hand. Relationship edits
//! keep both sides in step, as a context would.

#![allow(dead_code)] // Not every test module uses every helper.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use strata_model::{Model, Value};
use strata_predicate::{EvalError, Field, ObjectView};

/// The test model: Clip, Folder and Tag, as JSON text.
pub const CLIPS_MODEL_JSON: &str = r#"{
  "name": "Clips", "version": 1,
  "entities": [
    { "name": "Clip",
      "attributes": [
        { "name": "title",   "type": "string" },
        { "name": "url",     "type": "uri" },
        { "name": "created", "type": "date" },
        { "name": "score",   "type": "double" },
        { "name": "visits",  "type": "int64" },
        { "name": "rating",  "type": "int16" },
        { "name": "pinned",  "type": "bool" },
        { "name": "price",   "type": "decimal" },
        { "name": "uuid",    "type": "uuid" },
        { "name": "meta",    "type": "json" },
        { "name": "thumbnail", "type": "binary" } ],
      "relationships": [
        { "name": "folder", "destination": "Folder", "toMany": false,
          "inverse": "clips", "deleteRule": "nullify" },
        { "name": "tags", "destination": "Tag", "toMany": true,
          "inverse": "clips", "deleteRule": "nullify" } ] },
    { "name": "Folder",
      "attributes": [ { "name": "name", "type": "string" } ],
      "relationships": [
        { "name": "clips", "destination": "Clip", "toMany": true,
          "inverse": "folder", "deleteRule": "nullify" } ] },
    { "name": "Tag",
      "attributes": [ { "name": "name", "type": "string" } ],
      "relationships": [
        { "name": "clips", "destination": "Clip", "toMany": true,
          "inverse": "tags", "deleteRule": "nullify" } ] }
  ] }"#;

/// The test model, loaded from [`CLIPS_MODEL_JSON`].
pub fn clips_model() -> Model {
    match Model::from_json(CLIPS_MODEL_JSON) {
        Ok(model) => model,
        Err(e) => panic!("the test model does not load: {e}"),
    }
}

/// What kind of property a key of the test graph is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An attribute (unset attributes answer `Null`).
    Attribute,
    /// A to-one relationship; the inverse key on the destination.
    ToOne { inverse: &'static str },
    /// A to-many relationship; the inverse key on the destination.
    ToMany { inverse: &'static str },
}

/// Entity name → its keys and their kinds.
pub type Shape = &'static [(&'static str, &'static [(&'static str, Kind)])];

/// The shape of the Clips test model.
pub const CLIPS_SHAPE: Shape = &[
    (
        "Clip",
        &[
            ("title", Kind::Attribute),
            ("url", Kind::Attribute),
            ("created", Kind::Attribute),
            ("score", Kind::Attribute),
            ("visits", Kind::Attribute),
            ("rating", Kind::Attribute),
            ("pinned", Kind::Attribute),
            ("price", Kind::Attribute),
            ("uuid", Kind::Attribute),
            ("meta", Kind::Attribute),
            ("thumbnail", Kind::Attribute),
            ("folder", Kind::ToOne { inverse: "clips" }),
            ("tags", Kind::ToMany { inverse: "clips" }),
        ],
    ),
    ("Folder", &[("name", Kind::Attribute), ("clips", Kind::ToMany { inverse: "folder" })]),
    ("Tag", &[("name", Kind::Attribute), ("clips", Kind::ToMany { inverse: "tags" })]),
];

struct Row {
    entity: &'static str,
    id: i64,
    attributes: BTreeMap<String, Value>,
    to_one: BTreeMap<String, Option<usize>>,
    to_many: BTreeMap<String, Vec<usize>>,
}

struct GraphData {
    shape: Shape,
    rows: Vec<Row>,
}

impl GraphData {
    fn kind(&self, entity: &str, key: &str) -> Option<Kind> {
        let (_, keys) = self.shape.iter().find(|(name, _)| *name == entity)?;
        keys.iter().find(|(k, _)| *k == key).map(|&(_, kind)| kind)
    }

    fn kind_or_panic(&self, row: usize, key: &str) -> Kind {
        let entity = self.rows[row].entity;
        self.kind(entity, key).unwrap_or_else(|| panic!("test shape: {entity} has no key {key:?}"))
    }

    fn remove_edge(&mut self, row: usize, key: &str, target: usize) {
        match self.kind_or_panic(row, key) {
            Kind::ToOne { .. } => {
                self.rows[row].to_one.insert(key.to_owned(), None);
            }
            Kind::ToMany { .. } => {
                if let Some(list) = self.rows[row].to_many.get_mut(key) {
                    list.retain(|&r| r != target);
                }
            }
            Kind::Attribute => panic!("{key:?} is an attribute"),
        }
    }

    /// Adds `row.key → target` on this side only (replacing a to-one), first detaching
    /// whatever the to-one pointed at from its inverse.
    fn add_edge(&mut self, row: usize, key: &str, target: usize) {
        match self.kind_or_panic(row, key) {
            Kind::ToOne { inverse } => {
                if let Some(Some(old)) = self.rows[row].to_one.get(key).copied() {
                    self.remove_edge(old, inverse, row);
                }
                self.rows[row].to_one.insert(key.to_owned(), Some(target));
            }
            Kind::ToMany { .. } => {
                let list = self.rows[row].to_many.entry(key.to_owned()).or_default();
                if !list.contains(&target) {
                    list.push(target);
                }
            }
            Kind::Attribute => panic!("{key:?} is an attribute"),
        }
    }
}

/// An in-memory object graph: rows with attributes and relationships, shared by every
/// [`TestObject`] taken from it.
#[derive(Clone)]
pub struct TestGraph {
    data: Rc<RefCell<GraphData>>,
}

impl TestGraph {
    /// An empty graph of the Clips shape.
    pub fn clips() -> TestGraph {
        TestGraph::new(CLIPS_SHAPE)
    }

    /// An empty graph of any shape.
    pub fn new(shape: Shape) -> TestGraph {
        TestGraph { data: Rc::new(RefCell::new(GraphData { shape, rows: Vec::new() })) }
    }

    /// Inserts an object of `entity` with the given attribute values (others are `Null`);
    /// ids count up from 1 in insertion order.
    pub fn insert<K: Into<String>>(
        &self,
        entity: &str,
        attributes: impl IntoIterator<Item = (K, Value)>,
    ) -> TestObject {
        let mut data = self.data.borrow_mut();
        let entity = data
            .shape
            .iter()
            .find(|(name, _)| *name == entity)
            .map(|(name, _)| *name)
            .unwrap_or_else(|| panic!("test shape has no entity {entity}"));
        let index = data.rows.len();
        let row = Row {
            entity,
            id: i64::try_from(index).unwrap_or(i64::MAX) + 1,
            attributes: BTreeMap::new(),
            to_one: BTreeMap::new(),
            to_many: BTreeMap::new(),
        };
        data.rows.push(row);
        drop(data);
        let object = TestObject { graph: self.clone(), row: index };
        for (key, value) in attributes {
            object.set(&key.into(), value);
        }
        object
    }

    /// Every object of `entity`, in insertion order.
    pub fn objects(&self, entity: &str) -> Vec<TestObject> {
        let data = self.data.borrow();
        (0..data.rows.len())
            .filter(|&i| data.rows[i].entity == entity)
            .map(|row| TestObject { graph: self.clone(), row })
            .collect()
    }
}

/// One object of a [`TestGraph`]: cheap to clone, answers keys through [`ObjectView`].
#[derive(Clone)]
pub struct TestObject {
    graph: TestGraph,
    row: usize,
}

impl TestObject {
    /// The object's id (1, 2, … in insertion order across the graph).
    pub fn id(&self) -> i64 {
        self.graph.data.borrow().rows[self.row].id
    }

    /// The entity name.
    pub fn entity(&self) -> &'static str {
        self.graph.data.borrow().rows[self.row].entity
    }

    /// Sets an attribute.
    pub fn set(&self, key: &str, value: impl Into<Value>) {
        let mut data = self.graph.data.borrow_mut();
        assert_eq!(data.kind_or_panic(self.row, key), Kind::Attribute, "{key:?} is not an attribute");
        data.rows[self.row].attributes.insert(key.to_owned(), value.into());
    }

    /// The value of an attribute (`Null` when unset).
    pub fn get(&self, key: &str) -> Value {
        self.graph.data.borrow().rows[self.row].attributes.get(key).cloned().unwrap_or(Value::Null)
    }

    /// Sets (or with `None` clears) a to-one relationship, keeping the inverse in step.
    pub fn set_to_one(&self, key: &str, target: Option<&TestObject>) {
        let mut data = self.graph.data.borrow_mut();
        let Kind::ToOne { inverse } = data.kind_or_panic(self.row, key) else {
            panic!("{key:?} is not a to-one relationship");
        };
        if let Some(Some(old)) = data.rows[self.row].to_one.get(key).copied() {
            data.remove_edge(old, inverse, self.row);
        }
        data.rows[self.row].to_one.insert(key.to_owned(), None);
        if let Some(target) = target {
            data.add_edge(self.row, key, target.row);
            data.add_edge(target.row, inverse, self.row);
        }
    }

    /// Adds `target` to a to-many relationship, keeping the inverse in step.
    pub fn add_to_many(&self, key: &str, target: &TestObject) {
        let mut data = self.graph.data.borrow_mut();
        let Kind::ToMany { inverse } = data.kind_or_panic(self.row, key) else {
            panic!("{key:?} is not a to-many relationship");
        };
        data.add_edge(self.row, key, target.row);
        data.add_edge(target.row, inverse, self.row);
    }

    /// Removes `target` from a to-many relationship, keeping the inverse in step.
    pub fn remove_from_many(&self, key: &str, target: &TestObject) {
        let mut data = self.graph.data.borrow_mut();
        let Kind::ToMany { inverse } = data.kind_or_panic(self.row, key) else {
            panic!("{key:?} is not a to-many relationship");
        };
        data.remove_edge(self.row, key, target.row);
        data.remove_edge(target.row, inverse, self.row);
    }

    fn object(&self, row: usize) -> TestObject {
        TestObject { graph: self.graph.clone(), row }
    }
}

impl fmt::Debug for TestObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.entity(), self.id())
    }
}

impl PartialEq for TestObject {
    fn eq(&self, other: &TestObject) -> bool {
        Rc::ptr_eq(&self.graph.data, &other.graph.data) && self.row == other.row
    }
}

impl ObjectView for TestObject {
    fn field(&self, key: &str) -> Result<Field<Self>, EvalError> {
        let data = self.graph.data.borrow();
        let row = &data.rows[self.row];
        match data.kind(row.entity, key) {
            None => Err(EvalError::UnknownKey { key: key.to_owned() }),
            Some(Kind::Attribute) => {
                Ok(Field::Value(row.attributes.get(key).cloned().unwrap_or(Value::Null)))
            }
            Some(Kind::ToOne { .. }) => {
                Ok(Field::ToOne(row.to_one.get(key).copied().flatten().map(|r| self.object(r))))
            }
            Some(Kind::ToMany { .. }) => Ok(Field::ToMany(
                row.to_many
                    .get(key)
                    .map(|rows| rows.iter().map(|&r| self.object(r)).collect())
                    .unwrap_or_default(),
            )),
        }
    }
}

/// The ids of `objects` for which `predicate` holds, in order; panics on an evaluation
/// error (tests that expect errors call `evaluate` directly).
pub fn matching_ids(predicate: &strata_predicate::Predicate, objects: &[TestObject]) -> Vec<i64> {
    objects
        .iter()
        .filter(|o| match predicate.evaluate(*o) {
            Ok(b) => b,
            Err(e) => panic!("evaluating {predicate:?} on {o:?} failed: {e}"),
        })
        .map(TestObject::id)
        .collect()
}
