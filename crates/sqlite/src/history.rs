//! Persistent history in a SQLite store: the tables, writing one transaction record per
//! save inside the save's own database transaction (so the history can never disagree with
//! the data, even after a crash), reading it back page by page, and deleting it.
//!
//! Tables (created by the first save of a store that records history):
//! - `Z_HISTORY_TRANSACTION`: one row per save — `Z_SEQ` (the token's sequence,
//!   `AUTOINCREMENT` so a sequence is never reused, even after deletion), timestamp
//!   (microseconds since the Unix epoch), author, context name, process ID, application;
//! - `Z_HISTORY_CHANGE`: one row per changed object — kind (0 insert, 1 update, 2 delete),
//!   entity index and key, and JSON texts: updated property names, tombstone, old and new
//!   values (objects of attribute name → value in the value's JSON form).
//!
//! `Z_METADATA`'s `historyDeletedThrough` entry keeps the sequence of the latest deleted
//! transaction, so that a read after an older token fails with
//! [`StoreError::HistoryExpired`] instead of returning a short list. Nothing here commits
//! or opens a transaction: callers run these functions inside the writer's or a reader's.

use std::sync::LazyLock;

use rusqlite::{Connection, OptionalExtension, params};
use strata_core::history::{
    HistoryCapture, changes_of_save, check_after, check_token, current_process, ids_to_capture,
    select_transaction,
};
use strata_core::store::{
    ChangeKind, HistoryChange, HistoryDeleteRequest, HistoryRequest, HistoryToken, HistoryTransaction,
    SaveInfo, SaveRequest, SaveResult,
};
use strata_core::{ObjectId, StoreError};
use strata_model::{Date, Entity, EntityIndex, Value};

use crate::error::DbResult;
use crate::metadata::{METADATA_TABLE, write_value};
use crate::store::Shared;

/// The transactions table.
const TRANSACTIONS: &str = "Z_HISTORY_TRANSACTION";
/// The changes table.
const CHANGES: &str = "Z_HISTORY_CHANGE";
/// The metadata key of the latest deleted sequence.
const DELETED_THROUGH_KEY: &str = "historyDeletedThrough";

/// The history tables' DDL (run by every recorded write: a no-op once they exist).
const CREATE: &str = "CREATE TABLE IF NOT EXISTS \"Z_HISTORY_TRANSACTION\" (\
    \"Z_SEQ\" INTEGER PRIMARY KEY AUTOINCREMENT, \"Z_TIMESTAMP\" INTEGER NOT NULL, \
    \"Z_AUTHOR\" TEXT, \"Z_CONTEXT\" TEXT, \"Z_PROCESS\" INTEGER NOT NULL, \"Z_APPLICATION\" TEXT); \
    CREATE TABLE IF NOT EXISTS \"Z_HISTORY_CHANGE\" (\"Z_SEQ\" INTEGER NOT NULL, \
    \"Z_INDEX\" INTEGER NOT NULL, \"Z_KIND\" INTEGER NOT NULL, \"Z_ENT\" INTEGER NOT NULL, \
    \"Z_PK\" INTEGER NOT NULL, \"Z_UPDATED\" TEXT, \"Z_TOMBSTONE\" TEXT, \"Z_OLD\" TEXT, \
    \"Z_NEW\" TEXT, PRIMARY KEY (\"Z_SEQ\", \"Z_INDEX\")) WITHOUT ROWID;";

/// The columns of a change row, in the order [`insert_changes`] lists them.
const CHANGE_COLUMNS: usize = 9;

/// How many change rows one multi-row insert writes: 288 parameters, under SQLite's
/// smallest default limit of 999.
const CHANGE_CHUNK: usize = 32;

/// The insert of one change row, built once.
static INSERT_CHANGE: LazyLock<String> = LazyLock::new(|| insert_changes(1));

/// The insert of [`CHANGE_CHUNK`] change rows, built once.
static INSERT_CHANGE_CHUNK: LazyLock<String> = LazyLock::new(|| insert_changes(CHANGE_CHUNK));

/// `INSERT INTO Z_HISTORY_CHANGE (…) VALUES (?1, …, ?9), (?10, …)`: `rows` change rows, each
/// row's parameters after the previous row's.
fn insert_changes(rows: usize) -> String {
    // `OR FAIL`: a refused row fails the whole save anyway, so SQLite need not keep a
    // statement journal to undo the rows of a multi-row insert before it.
    let mut sql = format!(
        "INSERT OR FAIL INTO \"{CHANGES}\" (\"Z_SEQ\", \"Z_INDEX\", \"Z_KIND\", \"Z_ENT\", \"Z_PK\", \"Z_UPDATED\", \
         \"Z_TOMBSTONE\", \"Z_OLD\", \"Z_NEW\") VALUES "
    );
    for r in 0..rows {
        let marks: Vec<String> =
            (1..=CHANGE_COLUMNS).map(|c| format!("?{}", r * CHANGE_COLUMNS + c)).collect();
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("({})", marks.join(", ")));
    }
    sql
}

