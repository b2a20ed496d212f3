//! The one validator every [`Model`] goes through, whether built in code or loaded from a
//! file: it checks names, inheritance, properties, relationships and constraints, then
//! assembles the entities (inherited properties first) and their hashes.
//!
//! Checks run in a fixed order (entity names, parents, cycles, then each entity's own
//! properties and constraints, parents first, then inverses) so the error reported for a
//! given model never varies. This module must never let a model out with a dangling
//! reference: every `EntityIndex`, inverse and constraint name in a `Model` resolves.

mod names;
mod rules;

use std::collections::HashMap;

use crate::builder::{AttributeBuilder, EntityBuilder, ModelBuilder, RelationshipBuilder};
use crate::error::{ConstraintKind, RangeRules};
use crate::{Attribute, Entity, EntityIndex, Model, ModelError, ModelHash, Relationship};

pub use rules::RuleViolation;

/// Most properties, constraint entries and index entries a model may hold, counting
/// inherited ones again in every entity that inherits them. Entities store what they
/// inherit flattened, so a hostile file with a wide or deep hierarchy could otherwise ask
/// for memory quadratic in its size.
const MAX_SIZE: usize = 1_000_000;

/// An entity's share of [`MAX_SIZE`]: its properties plus one per constraint or index and
/// per name in them.
fn size_of(properties: usize, unique: &[Vec<String>], indexes: &[Vec<String>]) -> usize {
    unique.iter().chain(indexes).map(|list| list.len() + 1).fold(properties, usize::saturating_add)
}

/// Validates `spec` and assembles the model.
pub(crate) fn build(spec: ModelBuilder) -> Result<Model, ModelError> {
    let ModelBuilder { name, version, entities: specs } = spec;
    if specs.len() > usize::from(u16::MAX) + 1 {
        return Err(ModelError::TooManyEntities { count: specs.len() });
    }
    let by_name = entity_names(&specs)?;
    let parents = resolve_parents(&specs, &by_name)?;
    let order = parents_first(&specs, &parents)?;

    let mut built: Vec<Option<Entity>> = vec![None; specs.len()];
    let mut size = 0usize;
    for &i in &order {
        let parent = parents[i].and_then(|p| built[p.get()].as_ref());
        let inherited = parent.map_or(0, |p| {
            size_of(p.attributes.len() + p.relationships.len(), &p.uniqueness_constraints, &p.indexes)
        });
        let spec = &specs[i];
        let own = size_of(
            spec.attributes.len() + spec.relationships.len(),
            &spec.uniqueness_constraints,
            &spec.indexes,
        );
        size = size.saturating_add(inherited).saturating_add(own);
        if size > MAX_SIZE {
            return Err(ModelError::TooLarge { entity: spec.name.clone(), limit: MAX_SIZE });
        }
        built[i] = Some(assemble(spec, index(i), parent, &specs, &by_name)?);
    }
    // `order` visits every index once, so every slot is filled; collect without panicking.
    let mut entities: Vec<Entity> = built.into_iter().flatten().collect();
    for (i, parent) in parents.iter().enumerate() {
        if let Some(p) = parent {
            entities[p.get()].children.push(index(i));
        }
    }
    // Name look-ups by hash: a model may hold up to MAX_SIZE properties, too many to scan.
    let relationships_by_name: Vec<HashMap<&str, &Relationship>> =
        entities.iter().map(|e| e.relationships.iter().map(|r| (r.name.as_str(), r)).collect()).collect();
    for entity in &entities {
        check_inverses(entity, &entities, &relationships_by_name)?;
    }
    // Looked up by every insert and fetch by name: the fast hasher (names are the model's own).
    let by_name = by_name.into_iter().collect();
    let mut model = Model { name, version, entities, by_name, hash: ModelHash([0; 32]) };
    crate::hash::fill_hashes(&mut model);
    Ok(model)
}

fn index(i: usize) -> EntityIndex {
    // `build` refuses more entities than a u16 numbers, so this never saturates.
    EntityIndex(u16::try_from(i).unwrap_or(u16::MAX))
}

/// Checks entity names and maps each to its index.
fn entity_names(specs: &[EntityBuilder]) -> Result<HashMap<String, EntityIndex>, ModelError> {
    let mut by_name = HashMap::with_capacity(specs.len());
    let mut folded: HashMap<String, &str> = HashMap::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        if let Some(problem) = names::entity_name_problem(&spec.name) {
            return Err(ModelError::InvalidEntityName { entity: spec.name.clone(), problem });
        }
        if let Some(existing) = folded.insert(spec.name.to_ascii_lowercase(), &spec.name) {
            return Err(ModelError::DuplicateEntity {
                entity: spec.name.clone(),
                existing: existing.to_owned(),
            });
        }
        by_name.insert(spec.name.clone(), index(i));
    }
    Ok(by_name)
}

