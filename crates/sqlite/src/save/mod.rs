//! Saving: one [`SaveRequest`] in one `IMMEDIATE` transaction.
//!
//! [`Shared::plan_save`] checks the request against the model before the transaction
//! starts (IDs of this store, shapes, value types, relationship kinds), so a malformed
//! request costs no lock. [`Shared::run_save`] then, inside the transaction:
//! 1. reads the key, entity and version of every updated, deleted and referenced row in one
//!    statement per table, and fails with every version conflict at once (each with its
//!    current snapshot) or with the first reference to a missing object;
//! 2. allocates the inserted rows' keys, one `UPDATE … RETURNING` per hierarchy on
//!    `Z_PRIMARYKEY`, so keys are never reused;
//! 3. deletes rows and their links, applies one-to-one changes sent only for the non-owner
//!    side, updates rows (changed columns only, version set to expected + 1), inserts rows
//!    with one cached statement per entity, and applies join-table changes (each link once,
//!    in the owner's orientation).
//!
//! Updates run before inserts so that a save which moves a unique value from a stored row
//! to a new one succeeds. SQLite checks unique indexes row by row, so one save cannot swap
//! unique values between two stored rows (the first update collides); two saves can.
//! `SaveResult::versions` also lists rows whose one-to-one link changed only through the
//! other side (a partner row), since their version moved too.
//!
//! Any error rolls the transaction back: nothing is stored. This module never commits:
//! `Writer::write` does, when it returns `Ok`.

mod unique;
mod write;

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension};
use strata_core::store::{SaveRequest, SaveResult, VersionConflict};
use strata_core::{IdMap, IdSet, ObjectId, StoreError};
use strata_model::{AttributeType, Value};

use crate::error::DbResult;
use crate::layout::{Destination, RelationshipSlot};
use crate::store::Shared;

/// What the checks before the transaction learned about a request.
#[derive(Debug)]
pub(crate) struct SavePlan {
    /// Inserted rows by temporary ID: their index in `request.inserted`.
    inserted: IdMap<usize>,
    /// Per inserted row, its values fitted to the attribute types when any needed fitting.
    inserted_values: Vec<Option<Vec<Value>>>,
    /// Per updated row, its changed values fitted likewise.
    updated_values: Vec<Option<Vec<(usize, Value)>>>,
    /// Stored objects the save links to: they must exist and survive the save.
    referenced: IdSet,
    /// The deleted objects.
    deleted: IdSet,
    /// Number of inserted rows per table.
    inserts_per_table: Vec<i64>,
    /// The table of each inserted row, in insertion order.
    insert_tables: Vec<usize>,
}

/// How a value fits an attribute.
enum Fit {
    /// As it is.
    Exact,
    /// After [`Value::coerce`].
    Coerced(Value),
}

impl Shared {
    /// How `value` fits `attribute` of `entity` (of type `ty`), or why it cannot be stored.
    /// Callers on hot paths ask [`fits_exactly`] first.
    #[cold]
    fn fit(
        &self,
        entity: &str,
        attribute: &str,
        ty: AttributeType,
        value: &Value,
    ) -> Result<Fit, StoreError> {
        if fits_exactly(value, ty) {
            return Ok(Fit::Exact);
        }
        let refuse = |reason: String| {
            self.misfit(format!("entity {entity}, attribute {attribute}: {value} cannot be stored: {reason}"))
        };
        match value.attribute_type() {
            None => Ok(Fit::Exact),
            Some(t) if t == ty => match value {
                Value::Double(f) if f.is_nan() => Err(refuse("NaN has no SQL form".to_owned())),
                Value::Float(f) if f.is_nan() => Err(refuse("NaN has no SQL form".to_owned())),
                _ => Ok(Fit::Exact),
            },
            Some(_) => value.clone().coerce(ty).map(Fit::Coerced).map_err(|e| refuse(e.to_string())),
        }
    }

