//! [`MergePolicy`]: what a context does when its save meets changes saved elsewhere since it
//! read the objects (optimistic-locking *version conflicts*), when an insert collides with a
//! stored object on a uniqueness constraint (*constraint conflicts*), and when a merged
//! notification changes a property the context has edited.
//!
//! The exact rules are written on [`MergePolicy`].
//!
//! This module only describes decisions; applying them is `merge/resolve.rs` and
//! `merge/upsert.rs`.

use std::fmt;
use std::sync::Arc;

use strata_model::Value;

use super::Context;
use super::error::ObjectConflict;
use crate::{ObjectId, PropertyValue, Snapshot};

/// How many times a save resolves version conflicts and retries before giving up with the
/// last [`ConflictError`](crate::ConflictError).
pub const MAX_CONFLICT_ROUNDS: usize = 8;

/// How a context resolves conflicts, set per context with [`Context::set_merge_policy`].
///
/// # Version conflicts (at save)
///
/// For each conflicting object the context knows the snapshot it read (`read`), the row the
/// store holds now (`current`) and its own pending edits. "The store changed property p"
/// means `current.p != read.p`; "the object changed p" means the context has an edit of p.
/// Relationships count as properties: a to-one by its destination, a to-many by its
/// membership changes (destinations added and removed), which never collide with each other
/// — a to-many ends up as the store's current list with the context's additions and removals
/// applied, under every policy but `Overwrite` and `Rollback`.
///
/// | policy | property changed by both | changed only by the object | changed only by the store |
/// |---|---|---|---|
/// | `Error` | save fails with [`ConflictError`](crate::ConflictError) | — | — |
/// | `MergeByPropertyStoreTrump` | store's value | object's value | store's value |
/// | `MergeByPropertyObjectTrump` | object's value | object's value | store's value |
/// | `Overwrite` | object's value | object's value | object's value (as it read it) |
/// | `Rollback` | store's value | store's value | store's value |
///
/// `Overwrite` writes every attribute and to-one relationship as the object holds it, and
/// every join-stored to-many list the context loaded as the context sees it (a to-many whose
/// inverse is to-one belongs to its destinations' rows, which keep their own changes).
/// `Rollback` drops the object's pending changes (a deletion included) and the mirror
/// entries its relationship changes made on other objects, and takes the store's row.
///
/// **Deletions.** An object the context deleted whose row another save changed is deleted
/// under `StoreTrump`, `ObjectTrump` and `Overwrite` (a deletion has no property to merge; as
/// in Core Data, it wins), and comes back with the store's values under `Rollback` (the
/// effects its delete rules had on other objects stay). An object the context edited whose
/// row was deleted elsewhere is never resurrected (a new row would be a new object with a new
/// ID): `StoreTrump` and `Rollback` accept the deletion (the object is forgotten with its
/// edits), while `ObjectTrump` and `Overwrite` cannot apply the object's values to a row that
/// is gone, so the save fails with a `ConflictError` whose conflict has `current: None`.
///
/// Resolved conflicts update the context (new snapshot and expected version) and the save is
/// retried, at most [`MAX_CONFLICT_ROUNDS`] times for version conflicts.
///
/// # Constraint conflicts (at save)
///
/// When the store refuses an *inserted* object because a stored object has the same values
/// for a uniqueness constraint, every policy but `Error` turns the insert into an update of
/// the stored object (*insert-or-update*): the inserted object's temporary ID is replaced by
/// the stored object's ID everywhere in the context (identity map, relationships, and
/// [`Context::permanent_id`] /
/// [`SaveOutcome::permanent_id`](crate::SaveOutcome::permanent_id) map it to the stored ID),
/// and values merge as follows:
///
/// - `MergeByPropertyObjectTrump`: attributes and to-one relationships the inserted object
///   set win; the others keep the stored values.
/// - `Overwrite`: every attribute and to-one relationship takes the inserted object's value
///   (defaults included).
/// - `MergeByPropertyStoreTrump` and `Rollback`: the stored values win; the inserted object's
///   values are dropped (*find-or-create*).
///
/// Under all of them, to-many destinations added to the inserted object (and links other
/// objects made to it) are added to the stored object. `Error` fails the save with the
/// store's [`StoreError::Uniqueness`](crate::StoreError::Uniqueness). An updated object that
/// collides, or a collision the store cannot name the stored object of, always fails.
///
/// # Merged notifications
///
/// See [`Context::merge_changes`]: where a merged change
/// collides with an edit, `ObjectTrump` keeps the edit, `StoreTrump` takes the merged value,
/// `Rollback` drops the object's edits, and `Error`, `Overwrite` and `Custom` keep the edit
/// and leave the conflict to the next save (which meets it as a version conflict).
///
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum MergePolicy {
    /// Conflicts fail the save ([`ConflictError`](crate::ConflictError), or the store's
    /// uniqueness error); the context keeps every edit. The default.
    #[default]
    Error,
    /// Per property, the store's value wins where both changed it; the object's change is
    /// kept where only it changed.
    MergeByPropertyStoreTrump,
    /// Per property, the object's value wins where both changed it; store changes to
    /// properties the object did not change are kept.
    MergeByPropertyObjectTrump,
    /// The object's whole state is written over the store's.
    Overwrite,
    /// The object's changes are dropped; it takes the store's values.
    Rollback,
    /// A user-supplied handler decides per object.
    Custom(Arc<dyn MergePolicyHandler>),
}

