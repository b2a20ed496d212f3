//! Strata's own tables in a SQLite store: `Z_METADATA` (key/value text) and `Z_PRIMARYKEY`
//! (the last key handed out per entity hierarchy), their DDL, and reading the metadata
//! back with every field checked.
//!
//! Reading never writes: it is what decides whether a file is a store at all, so it runs
//! before anything may change the file.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};
use strata_core::StoreError;
use strata_model::{ModelHash, Uuid};

use crate::error::{DbResult, STORE_TYPE};

/// The version of the file layout this crate writes and reads (Strata's tables plus the
/// `DefaultSchema` of the model). A store with another number is refused, not guessed at.
pub const LAYOUT_VERSION: u32 = 1;

/// The metadata table.
pub(crate) const METADATA_TABLE: &str = "Z_METADATA";
/// The key-counter table.
pub(crate) const PRIMARY_KEY_TABLE: &str = "Z_PRIMARYKEY";

pub(crate) const UUID_KEY: &str = "uuid";
pub(crate) const STORE_TYPE_KEY: &str = "storeType";
pub(crate) const MODEL_HASH_KEY: &str = "modelHash";
pub(crate) const MODEL_KEY: &str = "model";
pub(crate) const HISTORY_KEY: &str = "history";
pub(crate) const USER_KEY: &str = "user";
pub(crate) const LAYOUT_VERSION_KEY: &str = "layoutVersion";

/// The DDL of Strata's own tables.
pub(crate) fn create_statements() -> [String; 2] {
    [
        format!(
            "CREATE TABLE \"{METADATA_TABLE}\" \
             (\"Z_KEY\" TEXT PRIMARY KEY NOT NULL, \"Z_VALUE\" TEXT NOT NULL) WITHOUT ROWID"
        ),
        format!(
            "CREATE TABLE \"{PRIMARY_KEY_TABLE}\" (\"Z_ENT\" INTEGER PRIMARY KEY, \"Z_NAME\" TEXT NOT NULL, \
             \"Z_MAX\" INTEGER NOT NULL)"
        ),
    ]
}

/// Sets one metadata entry.
pub(crate) fn write_value(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO \"{METADATA_TABLE}\" (\"Z_KEY\", \"Z_VALUE\") VALUES (?1, ?2)"
    ))?
    .execute([key, value])?;
    Ok(())
}

/// The metadata as stored, every field checked.
#[derive(Debug)]
pub(crate) struct StoredMetadata {
    pub uuid: Uuid,
    pub model_hash: ModelHash,
    pub model: serde_json::Value,
    pub history: bool,
    pub user: serde_json::Map<String, serde_json::Value>,
}

/// Reads and checks the metadata; [`StoreError::NotAStore`] when the file is an SQLite
/// database but not a Strata SQLite store of a layout this crate reads.
pub(crate) fn read(conn: &Connection, location: &str) -> Result<StoredMetadata, StoreError> {
    let not_a_store = |reason: String| StoreError::NotAStore { location: location.to_owned(), reason };
    let exists: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [METADATA_TABLE],
            |row| row.get(0),
        )
        .optional()
        .map_err(|e| not_a_store(format!("SQLite cannot read it ({e})")))?;
    if exists.is_none() {
        return Err(not_a_store(format!("it is an SQLite database without Strata's {METADATA_TABLE} table")));
    }
    let mut entries = HashMap::new();
    let mut statement =
        conn.prepare(&format!("SELECT \"Z_KEY\", \"Z_VALUE\" FROM \"{METADATA_TABLE}\"")).db()?;
    let mut rows = statement.query([]).db()?;
    while let Some(row) = rows.next().db()? {
        let (key, value): (String, String) = (row.get(0).db()?, row.get(1).db()?);
        entries.insert(key, value);
    }
    let field = |key: &str| -> Result<&String, StoreError> {
        entries.get(key).ok_or_else(|| not_a_store(format!("its metadata has no {key:?} entry")))
    };
    let store_type = field(STORE_TYPE_KEY)?;
    if store_type != STORE_TYPE {
        return Err(not_a_store(format!("it is a {store_type:?} store, not a {STORE_TYPE} store")));
    }
    let layout = field(LAYOUT_VERSION_KEY)?;
    if layout.parse::<u32>().ok() != Some(LAYOUT_VERSION) {
        return Err(not_a_store(format!(
            "its layout version is {layout}; this version of Strata reads layout {LAYOUT_VERSION}"
        )));
    }
    let uuid =
        Uuid::try_parse(field(UUID_KEY)?).map_err(|e| not_a_store(format!("its UUID is invalid: {e}")))?;
    let model_hash = parse_hash(field(MODEL_HASH_KEY)?)
        .ok_or_else(|| not_a_store("its model hash is invalid".to_owned()))?;
    let model = serde_json::from_str(field(MODEL_KEY)?)
        .map_err(|e| not_a_store(format!("its stored model is not JSON: {e}")))?;
    let history = match field(HISTORY_KEY)?.as_str() {
        "true" => true,
        "false" => false,
        other => return Err(not_a_store(format!("its history flag is {other:?}"))),
    };
    let user = match serde_json::from_str(field(USER_KEY)?) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => return Err(not_a_store("its user metadata is not a JSON object".to_owned())),
    };
    Ok(StoredMetadata { uuid, model_hash, model, history, user })
}

/// Reads a [`ModelHash`] from its 64-digit hexadecimal form (its `Display`).
pub(crate) fn parse_hash(text: &str) -> Option<ModelHash> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(ModelHash(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_read_back_from_their_display() {
        let hash = ModelHash(std::array::from_fn(|i| (i * 37) as u8));
        assert_eq!(parse_hash(&hash.to_string()), Some(hash));
        assert_eq!(parse_hash("00"), None);
        assert_eq!(parse_hash(&"g".repeat(64)), None);
        assert_eq!(parse_hash(&"é".repeat(32)), None);
    }
}
