//! Operands: constants, lists, key paths and `SUBQUERY`.
//!
//! These rules recurse through `SUBQUERY` and `{…}` lists, so like the logical rules they
//! return boxed nodes and leave building big values to small helper functions.

use strata_model::Value;

use super::{Fallible, Parsed, Parser};
use crate::ast::{Expr, KeyPath, PathBase, PathComponent, Predicate, Span, Subquery};
use crate::lexer::{Keyword, TokenKind};

impl Parser<'_> {
    /// `expression := constant | list | placeholder | cast | key_path`
    /// where `constant := NUMBER | STRING | "nil" | "NULL" | "YES" | "NO" | "TRUE" | "FALSE"`.
    pub(super) fn expression(&mut self) -> Parsed<Expr> {
        let constant = match &self.token.kind {
            TokenKind::Number(v) => v.clone(),
            TokenKind::Str(s) => Value::String(s.clone()),
            TokenKind::Keyword(Keyword::Nil) => Value::Null,
            TokenKind::Keyword(Keyword::True) => Value::Bool(true),
            TokenKind::Keyword(Keyword::False) => Value::Bool(false),
            TokenKind::LeftBrace => return self.list(),
            TokenKind::Placeholder(_) => return self.placeholder(),
            TokenKind::Keyword(Keyword::Cast) => return self.cast(),
            _ => return self.key_path().map(key_path_expr),
        };
        let span = self.advance()?;
        Ok(Box::new(Expr::Constant(constant, span)))
    }

    /// `list := "{" [expression ("," expression)*] "}"`
    fn list(&mut self) -> Parsed<Expr> {
        let open = self.advance()?;
        self.enter(open)?;
        let mut items = Vec::new();
        if self.token.kind != TokenKind::RightBrace {
            self.expect_value_after(open)?;
            push_item(&mut items, self.expression()?);
            while self.token.kind == TokenKind::Comma {
                let comma = self.advance()?;
                self.expect_value_after(comma)?;
                push_item(&mut items, self.expression()?);
            }
        }
        self.close(open, '}')?;
        self.leave();
        Ok(Box::new(Expr::List(items, Span::new(open.start, self.previous_end))))
    }

    /// `key_path := base ("." component)*`
    /// where `base := NAME | "SELF" | VARIABLE | subquery` and
    /// `component := NAME | KEYWORD | "@count" | "@sum" | "@avg" | "@min" | "@max"`
    /// (after a dot a keyword is just a key: `item.size`, `a.in`).
    pub(super) fn key_path(&mut self) -> Parsed<KeyPath> {
        let start = self.token.span.start;
        let mut components = Vec::new();
        let base = match &self.token.kind {
            TokenKind::Identifier(name) => {
                components.push(PathComponent::Key(name.clone()));
                self.advance()?;
                PathBase::SelfObject
            }
            TokenKind::Keyword(Keyword::SelfObject) => {
                self.advance()?;
                PathBase::SelfObject
            }
            TokenKind::Variable(name) => {
                let base = PathBase::Variable(name.clone());
                self.advance()?;
                base
            }
            TokenKind::Keyword(Keyword::Subquery) => PathBase::Subquery(self.subquery()?),
            _ => return Err(self.unexpected("a value or a key path")),
        };
        while self.token.kind == TokenKind::Dot {
            components.push(self.component()?);
        }
        Ok(Box::new(KeyPath { base, components, span: Span::new(start, self.previous_end) }))
    }

    /// `"." component`, the dot being the current token.
    fn component(&mut self) -> Fallible<PathComponent> {
        let dot = self.advance()?;
        let component = match &self.token.kind {
            TokenKind::Identifier(name) => PathComponent::Key(name.clone()),
            TokenKind::Keyword(_) => PathComponent::Key(self.text(self.token.span).to_owned()),
            TokenKind::CollectionOperator(op) => op.clone(),
            _ => {
                let expected = format!("a key or a collection operator after the '.' at {}", dot.start);
                return Err(self.unexpected(&expected));
            }
        };
        self.advance()?;
        Ok(component)
    }

    /// `subquery := "SUBQUERY" "(" collection "," VARIABLE "," predicate ")"`
    /// where `collection := key_path | "%K"`.
    fn subquery(&mut self) -> Parsed<Subquery> {
        const COLLECTION: &str = "a key path as the SUBQUERY collection";
        let keyword = self.advance()?;
        self.enter(keyword)?;
        let open = self.expect(&TokenKind::LeftParen, "'(' after SUBQUERY")?;
        let collection = match self.token.kind {
            TokenKind::Placeholder('K') => {
                let span = self.token.span;
                let expr = self.placeholder()?;
                into_key_path(expr).ok_or_else(|| self.unexpected_at(COLLECTION, span))?
            }
            TokenKind::Identifier(_)
            | TokenKind::Variable(_)
            | TokenKind::Keyword(Keyword::SelfObject | Keyword::Subquery) => self.key_path()?,
            _ => return Err(self.unexpected(COLLECTION)),
        };
        self.expect(&TokenKind::Comma, "',' after the SUBQUERY collection")?;
        let TokenKind::Variable(variable) = &self.token.kind else {
            return Err(self.unexpected("a variable such as $x as the second SUBQUERY argument"));
        };
        let variable = variable.clone();
        self.advance()?;
        self.expect(&TokenKind::Comma, "',' after the SUBQUERY variable")?;
        let predicate = self.predicate()?;
        self.close(open, ')')?;
        self.leave();
        Ok(build_subquery(collection, variable, predicate))
    }
}

fn key_path_expr(path: Box<KeyPath>) -> Box<Expr> {
    Box::new(Expr::KeyPath(*path))
}

fn push_item(items: &mut Vec<Expr>, item: Box<Expr>) {
    items.push(*item);
}

fn into_key_path(expr: Box<Expr>) -> Option<Box<KeyPath>> {
    match *expr {
        Expr::KeyPath(path) => Some(Box::new(path)),
        _ => None,
    }
}

fn build_subquery(collection: Box<KeyPath>, variable: String, predicate: Box<Predicate>) -> Box<Subquery> {
    Box::new(Subquery { collection: *collection, variable, predicate: *predicate })
}
