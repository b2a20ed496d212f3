//! [`RestError`]: what the JSON-file and REST stores and their clients report. Callers match
//! on the variant (an HTTP status, a network failure, a malformed body…) and never parse
//! text. Through the [`Store`](strata_core::Store) contract these travel inside
//! [`StoreError::Backend`] (see [`RestError::into_store_error`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use strata_core::store::StoreError;

/// An error of a JSON-file or REST store, or of a [`RestClient`](crate::RestClient).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RestError {
    /// The server answered with a status that is not a success.
    #[error("{method} {url} failed with HTTP {status}: {body_excerpt}")]
    Http {
        /// The request's method.
        method: &'static str,
        /// The request's URL.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the response body (at most a few hundred characters), for the message.
        body_excerpt: String,
    },
    /// The request could not be sent or the response not read (connection refused or
    /// dropped, DNS, TLS…).
    #[error("{method} {url} failed: {message}")]
    Network {
        /// The request's method.
        method: &'static str,
        /// The request's URL.
        url: String,
        /// The transport's description.
        message: String,
    },
    /// No complete response within the configured timeout.
    #[error("{method} {url} timed out after {after:?}")]
    Timeout {
        /// The request's method.
        method: &'static str,
        /// The request's URL.
        url: String,
        /// The timeout.
        after: Duration,
    },
    /// A response body that is not what the API promised (not JSON, or JSON of another
    /// shape). `line` and `column` are 1-based, 0 when the body is JSON of the wrong shape.
    #[error("malformed response from {url} at line {line}, column {column}: {message}")]
    MalformedResponse {
        /// The request's URL.
        url: String,
        /// The line of the error in the body.
        line: usize,
        /// The column of the error in the body.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A JSON store file that does not parse, or does not fit the model. `line` and
    /// `column` are 1-based, 0 when the JSON is well-formed but of the wrong shape.
    #[error("{} is not a valid JSON store file at line {line}, column {column}: {message}", path.display())]
    MalformedFile {
        /// The file.
        path: PathBuf,
        /// The line of the error.
        line: usize,
        /// The column of the error.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{operation} {}: {source}", path.display())]
    Io {
        /// What was being done (`"reading"`, `"renaming"`…).
        operation: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The API has no request for this operation (its client returned `None`).
    #[error("the API has no request to {operation} {entity} objects")]
    NotSupportedByApi {
        /// What was asked (`"insert"`, `"update"`, `"delete"`, `"read"`).
        operation: &'static str,
        /// The entity.
        entity: String,
    },
    /// A client or store configuration that cannot work (an entity with no path, a base URL
    /// that does not parse…).
    #[error("invalid configuration: {reason}")]
    Configuration {
        /// What is wrong.
        reason: String,
    },
    /// The local cache (or the JSON file's data) refused an operation.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RestError {
    /// The error as a [`StoreError`], for the [`Store`](strata_core::Store) contract: a
    /// `Store` error is returned as it is, anything else as [`StoreError::Backend`] with
    /// this error as its source ([`RestError::of`] finds it again).
    pub fn into_store_error(self, store_type: &str) -> StoreError {
        match self {
            RestError::Store(error) => error,
            other => StoreError::Backend {
                store_type: store_type.to_owned(),
                message: other.to_string(),
                source: Some(Arc::new(other)),
            },
        }
    }

    /// The `RestError` inside a [`StoreError::Backend`] made by
    /// [`RestError::into_store_error`], if it is one. (`std::error::Error::source` yields the
    /// `Arc` around it, which does not downcast to `RestError`.)
    pub fn of(error: &StoreError) -> Option<&RestError> {
        match error {
            StoreError::Backend { source: Some(source), .. } => source.downcast_ref::<RestError>(),
            _ => None,
        }
    }
}
