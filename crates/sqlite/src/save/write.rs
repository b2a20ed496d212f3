//! The writing steps of a save, in the order `run_save` calls them. Each step batches what
//! SQL can batch (deletes by key list, one cached statement per entity for inserts) and
//! writes only what the request names. No step checks versions or references: `run_save`
//! has done that, for the whole request, before the first of them runs.

use std::rc::Rc;

use rusqlite::{CachedStatement, Connection};
use strata_core::store::SaveRequest;
use strata_core::{ObjectId, StoreError};
use strata_model::{EntityIndex, Value};

use super::SavePlan;
use super::unique::Written;
use crate::error::{DbResult, backend, is_unique_violation};
use crate::layout::RelationshipSlot;
use crate::rows::{ValueParam, key_array};
use crate::store::Shared;

/// One save's writes.
pub(super) struct Writes<'a> {
    pub shared: &'a Shared,
    pub conn: &'a Connection,
    pub request: &'a SaveRequest,
    pub plan: &'a SavePlan,
    /// The permanent IDs of the inserted rows, in insertion order.
    pub permanent: &'a [ObjectId],
}

impl Writes<'_> {
    /// The stored key `id` has once this save is done (inserted rows' new keys).
    pub(super) fn key(&self, id: ObjectId) -> i64 {
        let id = match self.plan.inserted.get(&id) {
            Some(&i) => self.permanent.get(i).copied().unwrap_or(id),
            None => id,
        };
        id.primary_key().unwrap_or_default()
    }

    fn statement(&self, sql: &str) -> Result<CachedStatement<'_>, StoreError> {
        self.conn.prepare_cached(sql).db()
    }

    /// Deletes the deleted rows and every join-table row linking them, by key list.
    pub(super) fn delete_rows(&self) -> Result<(), StoreError> {
        if self.request.deleted.is_empty() {
            return Ok(());
        }
        let mut by_table = vec![Vec::new(); self.shared.layout.tables.len()];
        for row in &self.request.deleted {
            let layout = self.shared.own(row.id)?;
            by_table[layout.table].extend(row.id.primary_key());
        }
        for (t, keys) in by_table.into_iter().enumerate() {
            if keys.is_empty() {
                continue;
            }
            let table = &self.shared.layout.tables[t];
            let keys = key_array(keys);
            let sql = format!("DELETE FROM {} WHERE \"Z_PK\" IN rarray(?1)", table.name);
            self.statement(&sql)?.execute([Rc::clone(&keys)]).db()?;
            for (join, column) in &table.join_columns {
                let sql = format!("DELETE FROM {join} WHERE {column} IN rarray(?1)");
                self.statement(&sql)?.execute([Rc::clone(&keys)]).db()?;
            }
        }
        Ok(())
    }

    /// Applies one-to-one links sent for the non-owner side to the owner's column: the
    /// partner row that pointed here lets go, the new partner points here. Runs before the
    /// owner-side updates, so when both sides are sent (as contexts do) the owner's wins.
    /// Partner rows changed here get a new version, like any row a save changes; returns
    /// them with their new versions.
    pub(super) fn partner_links(&self) -> Result<Vec<(ObjectId, u64)>, StoreError> {
        let entities = &self.shared.layout.entities;
        let mut changed = Vec::new();
        for row in &self.request.inserted {
            for (slot, destination) in entities[row.id.entity().get()].relationships.iter().zip(&row.to_one) {
                if let (RelationshipSlot::Partner { owner_table, column, .. }, Some(d)) = (slot, destination)
                    && !d.is_temporary()
                {
                    let sql = format!("{column} = ?1, \"Z_OPT\" = \"Z_OPT\" + 1 WHERE \"Z_PK\" = ?2");
                    self.update_partners(
                        *owner_table,
                        &sql,
                        &[self.key(row.id), self.key(*d)],
                        &mut changed,
                    )?;
                }
            }
        }
        for row in &self.request.updated {
            let layout = &entities[row.id.entity().get()];
            for (r, destination) in &row.to_one {
                if let Some(RelationshipSlot::Partner { owner_table, column, .. }) =
                    layout.relationships.get(*r)
                {
                    let sql = format!("{column} = NULL, \"Z_OPT\" = \"Z_OPT\" + 1 WHERE {column} = ?1");
                    self.update_partners(*owner_table, &sql, &[self.key(row.id)], &mut changed)?;
                    if let Some(d) = destination.filter(|d| !d.is_temporary()) {
                        let sql = format!("{column} = ?1, \"Z_OPT\" = \"Z_OPT\" + 1 WHERE \"Z_PK\" = ?2");
                        self.update_partners(
                            *owner_table,
                            &sql,
                            &[self.key(row.id), self.key(d)],
                            &mut changed,
                        )?;
                    }
                }
            }
        }
        Ok(changed)
    }

    /// `UPDATE <owner table> SET <assignments>`, noting each changed row's new version.
    fn update_partners(
        &self,
        owner_table: usize,
        assignments: &str,
        params: &[i64],
        changed: &mut Vec<(ObjectId, u64)>,
    ) -> Result<(), StoreError> {
        let table = &self.shared.layout.tables[owner_table];
        let sql = format!("UPDATE {} SET {assignments} RETURNING \"Z_PK\", \"Z_ENT\", \"Z_OPT\"", table.name);
        let mut statement = self.statement(&sql)?;
        let mut rows = statement.query(rusqlite::params_from_iter(params)).db()?;
        while let Some(row) = rows.next().db()? {
            let (key, code, version): (i64, i64, i64) =
                (row.get(0).db()?, row.get(1).db()?, row.get(2).db()?);
            changed.push((self.shared.row_id(table, key, code)?, u64::try_from(version).unwrap_or_default()));
        }
        Ok(())
    }

    /// Updates each updated row: its changed columns, and its version to expected + 1.
    pub(super) fn update_rows(&self) -> Result<(), StoreError> {
        for (n, row) in self.request.updated.iter().enumerate() {
            let layout = self.shared.own(row.id)?;
            let values = self.plan.updated_values.get(n).and_then(Option::as_ref).unwrap_or(&row.values);
            let mut sql = format!("UPDATE {} SET ", self.shared.layout.tables[layout.table].name);
            let mut params = 0;
            for (a, _) in values {
                if let Some(slot) = layout.attributes.get(*a) {
                    params += 1;
                    sql.push_str(&format!("{} = ?{params}, ", slot.column));
                }
            }
            for (r, _) in &row.to_one {
                if let Some(RelationshipSlot::Owned { column, .. }) = layout.relationships.get(*r) {
                    params += 1;
                    sql.push_str(&format!("{column} = ?{params}, "));
                }
            }
            sql.push_str(&format!("\"Z_OPT\" = ?{} WHERE \"Z_PK\" = ?{}", params + 1, params + 2));
            let mut statement = self.statement(&sql)?;
            let mut i = 0;
            for (a, value) in values {
                if layout.attributes.get(*a).is_some() {
                    i += 1;
                    statement.raw_bind_parameter(i, ValueParam(value)).db()?;
                }
            }
            for (r, destination) in &row.to_one {
                if let Some(RelationshipSlot::Owned { .. }) = layout.relationships.get(*r) {
                    i += 1;
                    statement.raw_bind_parameter(i, destination.map(|d| self.key(d))).db()?;
                }
            }
            let version = i64::try_from(row.expected_version.saturating_add(1)).unwrap_or(i64::MAX);
            statement.raw_bind_parameter(i + 1, version).db()?;
            statement.raw_bind_parameter(i + 2, self.key(row.id)).db()?;
            if let Err(e) = statement.raw_execute() {
                drop(statement);
                return Err(self.refused(e, Written::Update(n)));
            }
        }
        Ok(())
    }

    /// Inserts every inserted row at version 1, one cached statement per entity. The
    /// statement holds the entity code and the version as literals: only the key, the
    /// values and the foreign keys are bound.
    ///
    /// Multi-row inserts were measured and not kept: a row's explicit key makes SQLite keep
    /// a statement journal for any statement writing several rows, which costs more (in a
    /// temporary file, in time; in memory, in instructions) than the statements save.
    pub(super) fn insert_rows(&self) -> Result<(), StoreError> {
        let mut current: Option<(EntityIndex, CachedStatement<'_>)> = None;
        for (n, row) in self.request.inserted.iter().enumerate() {
            let entity = row.id.entity();
            let layout = &self.shared.layout.entities[entity.get()];
            let statement = match &mut current {
                Some((e, statement)) if *e == entity => statement,
                _ => &mut current.insert((entity, self.statement(&layout.insert_sql)?)).1,
            };
            let key = self.permanent.get(n).and_then(|id| id.primary_key()).unwrap_or_default();
            statement.raw_bind_parameter(1, key).db()?;
            let values: &[Value] =
                self.plan.inserted_values.get(n).and_then(Option::as_ref).unwrap_or(&row.values);
            for (i, value) in values.iter().enumerate() {
                statement.raw_bind_parameter(2 + i, ValueParam(value)).db()?;
            }
            let first_key = 2 + values.len();
            for (i, &r) in layout.insert_foreign_keys.iter().enumerate() {
                let destination = row.to_one.get(r).copied().flatten().map(|d| self.key(d));
                statement.raw_bind_parameter(first_key + i, destination).db()?;
            }
            if let Err(e) = statement.raw_execute() {
                // Reset the refused statement before looking for the colliding row.
                drop(current);
                return Err(self.refused(e, Written::Insert(n)));
            }
        }
        Ok(())
    }

    /// Adds and removes join-table links, each in the owner's orientation; a link sent by
    /// both sides is stored once. Changes to to-many relationships with a to-one inverse are
    /// described by that inverse's foreign key, written with the rows, and skipped here.
    pub(super) fn join_links(&self) -> Result<(), StoreError> {
        for change in &self.request.to_many {
            let layout = &self.shared.layout.entities[change.source.entity().get()];
            let Some(RelationshipSlot::Join { table, source, target, .. }) =
                layout.relationships.get(change.relationship)
            else {
                continue;
            };
            let from = self.key(change.source);
            if !change.added.is_empty() {
                let sql = format!("INSERT OR IGNORE INTO {table} ({source}, {target}) VALUES (?1, ?2)");
                let mut statement = self.statement(&sql)?;
                for &d in &change.added {
                    statement.execute([from, self.key(d)]).db()?;
                }
            }
            if !change.removed.is_empty() {
                let sql = format!("DELETE FROM {table} WHERE {source} = ?1 AND {target} = ?2");
                let mut statement = self.statement(&sql)?;
                for &d in &change.removed {
                    statement.execute([from, self.key(d)]).db()?;
                }
            }
        }
        Ok(())
    }

    /// The error for a refused write: a uniqueness violation named, anything else as is.
    fn refused(&self, error: rusqlite::Error, written: Written) -> StoreError {
        if is_unique_violation(&error) {
            match self.uniqueness_error(written) {
                Ok(Some(e)) => return e,
                Ok(None) => {}
                Err(e) => return e,
            }
        }
        backend(error)
    }
}
