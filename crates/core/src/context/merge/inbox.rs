//! [`ContextInbox`]: how another thread asks a context's owner to merge changes. A context
//! is not `Sync` and never touched by another thread (`docs/concurrency.md`, rule 1), so a
//! merge travels as a `Send` [`MergeRequest`] through a channel, and the owner applies what
//! arrived when it chooses.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

use super::{MergeOutcome, MergeRequest};
use crate::{Context, Result};

/// The receiving end of merges for one context, kept by the thread that owns the context;
/// [`ContextInbox::new`] also returns the [`MergeSender`] other threads use. A context is not
/// `Sync` and never touched by another thread, so a merge travels as a `Send`
/// [`MergeRequest`] and the owner applies what arrived when it chooses.
///
/// ```
/// # use std::sync::Arc;
/// # use strata_core::{Context, Coordinator, memory_store::MemoryStore};
/// # use strata_core::context::ContextInbox;
/// # let model = Arc::new(strata_model::Model::from_json(r#"{"name":"M","version":1,"entities":[{"name":"Note","attributes":[{"name":"text","type":"string"}]}]}"#).unwrap());
/// # let coordinator = Coordinator::new(model.clone());
/// # coordinator.add_store("Default", Arc::new(MemoryStore::new(model)))?;
/// let (sender, inbox) = ContextInbox::new();
/// // Another thread saves, and forwards its notification to the context's owner.
/// let worker = std::thread::spawn({
///     let coordinator = coordinator.clone();
///     move || -> strata_core::Result<()> {
///         let mut other = Context::new(coordinator);
///         let note = other.insert("Note")?;
///         other.set(note, "text", "hi")?;
///         for notification in other.save()?.notifications {
///             sender.send(notification).expect("the owner keeps its inbox");
///         }
///         Ok(())
///     }
/// });
/// worker.join().expect("the worker ran")?;
/// // The owner applies what arrived, on its own thread.
/// let mut context = Context::new(coordinator);
/// let outcome = inbox.apply(&mut context)?;
/// assert!(outcome.forgotten.is_empty());
/// # Ok::<(), strata_core::Error>(())
/// ```
#[derive(Debug)]
pub struct ContextInbox {
    receiver: Receiver<MergeRequest>,
}

/// The sending end: `Send + Clone`, for any thread that wants the context to merge changes.
#[derive(Debug, Clone)]
pub struct MergeSender {
    sender: Sender<MergeRequest>,
}

/// The [`ContextInbox`] was dropped: nobody will apply the request, which is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the context inbox was dropped; the merge request of {} object(s) was not delivered", request.inserted.len() + request.updated.len() + request.deleted.len())]
#[non_exhaustive]
pub struct InboxClosed {
    /// The undelivered request.
    pub request: MergeRequest,
}

impl ContextInbox {
    /// A new inbox and its sender.
    pub fn new() -> (MergeSender, ContextInbox) {
        let (sender, receiver) = channel();
        (MergeSender { sender }, ContextInbox { receiver })
    }

    /// Merges into `context` every request queued so far, as one merge
    /// ([`Context::merge_changes`]); does nothing if none is queued. Never blocks.
    pub fn apply(&self, context: &mut Context) -> Result<MergeOutcome> {
        let mut request = MergeRequest::default();
        self.drain(&mut request);
        if request.is_empty() {
            return Ok(MergeOutcome::default());
        }
        context.merge_changes(request)
    }

    /// Waits at most `timeout` for a request, then merges it and every request queued
    /// behind it as one merge. `None` if nothing arrived in time (or every sender is gone).
    pub fn apply_next(&self, context: &mut Context, timeout: Duration) -> Result<Option<MergeOutcome>> {
        let mut request = match self.receiver.recv_timeout(timeout) {
            Ok(request) => request,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return Ok(None),
        };
        self.drain(&mut request);
        context.merge_changes(request).map(Some)
    }

    fn drain(&self, request: &mut MergeRequest) {
        while let Ok(next) = self.receiver.try_recv() {
            request.append(next);
        }
    }
}

impl MergeSender {
    /// Queues `changes` for the context's owner; fails only if the inbox was dropped.
    pub fn send(&self, changes: impl Into<MergeRequest>) -> Result<(), InboxClosed> {
        self.sender.send(changes.into()).map_err(|e| InboxClosed { request: e.0 })
    }
}