    /// Checks a destination of a relationship of `entity` and notes it if it is stored.
    fn check_destination(
        &self,
        plan: &mut SavePlan,
        destination: ObjectId,
        slot: &RelationshipSlot,
        entity: &str,
    ) -> Result<(), StoreError> {
        if destination.is_temporary() {
            if !plan.inserted.contains_key(&destination) {
                return Err(StoreError::MissingObject { id: destination });
            }
        } else {
            self.own(destination)?;
            plan.referenced.insert(destination);
        }
        let wanted = slot_destination(slot).entity;
        if !self.model.is_kind_of(destination.entity(), wanted) {
            return Err(self.misfit(format!(
                "a relationship of {entity} must lead to {} objects, not to {destination:?}",
                self.model.entity_at(wanted).name()
            )));
        }
        Ok(())
    }

    /// Checks `request` against the model (see the module docs); reads nothing.
    pub(crate) fn plan_save(&self, request: &SaveRequest) -> Result<SavePlan, StoreError> {
        let n = request.inserted.len();
        let mut plan = SavePlan {
            inserted: IdMap::with_capacity_and_hasher(n, Default::default()),
            inserted_values: Vec::with_capacity(n),
            updated_values: Vec::with_capacity(request.updated.len()),
            referenced: IdSet::default(),
            deleted: IdSet::with_capacity_and_hasher(request.deleted.len(), Default::default()),
            inserts_per_table: vec![0; self.layout.tables.len()],
            insert_tables: Vec::with_capacity(n),
        };
        for (i, row) in request.inserted.iter().enumerate() {
            let layout = match self.layout.entity(row.id.entity()) {
                Some(layout) if row.id.is_temporary() => layout,
                _ => return Err(StoreError::ForeignObject { id: row.id }),
            };
            if plan.inserted.insert(row.id, i).is_some() {
                return Err(self.misfit(format!("{:?} is inserted twice", row.id)));
            }
            plan.inserts_per_table[layout.table] += 1;
            plan.insert_tables.push(layout.table);
        }
        for row in &request.inserted {
            let entity = self.model.entity_at(row.id.entity());
            let layout = &self.layout.entities[row.id.entity().get()];
            if row.values.len() != layout.attributes.len() || row.to_one.len() != layout.relationships.len() {
                return Err(self.misfit(format!("an inserted {} row does not fit the entity", entity.name())));
            }
            let mut fitted: Option<Vec<Value>> = None;
            for (a, (value, slot)) in row.values.iter().zip(&layout.attributes).enumerate() {
                if fits_exactly(value, slot.ty) {
                    continue;
                }
                let name = entity.attributes().get(a).map_or("", |attribute| attribute.name());
                if let Fit::Coerced(v) = self.fit(entity.name(), name, slot.ty, value)? {
                    fitted.get_or_insert_with(|| row.values.clone())[a] = v;
                }
            }
            plan.inserted_values.push(fitted);
            for (slot, destination) in layout.relationships.iter().zip(&row.to_one) {
                match (slot, destination) {
                    (_, None) => {}
                    (RelationshipSlot::Owned { .. } | RelationshipSlot::Partner { .. }, Some(d)) => {
                        self.check_destination(&mut plan, *d, slot, entity.name())?;
                    }
                    (_, Some(_)) => {
                        return Err(
                            self.misfit(format!("an inserted {} row has a to-many slot set", entity.name()))
                        );
                    }
                }
            }
        }
        for row in &request.updated {
            let layout = self.own(row.id)?;
            let entity = self.model.entity_at(row.id.entity());
            let mut fitted: Option<Vec<(usize, Value)>> = None;
            for (n, (a, value)) in row.values.iter().enumerate() {
                let attribute = entity
                    .attributes()
                    .get(*a)
                    .ok_or_else(|| self.misfit(format!("entity {} has no attribute #{a}", entity.name())))?;
                if fits_exactly(value, attribute.attribute_type()) {
                    continue;
                }
                if let Fit::Coerced(v) =
                    self.fit(entity.name(), attribute.name(), attribute.attribute_type(), value)?
                {
                    fitted.get_or_insert_with(|| row.values.clone())[n].1 = v;
                }
            }
            plan.updated_values.push(fitted);
            for (r, destination) in &row.to_one {
                let slot = match layout.relationships.get(*r) {
                    Some(slot @ (RelationshipSlot::Owned { .. } | RelationshipSlot::Partner { .. })) => slot,
                    _ => {
                        return Err(
                            self.misfit(format!("entity {} has no to-one relationship #{r}", entity.name()))
                        );
                    }
                };
                if let Some(d) = destination {
                    self.check_destination(&mut plan, *d, slot, entity.name())?;
                }
            }
        }
        for row in &request.deleted {
            self.own(row.id)?;
            plan.deleted.insert(row.id);
        }
        if !plan.deleted.is_empty()
            && let Some(row) = request.updated.iter().find(|u| plan.deleted.contains(&u.id))
        {
            return Err(self.misfit(format!("{:?} is both updated and deleted by one save", row.id)));
        }
        for change in &request.to_many {
            let layout = if change.source.is_temporary() {
                match plan.inserted.get(&change.source) {
                    Some(_) => &self.layout.entities[change.source.entity().get()],
                    None => return Err(StoreError::MissingObject { id: change.source }),
                }
            } else {
                self.own(change.source)?
            };
            let entity = self.model.entity_at(change.source.entity());
            let slot = match layout.relationships.get(change.relationship) {
                Some(slot @ (RelationshipSlot::Join { .. } | RelationshipSlot::InverseKey { .. })) => slot,
                _ => {
                    return Err(self.misfit(format!(
                        "entity {} has no to-many relationship #{}",
                        entity.name(),
                        change.relationship
                    )));
                }
            };
            if !change.added.is_empty() && !change.source.is_temporary() {
                plan.referenced.insert(change.source);
            }
            for &d in &change.added {
                self.check_destination(&mut plan, d, slot, entity.name())?;
            }
            for &d in &change.removed {
                // Removing a link needs no live destination: it may be deleted by this save.
                if !d.is_temporary() {
                    self.own(d)?;
                }
            }
        }
        Ok(plan)
    }

