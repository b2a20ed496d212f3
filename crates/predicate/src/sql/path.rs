//! Key paths to SQL: attribute columns, to-one chains as correlated scalar subqueries,
//! to-many paths as correlated collections, collection operators and `SUBQUERY` as scalar
//! subqueries.
//!
//! A path is walked as a chain of joins starting at the row of the evaluated object (or of
//! a `SUBQUERY` variable). Once a to-many key has been crossed, to-one keys become
//! `LEFT JOIN`s so an element whose relationship is empty still contributes its `nil`, as
//! the in-memory flattening does.
//!
//! Walking a path never compares anything (that is `compare.rs`) and never binds a parameter
//! except inside a `SUBQUERY`'s own predicate.

use strata_model::{EntityIndex, Property, Relationship};

use crate::ast::{KeyPath, PathBase, PathComponent, Span};

use super::compile::{Compiled, Compiler, Fail, Scope};
use super::operand::{Collection, Element, Kind, Operand, Scalar};
use super::{CompileError, PRIMARY_KEY_COLUMN, RelationshipMapping, qualified};

/// A walk in progress: the joins so far and the object reached.
struct Chain {
    /// Tables and joins (empty until the first relationship is crossed).
    from: String,
    /// Correlation conditions (the first hop's join condition) and filters.
    conditions: Vec<String>,
    /// Alias of the row reached.
    alias: String,
    /// Its entity.
    entity: EntityIndex,
    /// Whether a to-many key was crossed.
    many: bool,
    /// Whether the last key crossed was to-many (collection operators must follow one).
    after_to_many: bool,
    /// After exactly one foreign-key hop from the start: the foreign-key column, which is
    /// the reached object's key without a join.
    direct_key: Option<String>,
}

impl Chain {
    fn start(alias: &str, entity: EntityIndex) -> Chain {
        Chain {
            from: String::new(),
            conditions: Vec::new(),
            alias: alias.to_owned(),
            entity,
            many: false,
            after_to_many: false,
            direct_key: None,
        }
    }

    fn join(&mut self, table: &str, alias: &str, on: String, left: bool) {
        let table = super::quote_identifier(table);
        let alias_q = super::quote_identifier(alias);
        if self.from.is_empty() {
            self.from = format!("{table} {alias_q}");
            self.conditions.push(on);
        } else {
            let kind = if left { "LEFT JOIN" } else { "JOIN" };
            self.from.push_str(&format!(" {kind} {table} {alias_q} ON {on}"));
        }
    }

    /// The collection of the chain's rows, each element being `element`.
    fn into_collection(self, element: Element) -> Collection {
        Collection { from: self.from, conditions: self.conditions, element }
    }

    /// `(SELECT {expr} FROM … WHERE …)`.
    fn scalar_subquery(&self, expr: &str) -> String {
        let conditions =
            if self.conditions.is_empty() { "1".to_owned() } else { self.conditions.join(" AND ") };
        format!("(SELECT {expr} FROM {} WHERE {conditions})", self.from)
    }
}

impl<'a> Compiler<'a> {
    /// Compiles a key path operand.
    pub(super) fn key_path(&mut self, path: &KeyPath, scope: &Scope) -> Compiled<Operand> {
        let chain = match &path.base {
            PathBase::SelfObject => Chain::start(&scope.self_alias, scope.self_entity),
            PathBase::Variable(name) => {
                let Some((_, alias, entity)) = scope.variables.iter().rev().find(|(n, _, _)| n == name)
                else {
                    return Err(CompileError::UnboundVariable { name: name.clone(), span: path.span }.into());
                };
                Chain::start(alias, *entity)
            }
            PathBase::Subquery(subquery) => {
                let mut chain = self.collection_chain(&subquery.collection, scope)?;
                let mut inner = scope.clone();
                inner.variables.push((subquery.variable.clone(), chain.alias.clone(), chain.entity));
                let condition = self.predicate(&subquery.predicate, &inner)?;
                chain.conditions.push(condition);
                return match path.components.first() {
                    Some(PathComponent::Key(_)) | None => Err(CompileError::WrongShape {
                        needed_by: "a SUBQUERY must be followed by a collection operator (@count, @sum, …)",
                        span: path.span,
                    }
                    .into()),
                    Some(_) => self.aggregate(chain, &path.components, path.span).map(Operand::Scalar),
                };
            }
        };
        self.walk(chain, &path.components, path.span)
    }

