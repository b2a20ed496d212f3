//! [`FetchedResults`]: a live, sorted (optionally sectioned) list of the objects a
//! [`FetchRequest`] matches in a [`Context`], kept current as the context saves and merges,
//! with each change reported as a [`ResultChange`] — Core Data's
//! `NSFetchedResultsController`, GRDB's `ValueObservation`.
//!
//! ```
//! # use std::sync::Arc;
//! # use strata_core::{Context, Coordinator, memory_store::MemoryStore};
//! # let model = Arc::new(strata_model::Model::from_json(r#"{"name":"M","version":1,"entities":[{"name":"Clip","attributes":[{"name":"title","type":"string"},{"name":"score","type":"int64"}]}]}"#).unwrap());
//! # let coordinator = Coordinator::new(model.clone());
//! # coordinator.add_store("Default", Arc::new(MemoryStore::new(model)))?;
//! use strata_core::fetched_results::{FetchedResults, IndexPath, ResultChange};
//! use strata_core::FetchRequest;
//!
//! let mut context = Context::new(coordinator);
//! let request = FetchRequest::new("Clip").filter("score > 0", &[])?.sort_by("score desc")?;
//! let mut results = FetchedResults::new(request)?;
//! results.perform_fetch(&mut context)?;
//! assert!(results.is_empty());
//!
//! let clip = context.insert("Clip")?;
//! context.set(clip, "score", 5_i64)?;
//! let clip = context.save()?.permanent_id(clip).unwrap();
//! // The observer sees what the context saved or merged since the last call.
//! let changes = results.process_changes(&mut context)?;
//! assert_eq!(changes, vec![ResultChange::Insert { object: clip, new: IndexPath { section: 0, row: 0 } }]);
//! assert_eq!(results.fetched_objects(), vec![clip]);
//! # Ok::<(), strata_core::Error>(())
//! ```
//!
//! # What it shows
//!
//! The *saved* state as the context knows it: objects its own saves wrote, and changes it
//! merged ([`Context::merge_changes`], [`ContextInbox`](crate::ContextInbox), automatic
//! merging, [`Coordinator::merge_remote`](crate::Coordinator::merge_remote)) or re-read
//! ([`Context::refresh`], [`Context::refresh_all_objects`], [`Context::reset`]). Unsaved
//! edits, inserts and deletions are not shown until saved (as GRDB's observations, unlike
//! Core Data's controller): the request's
//! [`include_pending_changes`](FetchRequest::include_pending_changes) is ignored. Changes
//! saved by other contexts appear once merged into this one.
//!
//! # Cost
//!
//! [`FetchedResults::perform_fetch`] is one fetch. Afterwards
//! [`FetchedResults::process_changes`] drains the context's change log
//! ([`Context::observe_changes`]) and re-evaluates only the objects it names: the predicate
//! with the in-memory evaluator over the context's view of each object (its loaded row;
//! objects the context has not loaded are read from their store in one call), its sort-key
//! values compared with the ones kept for each member, old and new places found by binary
//! search (placing one costs a `memmove` of the rest of its section, which stays cheap
//! into the millions of members). A reset or [`Context::refresh_all_objects`] says that anything may have changed:
//! the next call re-fetches and reports the difference.
//!
//! # Limits
//!
//! - An object is re-evaluated only when it is itself named by a save or merge: a change to
//!   a related object that a key path of the predicate or of a sort key traverses
//!   (`folder.name`) is not noticed until the object itself changes, as in Core Data.
//! - Fetch offsets and limits are refused ([`FetchedResultsError::Paging`]): the observer
//!   keeps every matching object. Grouped, aggregated and distinct requests are refused.
//! - The section key path must be the first sort descriptor's key path, compared by its
//!   default or localized comparison (one that ties only equal values), so sections are
//!   contiguous runs of the sorted list.
//! - Only root contexts are observed ([`FetchedResultsError::ChildContext`]).
//! - A member whose sort-key values changed is reported as a [`ResultChange::Move`], even
//!   when it lands on the same index path; one whose sort-key values did not change as an
//!   [`ResultChange::Update`].
//!
//! This module never runs on another thread than the context's owner, never registers
//! objects in the context, and never writes to a store.

mod error;
mod list;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use strata_model::{EntityIndex, Value};
use strata_predicate::{Predicate, PredicateError, SortComparison};

