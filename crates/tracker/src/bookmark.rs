//! Actor records in the shared defaults: for each store and actor, the bookmark (the
//! history token up to which the actor merged), when the actor last ran, and when it was
//! first registered. The tracker writes its own record; the cleaner reads everyone's.
//!
//! A record lives under the key `strata.tracker/<store-uuid>/<actor>` as
//! `{"bookmark": "<uuid>:<seq>" | null, "last_seen": <µs> | null, "registered": <µs>}`.
//! Bookmarks only move forward here; nothing in this module calls a store.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use strata_core::store::HistoryToken;
use strata_model::{Date, Uuid};

use crate::SharedDefaults;
use crate::error::{Result, TrackerError};

const PREFIX: &str = "strata.tracker/";

/// What the shared defaults hold about one actor of one store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActorRecord {
    /// The token up to which the actor merged; `None` before its first merge (it then reads
    /// from the beginning of the kept history).
    pub bookmark: Option<HistoryToken>,
    /// When its tracker last ran a pass; `None` if it never ran.
    pub last_seen: Option<Date>,
    /// When a tracker first registered it (its own or another member's).
    pub registered: Date,
}

impl ActorRecord {
    /// When the actor was last heard of: its last pass, or its registration if it never ran.
    pub fn last_heard(&self) -> Date {
        self.last_seen.unwrap_or(self.registered)
    }
}

#[derive(Serialize, Deserialize)]
struct Stored {
    bookmark: Option<HistoryToken>,
    last_seen: Option<i64>,
    registered: i64,
}

/// The key of `actor`'s record for `store`.
pub(crate) fn key(store: Uuid, actor: &str) -> String {
    format!("{PREFIX}{store}/{actor}")
}

fn parse(actor: &str, key: &str, value: &Value) -> Result<ActorRecord> {
    let stored: Stored = serde_json::from_value(value.clone()).map_err(|_| TrackerError::MalformedBookmark {
        actor: actor.to_owned(),
        key: key.to_owned(),
        problem: "expected {\"bookmark\": token or null, \"last_seen\": integer or null, \"registered\": integer}",
    })?;
    Ok(ActorRecord {
        bookmark: stored.bookmark,
        last_seen: stored.last_seen.map(Date::from_unix_micros),
        registered: Date::from_unix_micros(stored.registered),
    })
}

fn to_value(record: &ActorRecord) -> Value {
    let stored = Stored {
        bookmark: record.bookmark,
        last_seen: record.last_seen.map(Date::unix_micros),
        registered: record.registered.unix_micros(),
    };
    serde_json::to_value(stored).unwrap_or(Value::Null)
}

/// Every actor record of `store`, by actor name (sorted).
pub(crate) fn read_all(defaults: &SharedDefaults, store: Uuid) -> Result<Vec<(String, ActorRecord)>> {
    records_of(&defaults.all()?, store)
}

