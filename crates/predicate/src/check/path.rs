//! Resolving key paths: `SELF`, `$variable` and `SUBQUERY(…)` bases, keys through to-one
//! and to-many relationships, and collection operators with their result types.

use strata_model::{AttributeType, EntityIndex, Property};

use super::{CheckError, CheckErrorKind, Checker};
use crate::ast::{KeyPath, PathBase, PathComponent, Span, Subquery};

/// What a key path reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// A value of this type (an attribute, or a collection operator's result).
    Value(AttributeType),
    /// Objects of this entity.
    Object(EntityIndex),
}

/// A resolved key path.
#[derive(Debug, Clone)]
pub(super) struct PathInfo {
    /// What one element is.
    pub shape: Shape,
    /// Whether the path passes a to-many key (and no collection operator after it): a
    /// collection of `shape`.
    pub many: bool,
    /// Whether the last key is a to-many relationship: a collection of objects, as a
    /// `SUBQUERY` needs.
    pub ends_at_to_many: bool,
    /// The path as written, for messages.
    pub text: String,
}

impl PathInfo {
    /// `title (string)`, `folder (relationship)`, `tags.name (string)`.
    pub fn describe(&self) -> String {
        match self.shape {
            Shape::Value(ty) => format!("{} ({ty})", self.text),
            Shape::Object(_) => format!("{} (relationship)", self.text),
        }
    }
}

impl Checker<'_> {
    /// Resolves `path`, returning what it reaches and the path with any subquery predicate
    /// checked.
    pub(super) fn path(&mut self, path: &KeyPath) -> Result<(PathInfo, KeyPath), CheckError> {
        let text = path_text(path);
        let fail = |kind| Err(CheckError::new(kind, path.span));
        let mut walk =
            Walk { entity: self.root, to_many_keys: 0, last_to_many: false, to_one_after_many: false };
        let base = match &path.base {
            PathBase::SelfObject => PathBase::SelfObject,
            PathBase::Variable(name) => match self.scopes.iter().rev().find(|(n, _)| n == name) {
                Some(&(_, entity)) => {
                    walk.entity = entity;
                    PathBase::Variable(name.clone())
                }
                None => return fail(CheckErrorKind::UnboundVariable { name: name.clone() }),
            },
            PathBase::Subquery(subquery) => {
                let (entity, checked) = self.subquery(subquery)?;
                if !matches!(path.components.first(), Some(c) if !matches!(c, PathComponent::Key(_))) {
                    return fail(CheckErrorKind::SubqueryNeedsCollectionOperator);
                }
                walk = Walk { entity, to_many_keys: 1, last_to_many: true, to_one_after_many: false };
                PathBase::Subquery(Box::new(checked))
            }
        };
        let checked = KeyPath { base, components: path.components.clone(), span: path.span };
        let mut shape = Shape::Object(walk.entity);
        let mut last_key = String::new();
        for (i, component) in path.components.iter().enumerate() {
            if !matches!(component, PathComponent::Key(_)) && !walk.last_to_many {
                return fail(CheckErrorKind::CollectionOperatorPlacement {
                    operator: operator_name(component),
                });
            }
            let entity = match shape {
                Shape::Object(entity) => entity,
                Shape::Value(_) => {
                    let key = component_name(component).to_owned();
                    return fail(CheckErrorKind::KeyAfterAttribute { attribute: last_key, key });
                }
            };
            let PathComponent::Key(key) = component else {
                let ty = self.aggregate(component, entity, &path.components[i + 1..], path.span)?;
                let info = PathInfo { shape: Shape::Value(ty), many: false, ends_at_to_many: false, text };
                return Ok((info, checked));
            };
            shape = match self.property(entity, key, path.span)? {
                Property::Attribute(a) => {
                    walk.last_to_many = false;
                    Shape::Value(a.attribute_type())
                }
                Property::Relationship(r) if r.is_to_many() => {
                    if walk.to_one_after_many {
                        return fail(CheckErrorKind::ToManyThroughToOne { path: text });
                    }
                    walk.to_many_keys += 1;
                    walk.last_to_many = true;
                    Shape::Object(r.destination())
                }
                Property::Relationship(r) => {
                    walk.to_one_after_many |= walk.to_many_keys > 0;
                    walk.last_to_many = false;
                    Shape::Object(r.destination())
                }
            };
            last_key.clone_from(key);
        }
        let info = PathInfo { shape, many: walk.to_many_keys > 0, ends_at_to_many: walk.last_to_many, text };
        Ok((info, checked))
    }

    /// Checks a subquery: its collection must end at a to-many relationship; its predicate
    /// is checked with the variable bound to the collection's entity.
    fn subquery(&mut self, subquery: &Subquery) -> Result<(EntityIndex, Subquery), CheckError> {
        let (info, collection) = self.path(&subquery.collection)?;
        let entity = match info.shape {
            Shape::Object(entity) if info.ends_at_to_many && !collection.components.is_empty() => entity,
            _ => {
                let kind = CheckErrorKind::NotAToManyPath { needed_by: "SUBQUERY", found: info.describe() };
                return Err(CheckError::new(kind, subquery.collection.span));
            }
        };
        self.scopes.push((subquery.variable.clone(), entity));
        let predicate = self.predicate(&subquery.predicate);
        self.scopes.pop();
        Ok((entity, Subquery { collection, variable: subquery.variable.clone(), predicate: predicate? }))
    }

    fn property(&self, entity: EntityIndex, key: &str, span: Span) -> Result<Property<'_>, CheckError> {
        let entity = self.model.entity_at(entity);
        entity.property(key).ok_or_else(|| {
            let kind = CheckErrorKind::UnknownKey {
                entity: entity.name().to_owned(),
                key: key.to_owned(),
                suggestion: entity.nearest_property(key).map(str::to_owned),
            };
            CheckError::new(kind, span)
        })
    }

    /// The result type of a collection operator over objects of `entity`, with `rest` the
    /// keys after it.
    fn aggregate(
        &self,
        operator: &PathComponent,
        entity: EntityIndex,
        rest: &[PathComponent],
        span: Span,
    ) -> Result<AttributeType, CheckError> {
        let name = operator_name(operator);
        let fail = |kind| Err(CheckError::new(kind, span));
        if matches!(operator, PathComponent::Count) {
            return match rest.first() {
                None => Ok(AttributeType::Int64),
                Some(next) => fail(CheckErrorKind::KeyAfterAttribute {
                    attribute: "@count".to_owned(),
                    key: component_name(next).to_owned(),
                }),
            };
        }
        if rest.is_empty() {
            return fail(CheckErrorKind::MissingAggregateKey { operator: name });
        }
        let mut entity = entity;
        let mut reached = None;
        for (i, component) in rest.iter().enumerate() {
            let PathComponent::Key(key) = component else {
                return fail(CheckErrorKind::CollectionOperatorPlacement {
                    operator: operator_name(component),
                });
            };
            match self.property(entity, key, span)? {
                Property::Attribute(a) => match rest.get(i + 1) {
                    None => reached = Some((a.name().to_owned(), a.attribute_type())),
                    Some(next) => {
                        return fail(CheckErrorKind::KeyAfterAttribute {
                            attribute: key.clone(),
                            key: component_name(next).to_owned(),
                        });
                    }
                },
                Property::Relationship(r) if r.is_to_many() => {
                    return fail(CheckErrorKind::AggregateThroughToMany { operator: name, key: key.clone() });
                }
                Property::Relationship(r) => entity = r.destination(),
            }
        }
        let Some((attribute, ty)) = reached else {
            let found = format!("{} (relationship)", component_name(&rest[rest.len() - 1]));
            return fail(CheckErrorKind::AggregateType { operator: name, found });
        };
        let result = match operator {
            PathComponent::Sum | PathComponent::Avg if !ty.is_numeric() => None,
            PathComponent::Sum if ty == AttributeType::Decimal => Some(AttributeType::Decimal),
            PathComponent::Sum if ty.is_integer() || ty == AttributeType::Bool => Some(AttributeType::Int64),
            PathComponent::Sum => Some(AttributeType::Double),
            PathComponent::Avg if ty == AttributeType::Decimal => Some(AttributeType::Decimal),
            PathComponent::Avg => Some(AttributeType::Double),
            _ if matches!(ty, AttributeType::Json | AttributeType::Binary) => None,
            _ => Some(ty),
        };
        result.map_or_else(
            || fail(CheckErrorKind::AggregateType { operator: name, found: format!("{attribute} ({ty})") }),
            Ok,
        )
    }
}

