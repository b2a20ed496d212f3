//! The cache's model and the mapping between it and the user's: every root entity of the
//! user's model gains the private attributes below (inherited by its sub-entities), every
//! attribute becomes optional (a not-yet-loaded object has no values yet), and uniqueness
//! constraints and validation rules are dropped (the server, not the cache, decides what it
//! holds). Entities keep their order, so entity indexes — and object IDs — are the same in
//! both models; properties are mapped by name, because inheritance shifts positions.
//!
//! Nothing here touches the cache file; it only computes layouts.

use std::sync::Arc;

use serde_json::Value as Json;
use strata_core::Snapshot;
use strata_model::{EntityIndex, Model, Value};

use crate::RestError;

/// The cache attribute holding an object's resource identifier (indexed).
pub(crate) const RESOURCE_ID: &str = "_restResourceId";
/// The cache attribute holding an object's last `ETag`.
pub(crate) const ETAG: &str = "_restEtag";
/// The cache attribute holding an object's last `Last-Modified`.
pub(crate) const LAST_MODIFIED: &str = "_restLastModified";
/// The cache attribute saying whether the object's values came from the server (`false` for
/// a placeholder made for a relationship's destination).
pub(crate) const LOADED: &str = "_restLoaded";

const PRIVATE: [(&str, &str); 4] =
    [(RESOURCE_ID, "string"), (ETAG, "string"), (LAST_MODIFIED, "string"), (LOADED, "bool")];

/// Where one user entity's properties are in the cache entity.
#[derive(Debug)]
pub(crate) struct EntityMap {
    /// The cache attribute index of each user attribute, in user order.
    pub(crate) attributes: Vec<usize>,
    /// The cache relationship index of each user relationship, in user order.
    pub(crate) relationships: Vec<usize>,
    pub(crate) resource_id: usize,
    pub(crate) etag: usize,
    pub(crate) last_modified: usize,
    pub(crate) loaded: usize,
}

/// The user's model, the cache's, and how properties correspond.
#[derive(Debug)]
pub(crate) struct ModelMap {
    pub(crate) user: Arc<Model>,
    pub(crate) cache: Arc<Model>,
    entities: Vec<EntityMap>,
}

impl ModelMap {
    /// Builds the cache model for `user`.
    pub(crate) fn new(user: Arc<Model>) -> Result<ModelMap, RestError> {
        let cache = Arc::new(cache_model(&user)?);
        let mut entities = Vec::with_capacity(user.entities().len());
        for (u, c) in user.entities().iter().zip(cache.entities()) {
            if u.name() != c.name() {
                return Err(RestError::Configuration {
                    reason: format!("the cache model reordered entity {}", u.name()),
                });
            }
            let attr = |name: &str| {
                c.attributes().iter().position(|a| a.name() == name).ok_or_else(|| RestError::Configuration {
                    reason: format!("the cache model lost attribute {}.{name}", u.name()),
                })
            };
            let rel = |name: &str| {
                c.relationships().iter().position(|r| r.name() == name).ok_or_else(|| {
                    RestError::Configuration {
                        reason: format!("the cache model lost relationship {}.{name}", u.name()),
                    }
                })
            };
            let attributes = u.attributes().iter().map(|a| attr(a.name())).collect::<Result<Vec<_>, _>>()?;
            let relationships =
                u.relationships().iter().map(|r| rel(r.name())).collect::<Result<Vec<_>, _>>()?;
            entities.push(EntityMap {
                attributes,
                relationships,
                resource_id: attr(RESOURCE_ID)?,
                etag: attr(ETAG)?,
                last_modified: attr(LAST_MODIFIED)?,
                loaded: attr(LOADED)?,
            });
        }
        Ok(ModelMap { user, cache, entities })
    }

    /// The map of one entity; `None` for an index outside the model.
    pub(crate) fn entity(&self, entity: EntityIndex) -> Option<&EntityMap> {
        self.entities.get(entity.get())
    }

    /// A cache snapshot in the user's layout (same ID and version).
    pub(crate) fn to_user(&self, row: &Snapshot) -> Option<Arc<Snapshot>> {
        let map = self.entity(row.id().entity())?;
        let values = map.attributes.iter().map(|&i| row.value(i).cloned().unwrap_or(Value::Null)).collect();
        let to_one = map.relationships.iter().map(|&i| row.to_one().get(i).copied().flatten()).collect();
        Some(Arc::new(Snapshot::new(row.id(), row.version(), values, to_one)))
    }

    /// The resource identifier of a cache row, if it has one.
    pub(crate) fn resource_id<'a>(&self, row: &'a Snapshot) -> Option<&'a str> {
        match row.value(self.entity(row.id().entity())?.resource_id) {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            _ => None,
        }
    }

    /// A text attribute of a cache row (`etag` or `last_modified` index).
    pub(crate) fn text(row: &Snapshot, index: usize) -> Option<&str> {
        match row.value(index) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// Whether a cache row holds the server's values (not a placeholder).
    pub(crate) fn is_loaded(&self, row: &Snapshot) -> bool {
        self.entity(row.id().entity()).is_some_and(|m| matches!(row.value(m.loaded), Some(Value::Bool(true))))
    }
}