    /// The chain of a `SUBQUERY`'s collection: a to-many path ending on objects.
    fn collection_chain(&mut self, path: &KeyPath, scope: &Scope) -> Compiled<Chain> {
        let mut chain = match &path.base {
            PathBase::SelfObject => Chain::start(&scope.self_alias, scope.self_entity),
            PathBase::Variable(name) => match scope.variables.iter().rev().find(|(n, _, _)| n == name) {
                Some((_, alias, entity)) => Chain::start(alias, *entity),
                None => {
                    return Err(CompileError::UnboundVariable { name: name.clone(), span: path.span }.into());
                }
            },
            // A SUBQUERY over a SUBQUERY's elements is not part of the language.
            PathBase::Subquery(_) => return Err(Fail::Residual),
        };
        let shape =
            CompileError::WrongShape { needed_by: "SUBQUERY needs a to-many key path", span: path.span };
        for component in &path.components {
            let PathComponent::Key(key) = component else { return Err(shape.into()) };
            match self.property(chain.entity, key, path.span)? {
                Property::Relationship(r) => self.hop(&mut chain, r)?,
                Property::Attribute(_) => return Err(shape.into()),
            }
        }
        if !chain.many {
            return Err(shape.into());
        }
        if !chain.after_to_many {
            // Elements reached through a to-one key after the to-many one may be nil; what
            // a variable bound to nil means is the evaluator's to say.
            return Err(Fail::Residual);
        }
        Ok(chain)
    }

