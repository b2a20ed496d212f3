//! [`TrackerError`], the error of every fallible call of this crate, and [`TargetError`],
//! what a merge target reports when it cannot take a merge. Messages name the file, key,
//! actor or store concerned; callers match on variants, never on text.

use std::path::PathBuf;
use std::time::Duration;

use strata_core::StoreError;
use strata_model::Uuid;

/// What went wrong in an app group, its shared defaults, or a history tracker.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrackerError {
    /// A file or directory operation failed.
    #[error("cannot {operation} {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done (`"create"`, `"read"`, `"lock"`, …).
        operation: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The app group's path exists and is not a directory.
    #[error("{} exists and is not a directory", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// The shared-defaults file is not valid JSON (truncated, overwritten, …).
    #[error("{} is not a readable shared-defaults file: {source}", path.display())]
    CorruptDefaults {
        /// The file.
        path: PathBuf,
        /// Why it does not parse.
        #[source]
        source: serde_json::Error,
    },
    /// The shared-defaults file is JSON, but not one this crate wrote (another format or a
    /// newer version).
    #[error("{} is not a Strata shared-defaults file: {problem}", path.display())]
    ForeignDefaults {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A value could not be converted to or from JSON.
    #[error("the value of {key:?} in {} does not convert: {source}", path.display())]
    ValueConversion {
        /// The key.
        key: String,
        /// The shared-defaults file.
        path: PathBuf,
        /// The conversion error.
        #[source]
        source: serde_json::Error,
    },
    /// An actor's bookmark record in the shared defaults is malformed.
    #[error("the bookmark record of actor {actor:?} (key {key:?}) is malformed: {problem}")]
    MalformedBookmark {
        /// The actor.
        actor: String,
        /// Its key in the shared defaults.
        key: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A name given for a file in the app group is not a plain file name.
    #[error("{name:?} is not a valid store name: {problem}")]
    InvalidName {
        /// The name.
        name: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A tracker was configured wrongly.
    #[error("invalid history-tracker configuration: {problem}")]
    InvalidConfig {
        /// What is wrong.
        problem: &'static str,
    },
    /// An observer names an entity the model does not have.
    #[error("the model has no entity {name:?} (named by a history observer)")]
    UnknownEntity {
        /// The name.
        name: String,
    },
    /// The coordinator holds no store with this UUID.
    #[error("the coordinator holds no store {store}")]
    UnknownStore {
        /// The store's UUID.
        store: Uuid,
    },
    /// The store does not record persistent history, which a tracker follows.
    #[error("store {store} does not record persistent history (create it with history on)")]
    HistoryOff {
        /// The store's UUID.
        store: Uuid,
    },
    /// A Strata operation (a store's history, the coordinator) failed.
    #[error(transparent)]
    Strata(#[from] strata_core::Error),
    /// A merge target refused a merge; the bookmark was not advanced, so the transactions
    /// are offered again at the next pass.
    #[error("merge target {target} failed: {source}")]
    Target {
        /// The target's position in the order targets were added.
        target: usize,
        /// Its error (boxed: it may carry a whole Strata error).
        #[source]
        source: Box<TargetError>,
    },
    /// The tracker's worker thread did not stop in time; it was left to finish alone.
    #[error("the history tracker's worker did not stop within {waited:?}")]
    StopTimeout {
        /// How long `stop` waited.
        waited: Duration,
    },
    /// The tracker's worker thread panicked (a hook, observer or target panicked).
    #[error("the history tracker's worker thread panicked")]
    WorkerPanicked,
}

impl From<StoreError> for TrackerError {
    fn from(error: StoreError) -> TrackerError {
        TrackerError::Strata(error.into())
    }
}

/// Why a merge target could not take a merge.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// Merging into a context failed.
    #[error(transparent)]
    Strata(#[from] strata_core::Error),
    /// The context inbox the merge was sent to was dropped.
    #[error("the context inbox was dropped")]
    InboxClosed,
    /// An application-defined target failed.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

/// `Result` with [`TrackerError`].
pub type Result<T, E = TrackerError> = std::result::Result<T, E>;

/// An I/O error about `path`.
pub(crate) fn io(path: impl Into<PathBuf>, operation: &'static str, source: std::io::Error) -> TrackerError {
    TrackerError::Io { path: path.into(), operation, source }
}
