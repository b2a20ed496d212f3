//! [`RestOptions`]: how a [`RestStore`](super::RestStore) talks to its server — waiting or
//! not, timeouts, retries and their backoff, the size of the worker pool. Plain data; it
//! never sends a request.

use std::time::Duration;

use strata_sqlite::SqliteOptions;

/// Options of a [`RestStore`](super::RestStore).
///
/// ```
/// use std::time::Duration;
/// use strata_rest::RestOptions;
/// let options = RestOptions::default().with_synchronous(true).with_retries(0);
/// assert!(options.synchronous);
/// assert_eq!(options.timeout, Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RestOptions {
    /// Whether fetches and fault fills wait for the network before answering from the cache
    /// (for tools and tests). Default `false`: they answer from the cache at once and the
    /// server's answer arrives later, announced by a [`RestEvent`](super::RestEvent).
    pub synchronous: bool,
    /// The longest wait for one whole HTTP response. Default 10 s.
    pub timeout: Duration,
    /// How many times a request that failed on the network, timed out or got a 5xx is sent
    /// again (4xx answers are never retried). Default 2.
    pub retries: u32,
    /// The wait before the first retry, doubled before each next one. Default 100 ms.
    pub backoff: Duration,
    /// The longest wait between two attempts. Default 2 s.
    pub max_backoff: Duration,
    /// How many worker threads send requests (at least 1). Default 4.
    pub workers: usize,
    /// Whether reading a to-many relationship ([`Store::related`](strata_core::Store::related))
    /// also sends the API's relationship request for each source (as fetches do, in the
    /// background unless synchronous), and makes the answer the relationship's members.
    /// Default `false`: relationships come from the objects' own representations.
    pub relationship_requests: bool,
    /// How the cache's SQLite store is opened.
    pub cache: SqliteOptions,
}

impl Default for RestOptions {
    fn default() -> RestOptions {
        RestOptions {
            synchronous: false,
            timeout: Duration::from_secs(10),
            retries: 2,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            workers: 4,
            relationship_requests: false,
            cache: SqliteOptions::default(),
        }
    }
}

impl RestOptions {
    /// These options with synchronous fetches on or off (see [`RestOptions::synchronous`]).
    pub fn with_synchronous(mut self, synchronous: bool) -> RestOptions {
        self.synchronous = synchronous;
        self
    }

    /// These options with another response timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> RestOptions {
        self.timeout = timeout;
        self
    }

    /// These options with another number of retries.
    pub fn with_retries(mut self, retries: u32) -> RestOptions {
        self.retries = retries;
        self
    }

    /// These options with another first backoff and cap (see [`RestOptions::backoff`]).
    pub fn with_backoff(mut self, backoff: Duration, max_backoff: Duration) -> RestOptions {
        self.backoff = backoff;
        self.max_backoff = max_backoff;
        self
    }

    /// These options with `workers` worker threads (at least 1).
    pub fn with_workers(mut self, workers: usize) -> RestOptions {
        self.workers = workers.max(1);
        self
    }

    /// These options with relationship requests on or off (see
    /// [`RestOptions::relationship_requests`]).
    pub fn with_relationship_requests(mut self, on: bool) -> RestOptions {
        self.relationship_requests = on;
        self
    }

    /// These options with other options for the cache's SQLite store.
    pub fn with_cache_options(mut self, cache: SqliteOptions) -> RestOptions {
        self.cache = cache;
        self
    }

    /// The wait before retry number `attempt` (1 for the first retry).
    pub(crate) fn backoff_before(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX);
        self.backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let options =
            RestOptions::default().with_backoff(Duration::from_millis(100), Duration::from_millis(350));
        let waits: Vec<Duration> = (1..=4).map(|n| options.backoff_before(n)).collect();
        assert_eq!(waits, [100, 200, 350, 350].map(Duration::from_millis));
        assert_eq!(options.backoff_before(200), Duration::from_millis(350), "no overflow on long runs");
        assert_eq!(RestOptions::default().with_workers(0).workers, 1);
    }
}
