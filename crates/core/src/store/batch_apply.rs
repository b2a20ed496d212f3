//! Batch requests carried out through a store's own contract: [`execute_batch_with_saves`]
//! turns a [`BatchRequest`] into one fetch (plus the reads delete rules need) and one
//! [`Store::save`], so a store gets history, remote-change announcements, uniqueness checks
//! and atomicity from its save path without a second write path to keep in step.
//!
//! Isolation: the rows are read first and written by a separate save whose expected versions
//! are those read, so a row changed by someone else in between fails the save with
//! [`StoreError::Conflict`] (nothing written) rather than being overwritten blindly; the
//! update or delete is then read and planned again, a few times, before the conflict is
//! returned. This module never writes anything except through [`Store::save`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use strata_model::{DeleteRule, Entity, Model, Value};

use super::{
    BatchOptions, BatchProgress, BatchRequest, BatchResult, DeletedRow, InsertedRow, SaveRequest, StoreError,
    StoreFetchRequest, StoreFetchResult, StoreResultType, UpdatedRow,
};
use crate::{ObjectId, Snapshot, Store};

/// Applies `request` to `store` with one [`Store::save`]: history, announcements, uniqueness
/// checks and atomicity are the save's.
///
/// - Insert: every value is checked against its attribute's type (`Null` only for optional
///   attributes), then all rows are inserted by one save; keys come from the store.
/// - Update: the matching objects (the store evaluates the predicate, compiling what it can)
///   are updated by one save, which bumps each row's version, so contexts holding them get
///   conflicts on their next save.
/// - Delete: the matching objects and, recursively, the destinations of their cascade
///   relationships are deleted; to-one inverses of nullify relationships pointing at them are
///   cleared; a deny relationship with a destination that is not deleted too refuses the batch
///   with [`StoreError::DeleteDenied`]. The result counts every deleted object, cascaded ones
///   included.
///
/// A batch that matches nothing saves nothing (and records no history).
///
/// Rows are read, then written by a save expecting the versions read; if another writer
/// changed one in between (a [`StoreError::Conflict`]), an update or delete is read and
/// planned again, up to ten times, before the conflict is returned.
pub fn execute_batch_with_saves(
    store: &dyn Store,
    request: &BatchRequest,
    options: &BatchOptions,
) -> Result<BatchResult, StoreError> {
    let model = store.model().clone();
    match request {
        BatchRequest::Insert { entity, rows } => {
            let e = entity_at(&model, *entity)?;
            if e.is_abstract() {
                return Err(invalid(format!("{} is abstract: objects of it cannot be inserted", e.name())));
            }
            let mut inserted = Vec::with_capacity(rows.len());
            for (n, row) in rows.iter().enumerate() {
                if row.len() != e.attributes().len() {
                    return Err(invalid(format!(
                        "row {n} has {} values but {} has {} attributes",
                        row.len(),
                        e.name(),
                        e.attributes().len()
                    )));
                }
                for (index, value) in row.iter().enumerate() {
                    check_batch_value(e, index, value)?;
                }
                let done = n as u64 + 1;
                if let Some(progress) = &options.progress
                    && done.is_multiple_of(BatchProgress::INTERVAL)
                {
                    progress.report(done);
                }
                inserted.push(InsertedRow {
                    id: ObjectId::new_temporary(*entity),
                    values: row.clone(),
                    to_one: vec![None; e.relationships().len()],
                });
            }
            if inserted.is_empty() {
                return Ok(result(options, Vec::new()));
            }
            let saved =
                store.save(&SaveRequest { inserted, info: options.info.clone(), ..Default::default() })?;
            if let Some(progress) = &options.progress {
                progress.report(saved.permanent_ids.len() as u64);
            }
            Ok(result(options, saved.permanent_ids.into_iter().map(|(_, p)| p).collect()))
        }
        BatchRequest::Update { entity, include_subentities, predicate, values } => {
            let e = entity_at(&model, *entity)?;
            for (index, value) in values {
                check_batch_value(e, *index, value)?;
            }
            retrying(|| {
                let matching = fetch_snapshots(store, *entity, *include_subentities, predicate.clone())?;
                let ids: Vec<ObjectId> = matching.iter().map(|s| s.id()).collect();
                if matching.is_empty() || values.is_empty() {
                    return Ok(result(options, ids));
                }
                let updated = matching
                    .iter()
                    .map(|s| UpdatedRow {
                        id: s.id(),
                        expected_version: s.version(),
                        values: values.clone(),
                        to_one: Vec::new(),
                    })
                    .collect();
                store.save(&SaveRequest { updated, info: options.info.clone(), ..Default::default() })?;
                Ok(result(options, ids))
            })
        }
        BatchRequest::Delete { entity, include_subentities, predicate } => {
            entity_at(&model, *entity)?;
            retrying(|| {
                let matching = fetch_snapshots(store, *entity, *include_subentities, predicate.clone())?;
                let save = plan_delete(store, &model, matching)?;
                let ids: Vec<ObjectId> = save.deleted.iter().map(|d| d.id).collect();
                if !ids.is_empty() {
                    store.save(&SaveRequest { info: options.info.clone(), ..save })?;
                }
                Ok(result(options, ids))
            })
        }
    }
}

