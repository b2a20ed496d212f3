//! Remote-change notifications for [`SqliteStore`](crate::SqliteStore): after every commit,
//! every other store instance on the same file — in this process or another — calls its
//! subscribers' [`RemoteChangeHandler`]s with a [`RemoteChange`].
//!
//! # Mechanism
//!
//! Beside the database, a `-notify` sidecar file holds a commit counter ([`sidecar`]). After
//! each commit the saving instance bumps it with a `write` under `flock`; each subscription
//! has one watcher thread sleeping in `poll` on an inotify watch of the sidecar ([`wait`]),
//! so an idle subscriber costs no CPU beyond one fallback tick a second. A woken watcher
//! reads the counter and, if it moved, calls the handler once with the latest token:
//! wake-ups coalesce, but the last change always arrives, because the watch is in place
//! before the first read of the counter and every wake re-reads it.
//!
//! # Tokens
//!
//! With persistent history on, the token is the store's `current_history_token()` (read
//! through the `Store` trait on a private instance of the store). With history off it is
//! `HistoryToken { store, sequence }` where `sequence` is the sidecar's counter: monotonic
//! for the life of the sidecar file, comparable only with other counter tokens. Deleting
//! the sidecar while the store is in use restarts that counter (watchers recreate the file
//! and carry on), so it must be kept with the database like its `-wal` file.
//!
//! # Foreign writers
//!
//! A writer that does not bump the counter (the `sqlite3` shell, a raw connection) is seen
//! by the fallback tick: once a second an idle watcher compares `PRAGMA data_version` with
//! its last value; a change with no counter move makes the watcher bump the counter itself,
//! which wakes every watcher of every process.
//!
//! # Own changes
//!
//! A store instance does not announce its own commits to its own subscribers (its
//! coordinator learns of them from the save): a wake is skipped when every counter step
//! since the last one was written by this instance. Coordinators that should hear each
//! other must open their own instances of the store.
//!
//! This module never changes the database and never calls a handler while holding a lock.

pub(crate) mod sidecar;
mod wait;

use std::collections::VecDeque;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use strata_core::Store;
use strata_core::StoreError;
use strata_core::store::{HistoryToken, RemoteChange, RemoteChangeHandler, RemoteChangeSubscription};
use strata_model::Uuid;

use crate::error::io;
use crate::{SqliteOptions, SqliteStore};
use wait::Wake;

/// How long an idle watcher sleeps between fallback checks for foreign writers.
const FALLBACK_TICK: Duration = Duration::from_secs(1);

/// How long dropping a subscription waits for its watcher thread (busy in a slow handler,
/// say) before leaving it to finish alone; it stops right after the handler returns.
const JOIN_BUDGET: Duration = Duration::from_secs(2);

/// How many of its own recent counter values an instance remembers.
const OWN_MEMORY: usize = 64;

/// One store instance's side of notifications: announces its commits and starts watchers.
#[derive(Debug)]
pub(crate) struct Notifier {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    database: PathBuf,
    sidecar: PathBuf,
    /// The sidecar, opened at the first announcement; also serializes this process's
    /// threads around the `flock`.
    file: Mutex<Option<File>>,
    /// Counter values this instance wrote, newest last.
    own: Mutex<VecDeque<u64>>,
}

/// What a watcher needs to know about its store.
#[derive(Debug, Clone)]
pub(crate) struct Watched {
    /// The store's UUID.
    pub uuid: Uuid,
    /// Whether the store keeps persistent history (tokens come from it).
    pub history: bool,
}

impl Notifier {
    /// The notifier of the store at `database` (nothing is opened yet).
    pub(crate) fn new(database: &Path) -> Notifier {
        Notifier {
            inner: Arc::new(Inner {
                database: database.to_owned(),
                sidecar: sidecar::sidecar_path(database),
                file: Mutex::new(None),
                own: Mutex::new(VecDeque::new()),
            }),
        }
    }

    /// Tells every watcher that this instance committed. Called after each successful
    /// commit; a failure (a read-only directory, say) is ignored: the commit stands, and
    /// watchers see it at their next fallback tick instead.
    pub(crate) fn announce(&self) {
        let mut file = self.inner.file.lock().unwrap_or_else(|e| e.into_inner());
        if file.is_none() {
            *file = sidecar::open(&self.inner.sidecar).ok();
        }
        if let Some(file) = file.as_ref() {
            let _ = sidecar::bump(file, |value| {
                let mut own = self.inner.own.lock().unwrap_or_else(|e| e.into_inner());
                if own.len() == OWN_MEMORY {
                    own.pop_front();
                }
                own.push_back(value);
            });
        }
    }

    /// Starts a watcher thread calling `handler` until the subscription drops.
    pub(crate) fn subscribe(
        &self,
        watched: Watched,
        handler: RemoteChangeHandler,
    ) -> Result<RemoteChangeSubscription, StoreError> {
        let inner = &self.inner;
        let sidecar_error = |what, e| io(&inner.sidecar, what, e);
        // The watch goes in before the counter is first read, so no bump can fall between.
        let (waiter, stopper) = wait::waiter(&inner.sidecar).map_err(|e| sidecar_error("watch", e))?;
        let file = sidecar::open(&inner.sidecar).map_err(|e| sidecar_error("open", e))?;
        let counter = sidecar::read(&file).map_err(|e| sidecar_error("read", e))?;
        let fallback = crate::connection::open_connection(&inner.database)?;
        // Opened now, not at the first delivery, so that delivery stays fast.
        let history_store = if watched.history {
            Some(SqliteStore::open_existing(&inner.database, SqliteOptions::default().with_readers(1))?)
        } else {
            None
        };
        let mut watcher = Watcher {
            inner: inner.clone(),
            watched,
            handler,
            file,
            fallback,
            history_store,
            counter,
            data_version: None,
            delivered: None,
            stopped: Arc::new(AtomicBool::new(false)),
        };
        watcher.data_version = watcher.data_version();
        let stopped = watcher.stopped.clone();
        let done = Arc::new((Mutex::new(false), Condvar::new()));
        let thread_done = done.clone();
        let thread = std::thread::Builder::new()
            .name("strata-notify".to_owned())
            .spawn(move || {
                let _done = DoneOnExit(thread_done);
                watcher.run(waiter);
            })
            .map_err(|e| sidecar_error("start a watcher thread for", e))?;
        Ok(RemoteChangeSubscription::new(Guard { stopped, stopper, done, thread: Some(thread) }))
    }
}

