//! Reading a JSON store file (the format of the [module docs](super)) into a
//! [`MemoryContents`] for the model it was opened with.
//!
//! Reading is two passes over the bytes: the header first (so a file of another kind or
//! another model is refused as such, before its objects are judged against the wrong
//! model), then the objects, through serde seeds that know the model, so that a value of
//! the wrong type or an unknown property is reported at its line and column. It never
//! accepts a file it would write back differently in meaning: unknown keys, dangling
//! references and duplicate IDs are errors, not silently dropped.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;
use strata_core::memory_store::MemoryContents;
use strata_core::store::StoreError;
use strata_core::{ObjectId, Snapshot, StoreId};
use strata_model::{EntityIndex, Model, ModelHash, Uuid, Value};

use super::{FORMAT, FORMAT_VERSION};
use crate::RestError;

/// A store file's data, ready for a [`MemoryStore`](strata_core::memory_store::MemoryStore).
pub(super) struct Parsed {
    /// The store's UUID.
    pub uuid: Uuid,
    /// The application-defined metadata.
    pub user: serde_json::Map<String, Json>,
    /// Every object and link.
    pub contents: MemoryContents,
}

/// Reads the store file `bytes` (from `path`, for messages) for `model`.
pub(super) fn parse(path: &Path, bytes: &[u8], model: &Model) -> Result<Parsed, RestError> {
    let not_a_store = |reason: String| {
        RestError::Store(StoreError::NotAStore { location: path.display().to_string(), reason })
    };
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(not_a_store("it does not hold a JSON object".to_owned()));
    }
    let header: Header = serde_json::from_slice(bytes).map_err(|e| at(path, &e))?;
    if header.format.as_deref() != Some(FORMAT) {
        return Err(not_a_store(format!("it has no \"format\": \"{FORMAT}\" key")));
    }
    if header.format_version != Some(FORMAT_VERSION) {
        return Err(not_a_store(format!(
            "its \"formatVersion\" is {}, and this version of Strata reads version {FORMAT_VERSION}",
            header.format_version.map_or_else(|| "missing".to_owned(), |v| v.to_string())
        )));
    }
    let shape = |message: String| malformed(path, 0, 0, message);
    if let Some(key) = header.unknown.keys().next() {
        return Err(shape(format!("unknown top-level key {key:?}")));
    }
    let uuid = header.store.as_deref().ok_or_else(|| shape("no \"store\" UUID".to_owned()))?;
    let uuid = Uuid::parse_str(uuid).map_err(|e| shape(format!("\"store\" is not a UUID: {e}")))?;
    let found = header.model.as_deref().ok_or_else(|| shape("no \"model\" hash".to_owned()))?;
    if found != model.hash().to_string() {
        let found =
            parse_hash(found).ok_or_else(|| shape("\"model\" is not 64 hexadecimal digits".to_owned()))?;
        return Err(RestError::Store(StoreError::ModelMismatch {
            location: path.display().to_string(),
            expected: model.hash(),
            found,
        }));
    }
    if header.objects.is_none() {
        return Err(shape("no \"objects\" key".to_owned()));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let rows = FileSeed { model }.deserialize(&mut deserializer).map_err(|e| at(path, &e))?;
    let mut contents = resolve(model, StoreId::from_uuid(uuid), rows).map_err(shape)?;
    for (name, key) in header.next_keys {
        let root = model.entity(&name).map(|e| e.index()).filter(|&e| model.root_of(e) == e);
        let root = root.ok_or_else(|| shape(format!("\"nextKeys\" names {name:?}, not a root entity")))?;
        contents.next_keys.push((root, key));
    }
    Ok(Parsed { uuid, user: header.metadata, contents })
}

fn malformed(path: &Path, line: usize, column: usize, message: String) -> RestError {
    RestError::MalformedFile { path: path.to_owned(), line, column, message }
}

/// A serde_json error as [`RestError::MalformedFile`], at its line and column.
fn at(path: &Path, error: &serde_json::Error) -> RestError {
    // serde_json's message ends with " at line L column C"; the fields carry those.
    let text = error.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) if error.line() > 0 => text[..i].to_owned(),
        _ => text,
    };
    malformed(path, error.line(), error.column(), message)
}

fn parse_hash(text: &str) -> Option<ModelHash> {
    let mut bytes = [0u8; 32];
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(ModelHash(bytes))
}

