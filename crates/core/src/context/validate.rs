//! Validation before a save: every rule of the model, every object, every violation at once.
//!
//! Inserted and updated objects are checked whole: required attributes and to-one
//! relationships, value types, each attribute's rules (min, max, lengths, regex — the
//! model's own `AttributeValidation::check`), to-many counts, references to deleted
//! objects, and uniqueness constraints among the context's pending objects (the store checks
//! them against stored rows). Deleted objects are checked against deny rules. Callers load
//! what the checks read first; this module reads the context and changes nothing.

use std::collections::HashMap;

use strata_model::{Attribute, AttributeValidation, DeleteRule, Property, Value};

use super::Context;
use super::error::{Problem, Violation};
use super::state::ObjectState;
use crate::ObjectId;

impl Context {
    /// The to-many relationship names whose lists validation reads, for the pending objects
    /// (`minCount` / `maxCount` rules) and for the deleted ones (deny rules).
    pub(super) fn validation_lists(&self, pending: &[ObjectId], deleted: &[ObjectId]) -> Vec<(bool, String)> {
        let mut names: Vec<(bool, String)> = Vec::new();
        let mut add = |deleted: bool, name: &str| {
            if !names.iter().any(|(d, n)| *d == deleted && n == name) {
                names.push((deleted, name.to_owned()));
            }
        };
        for id in pending {
            let Ok(entity) = self.entity_of(*id) else { continue };
            for r in entity.relationships().iter().filter(|r| r.is_to_many()) {
                if r.min_count().is_some() || r.max_count().is_some() {
                    add(false, r.name());
                }
            }
        }
        for id in deleted {
            let Ok(entity) = self.entity_of(*id) else { continue };
            for r in entity.relationships().iter().filter(|r| r.is_to_many()) {
                if r.delete_rule() == DeleteRule::Deny {
                    add(true, r.name());
                }
            }
        }
        names
    }

    /// Every violation among the objects about to be saved.
    pub(super) fn violations(
        &self,
        inserted: &[ObjectId],
        updated: &[ObjectId],
        deleted: &[ObjectId],
    ) -> Vec<Violation> {
        let mut out = Vec::new();
        for &id in inserted.iter().chain(updated) {
            self.check_object(id, &mut out);
        }
        self.check_uniqueness(inserted.iter().chain(updated).copied(), &mut out);
        for &id in deleted {
            self.check_deny(id, &mut out);
        }
        out
    }

    fn is_gone(&self, id: ObjectId) -> bool {
        match self.objects.get(&id) {
            Some(state) => state.deleted,
            // A child may meet its parent's inserts before registering them.
            None => id.is_temporary() && self.parent.is_none(),
        }
    }

    fn check_object(&self, id: ObjectId, out: &mut Vec<Violation>) {
        let Ok(entity) = self.entity_of(id) else { return };
        let violation = |property: &str, problem| Violation {
            object: id,
            entity: entity.name().to_owned(),
            property: property.to_owned(),
            problem,
        };
        let state = self.objects.get(&id);
        for (i, attribute) in entity.attributes().iter().enumerate() {
            // Borrowed, not cloned: validation reads every value of every saved object.
            let value = state.map_or(&NULL, |s| current_value(s, attribute, i));
            let problem = if value.is_null() {
                (!attribute.is_optional()).then_some(Problem::Required)
            } else if value.attribute_type() != Some(attribute.attribute_type()) {
                Some(Problem::WrongType { expected: attribute.attribute_type(), found: value.type_name() })
            } else if has_rules(attribute.validation()) {
                attribute.validation().check(value).err().map(Problem::Rule)
            } else {
                None
            };
            if let Some(problem) = problem {
                out.push(violation(attribute.name(), problem));
            }
        }
        for (i, relationship) in entity.relationships().iter().enumerate() {
            if !relationship.is_to_many() {
                match self.current_to_one(id, i) {
                    None if !relationship.is_optional() => {
                        out.push(violation(relationship.name(), Problem::Required))
                    }
                    Some(d) if self.is_gone(d) => {
                        out.push(violation(
                            relationship.name(),
                            Problem::DeletedDestination { destination: d },
                        ));
                    }
                    _ => {}
                }
                continue;
            }
            if let Some(state) = self.objects.get(&id).and_then(|s| s.to_many.get(&i)) {
                for d in state.added.iter().filter(|d| self.is_gone(*d)) {
                    out.push(violation(relationship.name(), Problem::DeletedDestination { destination: d }));
                }
            }
            let Some(list) = self.current_to_many(id, i) else { continue };
            let count = list.iter().filter(|d| !self.is_gone(**d)).count();
            if let Some(min) = relationship.min_count().filter(|&m| count < m as usize) {
                out.push(violation(relationship.name(), Problem::TooFew { min, count }));
            }
            if let Some(max) = relationship.max_count().filter(|&m| count > m as usize) {
                out.push(violation(relationship.name(), Problem::TooMany { max, count }));
            }
        }
    }

