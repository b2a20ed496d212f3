//! [`ObjectRef`]: a short-lived handle on one object of a context, for code that reads and
//! writes several properties of the same object. It only forwards to the context's methods.

use strata_model::{FromValue, Value};

use super::Context;
use crate::{ObjectId, Result};

/// One object of a context, borrowed mutably from it ([`Context::object`]).
///
/// ```
/// # use std::sync::Arc;
/// # use strata_core::{Context, Coordinator, memory_store::MemoryStore};
/// # let model = Arc::new(strata_model::Model::from_json(r#"{"name":"M","version":1,"entities":[{"name":"Note","attributes":[{"name":"text","type":"string"},{"name":"stars","type":"int16"}]}]}"#).unwrap());
/// # let coordinator = Coordinator::new(model.clone());
/// # coordinator.add_store("Default", Arc::new(MemoryStore::new(model)))?;
/// let mut context = Context::new(coordinator);
/// let id = context.insert("Note")?;
/// let mut note = context.object(id);
/// note.set("text", "hi")?.set("stars", 3_i64)?;
/// assert_eq!(note.get::<i16>("stars")?, 3);
/// # Ok::<(), strata_core::Error>(())
/// ```
pub struct ObjectRef<'c> {
    context: &'c mut Context,
    id: ObjectId,
}

impl Context {
    /// A handle on object `id` (checked when used).
    pub fn object(&mut self, id: ObjectId) -> ObjectRef<'_> {
        ObjectRef { context: self, id }
    }
}

impl ObjectRef<'_> {
    /// The object's ID.
    pub fn id(&self) -> ObjectId {
        self.id
    }

    /// [`Context::value`].
    pub fn value(&mut self, name: &str) -> Result<Value> {
        self.context.value(self.id, name)
    }

    /// [`Context::get`].
    pub fn get<T: FromValue>(&mut self, name: &str) -> Result<T> {
        self.context.get(self.id, name)
    }

    /// [`Context::set`]; returns the handle for chaining.
    pub fn set(&mut self, name: &str, value: impl Into<Value>) -> Result<&mut Self> {
        self.context.set(self.id, name, value)?;
        Ok(self)
    }

    /// [`Context::to_one`].
    pub fn to_one(&mut self, name: &str) -> Result<Option<ObjectId>> {
        self.context.to_one(self.id, name)
    }

    /// [`Context::set_to_one`]; returns the handle for chaining.
    pub fn set_to_one(&mut self, name: &str, destination: Option<ObjectId>) -> Result<&mut Self> {
        self.context.set_to_one(self.id, name, destination)?;
        Ok(self)
    }

    /// [`Context::to_many`].
    pub fn to_many(&mut self, name: &str) -> Result<Vec<ObjectId>> {
        self.context.to_many(self.id, name)
    }

    /// [`Context::add_to_many`]; returns the handle for chaining.
    pub fn add_to_many(&mut self, name: &str, destination: ObjectId) -> Result<&mut Self> {
        self.context.add_to_many(self.id, name, destination)?;
        Ok(self)
    }

    /// [`Context::remove_to_many`]; returns the handle for chaining.
    pub fn remove_to_many(&mut self, name: &str, destination: ObjectId) -> Result<&mut Self> {
        self.context.remove_to_many(self.id, name, destination)?;
        Ok(self)
    }

    /// [`Context::delete`].
    pub fn delete(self) -> Result<()> {
        self.context.delete(self.id)
    }
}