    fn property(&self, entity: EntityIndex, key: &str, span: Span) -> Compiled<Property<'a>> {
        let model: &'a strata_model::Model = self.model;
        let e = model.entity_at(entity);
        e.property(key).ok_or_else(|| {
            CompileError::UnknownKey { entity: e.name().to_owned(), key: key.to_owned(), span }.into()
        })
    }

    /// Walks `components` from the chain's object.
    fn walk(&mut self, mut chain: Chain, components: &[PathComponent], span: Span) -> Compiled<Operand> {
        for (i, component) in components.iter().enumerate() {
            let PathComponent::Key(key) = component else {
                if !chain.after_to_many {
                    return Err(misplaced(component, span));
                }
                return self.aggregate(chain, &components[i..], span).map(Operand::Scalar);
            };
            match self.property(chain.entity, key, span)? {
                Property::Attribute(a) => {
                    if let Some(next) = components.get(i + 1) {
                        return Err(match next {
                            PathComponent::Key(k) => CompileError::KeyAfterAttribute {
                                attribute: a.name().to_owned(),
                                key: k.clone(),
                                span,
                            }
                            .into(),
                            op => misplaced(op, span),
                        });
                    }
                    let column = self.attribute_column(chain.entity, a.name())?;
                    let value = qualified(&chain.alias, column);
                    let kind = Kind::of_type(a.attribute_type());
                    return Ok(if chain.from.is_empty() {
                        Operand::Scalar(Scalar::Expr { sql: value, kind, nullable: true, column: true })
                    } else if chain.many {
                        Operand::Collection(chain.into_collection(Element::Value(Scalar::expr(value, kind))))
                    } else {
                        Operand::Scalar(Scalar::expr(chain.scalar_subquery(&value), kind))
                    });
                }
                Property::Relationship(r) => self.hop(&mut chain, r)?,
            }
        }
        // The path ends on an object.
        let pk = qualified(&chain.alias, PRIMARY_KEY_COLUMN);
        Ok(if chain.from.is_empty() {
            Operand::Object { pk }
        } else if chain.many {
            let alias = chain.alias.clone();
            Operand::Collection(chain.into_collection(Element::Object { alias }))
        } else if let Some(key) = chain.direct_key.take() {
            Operand::Object { pk: key }
        } else {
            Operand::Object { pk: chain.scalar_subquery(&pk) }
        })
    }

    fn attribute_column(&self, entity: EntityIndex, attribute: &str) -> Compiled<&str> {
        self.schema.attribute_column(entity, attribute).ok_or_else(|| {
            CompileError::UnmappedProperty {
                entity: self.model.entity_at(entity).name().to_owned(),
                property: attribute.to_owned(),
            }
            .into()
        })
    }

    /// Crosses relationship `r` from the chain's object.
    fn hop(&mut self, chain: &mut Chain, r: &Relationship) -> Compiled<()> {
        let schema = self.schema;
        let unmapped = || CompileError::UnmappedProperty {
            entity: self.model.entity_at(chain.entity).name().to_owned(),
            property: r.name().to_owned(),
        };
        let mapping = schema.relationship_mapping(chain.entity, r.name()).ok_or_else(unmapped)?;
        let table =
            schema.table(r.destination()).ok_or(CompileError::UnknownEntity { index: r.destination().0 })?;
        // A join table's alias comes first, so aliases read in join order.
        let link = if matches!(mapping, RelationshipMapping::JoinTable { .. }) {
            self.alias()
        } else {
            String::new()
        };
        let target = self.alias();
        // To-one keys after a to-many one keep the element (with nil) when empty.
        let left = chain.many && !r.is_to_many();
        let from_pk = qualified(&chain.alias, PRIMARY_KEY_COLUMN);
        let target_pk = qualified(&target, PRIMARY_KEY_COLUMN);
        let first_hop = chain.from.is_empty();
        chain.direct_key = None;
        match mapping {
            RelationshipMapping::ForeignKey { column } => {
                let key = qualified(&chain.alias, column);
                if first_hop {
                    chain.direct_key = Some(key.clone());
                }
                chain.join(table, &target, format!("{target_pk} = {key}"), left);
            }
            RelationshipMapping::JoinTable { table: join_table, source_column, target_column } => {
                chain.join(
                    join_table,
                    &link,
                    format!("{} = {from_pk}", qualified(&link, source_column)),
                    left,
                );
                chain.join(
                    table,
                    &target,
                    format!("{target_pk} = {}", qualified(&link, target_column)),
                    left,
                );
            }
            RelationshipMapping::InverseForeignKey { column } => {
                let on = format!("{} = {from_pk}", qualified(&target, column));
                chain.join(table, &target, on, left);
            }
        }
        chain.alias = target;
        chain.entity = r.destination();
        chain.many |= r.is_to_many();
        chain.after_to_many = r.is_to_many();
        Ok(())
    }

    /// A collection operator (`components[0]`) and its key path, over the chain's objects.
    fn aggregate(&mut self, mut chain: Chain, components: &[PathComponent], span: Span) -> Compiled<Scalar> {
        let (operator, rest) = match components.split_first() {
            Some((op, rest)) => (op, rest),
            None => return Err(Fail::Residual),
        };
        let function = match operator {
            PathComponent::Count => {
                if let Some(next) = rest.first() {
                    return Err(match next {
                        PathComponent::Key(_) => misplaced(operator, span),
                        op => misplaced(op, span),
                    });
                }
                let sql = chain.scalar_subquery("count(*)");
                return Ok(Scalar::Expr { sql, kind: Kind::Number, nullable: false, column: false });
            }
            PathComponent::Sum => "sum",
            PathComponent::Avg => "avg",
            PathComponent::Min => "min",
            PathComponent::Max => "max",
            PathComponent::Key(_) => return Err(Fail::Residual),
        };
        // The operator's key path: to-one keys, then an attribute.
        let mut value = None;
        for (i, component) in rest.iter().enumerate() {
            let PathComponent::Key(key) = component else { return Err(misplaced(component, span)) };
            match self.property(chain.entity, key, span)? {
                Property::Attribute(a) if i + 1 == rest.len() => {
                    let column = self.attribute_column(chain.entity, a.name())?;
                    value = Some((qualified(&chain.alias, column), Kind::of_type(a.attribute_type())));
                }
                Property::Relationship(r) if !r.is_to_many() && i + 1 < rest.len() => {
                    self.hop(&mut chain, r)?;
                }
                _ => return Err(misplaced(operator, span)),
            }
        }
        let Some((value, kind)) = value else { return Err(misplaced(operator, span)) };
        match (function, kind) {
            (_, Kind::Decimal | Kind::Json) => Err(Fail::Residual),
            // Sums and averages of non-numbers are evaluation errors: let the evaluator say so.
            ("sum" | "avg", k) if k != Kind::Number => Err(Fail::Residual),
            ("sum", _) => {
                let sql = chain.scalar_subquery(&format!("COALESCE(sum({value}), 0)"));
                Ok(Scalar::Expr { sql, kind, nullable: false, column: false })
            }
            _ => Ok(Scalar::expr(chain.scalar_subquery(&format!("{function}({value})")), kind)),
        }
    }
}

fn misplaced(component: &PathComponent, span: Span) -> Fail {
    let operator = match component {
        PathComponent::Count => "@count",
        PathComponent::Sum => "@sum",
        PathComponent::Avg => "@avg",
        PathComponent::Min => "@min",
        PathComponent::Max => "@max",
        PathComponent::Key(_) => "a collection operator",
    };
    CompileError::MisplacedCollectionOperator { operator, span }.into()
}