pub use error::FetchedResultsError;
use list::SortedList;

use crate::context::ObjectChanges;
use crate::context::ObservedQuery;
use crate::object_id::{IdMap, IdSet};
use crate::{Context, ContextError, FetchRequest, ObjectId, Result};

/// Where an object is in a [`FetchedResults`]: its section and its row in that section
/// (section 0 when the results are not sectioned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndexPath {
    /// The section.
    pub section: usize,
    /// The row within the section.
    pub row: usize,
}

/// One section of a [`FetchedResults`]: the objects sharing a value of the section key
/// path, in sorted order. Unsectioned results have one section, named `Null`.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    name: Value,
    objects: Vec<ObjectId>,
}

impl Section {
    fn new(name: Value) -> Section {
        Section { name, objects: Vec::new() }
    }

    /// The section key's value shared by its objects (`Null` for unsectioned results).
    pub fn name(&self) -> &Value {
        &self.name
    }

    /// The objects, sorted.
    pub fn objects(&self) -> &[ObjectId] {
        &self.objects
    }

    /// How many objects the section holds.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the section holds no object (only ever the one section of unsectioned
    /// results).
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

/// One change to a [`FetchedResults`] list, as reported by
/// [`FetchedResults::process_changes`].
///
/// The changes of one call turn a copy of the previous list into the current one when
/// applied in this order (the order of table-view batch updates):
///
/// 1. remove the objects at the `old` paths of every [`Delete`](ResultChange::Delete) and
///    [`Move`](ResultChange::Move), highest path first;
/// 2. remove the section of every [`DeleteSection`](ResultChange::DeleteSection) (empty by
///    then), highest index first;
/// 3. insert an empty section for every [`InsertSection`](ResultChange::InsertSection) at
///    its index, lowest first;
/// 4. insert the object of every [`Insert`](ResultChange::Insert) and `Move` at its `new`
///    path, lowest first;
/// 5. [`Update`](ResultChange::Update)d objects stay where they are (their `new` path is
///    where they are afterwards): redraw them.
///
/// `old` paths refer to the list before the call, `new` paths to the list after it. The
/// changes come in that order too: section deletions, section insertions, deletions,
/// insertions, moves, updates, each by ascending path.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ResultChange {
    /// A section emptied and went away.
    DeleteSection {
        /// Its index before the call.
        section: usize,
        /// Its name.
        name: Value,
    },
    /// A section appeared.
    InsertSection {
        /// Its index after the call.
        section: usize,
        /// Its name.
        name: Value,
    },
    /// An object left the results (deleted, or no longer matching).
    Delete {
        /// The object.
        object: ObjectId,
        /// Where it was.
        old: IndexPath,
    },
    /// An object joined the results (inserted, or newly matching).
    Insert {
        /// The object.
        object: ObjectId,
        /// Where it is.
        new: IndexPath,
    },
    /// A member whose sort-key values changed: it may have moved.
    Move {
        /// The object.
        object: ObjectId,
        /// Where it was.
        old: IndexPath,
        /// Where it is.
        new: IndexPath,
    },
    /// A member that changed without changing its sort-key values: it kept its place
    /// among the other members.
    Update {
        /// The object.
        object: ObjectId,
        /// Where it was.
        old: IndexPath,
        /// Where it is.
        new: IndexPath,
    },
}

impl ResultChange {
    /// The object changed (`None` for section changes).
    pub fn object(&self) -> Option<ObjectId> {
        match self {
            ResultChange::DeleteSection { .. } | ResultChange::InsertSection { .. } => None,
            ResultChange::Delete { object, .. }
            | ResultChange::Insert { object, .. }
            | ResultChange::Move { object, .. }
            | ResultChange::Update { object, .. } => Some(*object),
        }
    }
}

/// A live list of the objects a request matches in a context (see the [module docs](self)).
#[derive(Debug)]
pub struct FetchedResults {
    request: FetchRequest,
    section_key_path: Option<String>,
    fetched: Option<Fetched>,
}

/// What [`FetchedResults::perform_fetch`] set up.
struct Fetched {
    context: u64,
    changes: Receiver<Arc<ObjectChanges>>,
    entity: EntityIndex,
    predicate: Option<Predicate>,
    list: SortedList,
}

