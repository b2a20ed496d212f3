//! [`SqliteOptions`]: how a [`SqliteStore`](crate::SqliteStore) is opened. Plain data; it
//! never touches a file.

use std::time::Duration;

/// Options for creating or opening a [`SqliteStore`](crate::SqliteStore).
///
/// ```
/// use std::time::Duration;
/// use strata_sqlite::SqliteOptions;
/// let options = SqliteOptions::default().with_readers(8).with_busy_timeout(Duration::from_secs(60));
/// assert_eq!((options.readers, options.history), (8, false));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// Whether the store records persistent history. Only
    /// [`SqliteStore::create`](crate::SqliteStore::create) reads it: an existing store keeps
    /// the flag it was created with. A store recording history writes one transaction record
    /// per save, in the save's own database transaction (see `Store::history`).
    pub history: bool,
    /// Whether the history of a store recording it also records the old and new values of
    /// updated attributes (more space per save). Read at every open, not recorded in the
    /// store: each opener chooses for its own saves. Default off.
    pub history_values: bool,
    /// Most reader connections kept open (at least 1; default 4). Reads run on readers, so
    /// they never wait for a save; more readers let more threads read at once.
    pub readers: usize,
    /// How long one operation may wait for a lock held by another process (or another
    /// connection) before it fails with `StoreError::Backend`. Default 30 s: waiting is
    /// handled inside the store, and callers never see SQLite's "database is locked" sooner.
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> SqliteOptions {
        SqliteOptions {
            history: false,
            history_values: false,
            readers: 4,
            busy_timeout: Duration::from_secs(30),
        }
    }
}

impl SqliteOptions {
    /// These options with history recording turned on or off (see [`SqliteOptions::history`]).
    pub fn with_history(mut self, history: bool) -> SqliteOptions {
        self.history = history;
        self
    }

    /// These options with old and new values recorded in history or not (see
    /// [`SqliteOptions::history_values`]).
    pub fn with_history_values(mut self, history_values: bool) -> SqliteOptions {
        self.history_values = history_values;
        self
    }

    /// These options with at most `readers` reader connections (at least 1).
    pub fn with_readers(mut self, readers: usize) -> SqliteOptions {
        self.readers = readers.max(1);
        self
    }

    /// These options with another lock-wait budget (see [`SqliteOptions::busy_timeout`]).
    pub fn with_busy_timeout(mut self, busy_timeout: Duration) -> SqliteOptions {
        self.busy_timeout = busy_timeout;
        self
    }
}
