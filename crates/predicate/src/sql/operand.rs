//! What an operand compiles to: a scalar SQL expression with its static type, an object
//! reference, a collection (rows of a correlated `FROM … WHERE …`), or a list.
//!
//! The static type ([`Kind`]) is what keeps SQL's type affinities from changing answers:
//! two operands of different kinds never compare equal or ordered in the predicate language,
//! so such comparisons are decided at compile time (in `compare.rs`) and never reach SQLite,
//! which would convert `'2'` to `2` against a numeric column.
//!
//! These are plain data: nothing here reads the model or the schema.

use strata_model::{AttributeType, Value};

/// The static type class of a scalar, as far as comparisons are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// The `nil` constant.
    Null,
    /// Integers, floats and bools (compared numerically, exactly, in both back-ends).
    Number,
    /// Dates (INTEGER microseconds; compared with dates only).
    Date,
    /// Strings and URIs (TEXT, compared by UTF-8 bytes).
    Text,
    /// Binary and UUIDs (BLOB, compared bytewise).
    Blob,
    /// JSON (TEXT; equality and order differ from SQL's, so never compiled but for nil).
    Json,
    /// Decimals (TEXT; no SQL arithmetic or order, so never compiled).
    Decimal,
}

impl Kind {
    /// The kind of an attribute type.
    pub(super) fn of_type(ty: AttributeType) -> Kind {
        use AttributeType as T;
        match ty {
            T::Int16 | T::Int32 | T::Int64 | T::Double | T::Float | T::Bool => Kind::Number,
            T::Decimal => Kind::Decimal,
            T::String | T::Uri => Kind::Text,
            T::Date => Kind::Date,
            T::Binary | T::Uuid => Kind::Blob,
            T::Json => Kind::Json,
        }
    }

    /// The kind of a constant.
    pub(super) fn of_value(value: &Value) -> Kind {
        value.attribute_type().map_or(Kind::Null, Kind::of_type)
    }

    /// Whether values of the two kinds can ever compare (equal or ordered) under
    /// [`Value::compare`]. Kinds never compiled (JSON, decimal) answer `false`; callers turn
    /// them into a residual first.
    pub(super) fn compares_with(self, other: Kind) -> bool {
        self == other && matches!(self, Kind::Number | Kind::Date | Kind::Text | Kind::Blob)
    }
}

/// A scalar operand.
#[derive(Debug, Clone)]
pub(super) enum Scalar {
    /// A constant, bound as a parameter when rendered (`nil` renders as `NULL`).
    Const(Value),
    /// An SQL expression.
    Expr {
        /// The expression text.
        sql: String,
        /// Its static kind.
        kind: Kind,
        /// Whether it may be NULL.
        nullable: bool,
        /// Whether it is a plain column reference, cheap to evaluate twice (so
        /// `(x IS NOT NULL AND x < ?)` can use an index).
        column: bool,
    },
}

impl Scalar {
    /// The static kind.
    pub(super) fn kind(&self) -> Kind {
        match self {
            Scalar::Const(v) => Kind::of_value(v),
            Scalar::Expr { kind, .. } => *kind,
        }
    }

    /// Whether the value may be NULL at run time.
    pub(super) fn nullable(&self) -> bool {
        match self {
            Scalar::Const(v) => v.is_null(),
            Scalar::Expr { nullable, .. } => *nullable,
        }
    }

    /// Whether this is the `nil` constant.
    pub(super) fn is_nil(&self) -> bool {
        matches!(self, Scalar::Const(Value::Null))
    }

    /// A nullable expression of `kind`.
    pub(super) fn expr(sql: String, kind: Kind) -> Scalar {
        Scalar::Expr { sql, kind, nullable: true, column: false }
    }
}

/// A compiled operand.
#[derive(Debug)]
pub(super) enum Operand {
    /// One value.
    Scalar(Scalar),
    /// One object (or none): its primary key, NULL when there is no object.
    Object {
        /// The primary-key expression.
        pk: String,
    },
    /// Many values or objects.
    Collection(Collection),
    /// An `{a, b, …}` list.
    List(Vec<Scalar>),
}

/// A collection: the rows of `SELECT … FROM {from} WHERE {conditions}`, correlated with the
/// enclosing query, one row per element (duplicates included, as the in-memory flattening
/// keeps them).
#[derive(Debug)]
pub(super) struct Collection {
    /// Tables and joins.
    pub from: String,
    /// Correlation and filter conditions (never empty: at least the correlation).
    pub conditions: Vec<String>,
    /// What each row is.
    pub element: Element,
}

/// One element of a [`Collection`].
#[derive(Debug)]
pub(super) enum Element {
    /// A value (`tags.name`).
    Value(Scalar),
    /// An object (`tags`), with the alias of its row.
    Object {
        /// The row's alias.
        alias: String,
    },
}

impl Collection {
    /// `FROM … WHERE …` with `extra` conditions.
    pub(super) fn source(&self, extra: &[&str]) -> String {
        let mut sql = format!("FROM {} WHERE ", self.from);
        let all: Vec<&str> =
            self.conditions.iter().map(String::as_str).chain(extra.iter().copied()).collect();
        if all.is_empty() {
            sql.push('1');
        } else {
            sql.push_str(&all.join(" AND "));
        }
        sql
    }

    /// `EXISTS (SELECT 1 FROM … WHERE … AND condition)`.
    pub(super) fn exists(&self, condition: &str) -> String {
        format!("EXISTS (SELECT 1 {})", self.source(&[condition]))
    }
}