struct Walk {
    entity: EntityIndex,
    to_many_keys: usize,
    last_to_many: bool,
    to_one_after_many: bool,
}

/// A component as written (`title`, `@count`).
pub(super) fn component_name(component: &PathComponent) -> &str {
    match component {
        PathComponent::Key(key) => key,
        operator => operator_name(operator),
    }
}

/// A collection operator's name (`@count`).
pub(super) fn operator_name(component: &PathComponent) -> &'static str {
    match component {
        PathComponent::Count => "@count",
        PathComponent::Sum => "@sum",
        PathComponent::Avg => "@avg",
        PathComponent::Min => "@min",
        PathComponent::Max => "@max",
        PathComponent::Key(_) => "a key",
    }
}

/// The path as written, for messages (`folder.name`, `$t.name`, `SUBQUERY(tags, $t, …).@count`).
pub(super) fn path_text(path: &KeyPath) -> String {
    let mut out = match &path.base {
        PathBase::SelfObject if path.components.is_empty() => "SELF".to_owned(),
        PathBase::SelfObject => String::new(),
        PathBase::Variable(name) => format!("${name}"),
        PathBase::Subquery(s) => format!("SUBQUERY({}, ${}, …)", path_text(&s.collection), s.variable),
    };
    for component in &path.components {
        if !out.is_empty() {
            out.push('.');
        }
        match component {
            PathComponent::Key(key) => out.push_str(key),
            other => out.push_str(operator_name(other)),
        }
    }
    out
}
