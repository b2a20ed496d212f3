//! Writing a [`MemoryContents`] as a JSON store file (the format of the
//! [module docs](super)), laid out for people: entities in model order, each object's
//! `"@id"` and `"@version"` first, then its properties in model order, every attribute
//! written (nulls too, so the file shows what can be set).
//!
//! It never writes what [`parse`](super::parse) would read back differently: a value JSON
//! cannot hold (a NaN) fails the whole rendering instead.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde_json::Value as Json;
use strata_core::memory_store::MemoryContents;
use strata_core::store::StoreError;
use strata_core::{ObjectId, Snapshot};
use strata_model::{EntityIndex, Model, Uuid};

use super::{FORMAT, FORMAT_VERSION};

/// The file's bytes for the store `uuid` of `model` holding `contents` and `user` metadata.
/// Fails with [`StoreError::InvalidRequest`] for a value JSON cannot hold.
pub(super) fn render(
    model: &Model,
    uuid: Uuid,
    user: &serde_json::Map<String, Json>,
    contents: &MemoryContents,
) -> Result<Vec<u8>, StoreError> {
    let mut links: HashMap<(ObjectId, usize), Vec<i64>> = HashMap::new();
    for &(source, r, destination) in &contents.links {
        links.entry((source, r)).or_default().extend(destination.primary_key());
    }
    let mut by_entity: HashMap<EntityIndex, Vec<&Snapshot>> = HashMap::new();
    for row in &contents.rows {
        by_entity.entry(row.id().entity()).or_default().push(row);
    }
    for rows in by_entity.values_mut() {
        rows.sort_by_key(|row| row.id().primary_key());
    }
    let file = FileOut {
        format: FORMAT,
        format_version: FORMAT_VERSION,
        store: uuid.to_string(),
        model: model.hash().to_string(),
        metadata: user,
        next_keys: contents
            .next_keys
            .iter()
            .map(|&(root, key)| (model.entity_at(root).name(), key))
            .collect(),
        objects: ObjectsOut {
            model,
            by_entity,
            existing: contents.rows.iter().map(|row| row.id()).collect(),
            links,
        },
    };
    let mut bytes = serde_json::to_vec_pretty(&file)
        .map_err(|e| StoreError::InvalidRequest { reason: format!("cannot be written as JSON: {e}") })?;
    bytes.push(b'\n');
    Ok(bytes)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileOut<'a> {
    format: &'static str,
    format_version: u32,
    store: String,
    model: String,
    metadata: &'a serde_json::Map<String, Json>,
    next_keys: BTreeMap<&'a str, i64>,
    objects: ObjectsOut<'a>,
}

struct ObjectsOut<'a> {
    model: &'a Model,
    /// The stored objects of each entity, in key order.
    by_entity: HashMap<EntityIndex, Vec<&'a Snapshot>>,
    /// The stored objects: a to-one destination missing from them is written as null (a
    /// link to a deleted object reads as nil everywhere).
    existing: HashSet<ObjectId>,
    /// Join-stored links: (source, relationship) → destination keys, in ID order.
    links: HashMap<(ObjectId, usize), Vec<i64>>,
}

impl Serialize for ObjectsOut<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for entity in self.model.entities().iter().filter(|e| !e.is_abstract()) {
            map.serialize_entry(entity.name(), &RowsOut { objects: self, entity: entity.index() })?;
        }
        map.end()
    }
}

struct RowsOut<'a> {
    objects: &'a ObjectsOut<'a>,
    entity: EntityIndex,
}

impl Serialize for RowsOut<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for row in self.objects.by_entity.get(&self.entity).into_iter().flatten() {
            seq.serialize_element(&RowOut { objects: self.objects, row })?;
        }
        seq.end()
    }
}

struct RowOut<'a> {
    objects: &'a ObjectsOut<'a>,
    row: &'a Snapshot,
}

impl Serialize for RowOut<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let model = self.objects.model;
        let id = self.row.id();
        let entity = model.entity_at(id.entity());
        let key = id.primary_key().unwrap_or(0);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("@id", &key)?;
        map.serialize_entry("@version", &self.row.version())?;
        for (attribute, value) in entity.attributes().iter().zip(self.row.values()) {
            let json = value.to_json().map_err(|e| {
                S::Error::custom(format!("{} {key}: {}: {e}", entity.name(), attribute.name()))
            })?;
            map.serialize_entry(attribute.name(), &json)?;
        }
        for (r, relationship) in entity.relationships().iter().enumerate() {
            if !relationship.is_to_many() {
                let destination = self.row.to_one().get(r).copied().flatten();
                let destination = destination.filter(|d| self.objects.existing.contains(d));
                map.serialize_entry(relationship.name(), &destination.and_then(ObjectId::primary_key))?;
            } else if model.inverse_of(relationship).is_none_or(|inverse| inverse.is_to_many()) {
                let keys = self.objects.links.get(&(id, r)).map(Vec::as_slice).unwrap_or_default();
                map.serialize_entry(relationship.name(), keys)?;
            }
        }
        map.end()
    }
}