fn records_of(values: &Map<String, Value>, store: Uuid) -> Result<Vec<(String, ActorRecord)>> {
    let prefix = format!("{PREFIX}{store}/");
    let mut out = Vec::new();
    for (key, value) in values {
        if let Some(actor) = key.strip_prefix(&prefix) {
            out.push((actor.to_owned(), parse(actor, key, value)?));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Registers `actors` (those without a record get one, registered now) and returns the
/// record of `own`, whose bookmark is set to `current` if it never ran and `start_now`.
pub(crate) fn register(
    defaults: &SharedDefaults,
    store: Uuid,
    actors: &[String],
    own: &str,
    start_now: Option<HistoryToken>,
    now: Date,
) -> Result<ActorRecord> {
    defaults.modify(|values| {
        for actor in actors {
            let key = key(store, actor);
            if !values.contains_key(&key) {
                let record = ActorRecord { bookmark: None, last_seen: None, registered: now };
                values.insert(key, to_value(&record));
            }
        }
        let key = key(store, own);
        let mut record = match values.get(&key) {
            Some(value) => parse(own, &key, value)?,
            None => ActorRecord { bookmark: None, last_seen: None, registered: now },
        };
        if record.last_seen.is_none() && record.bookmark.is_none() {
            record.bookmark = start_now;
        }
        record.last_seen = Some(now);
        values.insert(key, to_value(&record));
        Ok(record)
    })?
}

/// Stores `own`'s bookmark (unless the stored one is already later, of the same store) and
/// last-seen time.
pub(crate) fn advance(
    defaults: &SharedDefaults,
    store: Uuid,
    own: &str,
    bookmark: Option<HistoryToken>,
    now: Date,
) -> Result<()> {
    defaults.modify(|values| {
        let key = key(store, own);
        let mut record = match values.get(&key) {
            Some(value) => parse(own, &key, value)?,
            None => ActorRecord { bookmark: None, last_seen: None, registered: now },
        };
        let later = match (record.bookmark, bookmark) {
            (Some(old), Some(new)) => old.store != new.store || new.sequence > old.sequence,
            (None, new) => new.is_some(),
            (Some(_), None) => false,
        };
        if later {
            record.bookmark = bookmark;
        }
        record.last_seen = Some(now);
        values.insert(key, to_value(&record));
        Ok(())
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> (tempfile::TempDir, SharedDefaults) {
        let dir = tempfile::tempdir().expect("temp dir");
        let defaults = SharedDefaults::new(dir.path().join("defaults.json"), 0o600);
        (dir, defaults)
    }

    #[test]
    fn registration_keeps_existing_records_and_starts_where_asked() {
        let (_dir, defaults) = defaults();
        let store = Uuid::from_u128(7);
        let actors = vec!["app".to_owned(), "ext".to_owned()];
        let t = |s| HistoryToken::new(store, s);
        let app = register(&defaults, store, &actors, "app", Some(t(5)), Date::from_unix_micros(10)).unwrap();
        assert_eq!(app.bookmark, Some(t(5)));
        assert_eq!(app.last_seen, Some(Date::from_unix_micros(10)));
        // A second start does not move a bookmark that exists, nor re-register.
        advance(&defaults, store, "app", Some(t(9)), Date::from_unix_micros(20)).unwrap();
        let again =
            register(&defaults, store, &actors, "app", Some(t(50)), Date::from_unix_micros(30)).unwrap();
        assert_eq!(again.bookmark, Some(t(9)));
        assert_eq!(again.registered, Date::from_unix_micros(10));
        let all = read_all(&defaults, store).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].0, "ext");
        assert_eq!(all[1].1.bookmark, None);
        assert_eq!(all[1].1.last_seen, None);
        assert_eq!(all[1].1.last_heard(), Date::from_unix_micros(10));
        // Records of another store are not listed.
        assert!(read_all(&defaults, Uuid::from_u128(8)).unwrap().is_empty());
    }

    #[test]
    fn bookmarks_never_move_back() {
        let (_dir, defaults) = defaults();
        let store = Uuid::from_u128(7);
        let t = |s| HistoryToken::new(store, s);
        advance(&defaults, store, "a", Some(t(9)), Date::from_unix_micros(1)).unwrap();
        advance(&defaults, store, "a", Some(t(3)), Date::from_unix_micros(2)).unwrap();
        advance(&defaults, store, "a", None, Date::from_unix_micros(3)).unwrap();
        let all = read_all(&defaults, store).unwrap();
        assert_eq!(all[0].1.bookmark, Some(t(9)));
        assert_eq!(all[0].1.last_seen, Some(Date::from_unix_micros(3)));
    }

    #[test]
    fn a_malformed_record_is_a_typed_error() {
        let (_dir, defaults) = defaults();
        let store = Uuid::from_u128(7);
        defaults.set(&key(store, "a"), serde_json::json!({"bookmark": 12})).unwrap();
        let error = read_all(&defaults, store).unwrap_err();
        assert!(
            matches!(error, TrackerError::MalformedBookmark { ref actor, .. } if actor == "a"),
            "{error}"
        );
    }
}
