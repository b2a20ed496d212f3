//! Representations to and from a conventional API's JSON objects, with the model crate's
//! JSON forms of values (dates as RFC 3339 text, binary as base64…). Pure functions: no
//! I/O, and no guessing — a value of the wrong type is an error naming the object and key.

use std::collections::HashMap;

use serde_json::{Map, Value as Json};
use strata_core::store::StoreError;
use strata_model::Value;

use super::mapping::Resolved;
use crate::{RelationshipValue, Representation, RestError};

/// Parses a response body as JSON; a syntax error carries its line and column.
pub(crate) fn parse_body(url: &str, body: &[u8]) -> Result<Json, RestError> {
    serde_json::from_slice(body).map_err(|e| RestError::MalformedResponse {
        url: url.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// An error about JSON of the wrong shape (it parsed, but is not what the API promised).
pub(crate) fn shape_error(url: &str, message: String) -> RestError {
    RestError::MalformedResponse { url: url.to_owned(), line: 0, column: 0, message }
}

/// A resource identifier as JSON writes it: text, or an integer.
fn identifier(json: &Json) -> Option<String> {
    match json {
        Json::String(s) if !s.is_empty() => Some(s.clone()),
        Json::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

/// One related object's identifier: written as the identifier itself, or as an embedded
/// object carrying it under its entity's identifier key.
fn related_identifier(json: &Json, id_key: &str) -> Option<String> {
    match json {
        Json::Object(object) => object.get(id_key).and_then(identifier),
        other => identifier(other),
    }
}

/// Reads one JSON object of `entity` into a representation. `place` names the object in
/// messages (`"item 3"`, `"the body"`).
pub(crate) fn representation(
    entity: &str,
    resolved: &Resolved,
    all: &HashMap<String, Resolved>,
    json: &Json,
    url: &str,
    place: &str,
) -> Result<Representation, RestError> {
    let Json::Object(object) = json else {
        return Err(shape_error(url, format!("{place} is not a JSON object")));
    };
    let resource_id = object.get(&resolved.id_key).and_then(identifier).ok_or_else(|| {
        shape_error(
            url,
            format!("{place} has no {:?} key with a text or integer identifier", resolved.id_key),
        )
    })?;
    let mut attributes = Vec::new();
    for key in &resolved.attributes {
        let Some(value) = object.get(&key.json_key) else { continue };
        let value = Value::from_json(value, key.ty).map_err(|e| {
            shape_error(url, format!("{place} ({} {resource_id:?}), key {:?}: {e}", entity, key.json_key))
        })?;
        attributes.push((key.name.clone(), value));
    }
    let mut relationships = Vec::new();
    for key in &resolved.relationships {
        let Some(value) = object.get(&key.json_key) else { continue };
        let id_key = all.get(&key.destination).map_or("id", |d| d.id_key.as_str());
        let bad = |what: &str| {
            shape_error(url, format!("{place} ({entity} {resource_id:?}), key {:?}: {what}", key.json_key))
        };
        let value = match (key.to_many, value) {
            (false, Json::Null) => RelationshipValue::ToOne(None),
            (false, one) => RelationshipValue::ToOne(Some(
                related_identifier(one, id_key).ok_or_else(|| bad("expected an identifier or null"))?,
            )),
            (true, Json::Null) => RelationshipValue::ToMany(Vec::new()),
            (true, Json::Array(items)) => RelationshipValue::ToMany(
                items
                    .iter()
                    .map(|item| related_identifier(item, id_key))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| bad("expected an array of identifiers"))?,
            ),
            (true, _) => return Err(bad("expected an array of identifiers")),
        };
        relationships.push((key.name.clone(), value));
    }
    Ok(Representation {
        entity: entity.to_owned(),
        resource_id,
        attributes,
        relationships,
        etag: None,
        last_modified: None,
    })
}

/// A reference to an object of `destination` as the API writes it: a number when that
/// entity's identifiers are numbers and this one is an integer, else text.
fn reference(all: &HashMap<String, Resolved>, destination: &str, id: &str) -> Json {
    let numeric = all.get(destination).is_some_and(|d| d.numeric_ids);
    match id.parse::<i64>() {
        Ok(n) if numeric => Json::from(n),
        _ => Json::String(id.to_owned()),
    }
}

/// The JSON body of an insert or update: the representation's values under their keys
/// (and its identifier, when it has one and `with_id`).
pub(crate) fn body(
    resolved: &Resolved,
    all: &HashMap<String, Resolved>,
    representation: &Representation,
    with_id: bool,
) -> Result<Vec<u8>, RestError> {
    let entity = representation.entity.as_str();
    let invalid = |reason: String| RestError::Store(StoreError::InvalidRequest { reason });
    let mut object = Map::new();
    if with_id && !representation.resource_id.is_empty() {
        object.insert(resolved.id_key.clone(), reference(all, entity, &representation.resource_id));
    }
    for (name, value) in &representation.attributes {
        let key = resolved
            .attributes
            .iter()
            .find(|a| &a.name == name)
            .ok_or_else(|| invalid(format!("{entity} has no attribute {name:?} to send")))?;
        let json =
            value.to_json().map_err(|e| invalid(format!("{entity}.{name} cannot be sent as JSON: {e}")))?;
        object.insert(key.json_key.clone(), json);
    }
    for (name, value) in &representation.relationships {
        let key = resolved
            .relationships
            .iter()
            .find(|r| &r.name == name)
            .ok_or_else(|| invalid(format!("{entity} has no relationship {name:?} to send")))?;
        let json = match value {
            RelationshipValue::ToOne(None) => Json::Null,
            RelationshipValue::ToOne(Some(id)) => reference(all, &key.destination, id),
            RelationshipValue::ToMany(ids) => {
                Json::Array(ids.iter().map(|id| reference(all, &key.destination, id)).collect())
            }
        };
        object.insert(key.json_key.clone(), json);
    }
    serde_json::to_vec(&Json::Object(object)).map_err(|e| {
        invalid(format!("{entity} {:?} cannot be written as JSON: {e}", representation.resource_id))
    })
}
