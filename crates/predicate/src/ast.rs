//! The predicate syntax tree: what the parser produces and every back-end consumes.
//!
//! The tree is plain data (`Clone`, `PartialEq`, `Debug`) and never refers to a model: key
//! paths are names until [`check`](crate::Predicate::check) resolves them against an entity.
//! Spans are byte offsets into the source text and are ignored by `PartialEq`-sensitive
//! round-trip tests through [`Predicate::without_spans`].

use strata_model::Value;

/// A byte range in the predicate's source text (`start..end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// A predicate: a boolean condition over one object.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    /// `TRUEPREDICATE`.
    True,
    /// `FALSEPREDICATE`.
    False,
    /// `a AND b AND …` (`&&`); at least two operands from the parser.
    And(Vec<Predicate>),
    /// `a OR b OR …` (`||`); at least two operands from the parser.
    Or(Vec<Predicate>),
    /// `NOT a` (`!a`).
    Not(Box<Predicate>),
    /// A comparison such as `title BEGINSWITH[c] "a"` or `ANY tags.name == "x"`.
    Comparison(Comparison),
}

/// `[quantifier] left operator[options] right`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// `ANY`/`SOME`, `ALL`, `NONE`, or none.
    pub quantifier: Quantifier,
    /// The left operand.
    pub left: Expr,
    /// The operator.
    pub operator: Operator,
    /// `[c]`, `[d]`, `[cd]`.
    pub options: StringOptions,
    /// The right operand (a two-element [`Expr::List`] for `BETWEEN`).
    pub right: Expr,
    /// The whole comparison's source range.
    pub span: Span,
}

/// The aggregate quantifier in front of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Quantifier {
    /// No quantifier. A to-many key path on the left is then compared as `ANY`.
    #[default]
    Direct,
    /// `ANY` / `SOME`: true if the comparison holds for at least one element.
    Any,
    /// `ALL`: true if it holds for every element (true for an empty collection).
    All,
    /// `NONE`: true if it holds for no element (true for an empty collection).
    None,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `=`, `==`.
    Equal,
    /// `!=`, `<>`.
    NotEqual,
    /// `<`.
    Less,
    /// `<=`, `=<`.
    LessOrEqual,
    /// `>`.
    Greater,
    /// `>=`, `=>`.
    GreaterOrEqual,
    /// `BETWEEN {low, high}` (inclusive).
    Between,
    /// `IN {…}`, `IN %@`, `IN collection.key`.
    In,
    /// `BEGINSWITH`.
    BeginsWith,
    /// `ENDSWITH`.
    EndsWith,
    /// `CONTAINS`.
    Contains,
    /// `LIKE` (wildcards `*` and `?`).
    Like,
    /// `MATCHES` (a regular expression matched against the whole string).
    Matches,
}

impl Operator {
    /// The operator as written in the canonical format (`==`, `BEGINSWITH`, …).
    pub fn symbol(self) -> &'static str {
        match self {
            Operator::Equal => "==",
            Operator::NotEqual => "!=",
            Operator::Less => "<",
            Operator::LessOrEqual => "<=",
            Operator::Greater => ">",
            Operator::GreaterOrEqual => ">=",
            Operator::Between => "BETWEEN",
            Operator::In => "IN",
            Operator::BeginsWith => "BEGINSWITH",
            Operator::EndsWith => "ENDSWITH",
            Operator::Contains => "CONTAINS",
            Operator::Like => "LIKE",
            Operator::Matches => "MATCHES",
        }
    }

    /// Whether the operator works on text (`BEGINSWITH`, `ENDSWITH`, `CONTAINS`, `LIKE`,
    /// `MATCHES`).
    pub fn is_string_operator(self) -> bool {
        matches!(
            self,
            Operator::BeginsWith
                | Operator::EndsWith
                | Operator::Contains
                | Operator::Like
                | Operator::Matches
        )
    }
}

/// String comparison options: `[c]` case-insensitive, `[d]` diacritic-insensitive.
///
/// Case folding is Unicode full case folding (`ß` matches `SS`); diacritic folding removes
/// combining marks after canonical decomposition (`é` matches `e`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StringOptions {
    /// `[c]`.
    pub case_insensitive: bool,
    /// `[d]`.
    pub diacritic_insensitive: bool,
}

impl StringOptions {
    /// No folding.
    pub const NONE: StringOptions = StringOptions { case_insensitive: false, diacritic_insensitive: false };

    /// Whether any folding applies.
    pub fn any(self) -> bool {
        self.case_insensitive || self.diacritic_insensitive
    }
}

/// An operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal or a substituted argument (`"a"`, `3`, `nil`, `YES`, `CAST(0, "NSDate")`).
    Constant(Value, Span),
    /// An aggregate literal `{a, b, …}`, or a list argument (`IN %@`).
    List(Vec<Expr>, Span),
    /// A key path, a `$variable`, `SELF`, or a `SUBQUERY(…)`, with optional components.
    KeyPath(KeyPath),
}

impl Expr {
    /// The operand's source range.
    pub fn span(&self) -> Span {
        match self {
            Expr::Constant(_, s) | Expr::List(_, s) => *s,
            Expr::KeyPath(k) => k.span,
        }
    }
}

/// `base.component.component…`, e.g. `folder.name`, `tags.@count`, `$t.name`,
/// `SUBQUERY(tags, $t, $t.score > 1).@count`.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyPath {
    /// Where the path starts.
    pub base: PathBase,
    /// The steps after the base; empty for a bare `SELF`, `$var` or `SUBQUERY(…)`.
    pub components: Vec<PathComponent>,
    /// The path's source range.
    pub span: Span,
}

/// Where a key path starts.
#[derive(Debug, Clone, PartialEq)]
pub enum PathBase {
    /// The evaluated object: an unprefixed path (`folder.name`) or `SELF`.
    SelfObject,
    /// `$name`: a `SUBQUERY` variable when an enclosing subquery binds it, otherwise a
    /// substitution variable to be replaced by [`Predicate::substitute`].
    Variable(String),
    /// `SUBQUERY(collection, $var, predicate)`: the elements of `collection` for which
    /// `predicate` holds.
    Subquery(Box<Subquery>),
}

/// `SUBQUERY(collection, $variable, predicate)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Subquery {
    /// The collection iterated (a to-many key path).
    pub collection: KeyPath,
    /// The variable name bound to each element, without `$`.
    pub variable: String,
    /// The condition each element must meet.
    pub predicate: Predicate,
}

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathComponent {
    /// A property name.
    Key(String),
    /// `@count`: the number of elements of the collection so far.
    Count,
    /// `@sum.rest`: the sum of `rest` over the collection.
    Sum,
    /// `@avg.rest`: the average of `rest` over the collection (`nil` when empty).
    Avg,
    /// `@min.rest`: the smallest `rest` in the collection (`nil` when empty).
    Min,
    /// `@max.rest`: the largest `rest` in the collection (`nil` when empty).
    Max,
}

/// A value passed to [`Predicate::parse_with`] for a `%@`, `%K`, `%d`, `%i`, `%f` or `%s`
/// placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Argument {
    /// A single value (`%@`, `%d`, `%i`, `%f`, `%s`).
    Value(Value),
    /// A collection, for `IN %@` and `BETWEEN %@`.
    List(Vec<Value>),
    /// A key path for `%K` (a string value is accepted there too).
    KeyPath(String),
}

impl<T: Into<Value>> From<T> for Argument {
    fn from(v: T) -> Argument {
        Argument::Value(v.into())
    }
}
