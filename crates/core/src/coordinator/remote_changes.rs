//! Remote-change subscriptions at the coordinator: one subscription over every store the
//! coordinator holds, delivered to a callback ([`Coordinator::on_remote_change`]) or through
//! a channel ([`Coordinator::subscribe_remote_changes`]). This is Core Data's
//! `NSPersistentStoreRemoteChange` notification: it says that (and up to which token) a
//! store changed elsewhere; the caller decides what to merge (`merge_remote`, or the
//! store's history after its last token).
//!
//! The stores' watcher threads call the handler; this module never touches a context or the
//! row cache, and holds no coordinator lock while subscribing.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use crate::store::{RemoteChange, RemoteChangeHandler, RemoteChangeSubscription};
use crate::{Coordinator, Result, StoreError};

/// The channel form of a remote-change subscription: changes of every store of the
/// coordinator arrive on [`RemoteChanges::receiver`] until this value drops.
pub struct RemoteChanges {
    receiver: Receiver<RemoteChange>,
    _subscription: RemoteChangeSubscription,
}

impl RemoteChanges {
    /// The receiving end (usable from the thread holding this value).
    pub fn receiver(&self) -> &Receiver<RemoteChange> {
        &self.receiver
    }

    /// The next change, waiting at most `timeout`; `None` if none came.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<RemoteChange> {
        self.receiver.recv_timeout(timeout).ok()
    }

    /// Every change already delivered, without waiting.
    pub fn drain(&self) -> Vec<RemoteChange> {
        self.receiver.try_iter().collect()
    }
}

impl std::fmt::Debug for RemoteChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RemoteChanges")
    }
}

impl Coordinator {
    /// Calls `handler` (on a store's thread) after every change committed elsewhere to any
    /// of the coordinator's current stores, until the returned subscription drops. Stores
    /// that cannot notify (answering [`StoreError::Unsupported`]) are left out; if no store
    /// can, that error is returned. Stores added later are not covered.
    pub fn on_remote_change(&self, handler: RemoteChangeHandler) -> Result<RemoteChangeSubscription> {
        let stores: Vec<_> = self.stores().into_iter().filter_map(|id| self.store(id)).collect();
        let mut subscriptions = Vec::with_capacity(stores.len());
        let mut unsupported = None;
        for store in stores {
            match store.subscribe_remote_changes(handler.clone()) {
                Ok(subscription) => subscriptions.push(subscription),
                Err(error @ StoreError::Unsupported { .. }) => {
                    unsupported.get_or_insert(error);
                }
                Err(error) => return Err(error.into()),
            }
        }
        match unsupported {
            Some(error) if subscriptions.is_empty() => Err(error.into()),
            _ => Ok(RemoteChangeSubscription::new(subscriptions)),
        }
    }

    /// [`Coordinator::on_remote_change`] with a channel: the changes arrive on the
    /// returned value's receiver.
    pub fn subscribe_remote_changes(&self) -> Result<RemoteChanges> {
        let (sender, receiver) = mpsc::channel();
        let handler: RemoteChangeHandler = Arc::new(move |change| {
            // A dropped receiver means the subscription is ending: nothing to do.
            let _ = sender.send(change);
        });
        let subscription = self.on_remote_change(handler)?;
        Ok(RemoteChanges { receiver, _subscription: subscription })
    }
}
