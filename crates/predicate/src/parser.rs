//! The parser: NSPredicate's format-string grammar, by recursive descent, into the AST.
//!
//! Each grammar rule is one method with its rule in its doc comment: the logical rules here,
//! operands in `expression`, placeholders and `CAST` in `arguments`. Precedence is
//! `NOT` > `AND` > `OR`; a chain of one operator flattens into one `And`/`Or`, while a
//! parenthesised group stays a separate node so printing and parsing round-trip.
//!
//! Hostile input must get an error, never a stack overflow: nesting (parentheses, `NOT`,
//! `SUBQUERY`, lists) is capped at [`MAX_DEPTH`], and the rules that recurse return boxed
//! values and boxed errors and build big nodes in helper functions, because unoptimised
//! builds give every temporary its own stack slot and 128 levels must fit comfortably in a
//! 2 MiB thread stack. With one token of look-ahead the parser is linear in the input. It
//! never consults a model: key paths stay names until `check` resolves them.

// Helpers that take boxes and unbox them are the point: the move out of the box happens in
// their small frames instead of the recursive rules' frames.
#![allow(clippy::boxed_local)]

mod arguments;
mod expression;

use crate::ast::{
    Argument, Comparison, Expr, KeyPath, Operator, PathBase, Predicate, Quantifier, Span, StringOptions,
};
use crate::lexer::{Keyword, Lexer, Token, TokenKind};
use crate::parse_error::{END_OF_INPUT, MAX_DEPTH, ParseError, ParseErrorKind};

pub(crate) use arguments::key_path_from_text;

impl Predicate {
    /// Parses an NSPredicate format string.
    ///
    /// ```
    /// use strata_predicate::{Operator, Predicate};
    /// let p = Predicate::parse("ANY tags.name ==[c] 'rust' AND NOT pinned == YES").unwrap();
    /// let Predicate::And(parts) = &p else { panic!("expected AND") };
    /// assert_eq!(parts.len(), 2);
    /// assert_eq!(p.to_string(), r#"ANY tags.name ==[c] "rust" AND NOT pinned == YES"#);
    /// ```
    ///
    /// A format with placeholders needs [`Predicate::parse_with`]; here `%@` is an error.
    pub fn parse(text: &str) -> Result<Predicate, ParseError> {
        Predicate::parse_with(text, &[])
    }

    /// Parses a format string whose placeholders are filled from `args`, in order:
    /// `%@` takes a value (a constant) or a list (for `IN %@`, `BETWEEN %@`); `%K` a key path
    /// (or a string holding one); `%d`/`%i` an integer; `%f` any number (as a double);
    /// `%s` a string. Every argument must be used exactly once.
    ///
    /// ```
    /// use strata_predicate::{Argument, Predicate};
    /// let args = [Argument::KeyPath("folder.name".into()), Argument::from("Inbox"), Argument::from(3_i64)];
    /// let p = Predicate::parse_with("%K == %@ AND score > %d", &args).unwrap();
    /// assert_eq!(p.to_string(), r#"folder.name == "Inbox" AND score > 3"#);
    /// let e = Predicate::parse_with("score > %d", &[Argument::from("x")]).unwrap_err();
    /// assert_eq!(e.to_string(), "`%d` (argument 1) needs an integer, got string at 8");
    /// ```
    pub fn parse_with(text: &str, args: &[Argument]) -> Result<Predicate, ParseError> {
        parse_boxed(text, args).map(|p| *p).map_err(|e| *e)
    }
}

fn parse_boxed(text: &str, args: &[Argument]) -> Parsed<Predicate> {
    let mut parser = Parser::new(text, args)?;
    let predicate = parser.predicate()?;
    if parser.token.kind != TokenKind::End {
        return Err(parser.unexpected("AND, OR or the end of the predicate"));
    }
    if parser.next_argument < args.len() {
        let kind = ParseErrorKind::TooManyArguments { used: parser.next_argument, given: args.len() };
        return Err(parser.error(kind, parser.token.span));
    }
    Ok(predicate)
}

