//! The managed object model: [`Model`], [`Entity`], [`Attribute`], [`Relationship`].
//!
//! A `Model` is immutable once built and always valid: the only ways to get one are
//! [`ModelBuilder::build`](crate::ModelBuilder::build) and
//! [`Model::from_json`](crate::Model::from_json), which run every check. Code that holds a
//! `Model` may therefore rely on every destination, inverse and parent resolving.

use std::fmt;

use crate::{AttributeType, Value};

/// The position of an entity in its model: stable for a given model hash, small, `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityIndex(pub u16);

impl EntityIndex {
    /// The index as a `usize`, for slicing.
    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

/// A validated object model: named entities with their properties.
#[derive(Debug, Clone)]
pub struct Model {
    pub(crate) name: String,
    pub(crate) version: u32,
    pub(crate) entities: Vec<Entity>,
    pub(crate) by_name: rustc_hash::FxHashMap<String, EntityIndex>,
    pub(crate) hash: ModelHash,
}

/// A SHA-256 digest identifying a model's (or one entity's) stored shape.
///
/// Two models with the same hash store rows identically, so a store created with one can be
/// opened with the other. The hash covers entity names, inheritance and abstractness,
/// attribute names and types, relationship names, destinations, cardinality and inverses,
/// and uniqueness constraints; it leaves out what does not change stored data: defaults,
/// optionality, validation rules, indexes, delete rules and `preserveAfterDeletion`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModelHash(pub [u8; 32]);

impl fmt::Display for ModelHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for ModelHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ModelHash({self})")
    }
}

/// One entity: a kind of object, its attributes and relationships (inherited ones
/// included, parent's first), its place in the inheritance tree.
#[derive(Debug, Clone)]
pub struct Entity {
    pub(crate) name: String,
    pub(crate) index: EntityIndex,
    pub(crate) is_abstract: bool,
    pub(crate) parent: Option<EntityIndex>,
    pub(crate) children: Vec<EntityIndex>,
    pub(crate) attributes: Vec<Attribute>,
    pub(crate) relationships: Vec<Relationship>,
    pub(crate) uniqueness_constraints: Vec<Vec<String>>,
    pub(crate) indexes: Vec<Vec<String>>,
    pub(crate) hash: ModelHash,
}

/// An attribute: a named, typed value of an entity.
#[derive(Debug, Clone)]
pub struct Attribute {
    pub(crate) name: String,
    pub(crate) ty: AttributeType,
    pub(crate) optional: bool,
    pub(crate) default: Value,
    pub(crate) indexed: bool,
    pub(crate) preserve_after_deletion: bool,
    pub(crate) validation: AttributeValidation,
    pub(crate) declared_in: EntityIndex,
}

/// Validation rules of an attribute, checked when a context saves.
#[derive(Debug, Clone, Default)]
pub struct AttributeValidation {
    /// Smallest allowed value (numbers and dates), of the attribute's type.
    pub min: Option<Value>,
    /// Largest allowed value (numbers and dates), of the attribute's type.
    pub max: Option<Value>,
    /// Fewest characters (strings, URIs) or bytes (binary).
    pub min_length: Option<u64>,
    /// Most characters (strings, URIs) or bytes (binary).
    pub max_length: Option<u64>,
    /// A regular expression the whole string must match, compiled with whole-string anchors
    /// so that `is_match` is the full test; [`regex_source`](Self::regex_source) gives it as
    /// written. [`check`](Self::check) applies every rule.
    pub regex: Option<regex::Regex>,
}

/// What deleting an object does to the objects its relationship points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DeleteRule {
    /// Remove the deleted object from the destinations' inverse relationship.
    #[default]
    Nullify,
    /// Delete the destinations too.
    Cascade,
    /// Refuse the delete (the save fails) while the relationship is not empty.
    Deny,
    /// Do nothing; the destinations may keep dangling references.
    NoAction,
}

impl DeleteRule {
    /// The name used in model files (`nullify`, `cascade`, `deny`, `noAction`).
    pub fn name(self) -> &'static str {
        match self {
            DeleteRule::Nullify => "nullify",
            DeleteRule::Cascade => "cascade",
            DeleteRule::Deny => "deny",
            DeleteRule::NoAction => "noAction",
        }
    }
}

/// A relationship: a named link from an entity to objects of a destination entity.
#[derive(Debug, Clone)]
pub struct Relationship {
    pub(crate) name: String,
    pub(crate) destination: EntityIndex,
    pub(crate) to_many: bool,
    pub(crate) inverse: Option<String>,
    pub(crate) delete_rule: DeleteRule,
    pub(crate) optional: bool,
    pub(crate) min_count: Option<u32>,
    pub(crate) max_count: Option<u32>,
    pub(crate) declared_in: EntityIndex,
}