/// The top-level keys, the objects skipped (they are read by [`FileSeed`]).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    format: Option<String>,
    format_version: Option<u32>,
    store: Option<String>,
    model: Option<String>,
    #[serde(default)]
    metadata: serde_json::Map<String, Json>,
    #[serde(default)]
    next_keys: BTreeMap<String, i64>,
    objects: Option<IgnoredAny>,
    #[serde(flatten)]
    unknown: BTreeMap<String, IgnoredAny>,
}

/// One object as written, before references are resolved.
struct RawRow {
    entity: EntityIndex,
    key: i64,
    version: u64,
    values: Vec<Value>,
    to_one: Vec<Option<i64>>,
    /// (relationship index, destination keys) of join-stored to-many relationships.
    to_many: Vec<(usize, Vec<i64>)>,
}

/// Turns keys into IDs, checking that every reference names an object of the right kind.
fn resolve(model: &Model, store: StoreId, rows: Vec<RawRow>) -> Result<MemoryContents, String> {
    let mut ids: HashMap<(EntityIndex, i64), ObjectId> = HashMap::with_capacity(rows.len());
    for row in &rows {
        let name = model.entity_at(row.entity).name();
        let id = ObjectId::permanent(store, row.entity, row.key)
            .ok_or_else(|| format!("{name} object with \"@id\" {} (IDs are positive)", row.key))?;
        if let Some(other) = ids.insert((model.root_of(row.entity), row.key), id) {
            let other = model.entity_at(other.entity()).name();
            return Err(format!(
                "two objects have \"@id\" {} in one hierarchy ({other} and {name})",
                row.key
            ));
        }
    }
    let mut contents = MemoryContents::default();
    for row in rows {
        let entity = model.entity_at(row.entity);
        let id = ids[&(model.root_of(row.entity), row.key)];
        let find = |r: usize, key: i64| -> Result<ObjectId, String> {
            let relationship = &entity.relationships()[r];
            let destination = relationship.destination();
            match ids.get(&(model.root_of(destination), key)) {
                Some(&d) if model.is_kind_of(d.entity(), destination) => Ok(d),
                found => Err(format!(
                    "{} {}: {} names {} {key}, {}",
                    entity.name(),
                    row.key,
                    relationship.name(),
                    model.entity_at(destination).name(),
                    match found {
                        Some(d) => format!("which is a {}", model.entity_at(d.entity()).name()),
                        None => "which does not exist".to_owned(),
                    }
                )),
            }
        };
        let mut to_one = Vec::with_capacity(row.to_one.len());
        for (r, key) in row.to_one.iter().enumerate() {
            to_one.push(key.map(|k| find(r, k)).transpose()?);
        }
        for (r, keys) in &row.to_many {
            let relationship = &entity.relationships()[*r];
            for &key in keys {
                let destination = find(*r, key)?;
                contents.links.push((id, *r, destination));
                // A many-to-many link is kept from both sides: listing it on either side of
                // the file is enough.
                if let Some(inverse) = model.inverse_of(relationship) {
                    let back = model.entity_at(destination.entity()).relationships();
                    if let Some(i) = back.iter().position(|x| x.name() == inverse.name()) {
                        contents.links.push((destination, i, id));
                    }
                }
            }
        }
        contents.rows.push(Snapshot::new(id, row.version, row.values, to_one).into_shared());
    }
    Ok(contents)
}

/// The whole file, keeping only the rows of `"objects"`.
struct FileSeed<'m> {
    model: &'m Model,
}

impl<'de> DeserializeSeed<'de> for FileSeed<'_> {
    type Value = Vec<RawRow>;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Vec<RawRow>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_> {
    type Value = Vec<RawRow>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON store file")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<RawRow>, A::Error> {
        let mut rows = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "objects" {
                rows = map.next_value_seed(ObjectsSeed { model: self.model })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(rows)
    }
}

/// `"objects"`: entity name → array of objects.
struct ObjectsSeed<'m> {
    model: &'m Model,
}

