//! Query generations of a [`SqliteStore`](crate::SqliteStore): a dedicated reader
//! connection holding one read transaction open, so every read through the generation sees
//! the WAL snapshot its first read established, whatever is committed since.
//!
//! The connection is not from the reader pool (a generation may live long, and must not
//! starve fetches), is `query_only` like every reader, and its transaction ends when the
//! generation drops. While it is open SQLite cannot checkpoint the WAL past its snapshot:
//! the `-wal` file keeps growing with every save until the generation is released. This
//! module never writes.

use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;
use strata_core::store::{GenerationReader, StoreFetchRequest, StoreFetchResult};
use strata_core::{ObjectId, Snapshot, StoreError};

use crate::store::Shared;

/// One open generation: the store's layout and a connection inside its read transaction.
pub(crate) struct SqliteGeneration {
    shared: Arc<Shared>,
    conn: Mutex<Connection>,
}

impl SqliteGeneration {
    /// Wraps a connection already inside its read transaction (`Readers::open_snapshot`).
    pub(crate) fn new(shared: Arc<Shared>, conn: Connection) -> SqliteGeneration {
        SqliteGeneration { shared, conn: Mutex::new(conn) }
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // Reads leave nothing half-done on the connection: a poisoned lock still guards a
        // usable connection in its read transaction.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl GenerationReader for SqliteGeneration {
    fn fetch(&self, request: &StoreFetchRequest) -> Result<StoreFetchResult, StoreError> {
        let plan = self.shared.plan_fetch(request)?;
        self.shared.run_fetch(&self.conn(), &plan, request)
    }

    fn snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.shared.load_snapshots(&self.conn(), ids)
    }

    fn related(&self, sources: &[ObjectId], relationship: usize) -> Result<Vec<Vec<ObjectId>>, StoreError> {
        if sources.is_empty() {
            return Ok(Vec::new());
        }
        self.shared.load_related(&self.conn(), sources, relationship)
    }
}

impl Drop for SqliteGeneration {
    fn drop(&mut self) {
        let conn = self.conn.get_mut().unwrap_or_else(|e| e.into_inner());
        if !conn.is_autocommit() {
            // Closing the connection ends the transaction anyway; rolling back first just
            // releases the snapshot without waiting for the close.
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
}