impl std::fmt::Debug for Fetched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetched").field("entity", &self.entity).field("objects", &self.list.len()).finish()
    }
}

impl FetchedResults {
    /// Results of `request`, in one section. Refuses offsets and limits
    /// ([`FetchedResultsError::Paging`]) and row requests (grouped, aggregated, distinct).
    /// Nothing is fetched before [`FetchedResults::perform_fetch`].
    pub fn new(request: FetchRequest) -> Result<FetchedResults, FetchedResultsError> {
        if request.offset_value() != 0 || request.limit_value().is_some() {
            return Err(FetchedResultsError::Paging {
                offset: request.offset_value(),
                limit: request.limit_value(),
            });
        }
        if request.returns_rows() {
            return Err(FetchedResultsError::Rows);
        }
        Ok(FetchedResults { request, section_key_path: None, fetched: None })
    }

    /// Results of `request` in sections: one per value of `section_key_path`, which must be
    /// the key path of the request's first sort descriptor, sorted by its default or
    /// localized comparison (see the [module docs](self)).
    pub fn sectioned(
        request: FetchRequest,
        section_key_path: &str,
    ) -> Result<FetchedResults, FetchedResultsError> {
        let first = request.sort_descriptors().first();
        if first.is_none_or(|s| s.key_path != section_key_path) {
            return Err(FetchedResultsError::SectionKeyNotFirstSort {
                section_key_path: section_key_path.to_owned(),
                first_sort: first.map(|s| s.key_path.clone()),
            });
        }
        if let Some(sort) = first
            && matches!(
                sort.comparison,
                SortComparison::CaseInsensitive | SortComparison::LocalizedCaseInsensitive
            )
        {
            return Err(FetchedResultsError::SectionSortTiesDistinctValues {
                section_key_path: section_key_path.to_owned(),
                comparison: sort.comparison,
            });
        }
        let mut results = FetchedResults::new(request)?;
        results.section_key_path = Some(section_key_path.to_owned());
        Ok(results)
    }

    /// The request.
    pub fn request(&self) -> &FetchRequest {
        &self.request
    }

    /// The section key path, for sectioned results.
    pub fn section_key_path(&self) -> Option<&str> {
        self.section_key_path.as_deref()
    }

    /// Fetches the matching objects in `context` (one store call) and starts following the
    /// context's saves and merges. The request is checked against the model here (unknown
    /// entity, predicate or sort key paths are errors, as for a fetch). Calling it again
    /// starts over (no change is reported for it).
    pub fn perform_fetch(&mut self, context: &mut Context) -> Result<()> {
        if context.has_parent() {
            return Err(FetchedResultsError::ChildContext.into());
        }
        let model = context.model().clone();
        let entity = model.entity(self.request.entity()).ok_or_else(|| ContextError::UnknownEntity {
            entity: self.request.entity().to_owned(),
            suggestion: model.nearest_entity(self.request.entity()).map(str::to_owned),
        })?;
        let entity = entity.index();
        let predicate = match self.request.predicate_ref() {
            Some(p) => Some(p.check(&model, entity).map_err(PredicateError::from)?),
            None => None,
        };
        for sort in self.request.sort_descriptors() {
            sort.check(&model, entity).map_err(PredicateError::from)?;
        }
        self.fetched = None;
        let changes = context.observe_changes();
        let query = ObservedQuery {
            entity,
            subentities: self.request.includes_subentities(),
            predicate: predicate.as_ref(),
            sort: self.request.sort_descriptors(),
        };
        let members = context.observed_fetch(&query)?;
        let list = SortedList::build(
            self.request.sort_descriptors().to_vec(),
            self.section_key_path.is_some(),
            members,
        );
        self.fetched = Some(Fetched { context: context.observer_token(), changes, entity, predicate, list });
        Ok(())
    }