    fn check_uniqueness(&self, ids: impl Iterator<Item = ObjectId>, out: &mut Vec<Violation>) {
        let mut seen: HashMap<(u16, Vec<String>, Vec<String>), ObjectId> = HashMap::new();
        for id in ids {
            let Ok(entity) = self.entity_of(id) else { continue };
            let root = self.model.root_of(entity.index());
            for constraint in entity.uniqueness_constraints() {
                let mut key = Vec::with_capacity(constraint.len());
                for name in constraint {
                    let value = match entity.property(name) {
                        Some(Property::Attribute(_)) => {
                            let i = entity.attributes().iter().position(|a| a.name() == name).unwrap_or(0);
                            self.attribute_value(id, i)
                        }
                        Some(Property::Relationship(_)) => {
                            let i = entity.relationships().iter().position(|r| r.name() == name).unwrap_or(0);
                            self.current_to_one(id, i)
                                .map_or(Value::Null, |d| Value::String(format!("{d:?}")))
                        }
                        None => Value::Null,
                    };
                    if value.is_null() {
                        break;
                    }
                    key.push(canonical(&value));
                }
                if key.len() < constraint.len() {
                    continue;
                }
                match seen.entry((root.0, constraint.clone(), key)) {
                    std::collections::hash_map::Entry::Occupied(first) => out.push(Violation {
                        object: id,
                        entity: entity.name().to_owned(),
                        property: constraint.first().cloned().unwrap_or_default(),
                        problem: Problem::NotUnique { properties: constraint.clone(), other: *first.get() },
                    }),
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(id);
                    }
                }
            }
        }
    }

    fn check_deny(&self, id: ObjectId, out: &mut Vec<Violation>) {
        let Ok(entity) = self.entity_of(id) else { return };
        for (i, relationship) in entity.relationships().iter().enumerate() {
            if relationship.delete_rule() != DeleteRule::Deny {
                continue;
            }
            let count = self.destinations(id, i).into_iter().filter(|d| !self.is_gone(*d)).count();
            if count > 0 {
                out.push(Violation {
                    object: id,
                    entity: entity.name().to_owned(),
                    property: relationship.name().to_owned(),
                    problem: Problem::DeleteDenied { count },
                });
            }
        }
    }
}

/// The value `Value::Null` borrowed, for attributes with no value.
static NULL: Value = Value::Null;

/// The current value of attribute `index` (`attribute`) of an object: its pending value,
/// else its default if it is inserted, else its snapshot's. The borrowing twin of
/// `Context::attribute_value`.
fn current_value<'a>(state: &'a ObjectState, attribute: &'a Attribute, index: usize) -> &'a Value {
    if let Some(value) = state.attributes.get(&index) {
        return value;
    }
    if state.inserted {
        return attribute.default_value();
    }
    state.snapshot.as_ref().and_then(|s| s.value(index)).unwrap_or(&NULL)
}

/// Whether an attribute has any rule to check (most have none; checking a string's rules
/// counts its characters).
fn has_rules(rules: &AttributeValidation) -> bool {
    rules.min.is_some()
        || rules.max.is_some()
        || rules.min_length.is_some()
        || rules.max_length.is_some()
        || rules.regex.is_some()
}

/// A text key under which equal values of one attribute collide (values of one attribute
/// share its type, so only that type's representations need reconciling).
fn canonical(value: &Value) -> String {
    match value {
        // -0.0 == 0.0; adding 0.0 turns the former into the latter.
        Value::Double(_) | Value::Float(_) => format!("{:?}", value.as_f64().unwrap_or(0.0) + 0.0),
        Value::Decimal(d) => d.normalize().to_string(),
        _ => format!("{value:?}"),
    }
}
