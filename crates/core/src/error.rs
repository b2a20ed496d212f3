//! [`Error`]: the umbrella error of Strata's public API; every narrower error converts into it.

use strata_model::{ModelError, ValueError};
use strata_predicate::PredicateError;

use crate::{
    ConflictError, ContextError, CoordinatorError, FetchError, StoreError, UriError, ValidationError,
};

/// Any error a Strata operation can report. Match on the variant to learn what happened;
/// never parse the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The model is invalid or could not be loaded. (Boxed: it is the largest error and
    /// the rarest, and every `Result` of the API carries this enum.)
    #[error(transparent)]
    Model(#[from] Box<ModelError>),
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
    /// The coordinator refused a request (store registration, routing, URIs, partial saves).
    #[error(transparent)]
    Coordinator(#[from] CoordinatorError),
    /// A context request that cannot be carried out (unknown name, wrong type, gone object).
    #[error(transparent)]
    Context(#[from] ContextError),
    /// A save refused because objects break the model's rules; lists every violation.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// A save refused because objects changed in the store since they were read.
    #[error(transparent)]
    Conflict(#[from] ConflictError),
    /// A fetch request refused (aggregates, grouping, prefetching) or not finished
    /// (cancelled).
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// A fetched-results observer refused its request or a call made out of order.
    #[error(transparent)]
    FetchedResults(#[from] crate::fetched_results::FetchedResultsError),
}

impl From<ModelError> for Error {
    fn from(e: ModelError) -> Error {
        Error::Model(Box::new(e))
    }
}

/// `Result` with Strata's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