impl<'de> DeserializeSeed<'de> for ObjectsSeed<'_> {
    type Value = Vec<RawRow>;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Vec<RawRow>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectsSeed<'_> {
    type Value = Vec<RawRow>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object mapping entity names to arrays of objects")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<RawRow>, A::Error> {
        let mut rows = Vec::new();
        let mut seen = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            let Some(entity) = self.model.entity(&name) else {
                let hint = self.model.nearest_entity(&name).map(|n| format!(" (did you mean {n:?}?)"));
                return Err(A::Error::custom(format!(
                    "the model has no entity {name:?}{}",
                    hint.unwrap_or_default()
                )));
            };
            if entity.is_abstract() {
                return Err(A::Error::custom(format!(
                    "{name} is abstract: its objects are listed under their sub-entities"
                )));
            }
            if seen.contains(&entity.index()) {
                return Err(A::Error::custom(format!("{name} is listed twice")));
            }
            seen.push(entity.index());
            let seed = RowsSeed { model: self.model, entity: entity.index(), rows: &mut rows };
            map.next_value_seed(seed)?;
        }
        Ok(rows)
    }
}

/// The array of one entity's objects, appended to `rows`.
struct RowsSeed<'m, 'r> {
    model: &'m Model,
    entity: EntityIndex,
    rows: &'r mut Vec<RawRow>,
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of {} objects", self.model.entity_at(self.entity).name())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(row) = seq.next_element_seed(RowSeed { model: self.model, entity: self.entity })? {
            self.rows.push(row);
        }
        Ok(())
    }
}

/// One object: `"@id"`, `"@version"`, then properties by name.
struct RowSeed<'m> {
    model: &'m Model,
    entity: EntityIndex,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = RawRow;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<RawRow, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = RawRow;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} object", self.model.entity_at(self.entity).name())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawRow, A::Error> {
        let entity = self.model.entity_at(self.entity);
        let name = entity.name();
        let mut key = None;
        let mut version = None;
        let mut values = vec![Value::Null; entity.attributes().len()];
        let mut to_one = vec![None; entity.relationships().len()];
        let mut to_many = Vec::new();
        let mut seen = Vec::new();
        while let Some(property) = map.next_key::<String>()? {
            if seen.contains(&property) {
                return Err(A::Error::custom(format!("{name} object with {property:?} twice")));
            }
            match property.as_str() {
                "@id" => key = Some(map.next_value::<i64>()?).filter(|&k| k > 0),
                "@version" => version = Some(map.next_value::<u64>()?).filter(|&v| v > 0),
                _ => {
                    if let Some(i) = entity.attributes().iter().position(|a| a.name() == property) {
                        let json: Json = map.next_value()?;
                        let ty = entity.attributes()[i].attribute_type();
                        values[i] = Value::from_json(&json, ty)
                            .map_err(|e| A::Error::custom(format!("{name}.{property}: {e}")))?;
                    } else if let Some(r) = entity.relationships().iter().position(|x| x.name() == property) {
                        let relationship = &entity.relationships()[r];
                        if !relationship.is_to_many() {
                            to_one[r] = map.next_value::<Option<i64>>()?;
                        } else if let Some(inverse) =
                            self.model.inverse_of(relationship).filter(|inv| !inv.is_to_many())
                        {
                            let destination = self.model.entity_at(relationship.destination()).name();
                            return Err(A::Error::custom(format!(
                                "{name}.{property} is not written: it is the inverse of the to-one \
                                 {destination}.{}, which is the one to set",
                                inverse.name()
                            )));
                        } else {
                            to_many.push((r, map.next_value::<Vec<i64>>()?));
                        }
                    } else {
                        let hint =
                            entity.nearest_property(&property).map(|n| format!(" (did you mean {n:?}?)"));
                        return Err(A::Error::custom(format!(
                            "{name} has no property {property:?}{}",
                            hint.unwrap_or_default()
                        )));
                    }
                }
            }
            seen.push(property);
        }
        let key = key.ok_or_else(|| A::Error::custom(format!("{name} object without a positive \"@id\"")))?;
        let version = match (version, seen.iter().any(|p| p == "@version")) {
            (Some(v), _) => v,
            (None, false) => 1,
            (None, true) => {
                return Err(A::Error::custom(format!("{name} {key}: \"@version\" must be positive")));
            }
        };
        Ok(RawRow { entity: self.entity, key, version, values, to_one, to_many })
    }
}

#[cfg(test)]
mod tests {
    use strata_core::conformance::conformance_model;

    use super::*;

    const UUID: &str = "0192f3a4-5b6c-7d8e-9f00-112233445566";

