//! Building a [`Model`] in code: [`ModelBuilder`], [`EntityBuilder`], [`AttributeBuilder`],
//! [`RelationshipBuilder`].
//!
//! Builders only collect what the caller declares; they check nothing until
//! [`ModelBuilder::build`], which hands everything to the same validator the model-file
//! loader uses (`validate.rs`). That is what keeps [`Model`]'s guarantee: no model exists
//! that skipped validation. Nothing here may construct a `Model` directly.

use serde_json::Value as Json;

use crate::{AttributeType, DeleteRule, Model, ModelError, Value};

/// A value as declared for a default or a `min`/`max` bound, before it is fitted to the
/// attribute's type: model files give JSON (read with [`Value::from_json`]), code gives a
/// [`Value`] (fitted with [`Value::coerce`]).
#[derive(Debug, Clone)]
pub(crate) enum Literal {
    /// Declared in code.
    Value(Value),
    /// Declared in a model file.
    Json(Json),
}

impl Literal {
    pub(crate) fn is_null(&self) -> bool {
        match self {
            Literal::Value(v) => v.is_null(),
            Literal::Json(j) => j.is_null(),
        }
    }
}

/// Collects the entities of a model; [`build`](ModelBuilder::build) validates them.
///
/// Created by [`Model::builder`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ModelBuilder {
    pub(crate) name: String,
    pub(crate) version: u32,
    pub(crate) entities: Vec<EntityBuilder>,
}

impl Model {
    /// Starts building a model named `name` at `version`, the in-code equivalent of a model
    /// file. [`ModelBuilder::build`] runs exactly the checks [`Model::from_json`] runs.
    ///
    /// Entities are numbered in the order they are added; attributes are optional unless
    /// made [`required`](AttributeBuilder::required).
    ///
    /// ```
    /// use strata_model::{
    ///     AttributeBuilder, AttributeType, DeleteRule, EntityBuilder, Model, RelationshipBuilder,
    /// };
    ///
    /// let model = Model::builder("Clips", 1)
    ///     .entity(
    ///         EntityBuilder::new("Folder")
    ///             .attribute(AttributeBuilder::new("name", AttributeType::String).required())
    ///             .relationship(RelationshipBuilder::to_many("clips", "Clip").inverse("folder")),
    ///     )
    ///     .entity(
    ///         EntityBuilder::new("Clip")
    ///             .attribute(AttributeBuilder::new("title", AttributeType::String).required().max_length(200))
    ///             .attribute(AttributeBuilder::new("score", AttributeType::Double).default_value(0.0))
    ///             .attribute(AttributeBuilder::new("uuid", AttributeType::Uuid).preserve_after_deletion())
    ///             .relationship(
    ///                 RelationshipBuilder::to_one("folder", "Folder")
    ///                     .inverse("clips")
    ///                     .delete_rule(DeleteRule::Nullify),
    ///             )
    ///             .unique(["uuid"]),
    ///     )
    ///     .build()?;
    ///
    /// let clip = model.entity("Clip").unwrap();
    /// assert_eq!(clip.attribute("title").unwrap().is_optional(), false);
    /// assert_eq!(model.entity_at(clip.relationship("folder").unwrap().destination()).name(), "Folder");
    ///
    /// // The same checks as a model file: a dangling inverse is refused, naming the culprit.
    /// let err = Model::builder("Bad", 1)
    ///     .entity(EntityBuilder::new("Clip").relationship(RelationshipBuilder::to_one("folder", "Clip").inverse("nope")))
    ///     .build()
    ///     .unwrap_err();
    /// assert!(err.to_string().starts_with("entity Clip, relationship folder: inverse \"nope\""));
    /// # Ok::<(), strata_model::ModelError>(())
    /// ```
    pub fn builder(name: impl Into<String>, version: u32) -> ModelBuilder {
        ModelBuilder { name: name.into(), version, entities: Vec::new() }
    }
}

