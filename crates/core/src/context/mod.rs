//! [`Context`]: where an application works with objects — an identity map of the objects
//! it touched, their pending changes, and the unit of work that saves them.
//!
//! A context is an owned value: `Send` (it can move to another thread) but not `Sync`, and
//! every mutation takes `&mut self`, so the compiler enforces that one thread at a time
//! uses it. Another thread makes its own context on the same `Arc<Coordinator>`
//! (`docs/concurrency.md`). Objects are named by [`ObjectId`]; the context holds at most one
//! state per ID (its *identity map*): fetching an object twice gives the same ID and the same
//! state.
//!
//! - Objects: [`Context::insert`], attribute values by name ([`Context::value`],
//!   [`Context::get`], [`Context::set`]), relationships with inverses maintained on both
//!   sides ([`Context::set_to_one`], [`Context::add_to_many`], …), [`Context::delete`] with
//!   the model's delete rules, and the [`ObjectRef`] handle ([`Context::object`]).
//! - Faults: objects fetched as faults load on first access, from the row cache when it
//!   holds the row, else in one store call for a batch of the fetch's faults;
//!   [`Context::fill_faults`] loads many at once. To-many relationships load on first access.
//! - Changes: [`Context::has_changes`], the inserted / updated / deleted sets,
//!   [`Context::changed_values`]; [`Context::save`] validates, applies delete rules and
//!   writes one save; [`Context::rollback`], [`Context::reset`], [`Context::refresh`].
//! - Conflicts and merging: [`Context::set_merge_policy`] ([`MergePolicy`]) decides what a
//!   save does with version and uniqueness conflicts; [`Context::merge_changes`] merges a
//!   [`DidSave`](crate::DidSave) or a [`MergeRequest`] from elsewhere, keeping pending edits;
//!   [`ContextInbox`] carries merges from other threads;
//!   [`Context::set_automatically_merges_changes`] merges the coordinator's notifications.
//! - Undo: [`Context::undo`] and [`Context::redo`] of change groups (one per mutating
//!   call, or [`Context::undo_group`]); [`Context::set_undo_enabled`] for bulk work.
//! - Fetches: [`Context::fetch`] and [`Context::count`] with a
//!   [`FetchRequest`](crate::FetchRequest), pending changes included by default.
//! - Observing: [`Context::observe_changes`] reports what each save, merge, refresh or reset
//!   changed ([`ObjectChanges`]); [`FetchedResults`](crate::FetchedResults) builds on it.
//!
//! A context keeps every object it touched until [`Context::reset`] or its drop (as Core
//! Data's contexts do): a long import should reset after each save to keep memory flat.
//!
//! This module never shares its state with another thread and never holds a coordinator or
//! store lock: it only calls the coordinator's public methods.

mod access;
mod delete;
mod error;
mod faults;
mod fetch;
mod generation;
mod lifecycle;
mod lookup;
mod merge;
mod object;
mod observe;
mod parent;
mod policy;
mod relationships;
mod save;
mod state;
mod undo;
mod validate;
mod view;

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;
use std::sync::Arc;

use strata_model::Model;

pub use error::{
    ConflictError, ContextError, KeyPathProblem, MembershipChange, ObjectConflict, Problem, ValidationError,
    Violation,
};
pub use fetch::{AsyncFetch, BatchedFetch, CancelToken, DEFAULT_BATCH_SIZE, FetchProgress, ProgressHandler};
pub use merge::{ContextInbox, InboxClosed, MergeOutcome, MergeRequest, MergeSender};
pub use object::ObjectRef;
pub(crate) use observe::ObservedQuery;
pub use observe::{ChangeCause, ObjectChanges};
pub use parent::SharedContext;
pub use policy::{ConstraintConflict, MAX_CONFLICT_ROUNDS, MergePolicy, MergePolicyHandler, MergeResolution};
pub use save::SaveOutcome;

use crate::object_id::IdMap;
use crate::{Coordinator, ObjectId, PropertyValue, Result, Snapshot};
use state::{ObjectState, OrderedIdSet};

/// A unit of work over the coordinator's stores (see the [module docs](self)).
///
/// ```
/// # use std::sync::Arc;
/// # use strata_core::{Context, Coordinator, memory_store::MemoryStore};
/// # let model = Arc::new(strata_model::Model::from_json(r#"{"name":"M","version":1,"entities":[{"name":"Note","attributes":[{"name":"text","type":"string"}]}]}"#).unwrap());
/// # let coordinator = Coordinator::new(model.clone());
/// # coordinator.add_store("Default", Arc::new(MemoryStore::new(model)))?;
/// let mut context = Context::new(coordinator);
/// let note = context.insert("Note")?;
/// context.set(note, "text", "hello")?;
/// let outcome = context.save()?;
/// let saved = outcome.permanent_id(note).unwrap();
/// assert_eq!(context.get::<String>(saved, "text")?, "hello");
/// # Ok::<(), strata_core::Error>(())
/// ```
///
/// A context can move to another thread but cannot be shared between threads:
///
/// ```compile_fail
/// fn shared<T: Sync>() {}
/// shared::<strata_core::Context>();
/// ```
pub struct Context {
    coordinator: Arc<Coordinator>,
    model: Arc<Model>,
    name: Option<String>,
    author: Option<String>,
    /// The identity map.
    objects: IdMap<ObjectState>,
    /// Objects inserted and not saved, in insertion order.
    inserted: OrderedIdSet,
    /// Stored objects deleted and not saved.
    deleted: BTreeSet<ObjectId>,
    /// Stored objects that may carry pending edits (edits can cancel out; readers check).
    changed: BTreeSet<ObjectId>,
    /// Temporary IDs saved by this context, with their permanent IDs.
    permanent: IdMap<ObjectId>,
    /// Merge policy, bases of conflicts left to the next save, automatic merging.
    merging: merge::MergeState,
    /// Undo and redo groups (`undo.rs`).
    undo: undo::UndoState,
    /// The context this one reads through and saves into (`parent.rs`).
    parent: Option<SharedContext>,
    /// Change generations seen by children, and automatic merging from the parent.
    lineage: parent::Lineage,
    /// The pinned query generation (`generation.rs`).
    generation: Option<crate::coordinator::QueryGeneration>,
    /// Receivers of the change log (`observe.rs`).
    observers: observe::Observers,
    /// Contexts are `Send` but not `Sync`.
    _not_sync: PhantomData<Cell<()>>,
}

