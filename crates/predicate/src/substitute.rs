//! `$VARIABLE` substitution ([`Predicate::substitute`]) and listing the free variables
//! ([`Predicate::variables`]).
//!
//! A `$name` is free unless an enclosing `SUBQUERY(…, $name, …)` binds it inside its
//! predicate; only free variables are substituted. Substitution builds a new tree and never
//! re-parses text as a predicate: a value becomes a constant, a list a list of constants,
//! and a key path argument is read as key path text only.

use std::collections::HashMap;

use crate::ast::{Argument, Comparison, Expr, KeyPath, Operator, PathBase, Predicate, Subquery};
use crate::format::text_locating;
use crate::parse_error::{ParseError, ParseErrorKind};
use crate::parser::{between_bounds_fault, key_path_from_text};

impl Predicate {
    /// Replaces every free `$NAME` by `variables["NAME"]`: a value becomes a constant, a list
    /// a list of constants, a key path argument (`Argument::KeyPath("folder.name")`) that key
    /// path.
    ///
    /// Fails with [`ParseErrorKind::UnboundVariable`] for a free variable missing from the
    /// map, [`ParseErrorKind::VariableWithKeys`] for a free `$NAME.key`, and
    /// [`ParseErrorKind::WrongVariableType`] when the argument does not fit its place (a
    /// `SUBQUERY` collection takes only a key path). The error's source text is this
    /// predicate's canonical (`Display`) form and its span points into that text.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use strata_predicate::{Argument, Predicate};
    /// let template = Predicate::parse("score > $min AND SUBQUERY(tags, $t, $t.name == $tag).@count > 0").unwrap();
    /// assert_eq!(template.variables(), ["min", "tag"]);
    /// let vars = HashMap::from([("min".to_owned(), Argument::from(2_i64)), ("tag".to_owned(), Argument::from("rust"))]);
    /// let p = template.substitute(&vars).unwrap();
    /// assert_eq!(p.to_string(), r#"score > 2 AND SUBQUERY(tags, $t, $t.name == "rust").@count > 0"#);
    /// let e = template.substitute(&HashMap::new()).unwrap_err();
    /// assert_eq!(e.to_string(), "no value was given for variable $min at 8");
    /// ```
    pub fn substitute(&self, variables: &HashMap<String, Argument>) -> Result<Predicate, ParseError> {
        let mut walk = Substitution { variables, bound: Vec::new() };
        walk.predicate(self).map_err(|fault| {
            let (text, span) = text_locating(self, fault.at);
            ParseError::new(fault.kind, span, &text)
        })
    }

    /// The free variables (`$NAME` not bound by an enclosing `SUBQUERY`), without `$`, each
    /// once, in order of first appearance.
    pub fn variables(&self) -> Vec<String> {
        let mut found = Vec::new();
        collect_predicate(self, &mut Vec::new(), &mut found);
        found
    }
}

/// A substitution failure at the key path `at` (inside the original predicate).
struct Fault<'p> {
    kind: ParseErrorKind,
    at: &'p KeyPath,
}

struct Substitution<'v> {
    variables: &'v HashMap<String, Argument>,
    /// Variables bound by the enclosing subqueries, innermost last.
    bound: Vec<String>,
}