fn resolve_parents(
    specs: &[EntityBuilder],
    by_name: &HashMap<String, EntityIndex>,
) -> Result<Vec<Option<EntityIndex>>, ModelError> {
    specs
        .iter()
        .map(|spec| {
            let Some(parent) = &spec.parent else { return Ok(None) };
            by_name.get(parent).copied().map(Some).ok_or_else(|| ModelError::UnknownParent {
                entity: spec.name.clone(),
                parent: parent.clone(),
                suggestion: nearest(parent, specs.iter().map(|s| s.name.as_str())),
            })
        })
        .collect()
}

/// Orders entity indexes so that every parent comes before its children (declaration
/// order otherwise), or reports the first inheritance cycle found.
fn parents_first(specs: &[EntityBuilder], parents: &[Option<EntityIndex>]) -> Result<Vec<usize>, ModelError> {
    let mut depth: Vec<Option<usize>> = vec![None; specs.len()];
    // Entities on the current walk (all of which get a depth when it ends).
    let mut on_path = vec![false; specs.len()];
    for start in 0..specs.len() {
        let mut path = Vec::new();
        let mut current = Some(start);
        // Walk up until an entity of known depth or a root; a repeat on the path is a cycle.
        while let Some(e) = current {
            if depth[e].is_some() {
                break;
            }
            if on_path[e] {
                let pos = path.iter().position(|&p| p == e).unwrap_or(0);
                let cycle = path[pos..].iter().map(|&p: &usize| specs[p].name.clone()).collect();
                return Err(ModelError::InheritanceCycle { cycle });
            }
            on_path[e] = true;
            path.push(e);
            current = parents[e].map(EntityIndex::get);
        }
        let base = current.and_then(|e| depth[e]).map_or(0, |d| d + 1);
        for (d, &e) in (base..).zip(path.iter().rev()) {
            depth[e] = Some(d);
        }
    }
    let mut order: Vec<usize> = (0..specs.len()).collect();
    order.sort_by_key(|&i| depth[i]);
    Ok(order)
}

/// Builds one entity from its spec and its (already built) parent.
fn assemble(
    spec: &EntityBuilder,
    me: EntityIndex,
    parent: Option<&Entity>,
    specs: &[EntityBuilder],
    by_name: &HashMap<String, EntityIndex>,
) -> Result<Entity, ModelError> {
    let mut attributes = parent.map(|p| p.attributes.clone()).unwrap_or_default();
    let mut relationships = parent.map(|p| p.relationships.clone()).unwrap_or_default();
    // Lower-cased names already taken, with the entity declaring each (None: this one).
    let mut taken: HashMap<String, (String, Option<EntityIndex>)> = HashMap::new();
    for (name, from) in attributes
        .iter()
        .map(|a| (&a.name, a.declared_in))
        .chain(relationships.iter().map(|r| (&r.name, r.declared_in)))
    {
        taken.insert(name.to_ascii_lowercase(), (name.clone(), Some(from)));
    }
    let mut claim = |property: &str| -> Result<(), ModelError> {
        if let Some(problem) = names::property_name_problem(property) {
            return Err(ModelError::InvalidPropertyName {
                entity: spec.name.clone(),
                property: property.to_owned(),
                problem,
            });
        }
        if let Some((existing, from)) = taken.get(&property.to_ascii_lowercase()) {
            return Err(ModelError::DuplicateProperty {
                entity: spec.name.clone(),
                property: property.to_owned(),
                existing: existing.clone(),
                inherited_from: from.map(|f| specs[f.get()].name.clone()),
            });
        }
        taken.insert(property.to_ascii_lowercase(), (property.to_owned(), None));
        Ok(())
    };
    for a in &spec.attributes {
        claim(&a.name)?;
        attributes.push(attribute(&spec.name, me, a)?);
    }
    for r in &spec.relationships {
        claim(&r.name)?;
        relationships.push(relationship(&spec.name, me, r, specs, by_name)?);
    }
    let mut entity = Entity {
        name: spec.name.clone(),
        index: me,
        is_abstract: spec.is_abstract,
        parent: parent.map(|p| p.index),
        children: Vec::new(),
        attributes,
        relationships,
        uniqueness_constraints: parent.map(|p| p.uniqueness_constraints.clone()).unwrap_or_default(),
        indexes: parent.map(|p| p.indexes.clone()).unwrap_or_default(),
        hash: ModelHash([0; 32]),
    };
    check_constraints(&entity, &spec.uniqueness_constraints, ConstraintKind::Uniqueness)?;
    check_constraints(&entity, &spec.indexes, ConstraintKind::Index)?;
    entity.uniqueness_constraints.extend(spec.uniqueness_constraints.iter().cloned());
    entity.indexes.extend(spec.indexes.iter().cloned());
    Ok(entity)
}

