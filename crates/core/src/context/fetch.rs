//! Fetching through a context: the request is checked against the model, run by the store
//! holding the entity (one store call), and the results are registered in the identity map.
//!
//! With pending changes included and objects of the fetched entity inserted, edited or
//! deleted in the context, the store's answer is adjusted in memory: the store fetches with
//! the predicate and sort but without the offset, its limit raised by the number of changed
//! stored objects (enough that dropping them cannot leave a page short); the changed
//! objects are dropped from it; those that match by their current values
//! (`Predicate::evaluate` over the context) are merged in at their sorted place
//! (`compare_objects`, ties by primary key and then insertion order, as stores break them);
//! then offset and limit apply. An object is judged by its own pending values; an object that
//! is unchanged keeps the store's verdict even if a related object changed.
//!
//! A fetch never changes pending edits and never writes to a store; it only registers the
//! objects it returns (objects already loaded keep their rows: `refresh` re-reads).
//!
//! The submodules add the rest of Core Data's fetch machinery: relationship prefetching
//! (`prefetch`), grouped and aggregated rows (`rows`), cursors materialising a batch at a
//! time (`batched`) and fetches run on a worker thread (`asynchronous`).

mod asynchronous;
mod batched;
mod prefetch;
mod rows;

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashSet;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use strata_model::{EntityIndex, Property, Value};
use strata_predicate::{Field, ObjectView, Predicate, PredicateError, SortDescriptor, compare_objects};

use super::Context;
use super::error::{ContextError, KeyPathProblem};
use super::state::{FaultGroup, ObjectState};
use super::view::Reader;
pub use asynchronous::{AsyncFetch, CancelToken, FetchProgress, ProgressHandler};
pub use batched::{BatchedFetch, DEFAULT_BATCH_SIZE};

use crate::fetch_request::{Dictionary, FetchError, FetchRequest, FetchResult, PropertyValue, ResultType};
use crate::object_id::{IdMap, IdSet};
use crate::store::{StoreFetchRequest, StoreFetchResult, StoreResultType};
use crate::{Error, ObjectId, Result, Snapshot};

/// A request checked against the model.
struct Plan {
    entity: EntityIndex,
    predicate: Option<Predicate>,
    sort: Vec<SortDescriptor>,
    /// Dictionary properties.
    properties: Vec<PropertyPath>,
    /// Relationship key paths to prefetch, split into keys.
    prefetch: Vec<Vec<String>>,
}

/// A fetched property: its key path, the keys, and whether it ends on a to-one.
struct PropertyPath {
    path: String,
    keys: Vec<String>,
    ends_on_relationship: bool,
}

impl Context {
    /// Runs a fetch: the request is checked against the model (unknown entity, keys or sort
    /// paths are typed errors), run with one store call, and the objects are registered.
    ///
    /// With pending changes included (the default), inserted objects that match are
    /// included, stored objects are judged by their edited values (an object edited to no
    /// longer match is left out, one edited to match is included) and deleted objects are
    /// left out; such objects are placed by the sort keys among the store's results (ties by
    /// primary key, then insertion order) before offset and limit apply. An object is judged
    /// by its own values: an unchanged object keeps the store's verdict even if an object it
    /// relates to changed.
    ///
    /// With a [batch size](FetchRequest::batch_size), objects come back as faults (one store
    /// call fetches the IDs; rows load as accessed); [`Context::fetch_batched`] iterates a
    /// batch at a time instead. [Prefetched](FetchRequest::prefetch) relationships are loaded
    /// before this returns. Grouped, aggregated and distinct requests are refused with
    /// [`FetchError::UseFetchRows`]: run them with [`Context::fetch_rows`].
    pub fn fetch(&mut self, request: &FetchRequest) -> Result<FetchResult> {
        self.auto_merge()?;
        self.merge_from_parent()?;
        if request.returns_rows() {
            return Err(match request.result_type_value() {
                ResultType::Dictionaries => FetchError::UseFetchRows,
                _ => FetchError::NeedsDictionaries,
            }
            .into());
        }
        let plan = self.plan(request)?;
        let dirty = self.pending_of(request, &plan);
        let result = if dirty.is_empty() {
            self.fetch_from_store(request, &plan)?
        } else {
            let store_request = self.pending_store_request(request, &plan, &dirty);
            let (base, rows) = match self.source_fetch(&store_request)? {
                StoreFetchResult::Ids(ids) => (ids, Vec::new()),
                StoreFetchResult::Snapshots(rows) => (rows.iter().map(|s| s.id()).collect(), rows),
                StoreFetchResult::Count(_) | StoreFetchResult::Rows(_) => (Vec::new(), Vec::new()),
            };
            self.merge_pending(request, &plan, dirty, base, rows)?
        };
        self.after_fetch(&plan, &result)?;
        Ok(result)
    }

