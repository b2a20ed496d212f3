//! How a conventional REST API lays out its resources: a path per entity, the JSON keys of
//! the properties, and how lists are paged. Plain configuration values, checked against the
//! model once when the client is built (see [`resolve`]); nothing here sends a request.

use std::collections::HashMap;

use strata_model::{AttributeType, Entity, Model};

use crate::{HttpMethod, RestError};

/// How an API pages its lists.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Paging {
    /// A list request returns every object at once.
    Unpaged,
    /// `?page=N&per_page=M`: pages numbered from `first_page`.
    PageNumber {
        /// The name of the page-number parameter (`"page"`).
        page_param: String,
        /// The name of the page-size parameter (`"per_page"`).
        size_param: String,
        /// Objects asked per page.
        page_size: usize,
        /// The number of the first page (usually 1).
        first_page: usize,
    },
    /// `?offset=N&limit=M`.
    OffsetLimit {
        /// The name of the offset parameter (`"offset"`).
        offset_param: String,
        /// The name of the limit parameter (`"limit"`).
        limit_param: String,
        /// Objects asked per page.
        page_size: usize,
    },
}

impl Paging {
    /// `?{page_param}=N&{size_param}=page_size`, pages numbered from 1.
    pub fn page_number(
        page_param: impl Into<String>,
        size_param: impl Into<String>,
        page_size: usize,
    ) -> Paging {
        Paging::PageNumber {
            page_param: page_param.into(),
            size_param: size_param.into(),
            page_size,
            first_page: 1,
        }
    }

    /// `?{offset_param}=N&{limit_param}=page_size`.
    pub fn offset_limit(
        offset_param: impl Into<String>,
        limit_param: impl Into<String>,
        page_size: usize,
    ) -> Paging {
        Paging::OffsetLimit { offset_param: offset_param.into(), limit_param: limit_param.into(), page_size }
    }

    /// Objects asked per page; `None` when unpaged.
    pub fn page_size(&self) -> Option<usize> {
        match self {
            Paging::Unpaged => None,
            Paging::PageNumber { page_size, .. } | Paging::OffsetLimit { page_size, .. } => Some(*page_size),
        }
    }
}

/// How one entity's objects live in the API: `{base}{path}` lists them and creates them,
/// `{base}{path}/{id}` reads, changes and deletes one.
///
/// By default the resource identifier is the JSON key `"id"`, every property's JSON key is
/// its name, changes are sent with `PATCH`, and relationships are read from the objects'
/// own JSON (an identifier, an array of identifiers, or embedded objects carrying theirs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityMapping {
    pub(crate) entity: String,
    pub(crate) path: String,
    pub(crate) id_key: String,
    pub(crate) keys: Vec<(String, String)>,
    pub(crate) numeric_ids: bool,
    pub(crate) update_method: HttpMethod,
    pub(crate) relationship_paths: Vec<(String, String)>,
}

impl EntityMapping {
    /// The entity named `entity` lives under `path` (`"/palettes"`), relative to the base URL.
    /// Its sub-entities without a mapping of their own share it.
    pub fn new(entity: impl Into<String>, path: impl Into<String>) -> EntityMapping {
        EntityMapping {
            entity: entity.into(),
            path: path.into(),
            id_key: "id".to_owned(),
            keys: Vec::new(),
            numeric_ids: false,
            update_method: HttpMethod::Patch,
            relationship_paths: Vec::new(),
        }
    }

    /// The JSON key holding an object's resource identifier (default `"id"`).
    pub fn id_key(mut self, key: impl Into<String>) -> EntityMapping {
        self.id_key = key.into();
        self
    }

    /// The property `property` is the JSON key `json_key` (default: the property's name).
    pub fn key(mut self, property: impl Into<String>, json_key: impl Into<String>) -> EntityMapping {
        self.keys.push((property.into(), json_key.into()));
        self
    }

    /// Whether the API writes this entity's identifiers as JSON numbers: references to its
    /// objects in request bodies are then sent as numbers when they are integers.
    pub fn numeric_ids(mut self, numeric: bool) -> EntityMapping {
        self.numeric_ids = numeric;
        self
    }

    /// The method sending changes: [`HttpMethod::Patch`] (the default, changed values only)
    /// or [`HttpMethod::Put`].
    pub fn update_with(mut self, method: HttpMethod) -> EntityMapping {
        self.update_method = method;
        self
    }

    /// The destinations of `relationship` are listed at `{base}{path}/{id}/{sub_path}`
    /// (without it the API has no relationship request for it).
    pub fn relationship_path(
        mut self,
        relationship: impl Into<String>,
        sub_path: impl Into<String>,
    ) -> EntityMapping {
        self.relationship_paths.push((relationship.into(), sub_path.into()));
        self
    }
}

/// One attribute as the API writes it.
#[derive(Debug, Clone)]
pub(crate) struct AttributeKey {
    pub name: String,
    pub json_key: String,
    pub ty: AttributeType,
}