fn attribute(entity: &str, me: EntityIndex, spec: &AttributeBuilder) -> Result<Attribute, ModelError> {
    let (validation, default) = rules::attribute_rules(entity, spec)?;
    Ok(Attribute {
        name: spec.name.clone(),
        ty: spec.ty,
        optional: spec.optional,
        default,
        indexed: spec.indexed,
        preserve_after_deletion: spec.preserve_after_deletion,
        validation,
        declared_in: me,
    })
}

fn relationship(
    entity: &str,
    me: EntityIndex,
    spec: &RelationshipBuilder,
    specs: &[EntityBuilder],
    by_name: &HashMap<String, EntityIndex>,
) -> Result<Relationship, ModelError> {
    let destination =
        by_name.get(&spec.destination).copied().ok_or_else(|| ModelError::UnknownDestination {
            entity: entity.to_owned(),
            relationship: spec.name.clone(),
            destination: spec.destination.clone(),
            suggestion: nearest(&spec.destination, specs.iter().map(|s| s.name.as_str())),
        })?;
    if !spec.to_many {
        for (rule, set) in [("minCount", spec.min_count), ("maxCount", spec.max_count)] {
            if set.is_some() {
                return Err(ModelError::CountOnToOne {
                    entity: entity.to_owned(),
                    relationship: spec.name.clone(),
                    rule,
                });
            }
        }
    }
    if let (Some(min), Some(max)) = (spec.min_count, spec.max_count)
        && min > max
    {
        return Err(ModelError::InvertedRange {
            entity: entity.to_owned(),
            property: spec.name.clone(),
            rules: RangeRules::Count,
            min: min.to_string(),
            max: max.to_string(),
        });
    }
    Ok(Relationship {
        name: spec.name.clone(),
        destination,
        to_many: spec.to_many,
        inverse: spec.inverse.clone(),
        delete_rule: spec.delete_rule,
        optional: spec.optional,
        min_count: spec.min_count,
        max_count: spec.max_count,
        declared_in: me,
    })
}

/// Checks the inverses of the relationships `entity` declares itself (inherited ones were
/// checked on the ancestor that declares them).
fn check_inverses(
    entity: &Entity,
    entities: &[Entity],
    relationships_by_name: &[HashMap<&str, &Relationship>],
) -> Result<(), ModelError> {
    for r in entity.relationships.iter().filter(|r| r.declared_in == entity.index) {
        let Some(inverse) = &r.inverse else { continue };
        let destination = &entities[r.destination.get()];
        let Some(back) = relationships_by_name[r.destination.get()].get(inverse.as_str()) else {
            return Err(ModelError::UnknownInverse {
                entity: entity.name.clone(),
                relationship: r.name.clone(),
                destination: destination.name.clone(),
                inverse: inverse.clone(),
                suggestion: nearest(inverse, destination.relationships.iter().map(|r| r.name.as_str())),
            });
        };
        if back.destination != entity.index {
            return Err(ModelError::InverseWrongDestination {
                entity: entity.name.clone(),
                relationship: r.name.clone(),
                destination: destination.name.clone(),
                inverse: inverse.clone(),
                inverse_destination: entities[back.destination.get()].name.clone(),
            });
        }
        if back.inverse.as_deref() != Some(r.name.as_str()) {
            return Err(ModelError::InverseDoesNotPointBack {
                entity: entity.name.clone(),
                relationship: r.name.clone(),
                destination: destination.name.clone(),
                inverse: inverse.clone(),
                back: back.inverse.clone(),
            });
        }
    }
    Ok(())
}

/// Checks an entity's own uniqueness constraints or indexes against its properties
/// (inherited ones included).
fn check_constraints(entity: &Entity, lists: &[Vec<String>], kind: ConstraintKind) -> Result<(), ModelError> {
    if lists.is_empty() {
        return Ok(());
    }
    // Property name → whether it is a to-many relationship.
    let to_many: HashMap<&str, bool> = entity
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), false))
        .chain(entity.relationships.iter().map(|r| (r.name.as_str(), r.to_many)))
        .collect();
    for list in lists {
        if list.is_empty() {
            return Err(ModelError::EmptyConstraint { entity: entity.name.clone(), kind });
        }
        for property in list {
            match to_many.get(property.as_str()) {
                Some(false) => {}
                Some(true) => {
                    return Err(ModelError::ConstraintToMany {
                        entity: entity.name.clone(),
                        kind,
                        relationship: property.clone(),
                    });
                }
                None => {
                    return Err(ModelError::ConstraintUnknownProperty {
                        entity: entity.name.clone(),
                        kind,
                        property: property.clone(),
                        suggestion: entity.nearest_property(property).map(str::to_owned),
                    });
                }
            }
        }
    }
    Ok(())
}

fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    crate::suggest::nearest(name, candidates).map(str::to_owned)
}
