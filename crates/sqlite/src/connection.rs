//! The store's connections: one writer behind a mutex, a pool of readers, and the busy
//! handling around both.
//!
//! Rules this module keeps:
//! - every connection gets the same settings ([`configure`]): WAL, `synchronous=NORMAL`,
//!   foreign keys off, a busy timeout, Strata's SQL functions and the `rarray` function;
//! - readers are `query_only` and never wait for the writer (WAL gives each read
//!   transaction its own snapshot);
//! - a write transaction starts with `BEGIN IMMEDIATE`; when another connection's lock
//!   gets in the way (at `BEGIN`, or rarely later), the transaction is rolled back and run
//!   again with backoff until the options' budget is spent; only then does a caller see an
//!   error, and never `SQLITE_BUSY` itself;
//! - a transaction that is not committed is rolled back, whatever happened (error or panic).
//!
//! It never decides what to read or write: that is the callers' (fetch, lookup, save).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use strata_core::StoreError;

use crate::error::{DbResult, STORE_TYPE, is_busy_store_error};

/// Statements kept prepared per connection: the inserts and look-ups of every entity and a
/// working set of fetches.
const STATEMENT_CACHE: usize = 256;

/// Opens a connection to an existing file without creating it, in the mode every store
/// connection uses (one thread at a time, guarded by the store's own locks).
pub(crate) fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(path, flags).db()
}

/// The lock-wait SQLite itself does inside one call, before our retry loop takes over:
/// short, so the loop's budget is what bounds the whole wait.
fn handler_timeout(budget: Duration) -> Duration {
    budget.min(Duration::from_millis(250))
}

/// Settings every connection gets once the file is known to be a store (they may write the
/// database header, so never before).
pub(crate) fn configure(conn: &Connection, budget: Duration, reader: bool) -> Result<(), StoreError> {
    conn.busy_timeout(handler_timeout(budget)).db()?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    if !reader {
        // WAL is a property of the file: the writer sets it (a no-op once set) and checks
        // that SQLite agreed, since some file systems cannot hold a WAL.
        let mode: String = retry_busy(budget, || {
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).db()
        })?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend {
                store_type: STORE_TYPE.to_owned(),
                message: format!("SQLite refused WAL mode (journal mode is {mode})"),
                source: None,
            });
        }
    }
    // The bundled SQLite turns foreign keys on and defaults to synchronous=FULL: set both
    // explicitly. WAL with NORMAL loses nothing committed when a process crashes.
    conn.pragma_update(None, "synchronous", "NORMAL").db()?;
    conn.pragma_update(None, "foreign_keys", "OFF").db()?;
    if reader {
        conn.pragma_update(None, "query_only", "ON").db()?;
    }
    strata_predicate::sql::register_functions(conn).db()?;
    rusqlite::vtab::array::load_module(conn).db()?;
    Ok(())
}

