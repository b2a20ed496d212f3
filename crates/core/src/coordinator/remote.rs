//! Changes made outside this coordinator — by another coordinator on the same store, or
//! another process on the same file — merged into this coordinator's row cache and into
//! the caller's contexts: [`Coordinator::merge_remote`], Core Data's
//! `mergeChanges(fromRemoteContextSave:into:)`.
//!
//! The contexts are the caller's, borrowed mutably on the caller's thread: the coordinator
//! still never reaches a context by itself (`docs/concurrency.md`, rule 6).

use crate::context::{Context, MergeOutcome};
use crate::object_id::IdSet;
use crate::{Coordinator, ObjectId, Result};

/// An object changed elsewhere, named by ID or by URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteObject {
    /// An object ID (of one of this coordinator's stores).
    Id(ObjectId),
    /// An object URI (`strata://<store-uuid>/<Entity>/p<key>`), resolved by
    /// [`Coordinator::object_id`].
    Uri(String),
}

impl From<ObjectId> for RemoteObject {
    fn from(id: ObjectId) -> RemoteObject {
        RemoteObject::Id(id)
    }
}

impl From<&ObjectId> for RemoteObject {
    fn from(id: &ObjectId) -> RemoteObject {
        RemoteObject::Id(*id)
    }
}

impl From<&str> for RemoteObject {
    fn from(uri: &str) -> RemoteObject {
        RemoteObject::Uri(uri.to_owned())
    }
}

impl From<String> for RemoteObject {
    fn from(uri: String) -> RemoteObject {
        RemoteObject::Uri(uri)
    }
}

impl From<&String> for RemoteObject {
    fn from(uri: &String) -> RemoteObject {
        RemoteObject::Uri(uri.clone())
    }
}

impl Coordinator {
    /// Merges objects changed outside this coordinator (inserted, updated or deleted by
    /// another coordinator or process) into its row cache and into `into`.
    ///
    /// Every URI is resolved first (an error — a URI of a store this coordinator does not
    /// have, a temporary URI of another process — changes nothing). Then the rows of all the
    /// objects are re-read from their stores in one batched call per store
    /// ([`Coordinator::refresh_snapshots`]): the row cache takes the new versions and
    /// forgets rows that are gone, so every context of this coordinator faults the new
    /// state. Finally each context merges them as [`Context::merge_changes`] does — objects
    /// whose row exists count as updated, the others as deleted — without reading again.
    /// Temporary IDs name nothing stored and are skipped. Returns one outcome per context.
    pub fn merge_remote<T>(&self, objects: &[T], into: &mut [&mut Context]) -> Result<Vec<MergeOutcome>>
    where
        T: Clone + Into<RemoteObject>,
    {
        let mut seen = IdSet::default();
        let mut ids: Vec<ObjectId> = Vec::with_capacity(objects.len());
        for object in objects {
            let id = match object.clone().into() {
                RemoteObject::Id(id) => id,
                RemoteObject::Uri(uri) => self.object_id(&uri)?,
            };
            if !id.is_temporary() && seen.insert(id) {
                ids.push(id);
            }
        }
        let rows = if ids.is_empty() { Vec::new() } else { self.refresh_snapshots(&ids)? };
        let mut outcomes = Vec::with_capacity(into.len());
        for context in into.iter_mut() {
            let rows = ids.iter().copied().zip(rows.iter().cloned());
            outcomes.push(context.merge_rows(&[], rows));
        }
        Ok(outcomes)
    }
}