impl Shared {
    /// The rows a save must read before it applies, for tombstones and old values (empty
    /// when the store records no history).
    pub(crate) fn capture_history(
        &self,
        conn: &Connection,
        request: &SaveRequest,
    ) -> Result<HistoryCapture, StoreError> {
        if !self.history {
            return Ok(HistoryCapture::default());
        }
        let ids = ids_to_capture(&self.model, request, self.history_values);
        if ids.is_empty() {
            return Ok(HistoryCapture::default());
        }
        let snapshots = self.load_snapshots(conn, &ids)?;
        Ok(ids.into_iter().zip(snapshots).filter_map(|(id, s)| Some((id, s?))).collect())
    }

    /// Records a successful save (when the store records history), inside its transaction.
    pub(crate) fn record_save(
        &self,
        conn: &Connection,
        request: &SaveRequest,
        result: &SaveResult,
        before: &HistoryCapture,
    ) -> Result<(), StoreError> {
        if !self.history {
            return Ok(());
        }
        let changes = changes_of_save(&self.model, request, result, before, self.history_values);
        self.record_changes(conn, &request.info, &changes).map(|_| ())
    }

    /// Writes one transaction record with `changes` and returns its token. Every write of
    /// the store must call this inside its own database transaction when the store records
    /// history: saves do (through [`Shared::record_save`]); the batch path must too, with
    /// the changes of the rows its batch touched (built with
    /// `strata_core::history::changes_of_save` or by hand).
    pub(crate) fn record_changes(
        &self,
        conn: &Connection,
        info: &SaveInfo,
        changes: &[HistoryChange],
    ) -> Result<HistoryToken, StoreError> {
        // A cached look-up rather than the DDL on every save: parsing it costs more.
        if !has_tables(conn)? {
            conn.execute_batch(CREATE).db()?;
        }
        let (process, application) = current_process();
        let sequence: i64 = conn
            .prepare_cached(&format!(
                "INSERT INTO \"{TRANSACTIONS}\" (\"Z_TIMESTAMP\", \"Z_AUTHOR\", \"Z_CONTEXT\", \"Z_PROCESS\", \
                 \"Z_APPLICATION\") VALUES (?1, ?2, ?3, ?4, ?5) RETURNING \"Z_SEQ\""
            ))
            .db()?
            .query_row(
                params![Date::now().unix_micros(), info.author, info.context_name, process, application],
                |row| row.get(0),
            )
            .db()?;
        // Whole chunks of changes go in one statement each (a statement's fixed cost, paid
        // once per chunk, is most of a one-row insert's), the rest one row at a time.
        let mut chunks = changes.chunks_exact(CHANGE_CHUNK);
        let mut index = 0_i64;
        if changes.len() >= CHANGE_CHUNK {
            let mut insert = conn.prepare_cached(&INSERT_CHANGE_CHUNK).db()?;
            for chunk in &mut chunks {
                for (r, change) in chunk.iter().enumerate() {
                    self.bind_change(&mut insert, r * CHANGE_COLUMNS + 1, sequence, index, change)?;
                    index += 1;
                }
                insert.raw_execute().db()?;
            }
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut insert = conn.prepare_cached(&INSERT_CHANGE).db()?;
            for change in rest {
                self.bind_change(&mut insert, 1, sequence, index, change)?;
                index += 1;
                insert.raw_execute().db()?;
            }
        }
        Ok(self.token(sequence))
    }

    /// Binds the row of `change`, the `index`th of transaction `sequence`, to the
    /// [`CHANGE_COLUMNS`] parameters from `first` on.
    fn bind_change(
        &self,
        insert: &mut rusqlite::CachedStatement<'_>,
        first: usize,
        sequence: i64,
        index: i64,
        change: &HistoryChange,
    ) -> Result<(), StoreError> {
        let key = change.id.primary_key().ok_or(StoreError::ForeignObject { id: change.id })?;
        let kind = match change.kind {
            ChangeKind::Insert => 0,
            ChangeKind::Update => 1,
            ChangeKind::Delete => 2,
        };
        let updated =
            (!change.updated.is_empty()).then(|| serde_json::Value::from(change.updated.clone()).to_string());
        insert.raw_bind_parameter(first, sequence).db()?;
        insert.raw_bind_parameter(first + 1, index).db()?;
        insert.raw_bind_parameter(first + 2, kind).db()?;
        insert.raw_bind_parameter(first + 3, change.id.entity().0).db()?;
        insert.raw_bind_parameter(first + 4, key).db()?;
        insert.raw_bind_parameter(first + 5, updated).db()?;
        insert.raw_bind_parameter(first + 6, self.values_json(&change.tombstone)?).db()?;
        insert.raw_bind_parameter(first + 7, self.values_json(&change.old_values)?).db()?;
        insert.raw_bind_parameter(first + 8, self.values_json(&change.new_values)?).db()?;
        Ok(())
    }

