//! [`ObjectId`]: the small, `Copy` identity of an object, and its URI form.
//!
//! An ID names a store (by its UUID, interned into a [`StoreId`]), an entity (by index in
//! the store's model) and a key: a permanent primary key once saved, or a temporary key
//! handed out by this process before the first save. IDs never hold a model or a pointer;
//! turning one into a URI (`strata://<store-uuid>/<Entity>/p<key>`) needs the entity's
//! name, which the coordinator supplies.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{OnceLock, RwLock};

use strata_model::{EntityIndex, Model, Uuid};

/// A store's identity inside this process: its UUID, interned so IDs stay 16 bytes.
///
/// Interning is process-wide and permanent (a few bytes per distinct store ever opened), so a
/// `StoreId` compares equal exactly when the UUIDs do, in every coordinator of the process.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoreId(u32);

#[derive(Default)]
struct Registry {
    uuids: Vec<Uuid>,
    index: HashMap<Uuid, u32>,
}

fn registry() -> &'static RwLock<Registry> {
    static REGISTRY: OnceLock<RwLock<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

const NO_STORE: u32 = u32::MAX;

impl StoreId {
    /// The `StoreId` of the store with this UUID.
    pub fn from_uuid(uuid: Uuid) -> StoreId {
        let lock = registry();
        if let Some(&i) = lock.read().unwrap_or_else(|e| e.into_inner()).index.get(&uuid) {
            return StoreId(i);
        }
        let mut reg = lock.write().unwrap_or_else(|e| e.into_inner());
        if let Some(&i) = reg.index.get(&uuid) {
            return StoreId(i);
        }
        let i =
            u32::try_from(reg.uuids.len()).ok().filter(|&i| i < NO_STORE).expect("fewer than 2^32 stores");
        reg.uuids.push(uuid);
        reg.index.insert(uuid, i);
        StoreId(i)
    }

    /// The store's UUID.
    pub fn uuid(self) -> Uuid {
        registry().read().unwrap_or_else(|e| e.into_inner()).uuids[self.0 as usize]
    }
}

impl fmt::Debug for StoreId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreId({})", self.uuid())
    }
}

impl fmt::Display for StoreId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.uuid())
    }
}

/// The identity of one object: store, entity, key. 16 bytes, `Copy`, hashable, ordered.
///
/// A *temporary* ID belongs to an object inserted in a context and not yet saved; saving
/// replaces it by a *permanent* one that the store assigns. Temporary IDs are unique within
/// the process, so they stay consistent across a chain of parent and child contexts.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId {
    store: u32,
    entity: EntityIndex,
    /// `> 0`: the permanent primary key; `< 0`: a temporary key.
    key: i64,
}

static NEXT_TEMPORARY: AtomicI64 = AtomicI64::new(1);

fn process_nonce() -> u64 {
    static NONCE: OnceLock<u64> = OnceLock::new();
    *NONCE.get_or_init(|| Uuid::new_v4().as_u64_pair().0)
}

impl ObjectId {
    /// The permanent ID of the row with primary key `key` (`> 0`) of `entity` in `store`.
    ///
    /// Returns `None` for a key that is not positive: permanent keys are positive so that
    /// they can never collide with temporary ones.
    pub fn permanent(store: StoreId, entity: EntityIndex, key: i64) -> Option<ObjectId> {
        (key > 0).then_some(ObjectId { store: store.0, entity, key })
    }

    /// A new temporary ID for an object of `entity` inserted in this process, not yet in a
    /// store.
    pub fn new_temporary(entity: EntityIndex) -> ObjectId {
        let n = NEXT_TEMPORARY.fetch_add(1, Ordering::Relaxed);
        ObjectId { store: NO_STORE, entity, key: -n }
    }

    /// Whether the ID is temporary (the object was never saved).
    pub fn is_temporary(self) -> bool {
        self.key < 0
    }

    /// The store, for a permanent ID.
    pub fn store(self) -> Option<StoreId> {
        (self.store != NO_STORE).then_some(StoreId(self.store))
    }

    /// The entity, as an index into the store's model.
    pub fn entity(self) -> EntityIndex {
        self.entity
    }

    /// The permanent primary key, for a permanent ID.
    pub fn primary_key(self) -> Option<i64> {
        (self.key > 0).then_some(self.key)
    }

    /// The URI form: `strata://<store-uuid>/<Entity>/p<key>` for a permanent ID,
    /// `strata:///<Entity>/t<uuid>` for a temporary one. `model` names the entity.
    ///
    /// # Panics
    /// If the ID's entity is not in `model`.
    pub fn uri(self, model: &Model) -> String {
        let entity = model.entity_at(self.entity).name();
        match self.store() {
            Some(store) if self.key > 0 => format!("strata://{}/{entity}/p{}", store.uuid(), self.key),
            _ => {
                let temp = Uuid::from_u64_pair(process_nonce(), self.key.unsigned_abs());
                format!("strata:///{entity}/t{}", temp.simple())
            }
        }
    }

