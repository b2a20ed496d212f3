//! What a [`RestStore`](super::RestStore) tells its subscribers: [`RestEvent`]s for every
//! remote fetch and save (started, finished with the object IDs it changed in the cache,
//! failed with the [`RestError`]), and the broadcaster that delivers them.
//!
//! Events are sent into channels and never call back into a context: receive them on the
//! thread that owns the contexts to update and merge there ([`RestEvent::merge_request`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, Weak};

use strata_core::store::{HistoryToken, RemoteChange, RemoteChangeHandler, RemoteChangeSubscription};
use strata_core::{MergeRequest, ObjectId};
use strata_model::Uuid;

use crate::RestError;

/// Which kind of remote read an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RemoteKind {
    /// A fetch (a list of objects, possibly several pages).
    Fetch,
    /// One object, read to fill a not-yet-loaded object or refresh it.
    Object,
    /// The members of one object's to-many relationship (with
    /// [`RestOptions::relationship_requests`](super::RestOptions::relationship_requests)).
    Relationship,
}

/// The objects a remote fetch or save changed in the cache, by ID (the IDs the
/// [`Store`](strata_core::Store) answers with).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RestChanges {
    /// Objects new in the cache (not-yet-loaded placeholders included).
    pub inserted: Vec<ObjectId>,
    /// Objects whose values or relationships changed.
    pub updated: Vec<ObjectId>,
    /// Objects removed from the cache (the server no longer has them).
    pub deleted: Vec<ObjectId>,
}

impl RestChanges {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.inserted.is_empty() && self.updated.is_empty() && self.deleted.is_empty()
    }

    /// Adds later changes (an object deleted later is no longer listed as inserted or
    /// updated).
    pub fn append(&mut self, later: RestChanges) {
        self.inserted.extend(later.inserted);
        self.updated.extend(later.updated);
        if !later.deleted.is_empty() {
            self.inserted.retain(|id| !later.deleted.contains(id));
            self.updated.retain(|id| !later.deleted.contains(id));
            self.deleted.extend(later.deleted);
        }
    }

    /// The changes as a [`MergeRequest`], for `Context::merge_changes`.
    pub fn merge_request(&self) -> MergeRequest {
        MergeRequest::new(self.inserted.clone(), self.updated.clone(), self.deleted.clone())
    }
}

/// A notification of a [`RestStore`](super::RestStore).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RestEvent {
    /// A remote read was sent (after the cache had answered, in asynchronous mode).
    FetchStarted {
        /// What is read.
        kind: RemoteKind,
        /// The entity read.
        entity: String,
        /// The URL of the first request.
        url: String,
    },
    /// A remote read completed and its answer is in the cache.
    FetchFinished {
        /// What was read.
        kind: RemoteKind,
        /// The entity read.
        entity: String,
        /// The URL of the first request.
        url: String,
        /// What changed in the cache.
        changes: RestChanges,
        /// Whether the server answered `304 Not Modified` to every request (nothing changed).
        not_modified: bool,
    },
    /// A remote read failed; the cache is as it was before (pages merged before the
    /// failure stay merged: they are what the server said).
    FetchFailed {
        /// What was read.
        kind: RemoteKind,
        /// The entity read.
        entity: String,
        /// The URL of the first request.
        url: String,
        /// What went wrong.
        error: RestError,
    },
    /// A save is being sent to the server.
    SaveStarted {
        /// How many objects it inserts, updates or deletes.
        objects: usize,
    },
    /// The server accepted a whole save and the cache holds it.
    SaveFinished {
        /// What the save changed (inserted objects by permanent ID).
        changes: RestChanges,
    },
    /// A save failed; see [`RestStore`](super::RestStore) for what the cache holds then.
    SaveFailed {
        /// What went wrong.
        error: RestError,
    },
}

impl RestEvent {
    /// For a finished fetch that changed the cache, the changes as a [`MergeRequest`], so
    /// contexts merge them (`Context::merge_changes`) and observers update; `None` for
    /// every other event (a saving context already knows what its save changed).
    pub fn merge_request(&self) -> Option<MergeRequest> {
        match self {
            RestEvent::FetchFinished { changes, .. } if !changes.is_empty() => Some(changes.merge_request()),
            _ => None,
        }
    }
}

/// Delivers events to every live subscriber; a subscriber whose receiver is gone is
/// forgotten at the next event.
#[derive(Default)]
pub(crate) struct Broadcaster {
    senders: Mutex<Vec<Sender<RestEvent>>>,
}

impl Broadcaster {
    pub(crate) fn subscribe(&self) -> Receiver<RestEvent> {
        let (sender, receiver) = channel();
        self.senders.lock().unwrap_or_else(|e| e.into_inner()).push(sender);
        receiver
    }

    pub(crate) fn send(&self, event: RestEvent) {
        let mut senders = self.senders.lock().unwrap_or_else(|e| e.into_inner());
        senders.retain(|s| s.send(event.clone()).is_ok());
    }
}

/// The [`Store::subscribe_remote_changes`](strata_core::Store::subscribe_remote_changes)
/// handlers: called after every remote read that changed the cache (the server is the
/// "elsewhere" those changes come from). Tokens count those reads; the store keeps no
/// history, so they only order wake-ups.
#[derive(Default)]
pub(crate) struct RemoteHandlers {
    handlers: Mutex<Vec<(u64, RemoteChangeHandler)>>,
    next_key: AtomicU64,
    sequence: AtomicU64,
}

impl RemoteHandlers {
    pub(crate) fn add(self: &Arc<Self>, handler: RemoteChangeHandler) -> RemoteChangeSubscription {
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        self.handlers.lock().unwrap_or_else(|e| e.into_inner()).push((key, handler));
        RemoteChangeSubscription::new(HandlerGuard { handlers: Arc::downgrade(self), key })
    }

    /// Calls every handler (outside the lock) with the next token of `store`.
    pub(crate) fn notify(&self, store: Uuid) {
        let handlers: Vec<RemoteChangeHandler> = self
            .handlers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(_, h)| Arc::clone(h))
            .collect();
        if handlers.is_empty() {
            return;
        }
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed) + 1;
        let change = RemoteChange { store, token: HistoryToken { store, sequence } };
        for handler in handlers {
            handler(change);
        }
    }
}

/// Removes its handler when the subscription drops.
struct HandlerGuard {
    handlers: Weak<RemoteHandlers>,
    key: u64,
}

impl Drop for HandlerGuard {
    fn drop(&mut self) {
        if let Some(handlers) = self.handlers.upgrade() {
            handlers.handlers.lock().unwrap_or_else(|e| e.into_inner()).retain(|(k, _)| *k != self.key);
        }
    }
}