    /// Runs the plan's prefetching for an objects result.
    fn after_fetch(&mut self, plan: &Plan, result: &FetchResult) -> Result<()> {
        if let FetchResult::Objects(ids) = result
            && !plan.prefetch.is_empty()
        {
            self.prefetch_relationships(ids, &plan.prefetch)?;
        }
        Ok(())
    }

    /// The objects with pending changes a fetch of `request` must judge itself.
    fn pending_of(&self, request: &FetchRequest, plan: &Plan) -> Vec<ObjectId> {
        if request.includes_pending_changes() {
            self.dirty_of(plan.entity, request.includes_subentities())
        } else {
            Vec::new()
        }
    }

    /// Whether objects come back as faults: asked for, or implied by a batch size.
    fn wants_faults(request: &FetchRequest) -> bool {
        request.is_returning_faults() || request.batch_size_value() > 0
    }

    /// How many objects a fetch of `request` would return.
    pub fn count(&mut self, request: &FetchRequest) -> Result<u64> {
        Ok(self.fetch(&request.clone().result_type(ResultType::Count))?.count())
    }

    fn plan(&self, request: &FetchRequest) -> Result<Plan> {
        let entity = self.entity_named(request.entity())?;
        let index = entity.index();
        let predicate = match request.predicate_ref() {
            Some(p) => Some(p.check(&self.model, index).map_err(PredicateError::from)?),
            None => None,
        };
        for sort in request.sort_descriptors() {
            sort.check(&self.model, index).map_err(PredicateError::from)?;
        }
        let mut properties = Vec::new();
        if request.result_type_value() == ResultType::Dictionaries {
            if request.property_names().is_empty() {
                let attributes = entity.attributes().iter().map(|a| (a.name(), false));
                let to_one =
                    entity.relationships().iter().filter(|r| !r.is_to_many()).map(|r| (r.name(), true));
                properties.extend(attributes.chain(to_one).map(|(n, ends_on_relationship)| PropertyPath {
                    path: n.to_owned(),
                    keys: vec![n.to_owned()],
                    ends_on_relationship,
                }));
            }
            for path in request.property_names() {
                properties.push(self.check_key_path(index, path)?);
            }
        }
        let mut prefetch = Vec::with_capacity(request.prefetch_paths().len());
        for path in request.prefetch_paths() {
            prefetch.push(self.check_prefetch_path(index, path)?);
        }
        Ok(Plan { entity: index, predicate, sort: request.sort_descriptors().to_vec(), properties, prefetch })
    }