    /// Runs a planned save inside the writer's transaction (see the module docs).
    pub(crate) fn run_save(
        &self,
        conn: &Connection,
        request: &SaveRequest,
        plan: &SavePlan,
    ) -> Result<SaveResult, StoreError> {
        let before = self.capture_history(conn, request)?;
        let checked = request.updated.iter().map(|u| u.id).chain(request.deleted.iter().map(|d| d.id));
        let states = self.row_states(conn, checked.chain(plan.referenced.iter().copied()))?;
        let expected = request.updated.iter().map(|u| (u.id, u.expected_version));
        let mut conflicts = Vec::new();
        for (id, expected_version) in
            expected.chain(request.deleted.iter().map(|d| (d.id, d.expected_version)))
        {
            if states.get(&id).map(|s| s.version) != Some(expected_version) {
                conflicts.push(VersionConflict { id, expected_version, current: None });
            }
        }
        if !conflicts.is_empty() {
            let ids: Vec<ObjectId> = conflicts.iter().map(|c| c.id).collect();
            for (conflict, current) in conflicts.iter_mut().zip(self.load_snapshots(conn, &ids)?) {
                conflict.current = current;
            }
            return Err(StoreError::Conflict { conflicts });
        }
        for &id in &plan.referenced {
            if !states.contains_key(&id) || plan.deleted.contains(&id) {
                return Err(StoreError::MissingObject { id });
            }
        }
        let keys = self.allocate_keys(conn, plan)?;
        let permanent: Vec<ObjectId> = request
            .inserted
            .iter()
            .zip(&keys)
            .map(|(row, &key)| {
                ObjectId::permanent(self.store_id, row.id.entity(), key)
                    .ok_or_else(|| self.corrupt(format!("the key counter handed out key {key}")))
            })
            .collect::<Result<_, _>>()?;
        let writer = write::Writes { shared: self, conn, request, plan, permanent: &permanent };
        writer.delete_rows()?;
        let partners = writer.partner_links()?;
        writer.update_rows()?;
        writer.insert_rows()?;
        writer.join_links()?;
        let mut result = SaveResult {
            permanent_ids: request.inserted.iter().map(|r| r.id).zip(permanent.iter().copied()).collect(),
            versions: Vec::with_capacity(request.inserted.len() + request.updated.len()),
        };
        result.versions.extend(permanent.iter().map(|&id| (id, 1)));
        result.versions.extend(request.updated.iter().map(|u| (u.id, u.expected_version.saturating_add(1))));
        if !partners.is_empty() {
            // Partners changed only through the other side of their link: their versions
            // too, once each (the last one), unless the request wrote them itself.
            let written: HashSet<ObjectId> = result.versions.iter().map(|(id, _)| *id).collect();
            let mut last: HashMap<ObjectId, u64> = HashMap::new();
            for (id, version) in partners.into_iter().filter(|(id, _)| !written.contains(id)) {
                last.insert(id, version);
            }
            let mut extra: Vec<(ObjectId, u64)> = last.into_iter().collect();
            extra.sort_unstable();
            result.versions.extend(extra);
        }
        self.record_save(conn, request, &result, &before)?;
        Ok(result)
    }