impl fmt::Debug for MergePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergePolicy::Error => f.write_str("Error"),
            MergePolicy::MergeByPropertyStoreTrump => f.write_str("MergeByPropertyStoreTrump"),
            MergePolicy::MergeByPropertyObjectTrump => f.write_str("MergeByPropertyObjectTrump"),
            MergePolicy::Overwrite => f.write_str("Overwrite"),
            MergePolicy::Rollback => f.write_str("Rollback"),
            MergePolicy::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// What to do with one conflicting object: the answer of a [`MergePolicyHandler`], and the
/// built-in policies' per-object decision.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MergeResolution {
    /// Fail the save (every conflict is reported; the context keeps its edits).
    Fail,
    /// As [`MergePolicy::MergeByPropertyStoreTrump`].
    StoreTrump,
    /// As [`MergePolicy::MergeByPropertyObjectTrump`].
    ObjectTrump,
    /// As [`MergePolicy::Overwrite`].
    Overwrite,
    /// As [`MergePolicy::Rollback`].
    Rollback,
    /// Take the store's current row (the object's own edits and a deletion are dropped, as
    /// with `Rollback`) and set these attributes on top, by name. Values are fitted to the
    /// attribute types; an unknown name or a value that does not fit fails the save with
    /// the context error, before anything changed. For a constraint conflict, the values
    /// are set on the stored object the insert becomes.
    Values(Vec<(String, Value)>),
}

/// A user-defined merge policy ([`MergePolicy::Custom`]). Called on the saving thread, once
/// per conflicting object, before anything is changed; a handler must not block for long.
pub trait MergePolicyHandler: Send + Sync {
    /// The resolution of a version conflict (also called for objects whose row was deleted
    /// elsewhere: `conflict.current` is `None`).
    fn resolve(&self, conflict: &ObjectConflict) -> MergeResolution;

    /// The resolution of an insert colliding with a stored object on a uniqueness
    /// constraint. `ObjectTrump`, `StoreTrump`, `Overwrite`, `Rollback` and `Values` turn the
    /// insert into an update of the stored object (see [`MergePolicy`]); the default
    /// fails the save with the store's uniqueness error.
    fn resolve_constraint(&self, conflict: &ConstraintConflict) -> MergeResolution {
        let _ = conflict;
        MergeResolution::Fail
    }
}

/// An inserted object colliding with a stored one on a uniqueness constraint, as a
/// [`MergePolicyHandler`] sees it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ConstraintConflict {
    /// The inserted object (a temporary ID).
    pub inserted: ObjectId,
    /// The stored object it collides with.
    pub existing: ObjectId,
    /// The constrained entity's name.
    pub entity: String,
    /// The constraint's properties.
    pub properties: Vec<String>,
    /// The inserted object's attributes and to-one relationships, by name.
    pub values: std::collections::BTreeMap<String, PropertyValue>,
    /// The stored object's row as read just now.
    pub current: Arc<Snapshot>,
}

impl MergePolicy {
    /// The built-in decision for a version conflict.
    pub(crate) fn resolution(&self, conflict: &ObjectConflict) -> MergeResolution {
        match self {
            MergePolicy::Custom(handler) => handler.resolve(conflict),
            other => other.fixed(),
        }
    }

    /// The built-in decision for a constraint conflict.
    pub(crate) fn constraint_resolution(&self, conflict: &ConstraintConflict) -> MergeResolution {
        match self {
            MergePolicy::Custom(handler) => handler.resolve_constraint(conflict),
            other => other.fixed(),
        }
    }

    /// The resolution a built-in policy gives every conflict (`Fail` for `Custom`, which
    /// callers ask its handler instead).
    pub(crate) fn fixed(&self) -> MergeResolution {
        match self {
            MergePolicy::Error | MergePolicy::Custom(_) => MergeResolution::Fail,
            MergePolicy::MergeByPropertyStoreTrump => MergeResolution::StoreTrump,
            MergePolicy::MergeByPropertyObjectTrump => MergeResolution::ObjectTrump,
            MergePolicy::Overwrite => MergeResolution::Overwrite,
            MergePolicy::Rollback => MergeResolution::Rollback,
        }
    }
}

impl Context {
    /// The context's merge policy ([`MergePolicy::Error`] unless set).
    pub fn merge_policy(&self) -> &MergePolicy {
        &self.merging.policy
    }

    /// Sets how later saves and merges resolve conflicts (see [`MergePolicy`]).
    pub fn set_merge_policy(&mut self, policy: MergePolicy) {
        self.merging.policy = policy;
    }
}