    /// Checks a fetched property's key path: to-one keys, then an attribute or a to-one.
    fn check_key_path(&self, entity: EntityIndex, path: &str) -> Result<PropertyPath, ContextError> {
        let root = self.model.entity_at(entity);
        let error = |problem| ContextError::InvalidKeyPath {
            entity: root.name().to_owned(),
            key_path: path.to_owned(),
            problem,
        };
        let keys: Vec<String> = path.split('.').map(str::to_owned).collect();
        let mut current = root;
        let mut ends_on_relationship = false;
        for (i, key) in keys.iter().enumerate() {
            if key.is_empty() {
                return Err(error(KeyPathProblem::EmptyKey));
            }
            let last = i + 1 == keys.len();
            match current.property(key) {
                None => {
                    let suggestion = current.nearest_property(key).map(str::to_owned);
                    return Err(error(KeyPathProblem::UnknownKey { key: key.clone(), suggestion }));
                }
                Some(Property::Attribute(a)) if !last => {
                    return Err(error(KeyPathProblem::KeyAfterAttribute { attribute: a.name().to_owned() }));
                }
                Some(Property::Relationship(r)) if r.is_to_many() => {
                    return Err(error(KeyPathProblem::ToManyKey { key: key.clone() }));
                }
                Some(Property::Relationship(r)) => {
                    current = self.model.entity_at(r.destination());
                    ends_on_relationship = last;
                }
                Some(Property::Attribute(_)) => {}
            }
        }
        Ok(PropertyPath { path: path.to_owned(), keys, ends_on_relationship })
    }

    /// Objects of the fetched kind with pending changes: inserted, updated, deleted.
    fn dirty_of(&self, entity: EntityIndex, subentities: bool) -> Vec<ObjectId> {
        let of_kind = |id: &ObjectId| self.entity_matches(id.entity(), entity, subentities);
        let updated =
            self.changed.iter().copied().filter(|id| self.objects.get(id).is_some_and(|s| s.has_edits()));
        let mut seen = HashSet::new();
        self.inserted
            .iter()
            .chain(updated)
            .chain(self.deleted.iter().copied())
            .filter(|id| of_kind(id) && seen.insert(*id))
            .collect()
    }

    fn store_request(
        &self,
        request: &FetchRequest,
        plan: &Plan,
        result: StoreResultType,
    ) -> StoreFetchRequest {
        StoreFetchRequest {
            entity: plan.entity,
            include_subentities: request.includes_subentities(),
            predicate: plan.predicate.clone(),
            sort: plan.sort.clone(),
            offset: request.offset_value(),
            limit: request.limit_value(),
            result,
        }
    }

    fn fetch_from_store(&mut self, request: &FetchRequest, plan: &Plan) -> Result<FetchResult> {
        let kind = match request.result_type_value() {
            ResultType::Count => StoreResultType::Count,
            ResultType::ObjectIds => StoreResultType::Ids,
            ResultType::Objects if Context::wants_faults(request) => StoreResultType::Ids,
            ResultType::Objects | ResultType::Dictionaries => StoreResultType::Snapshots,
        };
        let result = self.source_fetch(&self.store_request(request, plan, kind))?;
        let (ids, rows) = match result {
            StoreFetchResult::Count(n) => return Ok(FetchResult::Count(n)),
            StoreFetchResult::Ids(ids) => (ids, Vec::new()),
            // What `finish` does with rows for an objects result, with the IDs taken in the
            // same pass over the rows (a large fetch's rows are no longer in the CPU cache).
            StoreFetchResult::Snapshots(rows)
                if request.result_type_value() == ResultType::Objects && !Context::wants_faults(request) =>
            {
                return Ok(FetchResult::Objects(self.register_rows(rows)));
            }
            StoreFetchResult::Snapshots(rows) => (rows.iter().map(|s| s.id()).collect(), rows),
            StoreFetchResult::Rows(_) => (Vec::new(), Vec::new()),
        };
        self.finish(request, plan, ids, rows)
    }

    /// The store request of a fetch with pending changes: without the offset, its limit
    /// raised by the number of changed stored objects.
    fn pending_store_request(
        &self,
        request: &FetchRequest,
        plan: &Plan,
        dirty: &[ObjectId],
    ) -> StoreFetchRequest {
        let changed_stored = dirty.iter().filter(|id| !self.inserted.contains(**id)).count();
        let needs_rows = !plan.sort.is_empty()
            || request.result_type_value() == ResultType::Dictionaries
            || (request.result_type_value() == ResultType::Objects && !Context::wants_faults(request));
        let kind = if needs_rows { StoreResultType::Snapshots } else { StoreResultType::Ids };
        let mut store_request = self.store_request(request, plan, kind);
        store_request.offset = 0;
        store_request.limit = request
            .limit_value()
            .map(|l| l.saturating_add(request.offset_value()).saturating_add(changed_stored));
        store_request
    }

