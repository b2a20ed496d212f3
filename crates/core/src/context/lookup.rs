//! Name and ID look-ups: entities and properties by name (unknown names are errors with the
//! nearest valid name), temporary IDs saved since, registration of IDs the context has not
//! seen. Nothing here changes an object.

use strata_model::{Entity, EntityIndex, Property, Relationship};

use super::Context;
use super::error::ContextError;
use super::state::ObjectState;
use crate::{ObjectId, Result};

/// The kinds of property a method can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Attribute,
    ToOne,
    ToMany,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::Attribute => "an attribute",
            Kind::ToOne => "a to-one relationship",
            Kind::ToMany => "a to-many relationship",
        }
    }
}

impl Context {
    /// The ID to use for `id`: its permanent ID if it is a temporary ID saved since.
    pub(crate) fn resolve(&self, id: ObjectId) -> ObjectId {
        if id.is_temporary() { self.permanent.get(&id).copied().unwrap_or(id) } else { id }
    }

    /// The entity named `name`.
    pub(crate) fn entity_named(&self, name: &str) -> Result<&Entity, ContextError> {
        self.model.entity(name).ok_or_else(|| ContextError::UnknownEntity {
            entity: name.to_owned(),
            suggestion: self.model.nearest_entity(name).map(str::to_owned),
        })
    }

    /// The entity of `id`.
    pub(crate) fn entity_of(&self, id: ObjectId) -> Result<&Entity, ContextError> {
        self.model.entities().get(id.entity().get()).ok_or(ContextError::UnknownObject { id })
    }

    /// The index of property `name` of `id`'s entity, which must be of `kind`.
    pub(crate) fn property_index(&self, id: ObjectId, name: &str, kind: Kind) -> Result<usize, ContextError> {
        let entity = self.entity_of(id)?;
        let wrong = |actual: Kind| ContextError::WrongPropertyKind {
            entity: entity.name().to_owned(),
            property: name.to_owned(),
            expected: kind.describe(),
            actual: actual.describe(),
        };
        match entity.property(name) {
            None => Err(ContextError::UnknownProperty {
                entity: entity.name().to_owned(),
                property: name.to_owned(),
                suggestion: entity.nearest_property(name).map(str::to_owned),
            }),
            Some(Property::Attribute(_)) if kind != Kind::Attribute => Err(wrong(Kind::Attribute)),
            Some(Property::Attribute(_)) => Ok(attribute_named(entity, name).unwrap_or_default()),
            Some(Property::Relationship(r)) => {
                let actual = if r.is_to_many() { Kind::ToMany } else { Kind::ToOne };
                if actual != kind {
                    return Err(wrong(actual));
                }
                Ok(entity.relationships().iter().position(|x| x.name() == name).unwrap_or_default())
            }
        }
    }

    /// Relationship `index` of `id`'s entity (callers got `index` from that entity).
    pub(crate) fn relationship_at(&self, id: ObjectId, index: usize) -> Option<&Relationship> {
        self.model.entities().get(id.entity().get())?.relationships().get(index)
    }

    /// The index, in `destination`'s entity, of the inverse of `id`'s relationship `index`.
    pub(crate) fn inverse_index(&self, id: ObjectId, index: usize, destination: ObjectId) -> Option<usize> {
        let name = self.relationship_at(id, index)?.inverse_name()?;
        relationship_named(self.model.entities().get(destination.entity().get())?, name)
    }

    /// Whether the inverse of `id`'s relationship `index` is to-many (`None`: no inverse).
    pub(crate) fn inverse_is_to_many(&self, id: ObjectId, index: usize) -> Option<bool> {
        let relationship = self.relationship_at(id, index)?;
        self.model.inverse_of(relationship).map(Relationship::is_to_many)
    }

    /// Registers `id` if the context has not seen it: a permanent ID of one of the
    /// coordinator's stores becomes a fault; an unknown temporary ID is an error.
    pub(crate) fn register(&mut self, id: ObjectId) -> Result<ObjectId> {
        let id = self.resolve(id);
        if self.objects.contains_key(&id) {
            return Ok(id);
        }
        if id.is_temporary() {
            return self.register_from_parent(id);
        }
        self.entity_of(id)?;
        self.coordinator.store_of(id)?;
        self.objects.insert(id, ObjectState::default());
        Ok(id)
    }

    /// Registers `id` and refuses it if it is deleted in this context.
    pub(crate) fn register_live(&mut self, id: ObjectId) -> Result<ObjectId> {
        let id = self.register(id)?;
        if self.objects.get(&id).is_some_and(|s| s.deleted) {
            return Err(ContextError::ObjectDeleted { id }.into());
        }
        Ok(id)
    }

    /// Checks that `destination` may be a destination of `id`'s relationship `index`.
    pub(crate) fn check_destination(&self, id: ObjectId, index: usize, destination: ObjectId) -> Result<()> {
        let entity = self.entity_of(id)?;
        let Some(relationship) = entity.relationships().get(index) else {
            return Err(ContextError::UnknownObject { id }.into());
        };
        if !self.model.is_kind_of(destination.entity(), relationship.destination()) {
            return Err(ContextError::WrongDestination {
                entity: entity.name().to_owned(),
                relationship: relationship.name().to_owned(),
                expected: self.model.entity_at(relationship.destination()).name().to_owned(),
                found: self.entity_of(destination)?.name().to_owned(),
            }
            .into());
        }
        Ok(())
    }

    /// Whether `entity` is `of` (or, with `subentities`, one of its sub-entities).
    pub(crate) fn entity_matches(&self, entity: EntityIndex, of: EntityIndex, subentities: bool) -> bool {
        if subentities { self.model.is_kind_of(entity, of) } else { entity == of }
    }
}

/// The index of relationship `name` of `entity`.
pub(crate) fn relationship_named(entity: &Entity, name: &str) -> Option<usize> {
    entity.relationships().iter().position(|r| r.name() == name)
}

/// The index of attribute `name` of `entity`.
pub(crate) fn attribute_named(entity: &Entity, name: &str) -> Option<usize> {
    entity.attributes().iter().position(|a| a.name() == name)
}