    /// Parses a URI made by [`ObjectId::uri`]. This only reads the text: the coordinator then
    /// checks that it has the store the URI names and finds the entity in that store's model.
    pub fn parse_uri(uri: &str) -> Result<ParsedUri<'_>, UriError> {
        let bad = |reason: &'static str| UriError::Malformed { uri: uri.to_owned(), reason };
        let rest = uri.strip_prefix("strata://").ok_or_else(|| bad("it does not start with strata://"))?;
        let mut parts = rest.splitn(3, '/');
        let (store, entity, key) = match (parts.next(), parts.next(), parts.next()) {
            (Some(s), Some(e), Some(k)) => (s, e, k),
            _ => return Err(bad("expected strata://<store>/<Entity>/<key>")),
        };
        if entity.is_empty() {
            return Err(bad("the entity name is empty"));
        }
        if let Some(temp) = key.strip_prefix('t') {
            if !store.is_empty() {
                return Err(bad("a temporary ID names no store"));
            }
            let uuid = Uuid::try_parse(temp).map_err(|_| bad("the temporary key is not a UUID"))?;
            let (nonce, counter) = uuid.as_u64_pair();
            if nonce != process_nonce() {
                return Err(UriError::ForeignTemporary { uri: uri.to_owned() });
            }
            let key = i64::try_from(counter).map_err(|_| bad("the temporary key is out of range"))?;
            return Ok(ParsedUri { store: None, entity, key: -key });
        }
        let key = key.strip_prefix('p').ok_or_else(|| bad("the key must start with p or t"))?;
        let key: i64 =
            key.parse().ok().filter(|&k| k > 0).ok_or_else(|| bad("the key is not a positive integer"))?;
        let store = Uuid::try_parse(store).map_err(|_| bad("the store is not a UUID"))?;
        Ok(ParsedUri { store: Some(store), entity, key })
    }
}

/// A hash map keyed by [`ObjectId`], with a fast hasher: IDs are small integers a store
/// assigned, not attacker-chosen text, so SipHash's flood resistance buys nothing and costs
/// a third of a save's time (measured with callgrind).
pub type IdMap<V> = rustc_hash::FxHashMap<ObjectId, V>;

/// A hash set of [`ObjectId`]s, with the fast hasher of [`IdMap`].
pub type IdSet = rustc_hash::FxHashSet<ObjectId>;

/// An object URI split into its parts, before the coordinator resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedUri<'a> {
    /// The store's UUID; `None` for a temporary ID.
    pub store: Option<Uuid>,
    /// The entity name.
    pub entity: &'a str,
    /// The key: positive permanent, negative temporary.
    pub key: i64,
}

impl ParsedUri<'_> {
    /// The ID, given the entity's index in the store's model.
    pub fn to_object_id(&self, entity: EntityIndex) -> ObjectId {
        let store = self.store.map_or(NO_STORE, |u| StoreId::from_uuid(u).0);
        ObjectId { store, entity, key: self.key }
    }
}

/// A URI that does not name an object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriError {
    /// Not a Strata object URI.
    #[error("{uri:?} is not a Strata object URI: {reason}")]
    Malformed {
        /// The text given.
        uri: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A temporary ID handed out by another process; only permanent IDs cross processes.
    #[error("{uri:?} is a temporary ID from another process; save the object and use its permanent URI")]
    ForeignTemporary {
        /// The text given.
        uri: String,
    },
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.store() {
            Some(s) if self.key > 0 => write!(f, "ObjectId({s}/{}/p{})", self.entity.0, self.key),
            _ => write!(f, "ObjectId(temp/{}/t{})", self.entity.0, -self.key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_small_and_interned() {
        assert_eq!(std::mem::size_of::<ObjectId>(), 16);
        let u = Uuid::new_v4();
        assert_eq!(StoreId::from_uuid(u), StoreId::from_uuid(u));
        assert_eq!(StoreId::from_uuid(u).uuid(), u);
        assert!(ObjectId::permanent(StoreId::from_uuid(u), EntityIndex(0), 0).is_none());
    }

    #[test]
    fn temporary_ids_are_unique_and_parse_back_in_this_process() {
        let a = ObjectId::new_temporary(EntityIndex(1));
        let b = ObjectId::new_temporary(EntityIndex(1));
        assert_ne!(a, b);
        assert!(a.is_temporary() && a.store().is_none() && a.primary_key().is_none());
        let uuid = Uuid::from_u64_pair(process_nonce(), a.key.unsigned_abs());
        let uri = format!("strata:///Clip/t{}", uuid.simple());
        let parsed = ObjectId::parse_uri(&uri).unwrap();
        assert_eq!(parsed.to_object_id(EntityIndex(1)), a);
        let foreign = format!("strata:///Clip/t{}", Uuid::from_u64_pair(process_nonce() ^ 1, 5).simple());
        assert!(matches!(ObjectId::parse_uri(&foreign), Err(UriError::ForeignTemporary { .. })));
    }

    #[test]
    fn malformed_uris_are_errors() {
        for bad in [
            "",
            "http://x/Clip/p1",
            "strata://not-a-uuid/Clip/p1",
            "strata://00000000-0000-0000-0000-000000000001/Clip/p0",
            "strata://00000000-0000-0000-0000-000000000001/Clip/x1",
            "strata://00000000-0000-0000-0000-000000000001//p1",
            "strata://00000000-0000-0000-0000-000000000001/Clip",
        ] {
            assert!(ObjectId::parse_uri(bad).is_err(), "{bad}");
        }
        let ok = ObjectId::parse_uri("strata://00000000-0000-0000-0000-000000000001/Clip/p42").unwrap();
        assert_eq!((ok.entity, ok.key), ("Clip", 42));
    }
}
