//! [`DidSave`]: the notification a coordinator publishes after each store it saved to, and
//! the subscriber list that delivers it.
//!
//! Delivery is a plain channel send per subscriber, after the store committed and the row
//! cache was updated; a subscriber that dropped its receiver is forgotten. This module never
//! blocks on a subscriber (channels are unbounded) and never calls back into a context:
//! merging a notification is the receiving context's business (issue 4).

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use crate::{ObjectId, StoreId};

/// What one save changed in one store. A save spanning several stores publishes one
/// `DidSave` per store, in the order the stores were saved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DidSave {
    /// The store that was saved to.
    pub store: StoreId,
    /// Objects inserted, by their permanent IDs, in insertion order.
    pub inserted: Vec<ObjectId>,
    /// Objects updated (attribute, to-one or to-many changes).
    pub updated: Vec<ObjectId>,
    /// Objects deleted.
    pub deleted: Vec<ObjectId>,
    /// The saving context's transaction author.
    pub author: Option<String>,
    /// The saving context's name.
    pub context_name: Option<String>,
}

/// The coordinator's subscribers.
#[derive(Default)]
pub(super) struct Subscribers {
    senders: Mutex<Vec<Sender<Arc<DidSave>>>>,
}

impl Subscribers {
    pub(super) fn subscribe(&self) -> Receiver<Arc<DidSave>> {
        let (sender, receiver) = channel();
        self.senders.lock().unwrap_or_else(|e| e.into_inner()).push(sender);
        receiver
    }

    pub(super) fn publish(&self, notification: &Arc<DidSave>) {
        let mut senders = self.senders.lock().unwrap_or_else(|e| e.into_inner());
        senders.retain(|s| s.send(notification.clone()).is_ok());
    }
}