    /// Brings the list up to date with what `context` saved, merged, refreshed or reset
    /// since the last call (or [`FetchedResults::perform_fetch`]), and reports the changes
    /// in the order they apply (see [`ResultChange`]); empty when nothing changed. Work is
    /// proportional to the objects changed, except after a reset, which re-fetches.
    ///
    /// Errors with [`FetchedResultsError::NotFetched`] before `perform_fetch` and
    /// [`FetchedResultsError::WrongContext`] for another context than the fetch's; a store
    /// or evaluation error leaves the list as it was and the changes it was processing
    /// lost: call `perform_fetch` to start over.
    pub fn process_changes(&mut self, context: &mut Context) -> Result<Vec<ResultChange>> {
        let request = &self.request;
        let fetched = self.fetched.as_mut().ok_or(FetchedResultsError::NotFetched)?;
        if fetched.context != context.observer_token() {
            return Err(FetchedResultsError::WrongContext.into());
        }
        // The last message naming an object decides whether it is gone or to re-evaluate.
        let mut named: IdMap<bool> = IdMap::default();
        let mut order: Vec<ObjectId> = Vec::new();
        let mut everything = false;
        while let Ok(message) = fetched.changes.try_recv() {
            everything |= message.everything_changed;
            let deleted = message.deleted.iter().map(|id| (*id, true));
            let changed = message.inserted.iter().chain(&message.updated).map(|id| (*id, false));
            for (id, gone) in changed.chain(deleted) {
                if named.insert(id, gone).is_none() {
                    order.push(id);
                }
            }
        }
        let query = ObservedQuery {
            entity: fetched.entity,
            subentities: request.includes_subentities(),
            predicate: fetched.predicate.as_ref(),
            sort: request.sort_descriptors(),
        };
        if everything {
            let members = context.observed_fetch(&query)?;
            let list = SortedList::build(
                request.sort_descriptors().to_vec(),
                self.section_key_path.is_some(),
                members,
            );
            let old = std::mem::replace(&mut fetched.list, list);
            return Ok(diff_lists(&old, &fetched.list));
        }
        let live: Vec<ObjectId> = order.iter().copied().filter(|id| named.get(id) == Some(&false)).collect();
        let evaluated = context.observed_values(&query, &live)?;
        let mut after: IdMap<Option<Vec<Value>>> = live.into_iter().zip(evaluated).collect();
        for id in order.iter().filter(|id| named.get(*id) == Some(&true)) {
            after.insert(*id, None);
        }
        let candidates: Vec<ObjectId> = order
            .into_iter()
            .filter(|id| fetched.list.values_of(*id).is_some() || after.get(id).is_some_and(Option::is_some))
            .collect();
        Ok(apply_incrementally(&mut fetched.list, &candidates, &mut after))
    }

    /// Whether [`FetchedResults::perform_fetch`] ran.
    pub fn is_fetched(&self) -> bool {
        self.fetched.is_some()
    }

    /// The sections (empty before [`FetchedResults::perform_fetch`]; one section, possibly
    /// empty, for unsectioned results).
    pub fn sections(&self) -> &[Section] {
        self.fetched.as_ref().map_or(&[], |f| f.list.sections())
    }

    /// Every object, in order (sections one after the other).
    pub fn fetched_objects(&self) -> Vec<ObjectId> {
        self.sections().iter().flat_map(|s| s.objects.iter().copied()).collect()
    }

    /// How many objects the results hold.
    pub fn len(&self) -> usize {
        self.fetched.as_ref().map_or(0, |f| f.list.len())
    }

    /// Whether the results hold no object.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The object at `path`.
    pub fn object_at(&self, path: IndexPath) -> Option<ObjectId> {
        self.sections().get(path.section)?.objects.get(path.row).copied()
    }

    /// Where `object` is, if it is a member.
    pub fn index_path(&self, object: ObjectId) -> Option<IndexPath> {
        self.fetched.as_ref()?.list.path_of(object)
    }
}

