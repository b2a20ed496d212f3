//! How SQLite failures become [`StoreError`]s. Every error the store returns is built here
//! or is one of the contract's own variants; nothing here retries or recovers (see
//! `connection.rs` for the busy handling).

use std::path::Path;
use std::sync::Arc;

use rusqlite::ErrorCode;
use strata_core::StoreError;

/// The store type this crate reports (`StoreMetadata::store_type`).
pub const STORE_TYPE: &str = "SQLite";

/// A database failure as a [`StoreError::Backend`].
pub(crate) fn backend(error: rusqlite::Error) -> StoreError {
    StoreError::Backend {
        store_type: STORE_TYPE.to_owned(),
        message: error.to_string(),
        source: Some(Arc::new(error)),
    }
}

/// A file-system failure as a [`StoreError::Backend`].
pub(crate) fn io(path: &Path, what: &str, error: std::io::Error) -> StoreError {
    StoreError::Backend {
        store_type: STORE_TYPE.to_owned(),
        message: format!("cannot {what} {}: {error}", path.display()),
        source: Some(Arc::new(error)),
    }
}

/// `.db()?` turns a rusqlite result into a store result.
pub(crate) trait DbResult<T> {
    /// The value, or the failure as a [`StoreError::Backend`].
    fn db(self) -> Result<T, StoreError>;
}

impl<T> DbResult<T> for rusqlite::Result<T> {
    fn db(self) -> Result<T, StoreError> {
        self.map_err(backend)
    }
}

/// Whether SQLite refused for a lock another connection holds (`SQLITE_BUSY`,
/// `SQLITE_LOCKED`): worth waiting and retrying.
pub(crate) fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(error.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

/// Whether a store error wraps a busy failure (see [`is_busy`]).
pub(crate) fn is_busy_store_error(error: &StoreError) -> bool {
    match error {
        StoreError::Backend { source: Some(source), .. } => {
            source.downcast_ref::<rusqlite::Error>().is_some_and(is_busy)
        }
        _ => false,
    }
}

/// Whether a statement failed on a `UNIQUE` index.
pub(crate) fn is_unique_violation(error: &rusqlite::Error) -> bool {
    match error {
        rusqlite::Error::SqliteFailure(e, _) => e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE,
        _ => false,
    }
}

/// A request that does not fit the model (a value of the wrong type, an index past the
/// entity's properties), refused before anything is written.
pub(crate) fn misfit(location: &Path, reason: String) -> StoreError {
    StoreError::InvalidRequest { reason: format!("{}: {reason}", location.display()) }
}

/// Stored data that does not fit the model.
pub(crate) fn corrupt(location: &Path, reason: String) -> StoreError {
    StoreError::Corrupt { location: location.display().to_string(), reason: format!("stored data: {reason}") }
}
