//! Reading and writing attributes by name, inserting objects, and reading relationships.
//!
//! Names are checked against the object's entity (unknown names are errors with the
//! nearest valid name); values are fitted to the attribute's type with `Value::coerce`, and
//! a value that does not fit is an error, never silently converted to something else.

use strata_model::{FromValue, Value};

use super::Context;
use super::error::ContextError;
use super::lookup::Kind;
use crate::{ObjectId, Result};

impl Context {
    /// Inserts a new object of entity `entity`; its attributes start at their defaults. The
    /// object has a temporary ID until it is saved (then [`Context::permanent_id`] maps it,
    /// and every method of this context still accepts the temporary ID).
    pub fn insert(&mut self, entity: &str) -> Result<ObjectId> {
        let entity = self.entity_named(entity)?;
        if entity.is_abstract() {
            return Err(ContextError::AbstractEntity { entity: entity.name().to_owned() }.into());
        }
        let index = entity.index();
        self.coordinator.route(index)?;
        let id = ObjectId::new_temporary(index);
        self.undo_boundary();
        self.record_inserted(id);
        Ok(id)
    }

    /// The value of attribute `name` of `id`, with pending changes. Fires the object's fault
    /// if needed (from the row cache when it holds the row, else with one store call).
    pub fn value(&mut self, id: ObjectId, name: &str) -> Result<Value> {
        if let Some(value) = self.loaded_value(id, name) {
            return Ok(value.clone());
        }
        let id = self.register(id)?;
        let index = self.property_index(id, name, Kind::Attribute)?;
        self.ensure_loaded(&[id])?;
        Ok(self.attribute_value(id, index))
    }

    /// The value of attribute `name` of `id` as a Rust type (`Option<T>` reads `nil` as
    /// `None`; a value of another type is an error).
    pub fn get<T: FromValue>(&mut self, id: ObjectId, name: &str) -> Result<T> {
        // Borrowed: a `String` is copied once, into the result, not twice.
        let read = T::from_value(self.value_ref(id, name)?);
        read.map_err(|source| {
            let entity = self.entity_of(id).map(|e| e.name().to_owned()).unwrap_or_default();
            ContextError::InvalidValue { entity, attribute: name.to_owned(), source }.into()
        })
    }

    /// Sets attribute `name` of `id`. The value is fitted to the attribute's type
    /// (`Value::coerce`: an `i64` into an `int16` attribute if it fits, RFC 3339 text into a
    /// date…); a value that does not fit is an error and changes nothing.
    pub fn set(&mut self, id: ObjectId, name: &str, value: impl Into<Value>) -> Result<()> {
        self.undo_boundary();
        // A loaded or inserted live object (the common case) is set with one look-up.
        let value = match self.set_live(id, name, value.into()) {
            Ok(done) => return done,
            Err(value) => value,
        };
        let id = self.register_live(id)?;
        let index = self.property_index(id, name, Kind::Attribute)?;
        let entity = self.entity_of(id)?;
        let attribute = &entity.attributes()[index];
        let value =
            value.coerce(attribute.attribute_type()).map_err(|source| ContextError::InvalidValue {
                entity: entity.name().to_owned(),
                attribute: name.to_owned(),
                source,
            })?;
        self.ensure_loaded(&[id])?;
        self.record_attribute(id, index, value);
        Ok(())
    }

    /// The destination of to-one relationship `name` of `id`, with pending changes.
    pub fn to_one(&mut self, id: ObjectId, name: &str) -> Result<Option<ObjectId>> {
        let id = self.register(id)?;
        let index = self.property_index(id, name, Kind::ToOne)?;
        self.ensure_loaded(&[id])?;
        Ok(self.current_to_one(id, index))
    }

    /// The destinations of to-many relationship `name` of `id`, with pending changes: the
    /// stored ones (loaded with one store call on first access, then kept) minus those
    /// removed, then those added, in the order added.
    pub fn to_many(&mut self, id: ObjectId, name: &str) -> Result<Vec<ObjectId>> {
        let id = self.register(id)?;
        let index = self.property_index(id, name, Kind::ToMany)?;
        self.load_to_many(&[id], index)?;
        Ok(self.current_to_many(id, index).unwrap_or_default())
    }
}
