//! The values a history tracker hands to the application: the [`TrackerEvent`]s it reports,
//! the [`MergeBatch`] its [`MergeTarget`]s receive, the [`MergeHook`]s that may rewrite or
//! drop a transaction before it is merged, the [`ObservedChange`]s its observers see, and
//! where a never-seen actor starts ([`StartPosition`]).

use std::sync::Arc;

use strata_core::context::MergeSender;
use strata_core::store::{ChangeKind, HistoryChange, HistoryToken, HistoryTransaction};
use strata_core::{MergeRequest, ObjectId};
use strata_model::Date;

use crate::cleaner::CleanReport;
use crate::error::{TargetError, TrackerError};

/// Where an actor that has never run starts reading history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StartPosition {
    /// From the beginning of the history the store still keeps: the first run merges
    /// everything other members wrote so far.
    #[default]
    Beginning,
    /// From the store's latest transaction when the tracker starts: only later changes.
    Now,
}

/// One transaction merged by the tracker, as reported in [`TrackerEvent::Merged`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MergedTransaction {
    /// Its history token.
    pub token: HistoryToken,
    /// Its author (the saving context's transaction author).
    pub author: Option<String>,
    /// The saving context's name.
    pub context_name: Option<String>,
    /// When it was committed (the store's clock): `Date::now()` minus this is the latency
    /// from commit to merge.
    pub timestamp: Date,
    /// Objects it inserted (after the hooks).
    pub inserted: Vec<ObjectId>,
    /// Objects it updated.
    pub updated: Vec<ObjectId>,
    /// Objects it deleted.
    pub deleted: Vec<ObjectId>,
}

impl MergedTransaction {
    /// How long ago it was committed: the latency from commit to merge when called as the
    /// event arrives (0 if the committing host's clock is ahead).
    pub fn latency(&self) -> std::time::Duration {
        let micros = Date::now().unix_micros().saturating_sub(self.timestamp.unix_micros());
        std::time::Duration::from_micros(u64::try_from(micros).unwrap_or(0))
    }

    pub(crate) fn of(transaction: &HistoryTransaction) -> MergedTransaction {
        let ids =
            |kind: ChangeKind| transaction.changes.iter().filter(|c| c.kind == kind).map(|c| c.id).collect();
        MergedTransaction {
            token: transaction.token,
            author: transaction.author.clone(),
            context_name: transaction.context_name.clone(),
            timestamp: transaction.timestamp,
            inserted: ids(ChangeKind::Insert),
            updated: ids(ChangeKind::Update),
            deleted: ids(ChangeKind::Delete),
        }
    }
}

/// What a tracker reports to the application (see
/// [`TrackerBuilder::on_event`](crate::TrackerBuilder::on_event) and
/// [`TrackerBuilder::send_events_to`](crate::TrackerBuilder::send_events_to)).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum TrackerEvent {
    /// Transactions were merged into every target and the bookmark advanced.
    Merged {
        /// The transactions, oldest first.
        transactions: Vec<MergedTransaction>,
        /// The bookmark now stored.
        bookmark: HistoryToken,
    },
    /// The history after the bookmark was deleted (or belongs to a replaced store): every
    /// target was asked to refresh all its objects and the bookmark reset to the store's
    /// current token. Changes in between are covered by that refresh, not listed.
    Expired {
        /// The bookmark that could no longer be read after.
        bookmark: Option<HistoryToken>,
        /// The bookmark now stored.
        reset_to: HistoryToken,
    },
    /// The cleaner deleted history.
    Cleaned(CleanReport),
    /// A pass failed; the bookmark stayed where it was and the next pass retries.
    Failed {
        /// What went wrong.
        error: Arc<TrackerError>,
    },
}

/// What one pass hands to each merge target: the transactions kept after filtering and
/// hooks (oldest first), and the same changes as one [`MergeRequest`].
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct MergeBatch {
    /// The transactions.
    pub transactions: Vec<HistoryTransaction>,
    /// Their changes, in order, as one request for [`Context::merge_changes`](strata_core::Context::merge_changes).
    pub request: MergeRequest,
}

/// A message to a closure target ([`TrackerBuilder::merge_with`](crate::TrackerBuilder::merge_with)).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum TargetMessage<'a> {
    /// Merge these changes.
    Merge(&'a MergeBatch),
    /// Re-read every object ([`Context::refresh_all_objects`](strata_core::Context::refresh_all_objects)):
    /// the changes since the bookmark can no longer be listed.
    RefreshAll,
}

/// Where a tracker merges: a context's inbox ([`MergeSender`] implements this), or anything
/// else that keeps objects current. Called on the tracker's worker thread (or the thread
/// calling [`HistoryTracker::process_now`](crate::HistoryTracker::process_now)); the
/// bookmark advances only after every target returned `Ok`, so a failing target sees the
/// same transactions again at the next pass (targets must tolerate seeing a transaction
/// twice after a crash between their merge and the bookmark's write).
pub trait MergeTarget: Send {
    /// Merges a batch.
    fn merge(&mut self, batch: &MergeBatch) -> Result<(), TargetError>;

    /// Re-reads every object: the recovery after the history expired.
    fn refresh_all(&mut self) -> Result<(), TargetError>;
}

impl MergeTarget for MergeSender {
    fn merge(&mut self, batch: &MergeBatch) -> Result<(), TargetError> {
        self.send(batch.request.clone()).map_err(|_| TargetError::InboxClosed)
    }

    fn refresh_all(&mut self) -> Result<(), TargetError> {
        self.request_refresh_all().map_err(|_| TargetError::InboxClosed)
    }
}

/// A closure target.
pub(crate) struct FnTarget<F>(pub(crate) F);

impl<F> MergeTarget for FnTarget<F>
where
    F: FnMut(TargetMessage<'_>) -> Result<(), TargetError> + Send,
{
    fn merge(&mut self, batch: &MergeBatch) -> Result<(), TargetError> {
        (self.0)(TargetMessage::Merge(batch))
    }

    fn refresh_all(&mut self) -> Result<(), TargetError> {
        (self.0)(TargetMessage::RefreshAll)
    }
}

/// What a [`MergeHook`] decides about a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HookAction {
    /// Pass it on (possibly rewritten) to the next hook and then to the targets.
    Keep,
    /// Drop it: no later hook, observer or target sees it (the bookmark still moves past).
    Drop,
}

/// A link of the hook chain, run on every kept transaction in the order hooks were added:
/// it may pass it on, drop it (a veto, or a duplicate), or rewrite its changes in place
/// (remove or alter some). A transaction left with no change is not merged. Closures
/// `FnMut(&mut HistoryTransaction) -> HookAction + Send` are hooks.
pub trait MergeHook: Send {
    /// Decides about `transaction`, which it may change.
    fn process(&mut self, transaction: &mut HistoryTransaction) -> HookAction;
}

impl<F: FnMut(&mut HistoryTransaction) -> HookAction + Send> MergeHook for F {
    fn process(&mut self, transaction: &mut HistoryTransaction) -> HookAction {
        self(transaction)
    }
}

/// One change as an observer sees it, with the transaction it belongs to.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ObservedChange<'a> {
    /// The transaction (after the hooks).
    pub transaction: &'a HistoryTransaction,
    /// The change.
    pub change: &'a HistoryChange,
}