/// What a recursive rule returns: a boxed node or a boxed error, both one pointer wide.
type Parsed<T> = Result<Box<T>, Box<ParseError>>;

/// What a non-recursive step returns.
type Fallible<T> = Result<T, Box<ParseError>>;

/// Recursive-descent state: the source, one token of look-ahead, and the arguments.
struct Parser<'a> {
    source: &'a str,
    lexer: Lexer<'a>,
    /// The next token, not yet consumed.
    token: Token,
    /// Where the last consumed token ends, to close spans.
    previous_end: usize,
    args: &'a [Argument],
    /// Index of the next argument a placeholder takes.
    next_argument: usize,
    /// Current nesting of parentheses, `NOT`, `SUBQUERY` and lists.
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(source: &'a str, args: &'a [Argument]) -> Fallible<Parser<'a>> {
        let mut lexer = Lexer::new(source);
        let token = lexer.next_token()?;
        Ok(Parser { source, lexer, token, previous_end: 0, args, next_argument: 0, depth: 0 })
    }

    /// `predicate := and (("OR" | "||") and)*`
    fn predicate(&mut self) -> Parsed<Predicate> {
        let first = self.conjunction()?;
        if !self.at_or() {
            return Ok(first);
        }
        let mut operands = Operands::new(first);
        while self.at_or() {
            self.advance()?;
            operands.push(self.conjunction()?);
        }
        Ok(operands.into_or())
    }

    /// `and := not (("AND" | "&&") not)*`
    fn conjunction(&mut self) -> Parsed<Predicate> {
        let first = self.negation()?;
        if !self.at_and() {
            return Ok(first);
        }
        let mut operands = Operands::new(first);
        while self.at_and() {
            self.advance()?;
            operands.push(self.negation()?);
        }
        Ok(operands.into_and())
    }

    /// `not := ("NOT" | "!") not | primary`
    fn negation(&mut self) -> Parsed<Predicate> {
        if !matches!(self.token.kind, TokenKind::Keyword(Keyword::Not) | TokenKind::Bang) {
            return self.primary();
        }
        let not = self.advance()?;
        self.enter(not)?;
        let operand = self.negation()?;
        self.leave();
        Ok(negate(operand))
    }

    /// `primary := "(" predicate ")" | "TRUEPREDICATE" | "FALSEPREDICATE" | comparison`
    fn primary(&mut self) -> Parsed<Predicate> {
        match self.token.kind {
            TokenKind::LeftParen => {
                let open = self.advance()?;
                self.enter(open)?;
                let inner = self.predicate()?;
                self.close(open, ')')?;
                self.leave();
                Ok(inner)
            }
            TokenKind::Keyword(Keyword::TruePredicate) => {
                self.advance()?;
                Ok(Box::new(Predicate::True))
            }
            TokenKind::Keyword(Keyword::FalsePredicate) => {
                self.advance()?;
                Ok(Box::new(Predicate::False))
            }
            _ => self.comparison(),
        }
    }

    /// `comparison := [quantifier] expression operator [options] expression`
    /// where `quantifier := "ANY" | "SOME" | "ALL" | "NONE"` and `options := "[c]" | "[d]" | "[cd]"`.
    fn comparison(&mut self) -> Parsed<Predicate> {
        let start = self.token.span.start;
        let quantifier = match self.token.kind {
            TokenKind::Keyword(Keyword::Any | Keyword::Some) => Quantifier::Any,
            TokenKind::Keyword(Keyword::All) => Quantifier::All,
            TokenKind::Keyword(Keyword::None) => Quantifier::None,
            _ => Quantifier::Direct,
        };
        if quantifier == Quantifier::Direct {
            if !self.starts_expression() {
                return Err(self.unexpected("a predicate"));
            }
        } else {
            let word = self.advance()?;
            self.expect_value_after(word)?;
        }
        let left = self.expression()?;
        let operator_start = self.token.span.start;
        let operator = self.operator()?;
        let mut options = StringOptions::NONE;
        if let TokenKind::Options(o) = self.token.kind {
            options = o;
            self.advance()?;
        }
        self.expect_value_after(Span::new(operator_start, self.previous_end))?;
        let right = self.expression()?;
        if operator == Operator::Between {
            self.check_between(&right)?;
        }
        let span = Span::new(start, self.previous_end);
        Ok(build_comparison(quantifier, left, operator, options, right, span))
    }

    /// `operator := "=" | "==" | "!=" | "<>" | "<" | "<=" | "=<" | ">" | ">=" | "=>" | "BETWEEN"
    ///            | "IN" | "BEGINSWITH" | "ENDSWITH" | "CONTAINS" | "LIKE" | "MATCHES"`
    fn operator(&mut self) -> Fallible<Operator> {
        let operator = match self.token.kind {
            TokenKind::Comparison(op) => op,
            TokenKind::Keyword(Keyword::Between) => Operator::Between,
            TokenKind::Keyword(Keyword::In) => Operator::In,
            TokenKind::Keyword(Keyword::BeginsWith) => Operator::BeginsWith,
            TokenKind::Keyword(Keyword::EndsWith) => Operator::EndsWith,
            TokenKind::Keyword(Keyword::Contains) => Operator::Contains,
            TokenKind::Keyword(Keyword::Like) => Operator::Like,
            TokenKind::Keyword(Keyword::Matches) => Operator::Matches,
            _ => return Err(self.unexpected("a comparison operator (==, !=, <, >, BEGINSWITH, IN, …)")),
        };
        self.advance()?;
        Ok(operator)
    }

    /// `BETWEEN` needs exactly `{low, high}`, or a `$variable` to be substituted by one.
    fn check_between(&self, right: &Expr) -> Fallible<()> {
        if let Expr::KeyPath(KeyPath { base: PathBase::Variable(_), components, .. }) = right
            && components.is_empty()
        {
            return Ok(());
        }
        match between_bounds_fault(right) {
            None => Ok(()),
            Some(found) => Err(self.error(ParseErrorKind::BetweenNeedsTwoValues { found }, right.span())),
        }
    }

    // ---- helpers ----------------------------------------------------------------------

    /// Consumes the current token and returns its span.
    fn advance(&mut self) -> Fallible<Span> {
        let next = self.lexer.next_token()?;
        let consumed = std::mem::replace(&mut self.token, next);
        self.previous_end = consumed.span.end;
        Ok(consumed.span)
    }

    /// Consumes a token of `kind` or fails saying `expected`.
    fn expect(&mut self, kind: &TokenKind, expected: &str) -> Fallible<Span> {
        if self.token.kind == *kind { self.advance() } else { Err(self.unexpected(expected)) }
    }

    /// Consumes the delimiter `close` that ends the group opened at `open`.
    fn close(&mut self, open: Span, close: char) -> Fallible<()> {
        let kind = if close == ')' { TokenKind::RightParen } else { TokenKind::RightBrace };
        if self.token.kind == kind {
            self.advance()?;
            return Ok(());
        }
        let open_char = self.text(open).chars().next().unwrap_or('(');
        let found = self.describe_current();
        let kind = ParseErrorKind::Unclosed { open: open_char, close, opened_at: open.start, found };
        Err(self.error(kind, self.token.span))
    }

    /// Fails with [`ParseErrorKind::ExpectedValue`] unless an expression starts here.
    fn expect_value_after(&self, after: Span) -> Fallible<()> {
        if self.starts_expression() {
            return Ok(());
        }
        let kind = ParseErrorKind::ExpectedValue {
            after: self.describe_after(after),
            found: self.describe_current(),
        };
        Err(self.error(kind, self.token.span))
    }

    fn starts_expression(&self) -> bool {
        matches!(
            self.token.kind,
            TokenKind::Number(_)
                | TokenKind::Str(_)
                | TokenKind::Identifier(_)
                | TokenKind::Variable(_)
                | TokenKind::Placeholder(_)
                | TokenKind::LeftBrace
                | TokenKind::Keyword(
                    Keyword::Nil
                        | Keyword::True
                        | Keyword::False
                        | Keyword::SelfObject
                        | Keyword::Subquery
                        | Keyword::Cast
                )
        )
    }

    fn at_and(&self) -> bool {
        matches!(self.token.kind, TokenKind::Keyword(Keyword::And) | TokenKind::AndAnd)
    }

    fn at_or(&self) -> bool {
        matches!(self.token.kind, TokenKind::Keyword(Keyword::Or) | TokenKind::OrOr)
    }

    /// Opens one nesting level at `at`; fails past [`MAX_DEPTH`].
    fn enter(&mut self, at: Span) -> Fallible<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(ParseErrorKind::TooDeep { limit: MAX_DEPTH }, at));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn text(&self, span: Span) -> &'a str {
        self.source.get(span.start..span.end).unwrap_or("")
    }

    fn error(&self, kind: ParseErrorKind, span: Span) -> Box<ParseError> {
        Box::new(ParseError::new(kind, span, self.source))
    }

    /// An [`ParseErrorKind::UnexpectedToken`] at the current token.
    fn unexpected(&self, expected: &str) -> Box<ParseError> {
        let kind =
            ParseErrorKind::UnexpectedToken { expected: expected.to_owned(), found: self.describe_current() };
        self.error(kind, self.token.span)
    }

    /// An [`ParseErrorKind::UnexpectedToken`] for what was at `span`.
    fn unexpected_at(&self, expected: &str, span: Span) -> Box<ParseError> {
        let found = format!("'{}'", shorten(self.text(span)));
        self.error(ParseErrorKind::UnexpectedToken { expected: expected.to_owned(), found }, span)
    }

    /// The current token as messages quote it: `end of input`, `the string "a"`, `'AND'`.
    fn describe_current(&self) -> String {
        let text = shorten(self.text(self.token.span));
        match self.token.kind {
            TokenKind::End => END_OF_INPUT.to_owned(),
            TokenKind::Str(_) => format!("the string {text}"),
            TokenKind::Number(_) => format!("the number {text}"),
            _ => format!("'{text}'"),
        }
    }

    /// What a value was expected after: words as written (`BEGINSWITH`), symbols quoted.
    fn describe_after(&self, span: Span) -> String {
        let text = shorten(self.text(span));
        if text.starts_with(|c: char| c.is_alphabetic()) { text } else { format!("'{text}'") }
    }
}

