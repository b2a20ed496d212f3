//! JSON model files: [`Model::from_json`], [`Model::from_json_value`], [`Model::load`] and
//! [`Model::to_json`], in the format DESIGN.md shows.
//!
//! Reading only checks the file's shape (known fields, JSON kinds, type and delete-rule
//! names) and turns it into builders; every model rule is checked by the shared validator
//! behind [`ModelBuilder::build`](crate::ModelBuilder::build), never here, so a file and
//! the equivalent code are accepted or refused alike. Writing is the exact inverse:
//! [`Model::from_json_value`] of [`Model::to_json`] gives back the same model.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use serde_json::{Map, Value as Json, json};

use crate::builder::Literal;
use crate::error::Place;
use crate::{
    AttributeBuilder, AttributeType, DeleteRule, Entity, EntityBuilder, Model, ModelError,
    RelationshipBuilder,
};

const MODEL_FIELDS: &[&str] = &["name", "version", "entities"];
const ENTITY_FIELDS: &[&str] =
    &["name", "abstract", "parent", "attributes", "relationships", "uniquenessConstraints", "indexes"];
const ATTRIBUTE_FIELDS: &[&str] = &[
    "name",
    "type",
    "optional",
    "default",
    "indexed",
    "preserveAfterDeletion",
    "min",
    "max",
    "minLength",
    "maxLength",
    "regex",
];
const RELATIONSHIP_FIELDS: &[&str] =
    &["name", "destination", "toMany", "inverse", "deleteRule", "optional", "minCount", "maxCount"];
const DELETE_RULES: [DeleteRule; 4] =
    [DeleteRule::Nullify, DeleteRule::Cascade, DeleteRule::Deny, DeleteRule::NoAction];

impl Model {
    /// Reads and validates a model from the text of a model file.
    ///
    /// ```
    /// use strata_model::Model;
    /// let model = Model::from_json(r#"{ "name": "Notes", "version": 1, "entities": [
    ///     { "name": "Note", "attributes": [ { "name": "body", "type": "string" } ] } ] }"#)?;
    /// assert_eq!(model.entity("Note").unwrap().attributes().len(), 1);
    ///
    /// let err = Model::from_json(r#"{ "name": "Notes", "version": 1, "entities": [
    ///     { "name": "Note", "attributes": [ { "name": "body", "type": "strng" } ] } ] }"#)
    ///     .unwrap_err();
    /// assert!(err.to_string().starts_with(r#"entity Note, attribute body: unknown attribute type "strng" (did you mean "string"?)"#));
    /// # Ok::<(), strata_model::ModelError>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Model, ModelError> {
        let json: Json = serde_json::from_str(text).map_err(|e| ModelError::Syntax {
            line: e.line(),
            column: e.column(),
            reason: e.to_string(),
        })?;
        Model::from_json_value(&json)
    }

    /// Reads and validates a model from a parsed model file (as stores keep it in their
    /// metadata).
    pub fn from_json_value(json: &Json) -> Result<Model, ModelError> {
        let Json::Object(map) = json else { return Err(ModelError::NotAnObject { found: kind(json) }) };
        let top = Fields::new(map, Place::Model, MODEL_FIELDS)?;
        let name = top.required_str("name")?;
        let version =
            top.required(top.uint::<u32>("version", "a whole number from 0 to 4294967295")?, "version")?;
        let mut builder = Model::builder(name, version);
        for entity in top.objects("entities", "a list of entity objects")? {
            builder = builder.entity(read_entity(entity?)?);
        }
        builder.build()
    }

    /// Reads and validates the model file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Model, ModelError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ModelError::Io { path: path.to_owned(), source: Arc::new(e) })?;
        Model::from_json(&text)
    }

    /// The model in model-file form: each entity with its own (not inherited) properties,
    /// constraints and indexes, and its `parent`; fields left at their defaults are omitted.
    /// [`Model::from_json_value`] reads it back into an identical model (same hash, same
    /// defaults and rules).
    pub fn to_json(&self) -> Json {
        let entities: Vec<Json> = self.entities.iter().map(|e| self.entity_json(e)).collect();
        json!({ "name": self.name, "version": self.version, "entities": entities })
    }

    fn entity_json(&self, entity: &Entity) -> Json {
        let parent = entity.parent.map(|p| self.entity_at(p));
        let mut out = Map::new();
        out.insert("name".into(), json!(entity.name));
        if entity.is_abstract {
            out.insert("abstract".into(), json!(true));
        }
        if let Some(parent) = parent {
            out.insert("parent".into(), json!(parent.name));
        }
        let own = |declared_in| declared_in == entity.index;
        let attributes: Vec<Json> =
            entity.attributes.iter().filter(|a| own(a.declared_in)).map(attribute_json).collect();
        out.insert("attributes".into(), Json::Array(attributes));
        let relationships: Vec<Json> = entity
            .relationships
            .iter()
            .filter(|r| own(r.declared_in))
            .map(|r| {
                let mut o = Map::new();
                o.insert("name".into(), json!(r.name));
                o.insert("destination".into(), json!(self.entity_at(r.destination).name));
                o.insert("toMany".into(), json!(r.to_many));
                if let Some(inverse) = &r.inverse {
                    o.insert("inverse".into(), json!(inverse));
                }
                o.insert("deleteRule".into(), json!(r.delete_rule.name()));
                if !r.optional {
                    o.insert("optional".into(), json!(false));
                }
                if let Some(n) = r.min_count {
                    o.insert("minCount".into(), json!(n));
                }
                if let Some(n) = r.max_count {
                    o.insert("maxCount".into(), json!(n));
                }
                Json::Object(o)
            })
            .collect();
        out.insert("relationships".into(), Json::Array(relationships));
        // Inherited lists come first (see `validate`), so the entity's own are the rest.
        let inherited = |list: fn(&Entity) -> &[Vec<String>]| parent.map_or(0, |p| list(p).len());
        let unique = &entity.uniqueness_constraints[inherited(Entity::uniqueness_constraints)..];
        if !unique.is_empty() {
            out.insert("uniquenessConstraints".into(), json!(unique));
        }
        let indexes = &entity.indexes[inherited(Entity::indexes)..];
        if !indexes.is_empty() {
            out.insert("indexes".into(), json!(indexes));
        }
        Json::Object(out)
    }
}

