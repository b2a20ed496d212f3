//! Store-neutral helpers for persistent history, shared by every store that keeps it:
//! the token's string and `serde` forms (`token`), the request builders and filters
//! (`select`), what a save records (`record`), an in-memory log (`log`, the
//! [`MemoryStore`](crate::memory_store::MemoryStore)'s history and a reference for other
//! stores), and the conversion of a transaction into a [`MergeRequest`].
//!
//! Nothing here touches a backend or a lock: stores call these functions inside their own
//! save transaction, so the history they write can never disagree with their data.

mod log;
mod record;
mod select;
mod token;

pub use log::HistoryLog;
pub use record::{HistoryCapture, changes_of_save, current_process, ids_to_capture};
pub use select::{check_after, check_token, select_transaction};
pub use token::TokenParseError;

use crate::context::MergeRequest;
use strata_model::Date;

use crate::ObjectId;
use crate::store::{ChangeKind, HistoryChange, HistoryToken, HistoryTransaction};

impl HistoryTransaction {
    /// A transaction with no change yet (stores reading their history build it so).
    pub fn new(
        token: HistoryToken,
        timestamp: Date,
        author: Option<String>,
        context_name: Option<String>,
        process_id: u32,
        application: Option<String>,
    ) -> HistoryTransaction {
        HistoryTransaction {
            token,
            timestamp,
            author,
            context_name,
            process_id,
            application,
            changes: Vec::new(),
        }
    }

    /// The transaction as a [`MergeRequest`] (inserted, updated and deleted IDs), so that
    /// `context.merge_changes(tx.object_id_notification())` brings a context up to date with
    /// a change saved by another process.
    pub fn object_id_notification(&self) -> MergeRequest {
        let ids = |kind: ChangeKind| self.changes.iter().filter(|c| c.kind == kind).map(|c| c.id).collect();
        MergeRequest::new(ids(ChangeKind::Insert), ids(ChangeKind::Update), ids(ChangeKind::Delete))
    }
}

impl HistoryChange {
    /// A change of `kind` to `id` naming no property and carrying no value.
    pub fn new(kind: ChangeKind, id: ObjectId) -> HistoryChange {
        HistoryChange {
            kind,
            id,
            updated: Vec::new(),
            tombstone: Vec::new(),
            old_values: Vec::new(),
            new_values: Vec::new(),
        }
    }
}

impl ChangeKind {
    /// The kind's lower-case name (`"insert"`, `"update"`, `"delete"`), as the CLI prints it.
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::Insert => "insert",
            ChangeKind::Update => "update",
            ChangeKind::Delete => "delete",
        }
    }

    /// The kind named by [`ChangeKind::name`], if any.
    pub fn from_name(name: &str) -> Option<ChangeKind> {
        match name {
            "insert" => Some(ChangeKind::Insert),
            "update" => Some(ChangeKind::Update),
            "delete" => Some(ChangeKind::Delete),
            _ => None,
        }
    }
}
