//! Strata's core: the layer applications and stores meet in.
//!
//! Today it holds the value types (re-exported from `strata-model`, where the model's
//! defaults and validation bounds need them) and the umbrella [`Error`]. The store contract,
//! coordinator and contexts land here next (see `docs/design.md`).

pub mod value {
    //! Attribute values and their conversions (to Rust types, JSON and SQL).
    pub use strata_model::{AttributeType, Date, Decimal, FromValue, SqlValue, Uuid, Value, ValueError};
}

pub use value::{AttributeType, Value, ValueError};

mod error;
pub use error::{Error, Result};