/// One relationship as the API writes it.
#[derive(Debug, Clone)]
pub(crate) struct RelationshipKey {
    pub name: String,
    pub json_key: String,
    pub to_many: bool,
    /// The destination entity's name (its mapping gives the identifier key of embedded
    /// objects and whether identifiers are numbers).
    pub destination: String,
    pub sub_path: Option<String>,
}

/// An entity's mapping, checked against the model and completed with every property.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub path: String,
    pub id_key: String,
    pub numeric_ids: bool,
    pub update_method: HttpMethod,
    pub attributes: Vec<AttributeKey>,
    pub relationships: Vec<RelationshipKey>,
}

fn config_error(reason: String) -> RestError {
    RestError::Configuration { reason }
}

/// Checks `mappings` against `model` and resolves one mapping per mapped entity and per
/// sub-entity of one (inheriting the nearest mapped ancestor's path and identifier key).
pub(crate) fn resolve(
    model: &Model,
    mappings: &[EntityMapping],
) -> Result<HashMap<String, Resolved>, RestError> {
    let mut by_entity: HashMap<&str, &EntityMapping> = HashMap::new();
    for mapping in mappings {
        let Some(entity) = model.entity(&mapping.entity) else {
            let hint = model
                .nearest_entity(&mapping.entity)
                .map(|n| format!(" (did you mean {n}?)"))
                .unwrap_or_default();
            return Err(config_error(format!(
                "a path is mapped for entity {:?}, which model {} does not have{hint}",
                mapping.entity,
                model.name()
            )));
        };
        if by_entity.insert(entity.name(), mapping).is_some() {
            return Err(config_error(format!("entity {} is mapped twice", entity.name())));
        }
        if mapping.id_key.is_empty() {
            return Err(config_error(format!("entity {} has an empty identifier key", entity.name())));
        }
        if !matches!(mapping.update_method, HttpMethod::Patch | HttpMethod::Put) {
            return Err(config_error(format!(
                "entity {} sends changes with {}: only PATCH or PUT can",
                entity.name(),
                mapping.update_method.as_str()
            )));
        }
        for (property, _) in mapping.keys.iter().chain(&mapping.relationship_paths) {
            if entity.property(property).is_none() {
                let hint = entity
                    .nearest_property(property)
                    .map(|n| format!(" (did you mean {n}?)"))
                    .unwrap_or_default();
                return Err(config_error(format!(
                    "entity {} has no property {property:?}{hint}",
                    entity.name()
                )));
            }
        }
        for (relationship, _) in &mapping.relationship_paths {
            if entity.relationship(relationship).is_none() {
                return Err(config_error(format!(
                    "{}.{relationship} is an attribute: only relationships have a relationship path",
                    entity.name()
                )));
            }
        }
    }
    let mut resolved = HashMap::new();
    for entity in model.entities() {
        let Some(mapping) = nearest_mapping(model, entity, &by_entity) else { continue };
        resolved.insert(entity.name().to_owned(), resolve_entity(model, entity, mapping)?);
    }
    Ok(resolved)
}

fn nearest_mapping<'m>(
    model: &Model,
    entity: &Entity,
    by_entity: &HashMap<&str, &'m EntityMapping>,
) -> Option<&'m EntityMapping> {
    let mut current = Some(entity);
    while let Some(e) = current {
        if let Some(mapping) = by_entity.get(e.name()) {
            return Some(mapping);
        }
        current = e.parent().map(|p| model.entity_at(p));
    }
    None
}

fn resolve_entity(model: &Model, entity: &Entity, mapping: &EntityMapping) -> Result<Resolved, RestError> {
    let key_of = |name: &str| {
        mapping.keys.iter().rev().find(|(p, _)| p == name).map_or_else(|| name.to_owned(), |(_, k)| k.clone())
    };
    let attributes: Vec<AttributeKey> = entity
        .attributes()
        .iter()
        .map(|a| AttributeKey {
            name: a.name().to_owned(),
            json_key: key_of(a.name()),
            ty: a.attribute_type(),
        })
        .collect();
    let relationships: Vec<RelationshipKey> = entity
        .relationships()
        .iter()
        .map(|r| RelationshipKey {
            name: r.name().to_owned(),
            json_key: key_of(r.name()),
            to_many: r.is_to_many(),
            destination: model.entity_at(r.destination()).name().to_owned(),
            sub_path: mapping
                .relationship_paths
                .iter()
                .rev()
                .find(|(p, _)| p == r.name())
                .map(|(_, s)| s.clone()),
        })
        .collect();
    let mut seen: HashMap<&str, &str> = HashMap::new();
    seen.insert(&mapping.id_key, "the resource identifier");
    let names = attributes.iter().map(|a| (a.json_key.as_str(), a.name.as_str()));
    for (key, name) in names.chain(relationships.iter().map(|r| (r.json_key.as_str(), r.name.as_str()))) {
        if let Some(other) = seen.insert(key, name) {
            return Err(config_error(format!(
                "{}: JSON key {key:?} would hold both {other} and {name}",
                entity.name()
            )));
        }
    }
    Ok(Resolved {
        path: mapping.path.clone(),
        id_key: mapping.id_key.clone(),
        numeric_ids: mapping.numeric_ids,
        update_method: mapping.update_method,
        attributes,
        relationships,
    })
}
