//! Persistent history and remote-change notification: the store-neutral types through which
//! a store reports what every transaction changed and wakes other coordinators and processes
//! on the same store. Stores answer [`StoreError::Unsupported`](super::StoreError::Unsupported)
//! until they keep history; the requests grow filters as the history issue lands (the types
//! are `#[non_exhaustive]` for that reason).

use std::sync::Arc;

use strata_model::{Date, Uuid, Value};

use crate::ObjectId;

/// A position in one store's history: comparable with tokens of the same store, bound to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HistoryToken {
    /// The store the token belongs to.
    pub store: Uuid,
    /// The transaction's place in the store's history (monotonic).
    pub sequence: u64,
}

/// Which part of a store's history to read (built with the methods in
/// [`crate::history`]). Transactions are returned oldest first; the filters combine with
/// "and"; `entity` and `kinds` also narrow each transaction's changes, and a transaction
/// left with no change is skipped.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct HistoryRequest {
    /// Only transactions after this token; `None` from the start of the kept history. A
    /// token older than deleted history fails with [`StoreError::HistoryExpired`](super::StoreError::HistoryExpired).
    pub after: Option<HistoryToken>,
    /// Most transactions to return: page by asking again after the last one returned.
    pub limit: Option<usize>,
    /// Only transactions committed strictly after this date.
    pub after_date: Option<Date>,
    /// Only transactions of one of these authors (empty: any author).
    pub authors: Vec<String>,
    /// Only transactions saved by a context of this name.
    pub context_name: Option<String>,
    /// Only changes to objects of this entity or its sub-entities (by name).
    pub entity: Option<String>,
    /// Only changes of these kinds (empty: every kind).
    pub kinds: Vec<ChangeKind>,
}

/// Which part of a store's history to delete (built with the methods in
/// [`crate::history`]): every transaction up to and including `through`, or committed
/// before `before_date`, optionally only those of some authors. Readers asking for history
/// after a token older than a deleted transaction then get
/// [`StoreError::HistoryExpired`](super::StoreError::HistoryExpired).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct HistoryDeleteRequest {
    /// Delete transactions up to and including this token.
    pub through: Option<HistoryToken>,
    /// Delete transactions committed strictly before this date.
    pub before_date: Option<Date>,
    /// Only transactions of one of these authors (empty: any author).
    pub authors: Vec<String>,
}

/// One recorded transaction.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HistoryTransaction {
    /// Its token.
    pub token: HistoryToken,
    /// When it was committed.
    pub timestamp: Date,
    /// The saving context's transaction author.
    pub author: Option<String>,
    /// The saving context's name.
    pub context_name: Option<String>,
    /// The saving process's ID.
    pub process_id: u32,
    /// The saving application: the file name of the process's executable (recorded by the
    /// store itself, so every save carries it without any setting).
    pub application: Option<String>,
    /// The changes, one per object.
    pub changes: Vec<HistoryChange>,
}

/// What a transaction did to one object.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HistoryChange {
    /// Insert, update or delete.
    pub kind: ChangeKind,
    /// The object.
    pub id: ObjectId,
    /// For updates: the names of the changed attributes and to-one relationships.
    pub updated: Vec<String>,
    /// For deletes: the values of the attributes marked `preserveAfterDeletion`.
    pub tombstone: Vec<(String, Value)>,
    /// For updates, when the store records values (`history_values`): the updated
    /// attributes' values before the save; empty otherwise.
    pub old_values: Vec<(String, Value)>,
    /// For updates, when the store records values: the updated attributes' new values.
    pub new_values: Vec<(String, Value)>,
}

/// The kind of a [`HistoryChange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// The object was inserted.
    Insert,
    /// The object was updated.
    Update,
    /// The object was deleted.
    Delete,
}

/// A wake-up: the store was changed (by this or another process) up to `token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteChange {
    /// The store's UUID.
    pub store: Uuid,
    /// The latest token when the change was noticed.
    pub token: HistoryToken,
}

/// Called with each [`RemoteChange`], from a thread of the store's choosing.
pub type RemoteChangeHandler = Arc<dyn Fn(RemoteChange) + Send + Sync>;

/// Keeps a remote-change subscription alive; dropping it ends the subscription.
pub struct RemoteChangeSubscription {
    _guard: Box<dyn Send + Sync>,
}

impl RemoteChangeSubscription {
    /// A subscription that lasts as long as `guard` (which stops the delivery when dropped).
    pub fn new(guard: impl Send + Sync + 'static) -> RemoteChangeSubscription {
        RemoteChangeSubscription { _guard: Box::new(guard) }
    }
}

impl std::fmt::Debug for RemoteChangeSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RemoteChangeSubscription")
    }
}