/// How many times an update or delete is read and written again after another writer
/// changed one of its rows in between (a [`StoreError::Conflict`]) before giving up.
const ATTEMPTS: usize = 10;

/// Runs `attempt` again (reading afresh) while it fails with a conflict, [`ATTEMPTS`] times
/// at most: a batch applies to the rows that match when it commits, as in Core Data, rather
/// than failing because someone saved between its read and its write.
fn retrying(mut attempt: impl FnMut() -> Result<BatchResult, StoreError>) -> Result<BatchResult, StoreError> {
    let mut tries = 1;
    loop {
        match attempt() {
            Err(StoreError::Conflict { .. }) if tries < ATTEMPTS => tries += 1,
            other => return other,
        }
    }
}

fn result(options: &BatchOptions, ids: Vec<ObjectId>) -> BatchResult {
    if options.return_ids { BatchResult::ObjectIds(ids) } else { BatchResult::Count(ids.len() as u64) }
}

fn invalid(reason: String) -> StoreError {
    StoreError::InvalidRequest { reason }
}

fn entity_at(model: &Model, index: strata_model::EntityIndex) -> Result<&Entity, StoreError> {
    model
        .entities()
        .get(index.get())
        .ok_or_else(|| invalid(format!("entity index {} is past the model's entities", index.get())))
}

/// Refuses a value that does not fit attribute `index` of `entity` (`Null` only for an
/// optional attribute, otherwise exactly the attribute's type), as every batch path must.
pub fn check_batch_value(entity: &Entity, index: usize, value: &Value) -> Result<(), StoreError> {
    let Some(attribute) = entity.attributes().get(index) else {
        return Err(invalid(format!("{} has no attribute at index {index}", entity.name())));
    };
    match value.attribute_type() {
        None if attribute.is_optional() => Ok(()),
        None => Err(invalid(format!(
            "{}.{} is not optional: it cannot be set to null",
            entity.name(),
            attribute.name()
        ))),
        Some(ty) if ty == attribute.attribute_type() => Ok(()),
        Some(ty) => Err(invalid(format!(
            "{}.{} holds {:?} values, not {:?} ({})",
            entity.name(),
            attribute.name(),
            attribute.attribute_type(),
            ty,
            value.type_name()
        ))),
    }
}

fn fetch_snapshots(
    store: &dyn Store,
    entity: strata_model::EntityIndex,
    include_subentities: bool,
    predicate: Option<strata_predicate::Predicate>,
) -> Result<Vec<Arc<Snapshot>>, StoreError> {
    let request = StoreFetchRequest {
        entity,
        include_subentities,
        predicate,
        sort: Vec::new(),
        offset: 0,
        limit: None,
        result: StoreResultType::Snapshots,
    };
    match store.fetch(&request)? {
        StoreFetchResult::Snapshots(snapshots) => Ok(snapshots),
        other => Err(StoreError::Corrupt {
            location: store.metadata().store_type,
            reason: format!("a snapshot fetch answered {other:?}"),
        }),
    }
}

/// The destinations of relationship `index` for each of `sources` (all of one entity).
fn destinations(
    store: &dyn Store,
    sources: &[Arc<Snapshot>],
    index: usize,
    to_many: bool,
) -> Result<Vec<Vec<ObjectId>>, StoreError> {
    if to_many {
        let ids: Vec<ObjectId> = sources.iter().map(|s| s.id()).collect();
        store.related(&ids, index)
    } else {
        Ok(sources.iter().map(|s| s.to_one().get(index).copied().flatten().into_iter().collect()).collect())
    }
}