/// The operands of an `AND`/`OR` chain being collected; unboxing happens in these small
/// methods so the recursive rules never hold a whole `Predicate` in their own frames.
struct Operands(Vec<Predicate>);

impl Operands {
    fn new(first: Box<Predicate>) -> Operands {
        Operands(vec![*first])
    }

    fn push(&mut self, next: Box<Predicate>) {
        self.0.push(*next);
    }

    fn into_and(self) -> Box<Predicate> {
        Box::new(Predicate::And(self.0))
    }

    fn into_or(self) -> Box<Predicate> {
        Box::new(Predicate::Or(self.0))
    }
}

fn negate(operand: Box<Predicate>) -> Box<Predicate> {
    Box::new(Predicate::Not(operand))
}

fn build_comparison(
    quantifier: Quantifier,
    left: Box<Expr>,
    operator: Operator,
    options: StringOptions,
    right: Box<Expr>,
    span: Span,
) -> Box<Predicate> {
    Box::new(Predicate::Comparison(Comparison {
        quantifier,
        left: *left,
        operator,
        options,
        right: *right,
        span,
    }))
}

/// What is wrong with `right` as the bounds of `BETWEEN` (`a list of 3 values`, `a key
/// path`), or `None` if it is a two-element list.
pub(crate) fn between_bounds_fault(right: &Expr) -> Option<String> {
    Some(match right {
        Expr::List(items, _) if items.len() == 2 => return None,
        Expr::List(items, _) if items.len() == 1 => "a list of 1 value".to_owned(),
        Expr::List(items, _) => format!("a list of {} values", items.len()),
        Expr::Constant(..) => "a single value".to_owned(),
        Expr::KeyPath(_) => "a key path".to_owned(),
    })
}

/// At most 40 characters of `text`, with `…` when cut.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}