    fn file(model: &Model, extra: &str, objects: &str) -> String {
        format!(
            r#"{{ "format": "{FORMAT}", "formatVersion": 1, "store": "{UUID}", "model": "{}"{extra},
                "objects": {objects} }}"#,
            model.hash()
        )
    }

    fn parsed(text: &str) -> Result<Parsed, RestError> {
        parse(Path::new("t.json"), text.as_bytes(), &conformance_model())
    }

    fn message(text: &str) -> String {
        match parsed(text).map(|_| ()) {
            Err(RestError::MalformedFile { message, .. }) => message,
            other => panic!("expected a malformed file, got {other:?}"),
        }
    }

    #[test]
    fn a_link_listed_on_one_side_is_kept_from_both() {
        let model = conformance_model();
        let objects = r#"{ "Note": [ { "@id": 1, "title": "n", "tags": [2] } ], "Tag": [ { "@id": 2 } ] }"#;
        let parsed = parsed(&file(&model, "", objects)).expect("parses");
        assert_eq!(parsed.uuid.to_string(), UUID);
        assert_eq!(parsed.contents.rows.len(), 2);
        assert!(parsed.contents.rows.iter().all(|row| row.version() == 1), "a missing version is 1");
        let note = model.entity("Note").expect("Note").index();
        let tag = model.entity("Tag").expect("Tag").index();
        let mut links: Vec<_> =
            parsed.contents.links.iter().map(|(s, r, d)| (s.entity(), *r, d.entity())).collect();
        links.sort();
        let tags = model.entity_at(note).relationships().iter().position(|r| r.name() == "tags");
        let notes = model.entity_at(tag).relationships().iter().position(|r| r.name() == "notes");
        assert_eq!(links, vec![(note, tags.expect("tags"), tag), (tag, notes.expect("notes"), note)]);
    }

    #[test]
    fn what_the_file_cannot_say_is_refused() {
        let model = conformance_model();
        let derived = file(&model, "", r#"{ "Folder": [ { "@id": 1, "notes": [] } ] }"#);
        assert!(message(&derived).contains("Folder.notes is not written"), "{}", message(&derived));
        let version = file(&model, "", r#"{ "Folder": [ { "@id": 1, "@version": 0 } ] }"#);
        assert!(message(&version).contains("\"@version\" must be positive"), "{}", message(&version));
        let abstract_entity = file(&model, "", r#"{ "Shape": [] }"#);
        assert!(message(&abstract_entity).contains("Shape is abstract"));
        let unknown = file(&model, "", r#"{ "Foldr": [] }"#);
        assert!(message(&unknown).contains(r#"(did you mean "Folder"?)"#), "{}", message(&unknown));
        let wrong_kind =
            file(&model, "", r#"{ "Note": [ { "@id": 1, "folder": 1 } ], "Circle": [ { "@id": 1 } ] }"#);
        assert!(message(&wrong_kind).contains("names Folder 1, which does not exist"));
        let next_key = file(&model, r#", "nextKeys": { "Circle": 4 }"#, "{}");
        assert!(message(&next_key).contains("not a root entity"), "{}", message(&next_key));
        let top_level = file(&model, r#", "extra": 1"#, "{}");
        assert!(message(&top_level).contains(r#"unknown top-level key "extra""#));
    }

    #[test]
    fn headers_tell_stores_of_other_kinds_and_models_apart() {
        let model = conformance_model();
        let newer = file(&model, "", "{}").replace(r#""formatVersion": 1"#, r#""formatVersion": 2"#);
        match parsed(&newer).map(|_| ()) {
            Err(RestError::Store(StoreError::NotAStore { reason, .. })) => {
                assert!(reason.contains("version 1"))
            }
            other => panic!("expected not a store, got {other:?}"),
        }
        let other_hash = ModelHash([7; 32]);
        let other = file(&model, "", "{}").replace(&model.hash().to_string(), &other_hash.to_string());
        match parsed(&other).map(|_| ()) {
            Err(RestError::Store(StoreError::ModelMismatch { found, .. })) => assert_eq!(found, other_hash),
            other => panic!("expected a model mismatch, got {other:?}"),
        }
        assert_eq!(parse_hash(&model.hash().to_string()), Some(model.hash()));
        assert_eq!(parse_hash("zz"), None);
    }
}