    /// Merges the context's changed objects (`dirty`) into the store's answer to
    /// [`Context::pending_store_request`] (`base`, with `rows` when it returned rows).
    fn merge_pending(
        &mut self,
        request: &FetchRequest,
        plan: &Plan,
        dirty: Vec<ObjectId>,
        mut base: Vec<ObjectId>,
        rows: Vec<Arc<Snapshot>>,
    ) -> Result<FetchResult> {
        let dirty_set: IdSet = dirty.iter().copied().collect();
        base.retain(|id| !dirty_set.contains(id));
        let live: Vec<ObjectId> =
            dirty.into_iter().filter(|id| self.objects.get(id).is_some_and(|s| !s.deleted)).collect();
        self.ensure_loaded(&live)?;

        let merged = {
            let reader = Reader::new(self, true, &rows);
            let mut matching = Vec::with_capacity(live.len());
            for id in live {
                let holds = match &plan.predicate {
                    None => true,
                    Some(p) => p.evaluate(&reader.view(id)).map_err(|e| eval_error(&reader, e.into()))?,
                };
                if holds {
                    matching.push(id);
                }
            }
            let failure = RefCell::new(None);
            let order: IdMap<usize> = self.inserted.iter().enumerate().map(|(i, id)| (id, i)).collect();
            // Ties on every key: stored objects by primary key (as stores break them), then
            // inserted ones in insertion order.
            let tie = |id: &ObjectId| match id.primary_key() {
                Some(key) => (0, key, 0),
                None => (1, 0, order.get(id).copied().unwrap_or(usize::MAX)),
            };
            let cmp = |a: &ObjectId, b: &ObjectId| -> Ordering {
                let by_keys =
                    compare_objects(&plan.sort, &reader.view(*a), &reader.view(*b)).unwrap_or_else(|e| {
                        failure.borrow_mut().get_or_insert(e);
                        Ordering::Equal
                    });
                by_keys.then_with(|| tie(a).cmp(&tie(b)))
            };
            matching.sort_by(&cmp);
            let mut merged = Vec::with_capacity(base.len() + matching.len());
            let mut rest = base.as_slice();
            for id in matching {
                let at = rest.partition_point(|b| cmp(b, &id) == Ordering::Less);
                merged.extend_from_slice(&rest[..at]);
                merged.push(id);
                rest = &rest[at..];
            }
            merged.extend_from_slice(rest);
            if let Some(e) = reader.take_failure() {
                return Err(e);
            }
            if let Some(e) = failure.into_inner() {
                return Err(PredicateError::from(e).into());
            }
            merged
        };
        let page: Vec<ObjectId> = merged
            .into_iter()
            .skip(request.offset_value())
            .take(request.limit_value().unwrap_or(usize::MAX))
            .collect();
        if request.result_type_value() == ResultType::Count {
            return Ok(FetchResult::Count(page.len() as u64));
        }
        self.finish(request, plan, page, rows)
    }

    /// Turns the final list into the requested result, registering objects.
    fn finish(
        &mut self,
        request: &FetchRequest,
        plan: &Plan,
        ids: Vec<ObjectId>,
        rows: Vec<Arc<Snapshot>>,
    ) -> Result<FetchResult> {
        match request.result_type_value() {
            ResultType::Count => Ok(FetchResult::Count(ids.len() as u64)),
            ResultType::ObjectIds => Ok(FetchResult::ObjectIds(ids)),
            ResultType::Objects => {
                if Context::wants_faults(request) || rows.is_empty() {
                    self.register_faults(&ids);
                } else {
                    self.register_rows(rows);
                }
                Ok(FetchResult::Objects(ids))
            }
            ResultType::Dictionaries => {
                let reader = Reader::new(self, request.includes_pending_changes(), &rows);
                let dictionaries = dictionaries(&reader, &ids, &plan.properties);
                match reader.take_failure() {
                    Some(e) => Err(e),
                    None => Ok(FetchResult::Dictionaries(dictionaries)),
                }
            }
        }
    }