/// The user's model with the private attributes, everything optional, no constraints.
fn cache_model(user: &Model) -> Result<Model, RestError> {
    let mut json = user.to_json();
    let bad = |reason: String| RestError::Configuration { reason };
    let entities = json
        .get_mut("entities")
        .and_then(Json::as_array_mut)
        .ok_or_else(|| bad("the model's JSON form has no entity list".into()))?;
    for entity in entities {
        let Some(object) = entity.as_object_mut() else { continue };
        object.remove("uniquenessConstraints");
        let is_root = !object.contains_key("parent");
        let name = object.get("name").and_then(Json::as_str).unwrap_or_default().to_owned();
        if let Some(attributes) = object.get_mut("attributes").and_then(Json::as_array_mut) {
            for attribute in attributes.iter_mut().filter_map(Json::as_object_mut) {
                for rule in ["optional", "min", "max", "minLength", "maxLength", "regex"] {
                    attribute.remove(rule);
                }
            }
            if is_root {
                for (private, ty) in PRIVATE {
                    attributes.push(
                        serde_json::json!({ "name": private, "type": ty, "indexed": private == RESOURCE_ID }),
                    );
                }
            }
        }
        if let Some(relationships) = object.get_mut("relationships").and_then(Json::as_array_mut) {
            for relationship in relationships.iter_mut().filter_map(Json::as_object_mut) {
                for rule in ["optional", "minCount", "maxCount"] {
                    relationship.remove(rule);
                }
            }
        }
        for (private, _) in PRIVATE {
            if user.entity(&name).is_some_and(|e| e.property(private).is_some()) {
                return Err(bad(format!(
                    "entity {name} has a property named {private}, which the REST store keeps for itself"
                )));
            }
        }
    }
    Model::from_json_value(&json).map_err(|e| bad(format!("the cache model does not build: {e}")))
}

#[cfg(test)]
mod tests {
    use strata_core::ObjectId;
    use strata_model::{AttributeBuilder, AttributeType, EntityBuilder, RelationshipBuilder};

    use super::*;

    #[test]
    fn cache_model_adds_private_attributes_and_maps_by_name() {
        let model = Model::builder("M", 1)
            .entity(
                EntityBuilder::new("Shape")
                    .attribute(AttributeBuilder::new("name", AttributeType::String).required())
                    .relationship(RelationshipBuilder::to_one("owner", "Person").inverse("shapes"))
                    .unique(["name"]),
            )
            .entity(
                EntityBuilder::new("Circle")
                    .parent("Shape")
                    .attribute(AttributeBuilder::new("radius", AttributeType::Double)),
            )
            .entity(
                EntityBuilder::new("Person")
                    .relationship(RelationshipBuilder::to_many("shapes", "Shape").inverse("owner")),
            )
            .build()
            .unwrap();
        let map = ModelMap::new(Arc::new(model)).unwrap();
        let circle = map.user.entity("Circle").unwrap().index();
        let cached = map.cache.entity_at(circle);
        assert!(cached.attribute(RESOURCE_ID).unwrap().is_indexed());
        assert!(cached.attribute("name").unwrap().is_optional());
        assert!(cached.uniqueness_constraints().is_empty());
        let m = map.entity(circle).unwrap();
        assert_eq!(cached.attributes()[m.attributes[1]].name(), "radius");
        // A cache row maps back to the user's layout by name.
        let id =
            ObjectId::permanent(strata_core::StoreId::from_uuid(strata_model::Uuid::new_v4()), circle, 3)
                .unwrap();
        let mut values = vec![Value::Null; cached.attributes().len()];
        values[m.attributes[0]] = Value::String("c".into());
        values[m.attributes[1]] = Value::Double(2.0);
        values[m.resource_id] = Value::String("r3".into());
        let row = Snapshot::new(id, 4, values, vec![None]);
        let user = map.to_user(&row).unwrap();
        assert_eq!(user.values(), &[Value::String("c".into()), Value::Double(2.0)]);
        assert_eq!((user.version(), map.resource_id(&row), map.is_loaded(&row)), (4, Some("r3"), false));
    }

    #[test]
    fn a_property_named_like_a_private_one_is_refused() {
        let model = Model::builder("M", 1)
            .entity(EntityBuilder::new("A").attribute(AttributeBuilder::new(ETAG, AttributeType::String)))
            .build()
            .unwrap();
        assert!(matches!(ModelMap::new(Arc::new(model)), Err(RestError::Configuration { .. })));
    }
}
