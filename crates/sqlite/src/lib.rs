//! Strata's SQLite store: [`SqliteStore`], the default persistent store, in one SQLite
//! file (WAL mode, bundled SQLite).
//!
//! - [`SqliteStore::create`], [`SqliteStore::open`], [`SqliteStore::open_or_create`] and
//!   [`SqliteStore::open_existing`] make or open a store; [`SqliteOptions`] says how.
//! - [`SqliteStore`] implements [`strata_core::Store`] exactly as its rules say (atomic
//!   saves, optimistic locking, keys never reused, predicates compiled to SQL with the rest
//!   evaluated in memory) and passes the store conformance suite.
//!
//! The file layout is `strata_predicate::sql::DefaultSchema`'s, plus the store's own
//! `Z_METADATA` and `Z_PRIMARYKEY` tables (see [`SqliteStore`] and [`LAYOUT_VERSION`]). Reads
//! run on a pool of reader connections and never wait for a save; saves run on one writer
//! connection; another process may have the same file open, and lock waits are handled
//! inside the store. This crate uses nothing of `strata-core` that another store could not.
//!
//! What holds across processes, and what does not:
//! - processes on one host sharing a file on a local file system may all read and save at
//!   once: saves are serialized by SQLite's write lock, each read sees one committed state,
//!   and a process killed at any moment leaves the file whole with every save all or
//!   nothing (`synchronous=NORMAL` in WAL mode: an operating-system crash or power loss may
//!   lose the last saves, never consistency);
//! - a network file system is not supported (WAL needs shared memory between processes);
//! - `Store::subscribe_remote_changes` tells every other store instance, in any process,
//!   of each commit (inotify on a `-notify` sidecar file; writers that bypass Strata are
//!   noticed within about a second).

mod aggregate;
mod batch;
mod connection;
mod error;
mod fetch;
mod generation;
mod history;
mod layout;
mod lookup;
mod metadata;
mod notify;
mod open;
mod options;
mod rows;
mod save;
mod store;
mod view;

pub use error::STORE_TYPE;
pub use metadata::LAYOUT_VERSION;
pub use options::SqliteOptions;
pub use store::SqliteStore;
