//! Strata's managed object model and attribute values.
//!
//! - [`Model`], [`Entity`], [`Attribute`], [`Relationship`]: the validated schema.
//! - [`Value`]: an attribute's value, with conversions to Rust types, JSON and SQL.

mod attribute_type;
mod error;
mod model;
mod suggest;
mod value;

pub use attribute_type::{AttributeType, UnknownAttributeType};
pub use error::ModelError;
pub use model::{
    Attribute, AttributeValidation, DeleteRule, Entity, EntityIndex, Model, ModelHash, Property, Relationship,
};
pub use suggest::nearest as nearest_name;
pub use value::{Date, Decimal, FromValue, SqlValue, Uuid, Value, ValueError};
