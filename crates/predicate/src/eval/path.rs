//! Operands: constants, `{…}` lists and key path walks (`folder.name`, `tags.name`,
//! `$t.name`, `SUBQUERY(…)`), handing collection operators to `aggregate`.
//!
//! A walk never fails on missing data: an empty to-one relationship yields nothing
//! ([`Operand::Object`]`(None)`), and nothing stays nothing through further keys. Keys after
//! a to-many key map over its elements and flatten; when some element shows that a key is a
//! to-many relationship, the nothings gathered so far are dropped, because an element with
//! no object there has no destinations to contribute.

use std::borrow::Cow;

use super::aggregate::aggregate;
use super::{Binding, Env, EvalError, Field, ObjectView, Operand};
use crate::ast::{Expr, KeyPath, PathBase, PathComponent, Span, Subquery};

impl<'s, O: ObjectView> Env<'s, O> {
    /// Evaluates an operand.
    pub(super) fn operand<'p>(&self, expr: &'p Expr) -> Result<Operand<'p, O>, EvalError> {
        match expr {
            Expr::Constant(value, _) => Ok(Operand::Value(Cow::Borrowed(value))),
            Expr::List(items, _) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match self.operand(item)? {
                        Operand::Collection(inner) => out.extend(inner),
                        single => out.push(single),
                    }
                }
                Ok(Operand::Collection(out))
            }
            Expr::KeyPath(path) => self.key_path(path),
        }
    }

    fn key_path<'p>(&self, path: &'p KeyPath) -> Result<Operand<'p, O>, EvalError> {
        let components = path.components.as_slice();
        let start: &O = match &path.base {
            PathBase::SelfObject => self.root,
            PathBase::Variable(name) => self
                .variable(name)
                .ok_or_else(|| EvalError::UnboundVariable { name: name.clone(), span: path.span })?,
            PathBase::Subquery(subquery) => {
                let kept = self.subquery(subquery, path.span)?;
                let state = Operand::Collection(kept.into_iter().map(|o| Operand::Object(Some(o))).collect());
                return walk(state, components, path.span);
            }
        };
        match components.split_first() {
            None => Ok(Operand::Object(Some(start.clone()))),
            // The first key is read from the borrowed start object, so a plain `title`
            // clones no object.
            Some((PathComponent::Key(key), rest)) => walk(from_field(start.field(key)?), rest, path.span),
            Some(_) => walk(Operand::Object(Some(start.clone())), components, path.span),
        }
    }

    /// The elements of the subquery's collection for which its predicate holds.
    fn subquery(&self, subquery: &Subquery, span: Span) -> Result<Vec<O>, EvalError> {
        let elements = match self.key_path(&subquery.collection)? {
            Operand::Collection(items) => items,
            Operand::Object(None) => Vec::new(),
            Operand::Object(Some(_)) | Operand::Value(_) => {
                return Err(EvalError::NotACollection { needed_by: "SUBQUERY", span });
            }
        };
        let mut kept = Vec::new();
        for element in elements {
            let object = match element {
                Operand::Object(Some(o)) => o,
                Operand::Object(None) => continue,
                Operand::Value(_) | Operand::Collection(_) => {
                    return Err(EvalError::SubqueryOverValues { span });
                }
            };
            let holds = {
                let binding = Binding { name: &subquery.variable, object: &object, parent: self.scope };
                Env { root: self.root, scope: Some(&binding) }.predicate(&subquery.predicate)?
            };
            if holds {
                kept.push(object);
            }
        }
        Ok(kept)
    }
}

/// Applies `components` to `state`, key by key, until a collection operator takes over.
fn walk<'p, O: ObjectView>(
    mut state: Operand<'p, O>,
    components: &'p [PathComponent],
    span: Span,
) -> Result<Operand<'p, O>, EvalError> {
    for (i, component) in components.iter().enumerate() {
        match component {
            PathComponent::Key(key) => state = step(state, key, span)?,
            operator => return aggregate(operator, state, &components[i + 1..], span),
        }
    }
    Ok(state)
}

fn from_field<'p, O>(field: Field<O>) -> Operand<'p, O> {
    match field {
        Field::Value(v) => Operand::Value(Cow::Owned(v)),
        Field::ToOne(o) => Operand::Object(o),
        Field::ToMany(objects) => {
            Operand::Collection(objects.into_iter().map(|o| Operand::Object(Some(o))).collect())
        }
    }
}

fn step<'p, O: ObjectView>(
    state: Operand<'p, O>,
    key: &str,
    span: Span,
) -> Result<Operand<'p, O>, EvalError> {
    let key_after_value = || EvalError::KeyAfterValue { key: key.to_owned(), span };
    match state {
        Operand::Object(Some(object)) => Ok(from_field(object.field(key)?)),
        Operand::Object(None) => Ok(Operand::Object(None)),
        Operand::Value(_) => Err(key_after_value()),
        Operand::Collection(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut to_many = false;
            for item in items {
                match item {
                    Operand::Object(Some(object)) => match object.field(key)? {
                        Field::Value(v) => out.push(Operand::Value(Cow::Owned(v))),
                        Field::ToOne(o) => out.push(Operand::Object(o)),
                        Field::ToMany(objects) => {
                            to_many = true;
                            out.extend(objects.into_iter().map(|o| Operand::Object(Some(o))));
                        }
                    },
                    Operand::Object(None) => out.push(Operand::Object(None)),
                    Operand::Value(_) | Operand::Collection(_) => return Err(key_after_value()),
                }
            }
            if to_many {
                out.retain(|item| !matches!(item, Operand::Object(None)));
            }
            Ok(Operand::Collection(out))
        }
    }
}