    /// `values` as a JSON object text; `None` when empty.
    fn values_json(&self, values: &[(String, Value)]) -> Result<Option<String>, StoreError> {
        if values.is_empty() {
            return Ok(None);
        }
        let mut object = serde_json::Map::with_capacity(values.len());
        for (name, value) in values {
            let json = value
                .to_json()
                .map_err(|e| self.misfit(format!("attribute {name}: history cannot record {value}: {e}")))?;
            object.insert(name.clone(), json);
        }
        Ok(Some(serde_json::Value::Object(object).to_string()))
    }

    fn token(&self, sequence: i64) -> HistoryToken {
        HistoryToken::new(self.store_id.uuid(), u64::try_from(sequence).unwrap_or(0))
    }

    /// The transactions `request` selects, oldest first, read one at a time (a page costs
    /// what it returns, not the whole history).
    pub(crate) fn read_history(
        &self,
        conn: &Connection,
        request: &HistoryRequest,
    ) -> Result<Vec<HistoryTransaction>, StoreError> {
        self.require_history()?;
        check_after(request, self.store_id.uuid(), deleted_through(conn)?)?;
        if !has_tables(conn)? {
            return Ok(Vec::new());
        }
        let after = request.after.map_or(0, |t| i64::try_from(t.sequence).unwrap_or(i64::MAX));
        let after_date = request.after_date.map_or(i64::MIN, |d| d.unix_micros());
        let mut transactions = conn
            .prepare_cached(&format!(
                "SELECT \"Z_SEQ\", \"Z_TIMESTAMP\", \"Z_AUTHOR\", \"Z_CONTEXT\", \"Z_PROCESS\", \"Z_APPLICATION\" \
                 FROM \"{TRANSACTIONS}\" WHERE \"Z_SEQ\" > ?1 AND \"Z_TIMESTAMP\" > ?2 ORDER BY \"Z_SEQ\""
            ))
            .db()?;
        let mut rows = transactions.query(params![after, after_date]).db()?;
        let limit = request.limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        while out.len() < limit
            && let Some(row) = rows.next().db()?
        {
            let sequence: i64 = row.get(0).db()?;
            let process: i64 = row.get(4).db()?;
            let mut transaction = HistoryTransaction::new(
                self.token(sequence),
                Date::from_unix_micros(row.get(1).db()?),
                row.get(2).db()?,
                row.get(3).db()?,
                u32::try_from(process).unwrap_or(0),
                row.get(5).db()?,
            );
            if !request.selects_transaction(&transaction) {
                continue;
            }
            transaction.changes = self.read_changes(conn, sequence)?;
            if let Some(t) = select_transaction(&self.model, request, transaction) {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// The changes of transaction `sequence`, in recorded order.
    fn read_changes(&self, conn: &Connection, sequence: i64) -> Result<Vec<HistoryChange>, StoreError> {
        let mut statement = conn
            .prepare_cached(&format!(
                "SELECT \"Z_KIND\", \"Z_ENT\", \"Z_PK\", \"Z_UPDATED\", \"Z_TOMBSTONE\", \"Z_OLD\", \"Z_NEW\" \
                 FROM \"{CHANGES}\" WHERE \"Z_SEQ\" = ?1 ORDER BY \"Z_INDEX\""
            ))
            .db()?;
        let mut rows = statement.query([sequence]).db()?;
        let mut changes = Vec::new();
        while let Some(row) = rows.next().db()? {
            let kind = match row.get::<_, i64>(0).db()? {
                0 => ChangeKind::Insert,
                1 => ChangeKind::Update,
                2 => ChangeKind::Delete,
                other => {
                    return Err(
                        self.corrupt(format!("history change kind {other} in transaction {sequence}"))
                    );
                }
            };
            let entity: i64 = row.get(1).db()?;
            let key: i64 = row.get(2).db()?;
            let index = u16::try_from(entity)
                .ok()
                .map(EntityIndex)
                .filter(|e| e.get() < self.model.entities().len())
                .ok_or_else(|| self.corrupt(format!("history names entity #{entity}")))?;
            let id = ObjectId::permanent(self.store_id, index, key)
                .ok_or_else(|| self.corrupt(format!("history names key {key}")))?;
            let entity = self.model.entity_at(index);
            let updated = match row.get::<_, Option<String>>(3).db()? {
                None => Vec::new(),
                Some(text) => serde_json::from_str(&text)
                    .map_err(|e| self.corrupt(format!("history transaction {sequence}: {e}")))?,
            };
            let mut change = HistoryChange::new(kind, id);
            change.updated = updated;
            change.tombstone = self.decode_values(entity, row.get(4).db()?, sequence)?;
            change.old_values = self.decode_values(entity, row.get(5).db()?, sequence)?;
            change.new_values = self.decode_values(entity, row.get(6).db()?, sequence)?;
            changes.push(change);
        }
        Ok(changes)
    }

    fn decode_values(
        &self,
        entity: &Entity,
        text: Option<String>,
        sequence: i64,
    ) -> Result<Vec<(String, Value)>, StoreError> {
        let Some(text) = text else { return Ok(Vec::new()) };
        let bad = |reason: String| self.corrupt(format!("history transaction {sequence}: {reason}"));
        let mut object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        // In attribute order, as recorded (a JSON object does not keep its order).
        let mut values = Vec::with_capacity(object.len());
        for attribute in entity.attributes() {
            if let Some(json) = object.remove(attribute.name()) {
                let value =
                    Value::from_json(&json, attribute.attribute_type()).map_err(|e| bad(e.to_string()))?;
                values.push((attribute.name().to_owned(), value));
            }
        }
        if let Some(name) = object.keys().next() {
            return Err(bad(format!("{} has no attribute {name}", entity.name())));
        }
        Ok(values)
    }

    /// Deletes the transactions `request` selects (inside the writer's transaction).
    pub(crate) fn delete_history(
        &self,
        conn: &Connection,
        request: &HistoryDeleteRequest,
    ) -> Result<usize, StoreError> {
        self.require_history()?;
        if let Some(token) = request.through {
            check_token(token, self.store_id.uuid())?;
        }
        if !has_tables(conn)? || (request.through.is_none() && request.before_date.is_none()) {
            return Ok(0);
        }
        let through = request.through.map_or(i64::MAX, |t| i64::try_from(t.sequence).unwrap_or(i64::MAX));
        let before = request.before_date.map_or(i64::MAX, |d| d.unix_micros());
        let mut doomed = Vec::new();
        {
            let mut statement = conn
                .prepare_cached(&format!(
                    "SELECT \"Z_SEQ\", \"Z_AUTHOR\" FROM \"{TRANSACTIONS}\" \
                     WHERE \"Z_SEQ\" <= ?1 AND \"Z_TIMESTAMP\" < ?2"
                ))
                .db()?;
            let mut rows = statement.query(params![through, before]).db()?;
            while let Some(row) = rows.next().db()? {
                let author: Option<String> = row.get(1).db()?;
                if request.authors.is_empty() || author.is_some_and(|a| request.authors.contains(&a)) {
                    doomed.push(row.get::<_, i64>(0).db()?);
                }
            }
        }
        let Some(&latest) = doomed.iter().max() else { return Ok(0) };
        for sequence in &doomed {
            for table in [CHANGES, TRANSACTIONS] {
                conn.prepare_cached(&format!("DELETE FROM \"{table}\" WHERE \"Z_SEQ\" = ?1"))
                    .db()?
                    .execute([sequence])
                    .db()?;
            }
        }
        if u64::try_from(latest).unwrap_or(0) > deleted_through(conn)? {
            write_value(conn, DELETED_THROUGH_KEY, &latest.to_string()).db()?;
        }
        Ok(doomed.len())
    }

    /// The token of the latest transaction ever recorded (sequence 0 before the first).
    pub(crate) fn current_history_token(&self, conn: &Connection) -> Result<HistoryToken, StoreError> {
        self.require_history()?;
        if !has_tables(conn)? {
            return Ok(self.token(0));
        }
        let sequence: Option<i64> = conn
            .prepare_cached("SELECT \"seq\" FROM sqlite_sequence WHERE \"name\" = ?1")
            .db()?
            .query_row([TRANSACTIONS], |row| row.get(0))
            .optional()
            .db()?;
        Ok(self.token(sequence.unwrap_or(0)))
    }

    /// `Unsupported` when the store was created without history.
    fn require_history(&self) -> Result<(), StoreError> {
        if self.history {
            Ok(())
        } else {
            Err(StoreError::Unsupported {
                store_type: crate::STORE_TYPE.to_owned(),
                operation: "persistent history on a store created without it",
            })
        }
    }
}

/// Whether the history tables exist (they are created by the first recorded save).
fn has_tables(conn: &Connection) -> Result<bool, StoreError> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM sqlite_schema WHERE \"type\" = 'table' AND \"name\" = ?1")
        .db()?
        .query_row([TRANSACTIONS], |row| row.get(0))
        .optional()
        .db()?;
    Ok(found.is_some())
}

/// The sequence of the latest deleted transaction (0: none deleted).
fn deleted_through(conn: &Connection) -> Result<u64, StoreError> {
    let text: Option<String> = conn
        .prepare_cached(&format!("SELECT \"Z_VALUE\" FROM \"{METADATA_TABLE}\" WHERE \"Z_KEY\" = ?1"))
        .db()?
        .query_row([DELETED_THROUGH_KEY], |row| row.get(0))
        .optional()
        .db()?;
    Ok(text.and_then(|t| t.parse().ok()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use strata_core::store::{DeletedRow, HistoryRequest, InsertedRow, SaveRequest, UpdatedRow};
    use strata_core::{ObjectId, Store};
    use strata_model::{Model, Value};

    use super::{CHANGE_CHUNK, ChangeKind};
    use crate::{SqliteOptions, SqliteStore};

    /// Saves of more changes than one multi-row insert takes are read back whole, in order,
    /// every column in its place (names, tombstones, old and new values).
    #[test]
    fn chunked_change_rows_read_back_as_saved() {
        let dir = tempfile::tempdir().expect("temp dir");
        let model = Arc::new(
            Model::from_json(
                r#"{ "name": "H", "version": 1, "entities": [ { "name": "Clip", "attributes": [
                  { "name": "title", "type": "string", "preserveAfterDeletion": true },
                  { "name": "score", "type": "double" } ] } ] }"#,
            )
            .expect("model"),
        );
        let options = SqliteOptions::default().with_history(true).with_history_values(true);
        let store = SqliteStore::create(dir.path().join("h.sqlite"), model.clone(), options).expect("create");
        let entity = model.entity("Clip").expect("Clip").index();
        let count = 2 * CHANGE_CHUNK + 5;
        let inserted: Vec<InsertedRow> = (0..count)
            .map(|i| InsertedRow {
                id: ObjectId::new_temporary(entity),
                values: vec![Value::from(format!("t{i}").as_str()), Value::Double(0.0)],
                to_one: vec![],
            })
            .collect();
        let saved = store.save(&SaveRequest { inserted, ..Default::default() }).expect("insert");
        let ids: Vec<ObjectId> = saved.permanent_ids.iter().map(|(_, id)| *id).collect();
        let score = |i: usize| Value::Double(f64::from(u32::try_from(i).expect("small")));
        let updated = ids
            .iter()
            .enumerate()
            .map(|(i, &id)| UpdatedRow {
                id,
                expected_version: 1,
                values: vec![(1, score(i))],
                to_one: vec![],
            })
            .collect();
        store.save(&SaveRequest { updated, ..Default::default() }).expect("update");
        let deleted = ids.iter().map(|&id| DeletedRow { id, expected_version: 2 }).collect();
        store.save(&SaveRequest { deleted, ..Default::default() }).expect("delete");

        let history = store.history(&HistoryRequest::default()).expect("history");
        assert_eq!(history.len(), 3);
        for (transaction, kind) in
            history.iter().zip([ChangeKind::Insert, ChangeKind::Update, ChangeKind::Delete])
        {
            let changed: Vec<ObjectId> = transaction.changes.iter().map(|c| c.id).collect();
            assert_eq!(changed, ids, "{kind:?}: every change, in order");
            assert!(transaction.changes.iter().all(|c| c.kind == kind), "{kind:?}");
        }
        for (i, change) in history[1].changes.iter().enumerate() {
            assert_eq!(change.updated, vec!["score".to_owned()], "update {i}");
            assert_eq!(change.old_values, vec![("score".to_owned(), Value::Double(0.0))], "update {i}");
            assert_eq!(change.new_values, vec![("score".to_owned(), score(i))], "update {i}");
        }
        for (i, change) in history[2].changes.iter().enumerate() {
            let title = Value::from(format!("t{i}").as_str());
            assert_eq!(change.tombstone, vec![("title".to_owned(), title)], "delete {i}");
        }
    }
}