impl<'v> Substitution<'v> {
    fn predicate<'p>(&mut self, predicate: &'p Predicate) -> Result<Predicate, Fault<'p>> {
        Ok(match predicate {
            Predicate::True => Predicate::True,
            Predicate::False => Predicate::False,
            Predicate::And(ps) => {
                Predicate::And(ps.iter().map(|p| self.predicate(p)).collect::<Result<_, _>>()?)
            }
            Predicate::Or(ps) => {
                Predicate::Or(ps.iter().map(|p| self.predicate(p)).collect::<Result<_, _>>()?)
            }
            Predicate::Not(p) => Predicate::Not(Box::new(self.predicate(p)?)),
            Predicate::Comparison(c) => {
                let left = self.expr(&c.left)?;
                let right = self.expr(&c.right)?;
                if c.operator == Operator::Between {
                    self.check_between(&c.right, &right)?;
                }
                Predicate::Comparison(Comparison { left, right, ..c.clone() })
            }
        })
    }

    /// A free variable standing for the bounds of `BETWEEN` must have become `{low, high}`.
    fn check_between<'p>(&self, original: &'p Expr, substituted: &Expr) -> Result<(), Fault<'p>> {
        let Expr::KeyPath(path) = original else { return Ok(()) };
        let free = matches!(&path.base, PathBase::Variable(name) if !self.bound.contains(name));
        match between_bounds_fault(substituted) {
            Some(found) if free => {
                Err(Fault { kind: ParseErrorKind::BetweenNeedsTwoValues { found }, at: path })
            }
            _ => Ok(()),
        }
    }

    fn expr<'p>(&mut self, expr: &'p Expr) -> Result<Expr, Fault<'p>> {
        match expr {
            Expr::Constant(..) => Ok(expr.clone()),
            Expr::List(items, span) => {
                Ok(Expr::List(items.iter().map(|e| self.expr(e)).collect::<Result<_, _>>()?, *span))
            }
            Expr::KeyPath(path) => {
                let Some(argument) = self.free_variable(path)? else {
                    return self.key_path(path).map(Expr::KeyPath);
                };
                Ok(match argument {
                    Argument::Value(v) => Expr::Constant(v.clone(), path.span),
                    Argument::List(vs) => Expr::List(
                        vs.iter().map(|v| Expr::Constant(v.clone(), path.span)).collect(),
                        path.span,
                    ),
                    Argument::KeyPath(text) => Expr::KeyPath(self.key_path_argument(path, text)?),
                })
            }
        }
    }

    /// A key path that is not itself a free variable (it may contain a subquery).
    fn key_path<'p>(&mut self, path: &'p KeyPath) -> Result<KeyPath, Fault<'p>> {
        let PathBase::Subquery(subquery) = &path.base else {
            return Ok(path.clone());
        };
        let collection = match self.free_variable(&subquery.collection)? {
            None => self.key_path(&subquery.collection)?,
            Some(Argument::KeyPath(text)) => self.key_path_argument(&subquery.collection, text)?,
            Some(other) => {
                return Err(Fault {
                    kind: ParseErrorKind::WrongVariableType {
                        name: variable_name(&subquery.collection).to_owned(),
                        expected: "a key path (it is a SUBQUERY collection)",
                        found: describe(other),
                    },
                    at: &subquery.collection,
                });
            }
        };
        self.bound.push(subquery.variable.clone());
        let predicate = self.predicate(&subquery.predicate);
        self.bound.pop();
        let subquery = Subquery { collection, variable: subquery.variable.clone(), predicate: predicate? };
        Ok(KeyPath { base: PathBase::Subquery(Box::new(subquery)), ..path.clone() })
    }

    /// The argument for `path` if it is a free `$NAME`; `None` for anything else.
    fn free_variable<'p>(&self, path: &'p KeyPath) -> Result<Option<&'v Argument>, Fault<'p>> {
        let PathBase::Variable(name) = &path.base else { return Ok(None) };
        if self.bound.contains(name) {
            return Ok(None);
        }
        if !path.components.is_empty() {
            return Err(Fault { kind: ParseErrorKind::VariableWithKeys { name: name.clone() }, at: path });
        }
        match self.variables.get(name) {
            Some(argument) => Ok(Some(argument)),
            None => Err(Fault { kind: ParseErrorKind::UnboundVariable { name: name.clone() }, at: path }),
        }
    }

    fn key_path_argument<'p>(&self, path: &'p KeyPath, text: &str) -> Result<KeyPath, Fault<'p>> {
        key_path_from_text(text, path.span).ok_or_else(|| Fault {
            kind: ParseErrorKind::WrongVariableType {
                name: variable_name(path).to_owned(),
                expected: "valid key path text",
                found: format!("{text:?}"),
            },
            at: path,
        })
    }
}

