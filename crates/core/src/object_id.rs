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
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectId {
    store: u32,
    entity: EntityIndex,
    /// `> 0`: the permanent primary key; `< 0`: a temporary key.
    key: i64,
}

/// Two words, the key last (as [`IdHasher`] expects): one hashing round fewer than the three
/// fields one by one, on every identity-map look-up.
impl std::hash::Hash for ObjectId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64((u64::from(self.store) << 16) | u64::from(self.entity.0));
        state.write_i64(self.key);
    }
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

/// A hash map keyed by [`ObjectId`], hashed with [`IdHasher`]: IDs are small integers a
/// store assigned, not attacker-chosen text, so SipHash's flood resistance buys nothing and
/// costs a third of a save's time (measured with callgrind), and consecutive keys land in
/// neighbouring buckets.
pub type IdMap<V> = HashMap<ObjectId, V, BuildIdHasher>;

/// A hash set of [`ObjectId`]s, hashed as [`IdMap`] is.
pub type IdSet = std::collections::HashSet<ObjectId, BuildIdHasher>;

/// Builds [`IdHasher`]s (the hasher of [`IdMap`] and [`IdSet`]).
pub type BuildIdHasher = std::hash::BuildHasherDefault<IdHasher>;

/// The hasher of [`IdMap`] and [`IdSet`]: it keeps the order of keys.
///
/// A table's bucket comes from a hash's low bits, and the tag a probe compares first from its
/// top seven. Here the low bits are the key plus an offset that changes every 64 keys and
/// with the store and entity: objects with consecutive keys — the rows of a fetch, the
/// objects of one save, temporary IDs handed out in a row — sit in neighbouring buckets, so
/// walking them in key order walks the table's memory in order instead of missing the cache
/// at every object (a save and a fetch of 100,000 objects touch every one several times).
/// The top bits mix every field, so tags still tell apart the keys that share a bucket.
///
/// Runs are 64 keys long: long enough that a walk in key order reads a table's memory in
/// order (runs of 16 kept half the gain, runs of 256 lost some), short enough that runs
/// placed at random overlap no more than single keys do (runs of 1,024 made a fetch of
/// 100,000 objects 40% slower through probing). Keys a table size apart fall in different
/// runs, whose offsets differ, so strided keys do not pile up in one bucket.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdHasher {
    /// Every field written before the last one, mixed.
    prior: u64,
    /// The last field written (an ID's key).
    last: u64,
}

const MIX: u64 = 0x9e37_79b9_7f4a_7c15;

impl IdHasher {
    fn push(&mut self, n: u64) {
        self.prior = (self.prior.rotate_left(5) ^ self.last).wrapping_mul(MIX);
        self.last = n;
    }
}

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.push(u64::from_le_bytes(word));
        }
    }

    // `ObjectId`'s `Hash` writes two `u64`s; other widths take `write`'s path.
    fn write_u64(&mut self, n: u64) {
        self.push(n);
    }

    fn finish(&self) -> u64 {
        const LOW: u64 = u64::MAX >> 7;
        let key = self.last;
        // A folded multiply: a plain one would leave the offset's low bits depending on the
        // run number's low bits only, and strided keys would share buckets.
        let product = u128::from((key >> 6) ^ self.prior) * u128::from(MIX);
        let offset = (product as u64) ^ ((product >> 64) as u64);
        let tag = (key ^ self.prior.rotate_left(17)).wrapping_mul(MIX);
        (key.wrapping_add(offset) & LOW) | (tag & !LOW)
    }
}

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

    fn id_hash(id: ObjectId) -> u64 {
        use std::hash::BuildHasher;
        BuildIdHasher::default().hash_one(id)
    }

    /// The most keys of `ids` that share a bucket of a table of `buckets` (a power of two),
    /// and how many buckets share their tag with a key before them in the same bucket.
    fn crowding(ids: &[ObjectId], buckets: u64) -> (usize, usize) {
        let mut by_bucket: HashMap<u64, Vec<u64>> = HashMap::new();
        for &id in ids {
            let h = id_hash(id);
            by_bucket.entry(h & (buckets - 1)).or_default().push(h >> 57);
        }
        let most = by_bucket.values().map(Vec::len).max().unwrap_or(0);
        let same_tags = by_bucket
            .values()
            .map(|tags| tags.iter().enumerate().filter(|(i, t)| tags[..*i].contains(t)).count())
            .sum();
        (most, same_tags)
    }

    #[test]
    fn consecutive_keys_land_in_neighbouring_buckets() {
        let store = StoreId::from_uuid(Uuid::new_v4());
        let ids: Vec<ObjectId> =
            (1..=64 * 4).filter_map(|k| ObjectId::permanent(store, EntityIndex(2), k)).collect();
        let buckets = 1 << 20;
        // Within a run of 64 keys, the next key is the next bucket.
        let next =
            ids.windows(2).filter(|w| (id_hash(w[1]) & (buckets - 1)) == (id_hash(w[0]) & (buckets - 1)) + 1);
        assert!(next.count() >= 63 * 4 - 4);
        // Temporary IDs count down: consecutive ones are neighbours too.
        let temporary: Vec<ObjectId> = (0..64).map(|_| ObjectId::new_temporary(EntityIndex(2))).collect();
        let mask = buckets - 1;
        let near =
            temporary.windows(2).filter(|w| (id_hash(w[0]) & mask).abs_diff(id_hash(w[1]) & mask) <= 1);
        assert!(near.count() >= 60);
    }

    #[test]
    fn strided_and_mixed_keys_spread_as_random_ones_would() {
        let store = StoreId::from_uuid(Uuid::new_v4());
        let n = 4096_i64;
        // The table hashbrown would use for n keys: load at most 7/8, a power of two.
        let buckets = (n as u64 * 8 / 7).next_power_of_two();
        for shift in 0..24 {
            let stride = 1_i64 << shift;
            let ids: Vec<ObjectId> =
                (1..=n).filter_map(|k| ObjectId::permanent(store, EntityIndex(0), k * stride)).collect();
            let (most, same_tags) = crowding(&ids, buckets);
            // Random hashing puts at most about 7 of 4,096 keys in one of 8,192 buckets.
            assert!(most <= 10, "stride {stride}: {most} keys share a bucket");
            assert!(same_tags <= ids.len() / 16, "stride {stride}: {same_tags} repeated tags");
        }
        // Several entities and stores with the same keys do not pile up either.
        let other = StoreId::from_uuid(Uuid::new_v4());
        let ids: Vec<ObjectId> = (0..8_u16)
            .flat_map(|e| {
                [store, other].into_iter().flat_map(move |s| {
                    (1..=n / 16).filter_map(move |k| ObjectId::permanent(s, EntityIndex(e), k))
                })
            })
            .collect();
        let (most, _) = crowding(&ids, buckets);
        assert!(most <= 10, "{most} keys of different entities and stores share a bucket");
    }

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