    /// Registers fetched IDs as faults that fire together.
    fn register_faults(&mut self, ids: &[ObjectId]) {
        let members: Arc<[ObjectId]> = ids.iter().copied().filter(|id| !id.is_temporary()).collect();
        for (position, &id) in members.iter().enumerate() {
            let state = self.objects.entry(id).or_default();
            if state.is_fault() && state.fault_group.is_none() {
                state.fault_group = Some(FaultGroup { members: members.clone(), position });
            }
        }
    }

    /// Registers fetched rows: new objects and faults take them; loaded objects keep theirs
    /// ([`Context::refresh`] re-reads explicitly). Returns the rows' IDs, in order.
    fn register_rows(&mut self, rows: Vec<Arc<Snapshot>>) -> Vec<ObjectId> {
        // Grown once, not doubling (and rehashing) its way up through a large fetch.
        self.objects.reserve(rows.len());
        let mut ids = Vec::with_capacity(rows.len());
        // The rows move into the identity map: cloning each `Arc` and dropping the fetch's
        // would be two atomic operations per row for nothing.
        for row in rows {
            let id = row.id();
            ids.push(id);
            match self.objects.entry(id) {
                Entry::Vacant(slot) => {
                    slot.insert(ObjectState::loaded(row));
                }
                Entry::Occupied(state) if state.get().is_fault() => {
                    super::faults::fill_state(state.into_mut(), row);
                }
                Entry::Occupied(_) => {}
            }
        }
        ids
    }
}

fn eval_error(reader: &Reader<'_>, error: PredicateError) -> Error {
    reader.take_failure().unwrap_or_else(|| error.into())
}

/// The dictionaries of `ids`: each property walked through to-one keys, one batched row
/// load per key depth.
fn dictionaries(reader: &Reader<'_>, ids: &[ObjectId], properties: &[PropertyPath]) -> Vec<Dictionary> {
    let mut out: Vec<Dictionary> =
        ids.iter().map(|&id| Dictionary { id, entries: Vec::with_capacity(properties.len()) }).collect();
    for property in properties {
        // The object each row has reached along the path so far.
        let mut at: Vec<Option<ObjectId>> = ids.iter().map(|&id| Some(id)).collect();
        for key in &property.keys[..property.keys.len().saturating_sub(1)] {
            let reached: Vec<ObjectId> = at.iter().flatten().copied().collect();
            reader.prefetch(&reached);
            for object in at.iter_mut() {
                *object = match object.map(|id| read_key(reader, id, key)) {
                    Some(PropertyValue::Object(next)) => next,
                    _ => None,
                };
            }
        }
        let reached: Vec<ObjectId> = at.iter().flatten().copied().collect();
        reader.prefetch(&reached);
        let last = property.keys.last().map(String::as_str).unwrap_or_default();
        for (row, object) in out.iter_mut().zip(at) {
            let value = match object {
                Some(id) => read_key(reader, id, last),
                None if property.ends_on_relationship => PropertyValue::Object(None),
                None => PropertyValue::Value(Value::Null),
            };
            row.entries.push((property.path.clone(), value));
        }
    }
    out
}

fn read_key(reader: &Reader<'_>, id: ObjectId, key: &str) -> PropertyValue {
    match reader.view(id).field(key) {
        Ok(Field::Value(v)) => PropertyValue::Value(v),
        Ok(Field::ToOne(d)) => PropertyValue::Object(d.map(|v| v.id())),
        _ => PropertyValue::Value(Value::Null),
    }
}