impl ModelBuilder {
    /// Adds an entity; its index is the number of entities added before it.
    pub fn entity(mut self, entity: EntityBuilder) -> Self {
        self.entities.push(entity);
        self
    }

    /// Validates everything and returns the model, or the first problem found.
    pub fn build(self) -> Result<Model, ModelError> {
        crate::validate::build(self)
    }
}

/// Declares one entity: its attributes, relationships, parent and constraints.
#[derive(Debug, Clone)]
#[must_use = "an entity builder does nothing until added to a model"]
pub struct EntityBuilder {
    pub(crate) name: String,
    pub(crate) is_abstract: bool,
    pub(crate) parent: Option<String>,
    pub(crate) attributes: Vec<AttributeBuilder>,
    pub(crate) relationships: Vec<RelationshipBuilder>,
    pub(crate) uniqueness_constraints: Vec<Vec<String>>,
    pub(crate) indexes: Vec<Vec<String>>,
}

impl EntityBuilder {
    /// An entity named `name` with no properties.
    pub fn new(name: impl Into<String>) -> Self {
        EntityBuilder {
            name: name.into(),
            is_abstract: false,
            parent: None,
            attributes: Vec::new(),
            relationships: Vec::new(),
            uniqueness_constraints: Vec::new(),
            indexes: Vec::new(),
        }
    }

    /// Adds an attribute (after the inherited ones, in the order added).
    pub fn attribute(mut self, attribute: AttributeBuilder) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// Adds a relationship (after the inherited ones, in the order added).
    pub fn relationship(mut self, relationship: RelationshipBuilder) -> Self {
        self.relationships.push(relationship);
        self
    }

    /// Makes the entity abstract: it has no instances of its own, only of sub-entities.
    pub fn abstract_entity(mut self) -> Self {
        self.is_abstract = true;
        self
    }

    /// Makes the entity a sub-entity of `parent`, inheriting its properties and constraints.
    pub fn parent(mut self, parent: impl Into<String>) -> Self {
        self.parent = Some(parent.into());
        self
    }

    /// Adds a uniqueness constraint: the named attributes (or to-one relationships) together
    /// must be unique among the entity's objects.
    pub fn unique<I>(mut self, properties: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.uniqueness_constraints.push(properties.into_iter().map(Into::into).collect());
        self
    }

    /// Adds a compound index over the named attributes (or to-one relationships).
    pub fn index<I>(mut self, properties: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.indexes.push(properties.into_iter().map(Into::into).collect());
        self
    }
}

/// Declares one attribute: name, type, optionality, default and validation rules.
#[derive(Debug, Clone)]
#[must_use = "an attribute builder does nothing until added to an entity"]
pub struct AttributeBuilder {
    pub(crate) name: String,
    pub(crate) ty: AttributeType,
    pub(crate) optional: bool,
    pub(crate) default: Literal,
    pub(crate) indexed: bool,
    pub(crate) preserve_after_deletion: bool,
    pub(crate) min: Literal,
    pub(crate) max: Literal,
    pub(crate) min_length: Option<u64>,
    pub(crate) max_length: Option<u64>,
    pub(crate) regex: Option<String>,
}

impl AttributeBuilder {
    /// An optional attribute of type `ty`, with no default and no rules.
    pub fn new(name: impl Into<String>, ty: AttributeType) -> Self {
        AttributeBuilder {
            name: name.into(),
            ty,
            optional: true,
            default: Literal::Value(Value::Null),
            indexed: false,
            preserve_after_deletion: false,
            min: Literal::Value(Value::Null),
            max: Literal::Value(Value::Null),
            min_length: None,
            max_length: None,
            regex: None,
        }
    }

    /// Makes the attribute non-optional: a save fails while it is nil.
    pub fn required(mut self) -> Self {
        self.optional = false;
        self
    }

    /// Sets whether the attribute may be nil when saved (`true` unless changed).
    pub fn optional(mut self, optional: bool) -> Self {
        self.optional = optional;
        self
    }