impl Context {
    /// An empty context on `coordinator`.
    pub fn new(coordinator: Arc<Coordinator>) -> Context {
        Context {
            model: coordinator.model().clone(),
            coordinator,
            name: None,
            author: None,
            objects: IdMap::default(),
            inserted: OrderedIdSet::default(),
            deleted: BTreeSet::new(),
            changed: BTreeSet::new(),
            permanent: IdMap::default(),
            merging: merge::MergeState::default(),
            undo: undo::UndoState::default(),
            parent: None,
            lineage: parent::Lineage::default(),
            generation: None,
            observers: observe::Observers::default(),
            _not_sync: PhantomData,
        }
    }

    /// The coordinator.
    pub fn coordinator(&self) -> &Arc<Coordinator> {
        &self.coordinator
    }

    /// The model.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// The context's name, recorded with its saves (and in history once stores keep it).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Names the context (`None` clears the name).
    pub fn set_name(&mut self, name: Option<&str>) {
        self.name = name.map(str::to_owned);
    }

    /// The transaction author recorded with this context's saves.
    pub fn transaction_author(&self) -> Option<&str> {
        self.author.as_deref()
    }

    /// Sets the transaction author recorded with later saves (`None` clears it).
    pub fn set_transaction_author(&mut self, author: Option<&str>) {
        self.author = author.map(str::to_owned);
    }

    /// Whether anything is inserted, updated or deleted and not saved.
    pub fn has_changes(&self) -> bool {
        !self.inserted.is_empty()
            || !self.deleted.is_empty()
            || self.changed.iter().any(|id| self.objects.get(id).is_some_and(ObjectState::has_edits))
    }

    /// Objects inserted and not saved.
    pub fn inserted_objects(&self) -> BTreeSet<ObjectId> {
        self.inserted.iter().collect()
    }

    /// Stored objects with pending changes (attributes or relationships), not deleted.
    pub fn updated_objects(&self) -> BTreeSet<ObjectId> {
        self.changed
            .iter()
            .copied()
            .filter(|id| self.objects.get(id).is_some_and(|s| !s.deleted && s.has_edits()))
            .collect()
    }

    /// Stored objects deleted and not saved (including those reached by delete rules).
    pub fn deleted_objects(&self) -> BTreeSet<ObjectId> {
        self.deleted.clone()
    }

    /// The pending values of an object's changed attributes and to-one relationships, by
    /// property name (every value set, for an inserted object).
    pub fn changed_values(&self, id: ObjectId) -> Result<BTreeMap<String, PropertyValue>> {
        let id = self.resolve(id);
        let state = self.objects.get(&id).ok_or(ContextError::UnknownObject { id })?;
        let entity = self.entity_of(id)?;
        let mut out = BTreeMap::new();
        for (&i, value) in &state.attributes {
            if let Some(a) = entity.attributes().get(i) {
                out.insert(a.name().to_owned(), PropertyValue::Value(value.clone()));
            }
        }
        for (&i, destination) in &state.to_one {
            if let Some(r) = entity.relationships().get(i) {
                out.insert(r.name().to_owned(), PropertyValue::Object(*destination));
            }
        }
        Ok(out)
    }

    /// The permanent ID a temporary ID received when this context saved it.
    pub fn permanent_id(&self, temporary: ObjectId) -> Option<ObjectId> {
        self.permanent.get(&temporary).copied().or_else(|| self.parent_permanent_id(temporary))
    }

    /// Resolves an object URI through the coordinator.
    pub fn object_id_for_uri(&self, uri: &str) -> Result<ObjectId> {
        self.coordinator.object_id(uri)
    }

    /// Whether the context holds a state for `id`.
    pub fn is_registered(&self, id: ObjectId) -> bool {
        self.objects.contains_key(&self.resolve(id))
    }

    /// How many objects the context holds.
    pub fn registered_count(&self) -> usize {
        self.objects.len()
    }

    /// Whether `id` is a fault (registered, row not loaded). Unregistered IDs are not.
    pub fn is_fault(&self, id: ObjectId) -> bool {
        self.objects.get(&self.resolve(id)).is_some_and(ObjectState::is_fault)
    }

    /// Whether `id` is deleted in this context and not saved.
    pub fn is_deleted(&self, id: ObjectId) -> bool {
        self.objects.get(&self.resolve(id)).is_some_and(|s| s.deleted)
    }

    /// The snapshot the context read for `id` (without its pending edits), if loaded.
    pub fn snapshot(&self, id: ObjectId) -> Option<&Arc<Snapshot>> {
        self.objects.get(&self.resolve(id)).and_then(|s| s.snapshot.as_ref())
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("name", &self.name)
            .field("objects", &self.objects.len())
            .field("inserted", &self.inserted.len())
            .field("deleted", &self.deleted.len())
            .finish()
    }
}