/// An attribute or a relationship, as found by name.
#[derive(Debug, Clone, Copy)]
pub enum Property<'a> {
    /// An attribute.
    Attribute(&'a Attribute),
    /// A relationship.
    Relationship(&'a Relationship),
}

impl Model {
    /// The model's name (`"Clips"`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The model's version number, as declared.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Every entity, in index order.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// The entity named `name`.
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.by_name.get(name).map(|&i| &self.entities[i.get()])
    }

    /// The entity at `index`.
    ///
    /// # Panics
    /// If `index` does not come from this model.
    pub fn entity_at(&self, index: EntityIndex) -> &Entity {
        &self.entities[index.get()]
    }

    /// The whole model's hash.
    pub fn hash(&self) -> ModelHash {
        self.hash
    }

    /// The entity whose name is nearest to `name` (for "did you mean" messages).
    pub fn nearest_entity(&self, name: &str) -> Option<&str> {
        crate::suggest::nearest(name, self.entities.iter().map(|e| e.name.as_str()))
    }

    /// Whether `entity` is `ancestor` or one of its sub-entities, at any depth.
    pub fn is_kind_of(&self, entity: EntityIndex, ancestor: EntityIndex) -> bool {
        let mut current = Some(entity);
        while let Some(e) = current {
            if e == ancestor {
                return true;
            }
            current = self.entities[e.get()].parent;
        }
        false
    }

    /// The root of `entity`'s inheritance tree (itself when it has no parent).
    pub fn root_of(&self, entity: EntityIndex) -> EntityIndex {
        let mut e = entity;
        while let Some(p) = self.entities[e.get()].parent {
            e = p;
        }
        e
    }

    /// `entity` and all its sub-entities at any depth, `entity` first.
    pub fn descendants(&self, entity: EntityIndex) -> Vec<EntityIndex> {
        let mut out = vec![entity];
        let mut i = 0;
        while i < out.len() {
            out.extend_from_slice(&self.entities[out[i].get()].children);
            i += 1;
        }
        out
    }

    /// The relationship at the other end of `relationship` of `entity`, if it declares an
    /// inverse.
    pub fn inverse_of(&self, relationship: &Relationship) -> Option<&Relationship> {
        let name = relationship.inverse.as_deref()?;
        self.entity_at(relationship.destination).relationship(name)
    }
}

impl Entity {
    /// The entity's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The entity's index in its model.
    pub fn index(&self) -> EntityIndex {
        self.index
    }

    /// Whether the entity is abstract (no instances of its own, only of sub-entities).
    pub fn is_abstract(&self) -> bool {
        self.is_abstract
    }

    /// The parent entity, if any.
    pub fn parent(&self) -> Option<EntityIndex> {
        self.parent
    }

    /// Direct sub-entities.
    pub fn children(&self) -> &[EntityIndex] {
        &self.children
    }

    /// All attributes, inherited ones first.
    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }

    /// All relationships, inherited ones first.
    pub fn relationships(&self) -> &[Relationship] {
        &self.relationships
    }

    /// The attribute named `name` (inherited ones included).
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The relationship named `name` (inherited ones included).
    pub fn relationship(&self, name: &str) -> Option<&Relationship> {
        self.relationships.iter().find(|r| r.name == name)
    }

    /// The attribute or relationship named `name`.
    pub fn property(&self, name: &str) -> Option<Property<'_>> {
        self.attribute(name)
            .map(Property::Attribute)
            .or_else(|| self.relationship(name).map(Property::Relationship))
    }

    /// The property name nearest to `name`, for "did you mean" messages.
    pub fn nearest_property(&self, name: &str) -> Option<&str> {
        let names = self
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .chain(self.relationships.iter().map(|r| r.name.as_str()));
        crate::suggest::nearest(name, names)
    }

    /// Uniqueness constraints: each a list of attribute (or to-one relationship) names
    /// whose values together must be unique among the entity's objects.
    pub fn uniqueness_constraints(&self) -> &[Vec<String>] {
        &self.uniqueness_constraints
    }

    /// Compound indexes declared on the entity (single-attribute indexes are
    /// [`Attribute::is_indexed`]).
    pub fn indexes(&self) -> &[Vec<String>] {
        &self.indexes
    }

    /// This entity's hash (see [`ModelHash`]).
    pub fn hash(&self) -> ModelHash {
        self.hash
    }
}

impl Attribute {
    /// The attribute's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The attribute's type.
    pub fn attribute_type(&self) -> AttributeType {
        self.ty
    }

    /// Whether the attribute may be nil when saved.
    pub fn is_optional(&self) -> bool {
        self.optional
    }

    /// The value a new object starts with (`Null` when none is declared).
    pub fn default_value(&self) -> &Value {
        &self.default
    }

    /// Whether stores keep an index on this attribute.
    pub fn is_indexed(&self) -> bool {
        self.indexed
    }

    /// Whether history keeps this attribute's value in the tombstone of a deleted object.
    pub fn preserves_after_deletion(&self) -> bool {
        self.preserve_after_deletion
    }

    /// The validation rules.
    pub fn validation(&self) -> &AttributeValidation {
        &self.validation
    }

    /// The entity that declares this attribute (an ancestor, for inherited ones).
    pub fn declared_in(&self) -> EntityIndex {
        self.declared_in
    }
}

impl Relationship {
    /// The relationship's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The destination entity.
    pub fn destination(&self) -> EntityIndex {
        self.destination
    }

    /// Whether the relationship holds many objects.
    pub fn is_to_many(&self) -> bool {
        self.to_many
    }

    /// The name of the inverse relationship on the destination, if declared.
    pub fn inverse_name(&self) -> Option<&str> {
        self.inverse.as_deref()
    }

    /// What deleting the source does to the destinations.
    pub fn delete_rule(&self) -> DeleteRule {
        self.delete_rule
    }

    /// Whether a to-one relationship may be empty when saved.
    pub fn is_optional(&self) -> bool {
        self.optional
    }

    /// Fewest objects a to-many relationship must hold when saved.
    pub fn min_count(&self) -> Option<u32> {
        self.min_count
    }

    /// Most objects a to-many relationship may hold when saved.
    pub fn max_count(&self) -> Option<u32> {
        self.max_count
    }

    /// The entity that declares this relationship (an ancestor, for inherited ones).
    pub fn declared_in(&self) -> EntityIndex {
        self.declared_in
    }
}

impl Property<'_> {
    /// The property's name.
    pub fn name(&self) -> &str {
        match self {
            Property::Attribute(a) => a.name(),
            Property::Relationship(r) => r.name(),
        }
    }
}