/// Applies re-evaluated objects to `list` and reports the changes. `candidates` are the
/// objects that were or are members; `after` holds their new sort values (`None`: not a
/// member any more).
fn apply_incrementally(
    list: &mut SortedList,
    candidates: &[ObjectId],
    after: &mut IdMap<Option<Vec<Value>>>,
) -> Vec<ResultChange> {
    // Everything about the old list first: paths, values, which sections exist.
    let mut old: IdMap<(IndexPath, Vec<Value>)> = IdMap::default();
    let mut touched_sections: Vec<(usize, Value)> = Vec::new();
    for &id in candidates {
        if let (Some(path), Some(values)) = (list.path_of(id), list.values_of(id)) {
            touched_sections.push((path.section, list.sections()[path.section].name.clone()));
            old.insert(id, (path, values.clone()));
        }
    }
    let mut new_section_names: Vec<Value> = Vec::new();
    for values in after.values().flatten() {
        let name = list.section_name_of(values);
        if list.find_section(&name).is_err()
            && !new_section_names.iter().any(|n| list.compare_names(n, &name).is_eq())
        {
            new_section_names.push(name);
        }
    }
    for &id in candidates {
        if old.contains_key(&id) {
            list.remove(id);
        }
    }
    for &id in candidates {
        if let Some(Some(values)) = after.remove(&id) {
            list.insert(id, values);
        }
    }
    let mut changes = Vec::new();
    let mut deleted_sections: BTreeSet<usize> = BTreeSet::new();
    for (index, name) in touched_sections {
        if list.find_section(&name).is_err() && deleted_sections.insert(index) {
            changes.push((index, ResultChange::DeleteSection { section: index, name }));
        }
    }
    changes.sort_by_key(|(i, _)| *i);
    let mut inserted_sections: Vec<(usize, Value)> = new_section_names
        .into_iter()
        .filter_map(|name| list.find_section(&name).ok().map(|i| (i, name)))
        .collect();
    inserted_sections.sort_by_key(|(i, _)| *i);
    let mut out: Vec<ResultChange> = changes.into_iter().map(|(_, c)| c).collect();
    out.extend(
        inserted_sections.into_iter().map(|(section, name)| ResultChange::InsertSection { section, name }),
    );
    let objects = candidates.iter().map(|&id| {
        let before = old.get(&id).map(|(path, values)| (*path, values.as_slice()));
        (id, before, list.path_of(id))
    });
    out.extend(object_changes(list, objects));
    out
}

/// The changes turning the list `old` into `new` (after a re-fetch).
fn diff_lists(old: &SortedList, new: &SortedList) -> Vec<ResultChange> {
    let mut out = Vec::new();
    let mut gone = Vec::new();
    for (index, section) in old.sections().iter().enumerate() {
        if new.find_section(&section.name).is_err() {
            gone.push(ResultChange::DeleteSection { section: index, name: section.name.clone() });
        }
    }
    out.extend(gone);
    for (index, section) in new.sections().iter().enumerate() {
        if old.find_section(&section.name).is_err() {
            out.push(ResultChange::InsertSection { section: index, name: section.name.clone() });
        }
    }
    let mut seen = IdSet::default();
    let ids: Vec<ObjectId> = old
        .sections()
        .iter()
        .chain(new.sections())
        .flat_map(|s| s.objects.iter().copied())
        .filter(|id| seen.insert(*id))
        .collect();
    let objects = ids.iter().map(|&id| {
        let before = old.path_of(id).zip(old.values_of(id).map(Vec::as_slice));
        (id, before, new.path_of(id))
    });
    out.extend(object_changes(new, objects));
    out
}

/// Object changes from (object, old path and values, new path), in the documented order.
fn object_changes<'a>(
    list: &SortedList,
    objects: impl Iterator<Item = (ObjectId, Option<(IndexPath, &'a [Value])>, Option<IndexPath>)>,
) -> Vec<ResultChange> {
    let (mut deletes, mut inserts, mut moves, mut updates) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (object, before, new) in objects {
        match (before, new) {
            (None, None) => {}
            (Some((old, _)), None) => deletes.push(ResultChange::Delete { object, old }),
            (None, Some(new)) => inserts.push(ResultChange::Insert { object, new }),
            (Some((old, old_values)), Some(new)) => {
                let same = list.values_of(object).is_some_and(|v| list.same_values(old_values, v));
                if same {
                    updates.push(ResultChange::Update { object, old, new });
                } else {
                    moves.push(ResultChange::Move { object, old, new });
                }
            }
        }
    }
    let path = |c: &ResultChange| match c {
        ResultChange::Delete { old, .. } => *old,
        ResultChange::Insert { new, .. }
        | ResultChange::Move { new, .. }
        | ResultChange::Update { new, .. } => *new,
        ResultChange::DeleteSection { section, .. } | ResultChange::InsertSection { section, .. } => {
            IndexPath { section: *section, row: 0 }
        }
    };
    for group in [&mut deletes, &mut inserts, &mut moves, &mut updates] {
        group.sort_by_key(path);
    }
    deletes.into_iter().chain(inserts).chain(moves).chain(updates).collect()
}