    /// The value new objects start with, fitted to the attribute's type with
    /// [`Value::coerce`] (so `0.0` suits an `int64`, and RFC 3339 text a `date`).
    /// `Value::Null` means no default.
    pub fn default_value(mut self, value: impl Into<Value>) -> Self {
        self.default = Literal::Value(value.into());
        self
    }

    /// Asks stores to keep an index on this attribute.
    pub fn indexed(mut self) -> Self {
        self.indexed = true;
        self
    }

    /// Keeps the attribute's value in history's tombstone when an object is deleted.
    pub fn preserve_after_deletion(mut self) -> Self {
        self.preserve_after_deletion = true;
        self
    }

    /// Smallest allowed value (numbers and dates), fitted to the type like a default.
    pub fn min(mut self, value: impl Into<Value>) -> Self {
        self.min = Literal::Value(value.into());
        self
    }

    /// Largest allowed value (numbers and dates), fitted to the type like a default.
    pub fn max(mut self, value: impl Into<Value>) -> Self {
        self.max = Literal::Value(value.into());
        self
    }

    /// Fewest characters (string, uri) or bytes (binary).
    pub fn min_length(mut self, length: u64) -> Self {
        self.min_length = Some(length);
        self
    }

    /// Most characters (string, uri) or bytes (binary).
    pub fn max_length(mut self, length: u64) -> Self {
        self.max_length = Some(length);
        self
    }

    /// A regular expression (Rust `regex` syntax) the whole string must match.
    pub fn regex(mut self, pattern: impl Into<String>) -> Self {
        self.regex = Some(pattern.into());
        self
    }
}

/// Declares one relationship: destination, cardinality, inverse, delete rule and counts.
#[derive(Debug, Clone)]
#[must_use = "a relationship builder does nothing until added to an entity"]
pub struct RelationshipBuilder {
    pub(crate) name: String,
    pub(crate) destination: String,
    pub(crate) to_many: bool,
    pub(crate) inverse: Option<String>,
    pub(crate) delete_rule: DeleteRule,
    pub(crate) optional: bool,
    pub(crate) min_count: Option<u32>,
    pub(crate) max_count: Option<u32>,
}

impl RelationshipBuilder {
    /// An optional to-one relationship to `destination`, delete rule nullify, no inverse.
    pub fn to_one(name: impl Into<String>, destination: impl Into<String>) -> Self {
        Self::new(name.into(), destination.into(), false)
    }

    /// A to-many relationship to `destination`, delete rule nullify, no inverse.
    pub fn to_many(name: impl Into<String>, destination: impl Into<String>) -> Self {
        Self::new(name.into(), destination.into(), true)
    }

    fn new(name: String, destination: String, to_many: bool) -> Self {
        RelationshipBuilder {
            name,
            destination,
            to_many,
            inverse: None,
            delete_rule: DeleteRule::Nullify,
            optional: true,
            min_count: None,
            max_count: None,
        }
    }

    /// Names the inverse relationship on the destination, which must name this one back.
    pub fn inverse(mut self, inverse: impl Into<String>) -> Self {
        self.inverse = Some(inverse.into());
        self
    }

    /// What deleting the source does to the destinations.
    pub fn delete_rule(mut self, rule: DeleteRule) -> Self {
        self.delete_rule = rule;
        self
    }

    /// Makes the relationship non-optional: a to-one must hold an object when saved.
    pub fn required(mut self) -> Self {
        self.optional = false;
        self
    }

    /// Sets whether the relationship may be empty when saved (`true` unless changed).
    pub fn optional(mut self, optional: bool) -> Self {
        self.optional = optional;
        self
    }

    /// Fewest objects a to-many relationship must hold when saved.
    pub fn min_count(mut self, count: u32) -> Self {
        self.min_count = Some(count);
        self
    }

    /// Most objects a to-many relationship may hold when saved.
    pub fn max_count(mut self, count: u32) -> Self {
        self.max_count = Some(count);
        self
    }
}
