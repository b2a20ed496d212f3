//! [`Error`]: the umbrella error of Strata's public API; every narrower error converts into it.

use strata_model::{ModelError, ValueError};
use strata_predicate::PredicateError;

use crate::{StoreError, UriError};

/// Any error a Strata operation can report. Match on the variant to learn what happened;
/// never parse the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The model is invalid or could not be loaded.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A value does not fit its attribute or cannot be stored.
    #[error(transparent)]
    Value(#[from] ValueError),
    /// A predicate does not parse, check, evaluate or compile.
    #[error(transparent)]
    Predicate(#[from] PredicateError),
    /// A store failed or refused a request.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A URI does not name an object.
    #[error(transparent)]
    Uri(#[from] UriError),
}

/// `Result` with Strata's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