fn attribute_json(a: &crate::Attribute) -> Json {
    // Validation refused every value JSON cannot hold, so `to_json` cannot fail here.
    let value = |v: &crate::Value| v.to_json().unwrap_or(Json::Null);
    let mut o = Map::new();
    o.insert("name".into(), json!(a.name));
    o.insert("type".into(), json!(a.ty.name()));
    if !a.optional {
        o.insert("optional".into(), json!(false));
    }
    if !a.default.is_null() {
        o.insert("default".into(), value(&a.default));
    }
    if a.indexed {
        o.insert("indexed".into(), json!(true));
    }
    if a.preserve_after_deletion {
        o.insert("preserveAfterDeletion".into(), json!(true));
    }
    let rules = &a.validation;
    if let Some(min) = &rules.min {
        o.insert("min".into(), value(min));
    }
    if let Some(max) = &rules.max {
        o.insert("max".into(), value(max));
    }
    if let Some(n) = rules.min_length {
        o.insert("minLength".into(), json!(n));
    }
    if let Some(n) = rules.max_length {
        o.insert("maxLength".into(), json!(n));
    }
    if let Some(pattern) = rules.regex_source() {
        o.insert("regex".into(), json!(pattern));
    }
    Json::Object(o)
}

fn read_entity(fields: Fields<'_>) -> Result<EntityBuilder, ModelError> {
    let entity = fields.required_str("name")?;
    let mut builder = EntityBuilder::new(entity);
    if fields.bool("abstract")? == Some(true) {
        builder = builder.abstract_entity();
    }
    if let Some(parent) = fields.str("parent")? {
        builder = builder.parent(parent);
    }
    for attribute in fields.objects("attributes", "a list of attribute objects")? {
        builder = builder.attribute(read_attribute(entity, attribute?)?);
    }
    for relationship in fields.objects("relationships", "a list of relationship objects")? {
        builder = builder.relationship(read_relationship(entity, relationship?)?);
    }
    for names in fields.name_lists("uniquenessConstraints")? {
        builder = builder.unique(names);
    }
    for names in fields.name_lists("indexes")? {
        builder = builder.index(names);
    }
    Ok(builder)
}

fn read_attribute(entity: &str, fields: Fields<'_>) -> Result<AttributeBuilder, ModelError> {
    let attribute = fields.required_str("name")?;
    let type_name = fields.required_str("type")?;
    let ty = AttributeType::from_str(type_name).map_err(|_| ModelError::UnknownAttributeType {
        entity: entity.to_owned(),
        attribute: attribute.to_owned(),
        name: type_name.to_owned(),
        suggestion: crate::suggest::nearest(type_name, AttributeType::ALL.map(AttributeType::name))
            .map(str::to_owned),
    })?;
    let mut builder = AttributeBuilder::new(attribute, ty);
    builder.optional = fields.bool("optional")?.unwrap_or(true);
    builder.indexed = fields.bool("indexed")?.unwrap_or(false);
    builder.preserve_after_deletion = fields.bool("preserveAfterDeletion")?.unwrap_or(false);
    for (field, slot) in
        [("default", &mut builder.default), ("min", &mut builder.min), ("max", &mut builder.max)]
    {
        if let Some(json) = fields.get(field) {
            *slot = Literal::Json(json.clone());
        }
    }
    builder.min_length = fields.uint("minLength", "a whole number of at least 0")?;
    builder.max_length = fields.uint("maxLength", "a whole number of at least 0")?;
    builder.regex = fields.str("regex")?.map(str::to_owned);
    Ok(builder)
}

