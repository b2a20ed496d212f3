//! Strata's managed object model and attribute values.
//!
//! - [`Model`], [`Entity`], [`Attribute`], [`Relationship`]: the validated schema.
//! - [`Value`]: an attribute's value, with conversions to Rust types, JSON and SQL.

mod attribute_type;
mod builder;
mod error;
mod file;
mod hash;
mod model;
mod suggest;
mod validate;
mod value;
mod whole_match;

pub use attribute_type::{AttributeType, UnknownAttributeType};
pub use builder::{AttributeBuilder, EntityBuilder, ModelBuilder, RelationshipBuilder};
pub use error::{ConstraintKind, ModelError, NameProblem, Place, RangeRules};
pub use model::{
    Attribute, AttributeValidation, DeleteRule, Entity, EntityIndex, Model, ModelHash, Property, Relationship,
};
pub use suggest::nearest as nearest_name;
pub use validate::RuleViolation;
pub use value::{Date, Decimal, FromValue, SqlValue, StorageClass, Uuid, Value, ValueError};
pub use whole_match::{REGEX_SIZE_LIMIT, whole_string_pattern, whole_string_regex};
