//! What a save records in history: one [`HistoryChange`] per object, built from the save
//! request, its result, and the rows as they were before the save (captured by the store
//! inside its save transaction). Stores call [`ids_to_capture`] before applying a save and
//! [`changes_of_save`] after; the batch path will call the same functions with the rows
//! its batch touched.

use std::collections::HashSet;
use std::sync::Arc;

use strata_model::{Model, Value};

use crate::object_id::IdMap;
use crate::store::{ChangeKind, HistoryChange, SaveRequest, SaveResult};
use crate::{ObjectId, Snapshot};

/// The rows as they were before a save, by ID: the deleted rows whose entity preserves
/// attributes after deletion (for tombstones) and, when values are recorded, the updated
/// rows.
pub type HistoryCapture = IdMap<Arc<Snapshot>>;

/// The IDs whose rows a store must read before applying `request` so that
/// [`changes_of_save`] can write tombstones and (with `values`) old values.
pub fn ids_to_capture(model: &Model, request: &SaveRequest, values: bool) -> Vec<ObjectId> {
    let preserves =
        |id: ObjectId| model.entity_at(id.entity()).attributes().iter().any(|a| a.preserves_after_deletion());
    let deleted = request.deleted.iter().map(|d| d.id).filter(|&id| preserves(id));
    let updated = request.updated.iter().filter(|_| values).filter(|u| !u.values.is_empty()).map(|u| u.id);
    deleted.chain(updated).collect()
}

/// The history changes of a successful save: inserts (by permanent ID), updates (named
/// attributes and to-one relationships, with old and new values when `values` is set),
/// objects changed only through the other side of a one-to-one link (updates naming no
/// property), and deletes (with their tombstones from `before`).
pub fn changes_of_save(
    model: &Model,
    request: &SaveRequest,
    result: &SaveResult,
    before: &HistoryCapture,
    values: bool,
) -> Vec<HistoryChange> {
    let mut changes =
        Vec::with_capacity(request.inserted.len() + request.updated.len() + request.deleted.len());
    let change = HistoryChange::new;
    for (_, permanent) in &result.permanent_ids {
        changes.push(change(ChangeKind::Insert, *permanent));
    }
    let mut written: HashSet<ObjectId> = result.permanent_ids.iter().map(|(_, p)| *p).collect();
    for row in &request.updated {
        written.insert(row.id);
        let entity = model.entity_at(row.id.entity());
        let mut c = change(ChangeKind::Update, row.id);
        let old = before.get(&row.id);
        for (a, value) in &row.values {
            let Some(attribute) = entity.attributes().get(*a) else { continue };
            c.updated.push(attribute.name().to_owned());
            if values {
                let previous = old.and_then(|s| s.values().get(*a)).cloned().unwrap_or(Value::Null);
                c.old_values.push((attribute.name().to_owned(), previous));
                c.new_values.push((attribute.name().to_owned(), value.clone()));
            }
        }
        for (r, _) in &row.to_one {
            if let Some(relationship) = entity.relationships().get(*r) {
                c.updated.push(relationship.name().to_owned());
            }
        }
        changes.push(c);
    }
    for (id, _) in &result.versions {
        if !written.contains(id) {
            written.insert(*id);
            changes.push(change(ChangeKind::Update, *id));
        }
    }
    for row in &request.deleted {
        let mut c = change(ChangeKind::Delete, row.id);
        if let Some(snapshot) = before.get(&row.id) {
            let entity = model.entity_at(row.id.entity());
            for (attribute, value) in entity.attributes().iter().zip(snapshot.values()) {
                if attribute.preserves_after_deletion() {
                    c.tombstone.push((attribute.name().to_owned(), value.clone()));
                }
            }
        }
        changes.push(c);
    }
    changes
}

/// This process's ID and application name (its executable's file name), recorded with
/// every transaction it saves.
pub fn current_process() -> (u32, Option<String>) {
    static APPLICATION: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let application = APPLICATION.get_or_init(|| {
        std::env::current_exe().ok().and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
    });
    (std::process::id(), application.clone())
}