/// The save deleting `matching` and whatever cascade rules add, with nullified inverses.
fn plan_delete(
    store: &dyn Store,
    model: &Model,
    matching: Vec<Arc<Snapshot>>,
) -> Result<SaveRequest, StoreError> {
    let mut deleted: BTreeMap<ObjectId, Arc<Snapshot>> = BTreeMap::new();
    // (source, relationship index, destination) of deny and nullify rules, checked once the
    // closure is known: a destination deleted along with its source needs neither.
    let mut denied: Vec<(ObjectId, usize, ObjectId)> = Vec::new();
    let mut nullified: Vec<(ObjectId, usize, ObjectId)> = Vec::new();
    let mut frontier: Vec<Arc<Snapshot>> = Vec::new();
    for s in matching {
        if deleted.insert(s.id(), s.clone()).is_none() {
            frontier.push(s);
        }
    }
    while !frontier.is_empty() {
        let mut by_entity: BTreeMap<usize, Vec<Arc<Snapshot>>> = BTreeMap::new();
        for s in frontier.drain(..) {
            by_entity.entry(s.id().entity().get()).or_default().push(s);
        }
        let mut cascade: BTreeSet<ObjectId> = BTreeSet::new();
        for (entity, sources) in by_entity {
            let Some(e) = model.entities().get(entity) else { continue };
            for (index, r) in e.relationships().iter().enumerate() {
                let wanted = match r.delete_rule() {
                    DeleteRule::Cascade | DeleteRule::Deny => true,
                    DeleteRule::Nullify => model.inverse_of(r).is_some_and(|i| !i.is_to_many()),
                    _ => false,
                };
                if !wanted {
                    continue;
                }
                let lists = destinations(store, &sources, index, r.is_to_many())?;
                for (source, list) in sources.iter().zip(lists) {
                    for d in list {
                        match r.delete_rule() {
                            DeleteRule::Cascade => {
                                if !deleted.contains_key(&d) {
                                    cascade.insert(d);
                                }
                            }
                            DeleteRule::Deny => denied.push((source.id(), index, d)),
                            _ => nullified.push((source.id(), index, d)),
                        }
                    }
                }
            }
        }
        let ids: Vec<ObjectId> = cascade.into_iter().collect();
        for s in store.snapshots(&ids)?.into_iter().flatten() {
            if deleted.insert(s.id(), s.clone()).is_none() {
                frontier.push(s);
            }
        }
    }
    if let Some(&(source, index, _)) = denied.iter().find(|(_, _, d)| !deleted.contains_key(d)) {
        let e = model.entity_at(source.entity());
        return Err(StoreError::DeleteDenied {
            entity: e.name().to_owned(),
            relationship: e.relationships()[index].name().to_owned(),
            id: source,
        });
    }
    // Clear the to-one inverses (foreign keys) of surviving destinations.
    let mut clear: BTreeMap<ObjectId, BTreeSet<usize>> = BTreeMap::new();
    for (source, index, d) in nullified {
        if deleted.contains_key(&d) {
            continue;
        }
        let r = &model.entity_at(source.entity()).relationships()[index];
        let Some(inverse) = model.inverse_of(r) else { continue };
        let Some(slot) =
            model.entity_at(d.entity()).relationships().iter().position(|x| x.name() == inverse.name())
        else {
            continue;
        };
        clear.entry(d).or_default().insert(slot);
    }
    let survivors: Vec<ObjectId> = clear.keys().copied().collect();
    let mut updated = Vec::with_capacity(survivors.len());
    for s in store.snapshots(&survivors)?.into_iter().flatten() {
        let slots = clear.remove(&s.id()).unwrap_or_default();
        updated.push(UpdatedRow {
            id: s.id(),
            expected_version: s.version(),
            values: Vec::new(),
            to_one: slots.into_iter().map(|slot| (slot, None)).collect(),
        });
    }
    let deleted =
        deleted.values().map(|s| DeletedRow { id: s.id(), expected_version: s.version() }).collect();
    Ok(SaveRequest { updated, deleted, ..Default::default() })
}