/// Marks the watcher finished however its thread ends.
struct DoneOnExit(Arc<(Mutex<bool>, Condvar)>);

impl Drop for DoneOnExit {
    fn drop(&mut self) {
        let (lock, condvar) = &*self.0;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        condvar.notify_all();
    }
}

/// The watcher thread's state.
struct Watcher {
    inner: Arc<Inner>,
    watched: Watched,
    handler: RemoteChangeHandler,
    file: File,
    fallback: Connection,
    /// A private instance of the store (history on only), to read history tokens through
    /// the `Store` trait.
    history_store: Option<SqliteStore>,
    /// The counter at the last delivery (or skip).
    counter: u64,
    /// `PRAGMA data_version` at the last check; `None` if it cannot be read.
    data_version: Option<i64>,
    /// The last token handed to the handler: a later wake-up whose token is not newer (two
    /// counter moves read as one history token) delivers nothing, so subscribers see tokens
    /// strictly increase.
    delivered: Option<HistoryToken>,
    stopped: Arc<AtomicBool>,
}

impl Watcher {
    fn run(&mut self, mut waiter: wait::Waiter) {
        loop {
            match waiter.wait(FALLBACK_TICK) {
                Wake::Stop => return,
                Wake::Changed => self.check(),
                Wake::Tick => self.fallback(),
            }
            if self.stopped.load(Ordering::Acquire) {
                return;
            }
        }
    }

    fn data_version(&self) -> Option<i64> {
        self.fallback.query_row("PRAGMA data_version", [], |row| row.get(0)).ok()
    }

    /// After a wake-up: delivers the latest token if the counter moved for a change not
    /// made by this instance.
    fn check(&mut self) {
        // data_version first: every commit before this read is visible to the handler's
        // later reads, so the fallback need not report it again.
        self.data_version = self.data_version();
        let Ok(counter) = sidecar::read(&self.file) else { return };
        if counter == self.counter {
            return;
        }
        let previous = std::mem::replace(&mut self.counter, counter);
        if self.only_own(previous, counter) {
            return;
        }
        self.deliver(counter);
    }

    /// Whether every counter step in `(from, to]` was this instance's own.
    fn only_own(&self, from: u64, to: u64) -> bool {
        if to <= from || to - from > OWN_MEMORY as u64 {
            return false;
        }
        let own = self.inner.own.lock().unwrap_or_else(|e| e.into_inner());
        (from + 1..=to).all(|value| own.contains(&value))
    }

    /// The idle check: a counter move missed by inotify, or a foreign commit.
    fn fallback(&mut self) {
        let data_version = self.data_version();
        let counter = sidecar::read(&self.file).unwrap_or(self.counter);
        if counter != self.counter {
            self.check();
        } else if data_version.is_some() && data_version != self.data_version {
            self.data_version = data_version;
            // Wake every watcher of every process, this one included, as a commit would.
            if sidecar::bump(&self.file, |_| {}).is_err() {
                // A sidecar that cannot be written: at least this watcher reports it, with
                // the same token (the only wake-up that repeats one: nothing else can say
                // that a foreign commit happened).
                self.deliver_forced(self.counter);
            }
        }
    }

    fn deliver(&mut self, counter: u64) {
        let token = self.token(counter);
        if self.delivered.is_some_and(|last| token <= last) {
            return;
        }
        self.send(token);
    }

    fn deliver_forced(&mut self, counter: u64) {
        let token = self.token(counter);
        self.send(token);
    }

    fn send(&mut self, token: HistoryToken) {
        if self.stopped.load(Ordering::Acquire) {
            return;
        }
        self.delivered = Some(token);
        let change = RemoteChange { store: self.watched.uuid, token };
        let handler = self.handler.clone();
        // A panicking handler loses that one call, not the subscription.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(change)));
    }

    fn token(&self, counter: u64) -> HistoryToken {
        let fallback = HistoryToken { store: self.watched.uuid, sequence: counter };
        if !self.watched.history {
            return fallback;
        }
        match &self.history_store {
            Some(store) => store.current_history_token().unwrap_or(fallback),
            None => fallback,
        }
    }
}

/// Ends a watcher: set the flag, wake it, wait a bounded time for it.
struct Guard {
    stopped: Arc<AtomicBool>,
    stopper: wait::Stopper,
    done: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::Release);
        self.stopper.stop();
        let Some(thread) = self.thread.take() else { return };
        if thread.thread().id() == std::thread::current().id() {
            // Dropped by its own handler: the thread ends when the handler returns.
            return;
        }
        let (lock, condvar) = &*self.done;
        let deadline = Instant::now() + JOIN_BUDGET;
        let mut done = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !*done {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            done = condvar.wait_timeout(done, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        drop(done);
        let _ = thread.join();
    }
}