fn variable_name(path: &KeyPath) -> &str {
    match &path.base {
        PathBase::Variable(name) => name,
        _ => "",
    }
}

fn describe(argument: &Argument) -> String {
    match argument {
        Argument::Value(v) => v.type_name().to_owned(),
        Argument::List(_) => "a list".to_owned(),
        Argument::KeyPath(_) => "a key path".to_owned(),
    }
}

fn collect_predicate(predicate: &Predicate, bound: &mut Vec<String>, found: &mut Vec<String>) {
    match predicate {
        Predicate::True | Predicate::False => {}
        Predicate::And(ps) | Predicate::Or(ps) => ps.iter().for_each(|p| collect_predicate(p, bound, found)),
        Predicate::Not(p) => collect_predicate(p, bound, found),
        Predicate::Comparison(c) => {
            collect_expr(&c.left, bound, found);
            collect_expr(&c.right, bound, found);
        }
    }
}

fn collect_expr(expr: &Expr, bound: &mut Vec<String>, found: &mut Vec<String>) {
    match expr {
        Expr::Constant(..) => {}
        Expr::List(items, _) => items.iter().for_each(|e| collect_expr(e, bound, found)),
        Expr::KeyPath(path) => collect_key_path(path, bound, found),
    }
}

fn collect_key_path(path: &KeyPath, bound: &mut Vec<String>, found: &mut Vec<String>) {
    match &path.base {
        PathBase::SelfObject => {}
        PathBase::Variable(name) => {
            if !bound.contains(name) && !found.contains(name) {
                found.push(name.clone());
            }
        }
        PathBase::Subquery(s) => {
            collect_key_path(&s.collection, bound, found);
            bound.push(s.variable.clone());
            collect_predicate(&s.predicate, bound, found);
            bound.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, Argument)]) -> HashMap<String, Argument> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
    }

    #[test]
    fn bound_subquery_variables_are_left_alone() {
        let p = Predicate::parse("SUBQUERY($items, $x, $x.n > $x0 AND $x == nil).@count == $x").unwrap();
        assert_eq!(p.variables(), ["items", "x0", "x"]);
        let v = vars(&[
            ("items", Argument::KeyPath("tags".into())),
            ("x0", Argument::from(1_i64)),
            ("x", Argument::List(vec![1_i64.into()])),
        ]);
        assert_eq!(
            p.substitute(&v).unwrap().to_string(),
            "SUBQUERY(tags, $x, $x.n > 1 AND $x == nil).@count == {1}"
        );
    }

    #[test]
    fn errors_point_into_the_canonical_text() {
        let p = Predicate::parse("a = 1 AND  $user.name = 'x'").unwrap();
        let e = p.substitute(&vars(&[("user", Argument::from(1_i64))])).unwrap_err();
        assert_eq!(e.source_text(), r#"a == 1 AND $user.name == "x""#);
        assert_eq!(
            e.render(),
            concat!(
                "variable $user is followed by keys; only a bare $user can be substituted at 11\n",
                "a == 1 AND $user.name == \"x\"\n",
                "           ^^^^^^^^^^"
            )
        );
        let p = Predicate::parse("SUBQUERY($c, $t, $t == 1).@count > 0").unwrap();
        let e = p.substitute(&vars(&[("c", Argument::from("tags"))])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "variable $c needs a key path (it is a SUBQUERY collection), got string at 9"
        );
        let between = Predicate::parse("a BETWEEN $r").unwrap();
        let e = between.substitute(&vars(&[("r", Argument::List(vec![1_i64.into()]))])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "BETWEEN needs two bounds written {low, high}, found a list of 1 value at 10"
        );
        let bad = vars(&[("c", Argument::KeyPath("a b".into()))]);
        assert!(matches!(p.substitute(&bad).unwrap_err().kind(), ParseErrorKind::WrongVariableType { .. }));
    }
}