    /// Reserves the keys of the inserted rows, in insertion order.
    fn allocate_keys(&self, conn: &Connection, plan: &SavePlan) -> Result<Vec<i64>, StoreError> {
        let mut next = vec![0i64; self.layout.tables.len()];
        for (t, &count) in plan.inserts_per_table.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let table = &self.layout.tables[t];
            let max: Option<i64> = conn
                .prepare_cached(
                    "UPDATE \"Z_PRIMARYKEY\" SET \"Z_MAX\" = \"Z_MAX\" + ?1 WHERE \"Z_ENT\" = ?2 \
                     RETURNING \"Z_MAX\"",
                )
                .db()?
                .query_row(rusqlite::params![count, i64::from(table.root.0)], |row| row.get(0))
                .optional()
                .db()?;
            let max =
                max.ok_or_else(|| self.corrupt(format!("no key counter for table {}", table.raw_name)))?;
            next[t] = max - count + 1;
        }
        let mut keys = Vec::with_capacity(plan.inserted.len());
        for &t in &plan.insert_tables {
            keys.push(next[t]);
            next[t] += 1;
        }
        Ok(keys)
    }
}

/// Whether `value` is stored as it is in an attribute of type `ty`: `Null`, or a value of
/// exactly that type that is not NaN. The common case of [`Shared::fit`], decided without
/// building anything; `false` leaves the answer to `fit`.
#[inline]
fn fits_exactly(value: &Value, ty: AttributeType) -> bool {
    use AttributeType as T;
    match (value, ty) {
        (Value::Double(f), T::Double) => !f.is_nan(),
        (Value::Float(f), T::Float) => !f.is_nan(),
        (Value::Null, _)
        | (Value::Int16(_), T::Int16)
        | (Value::Int32(_), T::Int32)
        | (Value::Int64(_), T::Int64)
        | (Value::Decimal(_), T::Decimal)
        | (Value::Bool(_), T::Bool)
        | (Value::String(_), T::String)
        | (Value::Date(_), T::Date)
        | (Value::Binary(_), T::Binary)
        | (Value::Uuid(_), T::Uuid)
        | (Value::Uri(_), T::Uri)
        | (Value::Json(_), T::Json) => true,
        _ => false,
    }
}

/// The destination of a relationship slot.
fn slot_destination(slot: &RelationshipSlot) -> &Destination {
    match slot {
        RelationshipSlot::Owned { destination, .. }
        | RelationshipSlot::Partner { destination, .. }
        | RelationshipSlot::InverseKey { destination, .. }
        | RelationshipSlot::Join { destination, .. } => destination,
    }
}