/// Runs `operation` until it succeeds, fails for a reason other than a lock, or `budget`
/// is spent; waits between attempts with exponential backoff (1 ms up to 100 ms).
pub(crate) fn retry_busy<T>(
    budget: Duration,
    mut operation: impl FnMut() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match operation() {
            Err(e) if is_busy_store_error(&e) => {
                if start.elapsed() >= budget {
                    return Err(locked_too_long(budget));
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

fn locked_too_long(budget: Duration) -> StoreError {
    StoreError::Backend {
        store_type: STORE_TYPE.to_owned(),
        message: format!(
            "the database stayed locked by another connection for {:.1} s (the busy_timeout budget)",
            budget.as_secs_f64()
        ),
        source: None,
    }
}

/// The writer connection.
pub(crate) struct Writer {
    conn: Mutex<Connection>,
    budget: Duration,
}

impl Writer {
    pub fn new(conn: Connection, budget: Duration) -> Writer {
        Writer { conn: Mutex::new(conn), budget }
    }

    /// Runs `body` in an `IMMEDIATE` transaction: committed when it returns `Ok`, rolled
    /// back otherwise. While another connection holds a lock, the whole transaction is
    /// rolled back and run again (as the module docs say): `body` must derive everything it
    /// writes from what it reads inside the transaction, which a save does.
    pub fn write<T>(
        &self,
        mut body: impl FnMut(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // A panic inside `body` left the transaction rolled back (the guard below), so a
        // poisoned mutex still guards a usable connection.
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let conn: &Connection = &conn;
        retry_busy(self.budget, || {
            conn.prepare_cached("BEGIN IMMEDIATE").and_then(|mut s| s.execute([])).db()?;
            let mut guard = Rollback { conn, armed: true };
            let value = body(conn)?;
            conn.prepare_cached("COMMIT").and_then(|mut s| s.execute([])).db()?;
            guard.armed = false;
            Ok(value)
        })
    }
}

/// Rolls back the open transaction when dropped while armed.
struct Rollback<'c> {
    conn: &'c Connection,
    armed: bool,
}

impl Drop for Rollback<'_> {
    fn drop(&mut self) {
        if self.armed && !self.conn.is_autocommit() {
            // Nothing useful can be done with a failed rollback here: SQLite rolls the
            // transaction back itself when the connection next begins or closes.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// The reader connections: opened on demand up to a maximum, handed out one per read.
pub(crate) struct Readers {
    path: PathBuf,
    budget: Duration,
    max: usize,
    state: Mutex<Pool>,
    returned: Condvar,
    /// Statements started on reader connections (a diagnostic: see `statement_count`).
    statements: Arc<AtomicU64>,
}

struct Pool {
    idle: Vec<Connection>,
    open: usize,
}

impl Readers {
    pub fn new(path: PathBuf, budget: Duration, max: usize) -> Readers {
        Readers {
            path,
            budget,
            max: max.max(1),
            state: Mutex::new(Pool { idle: Vec::new(), open: 0 }),
            returned: Condvar::new(),
            statements: Arc::default(),
        }
    }

    /// How many statements the readers have started (each read's `BEGIN` and `ROLLBACK`
    /// included), counted by SQLite's statement trace.
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, Pool> {
        // The pool's state is a list and a counter, consistent after any panic.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `body` in a read transaction on a reader connection: one consistent snapshot of
    /// the store for all its statements. Retried as a whole (it only reads) while a lock
    /// is in the way.
    pub fn read<T>(
        &self,
        mut body: impl FnMut(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let lease = self.take()?;
        let conn = lease.conn()?;
        retry_busy(self.budget, || {
            conn.prepare_cached("BEGIN").and_then(|mut s| s.execute([])).db()?;
            // The transaction only reads: ending it by rollback releases the snapshot
            // exactly as a commit would, and cannot fail for a lock.
            let _end = Rollback { conn, armed: true };
            body(conn)
        })
    }

    /// A new reader connection, outside the pool, inside a read transaction whose snapshot
    /// is established (`BEGIN` alone takes none: the first read does), for a query
    /// generation. The transaction lasts until the connection is rolled back or closed.
    pub fn open_snapshot(&self) -> Result<Connection, StoreError> {
        let conn = self.open_reader()?;
        retry_busy(self.budget, || {
            conn.execute_batch("BEGIN").db()?;
            let read =
                conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get::<_, i64>(0)).db();
            if let Err(e) = read {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
            Ok(())
        })?;
        Ok(conn)
    }

    fn take(&self) -> Result<Lease<'_>, StoreError> {
        let mut pool = self.lock();
        loop {
            if let Some(conn) = pool.idle.pop() {
                return Ok(Lease { readers: self, conn: Some(conn) });
            }
            if pool.open < self.max {
                pool.open += 1;
                drop(pool);
                return match self.open_reader() {
                    Ok(conn) => Ok(Lease { readers: self, conn: Some(conn) }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.returned.notify_one();
                        Err(e)
                    }
                };
            }
            pool = self.returned.wait(pool).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn open_reader(&self) -> Result<Connection, StoreError> {
        let mut conn = open_connection(&self.path)?;
        configure(&conn, self.budget, true)?;
        let statements = self.statements.clone();
        let count = move |_: rusqlite::trace::TraceEvent<'_>| {
            statements.fetch_add(1, Ordering::Relaxed);
        };
        conn.trace_v2(rusqlite::trace::TraceEventCodes::SQLITE_TRACE_STMT, Some(count)).db()?;
        Ok(conn)
    }
}

/// A reader taken from the pool; it goes back when dropped, even during a panic.
struct Lease<'r> {
    readers: &'r Readers,
    conn: Option<Connection>,
}

impl Lease<'_> {
    fn conn(&self) -> Result<&Connection, StoreError> {
        // `conn` is only emptied by `drop`.
        self.conn.as_ref().ok_or_else(|| StoreError::Backend {
            store_type: STORE_TYPE.to_owned(),
            message: "a reader connection was used after it went back to the pool".to_owned(),
            source: None,
        })
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.readers.lock().idle.push(conn);
            self.readers.returned.notify_one();
        }
    }
}
