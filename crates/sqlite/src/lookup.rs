//! Batched look-ups by key: snapshots (fault filling), to-many destinations, and the
//! key/entity/version triples a save checks. Each runs one statement per table (or per
//! source entity) whatever the number of IDs: the keys travel as one `rarray(?)` parameter,
//! so the statement text never depends on the batch size.
//!
//! These functions read through whatever connection they are given (a reader inside a read
//! transaction, or the writer inside a save); they never write and never start a
//! transaction.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::Connection;
use strata_core::{ObjectId, Snapshot, StoreError};
use strata_model::EntityIndex;

use crate::error::{DbResult, STORE_TYPE};
use crate::layout::RelationshipSlot;
use crate::rows::key_array;
use crate::store::Shared;

/// A stored row's identity as a save sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RowState {
    /// The row's concrete entity.
    pub entity: EntityIndex,
    /// The row's version.
    pub version: u64,
}

impl Shared {
    /// Keys of `ids` grouped by table index (IDs must have been checked with `own`).
    fn keys_by_table(&self, ids: impl IntoIterator<Item = ObjectId>) -> Vec<Vec<i64>> {
        let mut by_table = vec![Vec::new(); self.layout.tables.len()];
        for id in ids {
            if let (Some(layout), Some(key)) = (self.layout.entity(id.entity()), id.primary_key()) {
                by_table[layout.table].push(key);
            }
        }
        by_table
    }

    /// The stored snapshots of `ids`, in order; `None` where no row of that ID exists.
    pub(crate) fn load_snapshots(
        &self,
        conn: &Connection,
        ids: &[ObjectId],
    ) -> Result<Vec<Option<Arc<Snapshot>>>, StoreError> {
        for &id in ids {
            self.own(id)?;
        }
        let mut found: HashMap<ObjectId, Arc<Snapshot>> = HashMap::with_capacity(ids.len());
        for (t, keys) in self.keys_by_table(ids.iter().copied()).into_iter().enumerate() {
            if keys.is_empty() {
                continue;
            }
            let table = &self.layout.tables[t];
            let mut statement = conn.prepare_cached(&table.rows_by_key).db()?;
            let mut rows = statement.query([key_array(keys)]).db()?;
            while let Some(row) = rows.next().db()? {
                let snapshot = self.decode_row(table, row)?;
                found.insert(snapshot.id(), snapshot);
            }
        }
        // A row of another entity under the same key is not the object the ID names.
        Ok(ids.iter().map(|id| found.get(id).cloned()).collect())
    }

    /// The entity and version of every stored row among `ids`, by ID. Rows whose entity is
    /// not the ID's are left out (the ID names no stored object).
    pub(crate) fn row_states(
        &self,
        conn: &Connection,
        ids: impl IntoIterator<Item = ObjectId>,
    ) -> Result<HashMap<ObjectId, RowState>, StoreError> {
        let mut states = HashMap::new();
        for (t, keys) in self.keys_by_table(ids).into_iter().enumerate() {
            if keys.is_empty() {
                continue;
            }
            let table = &self.layout.tables[t];
            let mut statement = conn.prepare_cached(&table.states_by_key).db()?;
            let mut rows = statement.query([key_array(keys)]).db()?;
            while let Some(row) = rows.next().db()? {
                let (key, code, version): (i64, i64, i64) =
                    (row.get(0).db()?, row.get(1).db()?, row.get(2).db()?);
                let id = self.row_id(table, key, code)?;
                let version = u64::try_from(version).map_err(|_| {
                    self.corrupt(format!("row {key} of {} has version {version}", table.raw_name))
                })?;
                states.insert(id, RowState { entity: id.entity(), version });
            }
        }
        Ok(states)
    }

    /// The destinations of to-many relationship `relationship` of each source, in key
    /// order; an empty list for a source that does not exist. One statement per distinct
    /// source entity.
    pub(crate) fn load_related(
        &self,
        conn: &Connection,
        sources: &[ObjectId],
        relationship: usize,
    ) -> Result<Vec<Vec<ObjectId>>, StoreError> {
        let mut by_entity: HashMap<EntityIndex, Vec<i64>> = HashMap::new();
        for &source in sources {
            let layout = self.own(source)?;
            match layout.relationships.get(relationship) {
                Some(RelationshipSlot::InverseKey { .. } | RelationshipSlot::Join { .. }) => {}
                _ => {
                    return Err(StoreError::Unsupported {
                        store_type: STORE_TYPE.to_owned(),
                        operation: "to-many look-ups of a relationship that is not to-many",
                    });
                }
            }
            by_entity.entry(source.entity()).or_default().extend(source.primary_key());
        }
        let mut found: HashMap<ObjectId, Vec<ObjectId>> = HashMap::new();
        for (entity, keys) in by_entity {
            let layout = &self.layout.entities[entity.get()];
            let source_table = &self.layout.tables[layout.table];
            let (sql, destination) = match &layout.relationships[relationship] {
                RelationshipSlot::InverseKey { table, column, destination } => (
                    format!(
                        "SELECT \"d\".{column}, \"d\".\"Z_PK\", \"d\".\"Z_ENT\" FROM {} AS \"d\" \
                         JOIN {} AS \"s\" ON \"s\".\"Z_PK\" = \"d\".{column} \
                         WHERE \"d\".{column} IN rarray(?1) AND \"s\".\"Z_ENT\" = ?2 \
                         ORDER BY 1, 2",
                        self.layout.tables[*table].name, source_table.name
                    ),
                    destination,
                ),
                RelationshipSlot::Join { table, source, target, destination } => {
                    // The destination's own row says which entity it is only when the key
                    // alone cannot.
                    let (entity_column, join) = if destination.polymorphic {
                        (
                            "\"d\".\"Z_ENT\"".to_owned(),
                            format!(
                                "JOIN {} AS \"d\" ON \"d\".\"Z_PK\" = \"j\".{target}",
                                self.layout.tables[destination.table].name
                            ),
                        )
                    } else {
                        (destination.entity.0.to_string(), String::new())
                    };
                    (
                        format!(
                            "SELECT \"j\".{source}, \"j\".{target}, {entity_column} FROM {table} AS \"j\" \
                             JOIN {} AS \"s\" ON \"s\".\"Z_PK\" = \"j\".{source} {join} \
                             WHERE \"j\".{source} IN rarray(?1) AND \"s\".\"Z_ENT\" = ?2 \
                             ORDER BY 1, 2",
                            source_table.name
                        ),
                        destination,
                    )
                }
                _ => continue,
            };
            let destination_table = &self.layout.tables[destination.table];
            let mut statement = conn.prepare_cached(&sql).db()?;
            let code = i64::from(entity.0);
            let mut rows = statement.query(rusqlite::params![key_array(keys), code]).db()?;
            while let Some(row) = rows.next().db()? {
                let (source_key, key, code): (i64, i64, i64) =
                    (row.get(0).db()?, row.get(1).db()?, row.get(2).db()?);
                let source = ObjectId::permanent(self.store_id, entity, source_key)
                    .ok_or_else(|| self.corrupt(format!("a link holds key {source_key}")))?;
                let id = self.row_id(destination_table, key, code)?;
                found.entry(source).or_default().push(id);
            }
        }
        Ok(sources.iter().map(|s| found.get(s).cloned().unwrap_or_default()).collect())
    }
}