fn read_relationship(entity: &str, fields: Fields<'_>) -> Result<RelationshipBuilder, ModelError> {
    let relationship = fields.required_str("name")?;
    let destination = fields.required_str("destination")?;
    let mut builder = if fields.bool("toMany")?.unwrap_or(false) {
        RelationshipBuilder::to_many(relationship, destination)
    } else {
        RelationshipBuilder::to_one(relationship, destination)
    };
    if let Some(inverse) = fields.str("inverse")? {
        builder = builder.inverse(inverse);
    }
    if let Some(rule) = fields.str("deleteRule")? {
        let rule = DELETE_RULES.into_iter().find(|r| r.name() == rule).ok_or_else(|| {
            ModelError::UnknownDeleteRule {
                entity: entity.to_owned(),
                relationship: relationship.to_owned(),
                name: rule.to_owned(),
            }
        })?;
        builder = builder.delete_rule(rule);
    }
    builder.optional = fields.bool("optional")?.unwrap_or(true);
    builder.min_count = fields.uint("minCount", "a whole number from 0 to 4294967295")?;
    builder.max_count = fields.uint("maxCount", "a whole number from 0 to 4294967295")?;
    Ok(builder)
}

/// One object of a model file, with the place it stands for in messages. `null` counts
/// as absent for every optional field.
struct Fields<'a> {
    map: &'a Map<String, Json>,
    place: Place,
}

impl<'a> Fields<'a> {
    /// Checks that `map` has no field outside `allowed`.
    fn new(map: &'a Map<String, Json>, place: Place, allowed: &[&'static str]) -> Result<Self, ModelError> {
        if let Some(field) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ModelError::UnknownField {
                place,
                field: field.clone(),
                suggestion: crate::suggest::nearest(field, allowed.iter().copied()).map(str::to_owned),
            });
        }
        Ok(Fields { map, place })
    }

    fn get(&self, field: &str) -> Option<&'a Json> {
        self.map.get(field).filter(|v| !v.is_null())
    }

    fn wrong(&self, field: &'static str, expected: &'static str, found: &Json) -> ModelError {
        ModelError::WrongFieldType { place: self.place.clone(), field, expected, found: kind(found) }
    }

    fn required<T>(&self, value: Option<T>, field: &'static str) -> Result<T, ModelError> {
        value.ok_or_else(|| ModelError::MissingField { place: self.place.clone(), field })
    }

    fn str(&self, field: &'static str) -> Result<Option<&'a str>, ModelError> {
        self.get(field).map(|v| v.as_str().ok_or_else(|| self.wrong(field, "a string", v))).transpose()
    }

    fn required_str(&self, field: &'static str) -> Result<&'a str, ModelError> {
        self.required(self.str(field)?, field)
    }

    fn bool(&self, field: &'static str) -> Result<Option<bool>, ModelError> {
        self.get(field).map(|v| v.as_bool().ok_or_else(|| self.wrong(field, "true or false", v))).transpose()
    }

    fn uint<T: TryFrom<u64>>(
        &self,
        field: &'static str,
        expected: &'static str,
    ) -> Result<Option<T>, ModelError> {
        self.get(field)
            .map(|v| {
                v.as_u64().and_then(|n| T::try_from(n).ok()).ok_or_else(|| self.wrong(field, expected, v))
            })
            .transpose()
    }

    /// The objects of the list in `field` (none when absent), each with its place: named
    /// by its `name` field when that is text, else by its position.
    fn objects(
        &self,
        field: &'static str,
        expected: &'static str,
    ) -> Result<impl Iterator<Item = Result<Fields<'a>, ModelError>> + use<'a, '_>, ModelError> {
        let items = match self.get(field) {
            None => &[][..],
            Some(Json::Array(items)) => items.as_slice(),
            Some(other) => return Err(self.wrong(field, expected, other)),
        };
        Ok(items.iter().enumerate().map(move |(i, item)| {
            let Json::Object(map) = item else { return Err(self.wrong(field, expected, item)) };
            let name = map.get("name").and_then(Json::as_str).map_or_else(|| format!("#{i}"), str::to_owned);
            let (place, allowed) = match (&self.place, field) {
                (Place::Model, _) => (Place::Entity { entity: name }, ENTITY_FIELDS),
                (Place::Entity { entity }, "attributes") => {
                    (Place::Attribute { entity: entity.clone(), attribute: name }, ATTRIBUTE_FIELDS)
                }
                (Place::Entity { entity }, _) => {
                    (Place::Relationship { entity: entity.clone(), relationship: name }, RELATIONSHIP_FIELDS)
                }
                // Only the model and entities hold lists of objects.
                (place, _) => (place.clone(), &[][..]),
            };
            Fields::new(map, place, allowed)
        }))
    }

    /// A list of lists of property names (`uniquenessConstraints`, `indexes`).
    fn name_lists(&self, field: &'static str) -> Result<Vec<Vec<String>>, ModelError> {
        let wrong = |found| self.wrong(field, "a list of lists of property names", found);
        let Some(value) = self.get(field) else { return Ok(Vec::new()) };
        let lists = value.as_array().ok_or_else(|| wrong(value))?;
        lists
            .iter()
            .map(|list| {
                let names = list.as_array().ok_or_else(|| wrong(list))?;
                names.iter().map(|name| name.as_str().map(str::to_owned).ok_or_else(|| wrong(name))).collect()
            })
            .collect()
    }
}

/// The kind of a JSON value, for messages.
fn kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}
