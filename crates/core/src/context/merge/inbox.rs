//! [`ContextInbox`]: how another thread asks a context's owner to merge changes. A context
//! is not `Sync` and never touched by another thread (`docs/concurrency.md`, rule 1), so a
//! merge travels as a `Send` [`MergeRequest`] through a channel, and the owner applies what
//! arrived when it chooses. A sender may also ask the owner to re-read every object
//! ([`MergeSender::request_refresh_all`]), when what changed can no longer be listed.

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
    receiver: Receiver<InboxMessage>,
}

/// The sending end: `Send + Clone`, for any thread that wants the context to merge changes.
#[derive(Debug, Clone)]
pub struct MergeSender {
    sender: Sender<InboxMessage>,
}

/// What travels through the channel.
#[derive(Debug)]
enum InboxMessage {
    Merge(MergeRequest),
    RefreshAll,
}

/// What the owner applies at once: the merged requests, and whether to refresh everything.
#[derive(Default)]
struct Pending {
    request: MergeRequest,
    refresh_all: bool,
}

impl Pending {
    fn add(&mut self, message: InboxMessage) {
        match message {
            InboxMessage::Merge(request) => self.request.append(request),
            InboxMessage::RefreshAll => self.refresh_all = true,
        }
    }

    /// Merges the requests, then refreshes every object if asked to.
    fn apply(self, context: &mut Context) -> Result<MergeOutcome> {
        let mut outcome = if self.request.is_empty() {
            MergeOutcome::default()
        } else {
            context.merge_changes(self.request)?
        };
        if self.refresh_all {
            let refreshed = context.refresh_all_objects()?;
            outcome.refreshed.extend(refreshed.refreshed);
            outcome.collided.extend(refreshed.collided);
            outcome.deferred.extend(refreshed.deferred);
            outcome.forgotten.extend(refreshed.forgotten);
            outcome.lost_changes.extend(refreshed.lost_changes);
        }
        Ok(outcome)
    }
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
    /// ([`Context::merge_changes`]), then, if a sender asked for it, re-reads every object
    /// ([`Context::refresh_all_objects`]); does nothing if nothing is queued. Never blocks.
    pub fn apply(&self, context: &mut Context) -> Result<MergeOutcome> {
        let mut pending = Pending::default();
        self.drain(&mut pending);
        pending.apply(context)
    }

    /// Waits at most `timeout` for a request, then applies it and every request queued
    /// behind it as [`ContextInbox::apply`] does. `None` if nothing arrived in time (or
    /// every sender is gone).
    pub fn apply_next(&self, context: &mut Context, timeout: Duration) -> Result<Option<MergeOutcome>> {
        let first = match self.receiver.recv_timeout(timeout) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return Ok(None),
        };
        let mut pending = Pending::default();
        pending.add(first);
        self.drain(&mut pending);
        pending.apply(context).map(Some)
    }

    fn drain(&self, pending: &mut Pending) {
        while let Ok(next) = self.receiver.try_recv() {
            pending.add(next);
        }
    }
}

impl MergeSender {
    /// Queues `changes` for the context's owner; fails only if the inbox was dropped.
    pub fn send(&self, changes: impl Into<MergeRequest>) -> Result<(), InboxClosed> {
        self.sender.send(InboxMessage::Merge(changes.into())).map_err(|e| InboxClosed {
            request: match e.0 {
                InboxMessage::Merge(request) => request,
                InboxMessage::RefreshAll => MergeRequest::default(),
            },
        })
    }

    /// Asks the context's owner to re-read every object at its next
    /// [`ContextInbox::apply`] ([`Context::refresh_all_objects`], after the merges queued
    /// with it): the recovery when changes made elsewhere can no longer be listed (history
    /// expired). Fails only if the inbox was dropped (the error's request is then empty).
    pub fn request_refresh_all(&self) -> Result<(), InboxClosed> {
        self.sender
            .send(InboxMessage::RefreshAll)
            .map_err(|_| InboxClosed { request: MergeRequest::default() })
    }
}
