//! [`RowCache`]: the coordinator's shared cache of row snapshots, by object ID.
//!
//! Every context of a coordinator reads through this cache, so a row fetched once is shared
//! (`Arc<Snapshot>`) by all of them and a fault whose row is cached fires without a store
//! call. The cache is thread-safe (sharded mutexes, so contexts on different threads rarely
//! contend), keeps only the newest version of each row, records when each entry was last
//! read from a store (for the coordinator's staleness interval: [`RowCache::get_fresh`]), and is bounded: over
//! capacity it evicts entries that nothing outside the cache references
//! (`Arc::strong_count == 1`), oldest first. Entries a context still holds stay, so the
//! cache may exceed its capacity by what the contexts hold.
//!
//! This module never calls a store and never holds a shard lock while running code outside
//! this file.

use std::collections::{VecDeque, hash_map};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::object_id::IdMap;
use crate::{ObjectId, Snapshot, StoreId};

/// The default number of entries a coordinator's cache keeps unreferenced rows for.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Most shards: enough that a few threads rarely contend, few enough that per-shard
/// oldest-first eviction stays close to global oldest-first.
const MAX_SHARDS: usize = 16;

/// Entries per shard below which one more shard is not worth it; small caches use one shard
/// so that "oldest first" is exact.
const ENTRIES_PER_SHARD: usize = 4096;

/// A cached row: the snapshot and when a store last returned it.
#[derive(Debug, Clone)]
pub struct CachedRow {
    /// The newest snapshot seen for the row.
    pub snapshot: Arc<Snapshot>,
    /// When a store last returned this version (or a save produced it).
    pub fetched_at: Instant,
}

/// The shared, bounded row cache (see the [module docs](self)).
pub struct RowCache {
    shards: Box<[Mutex<Shard>]>,
    hasher: rustc_hash::FxBuildHasher,
    capacity: usize,
}

struct Entry {
    row: CachedRow,
    /// The sequence number under which the entry sits in the shard's age queue; older
    /// queue items for the same ID are stale and skipped.
    seq: u64,
}

struct Shard {
    entries: IdMap<Entry>,
    /// IDs by age, oldest at the front, each with the sequence number it was queued under.
    age: VecDeque<(u64, ObjectId)>,
    next_seq: u64,
    capacity: usize,
    /// The size above which the next sweep runs. It is raised after a sweep that could not
    /// get under capacity (everything left is referenced), so that a cache full of held
    /// rows does not rescan on every insert: eviction stays amortized O(1).
    sweep_at: usize,
}

impl RowCache {
    /// An empty cache that keeps at most `capacity` unreferenced rows (at least 1).
    pub fn new(capacity: usize) -> RowCache {
        let capacity = capacity.max(1);
        let shards = (capacity / ENTRIES_PER_SHARD).clamp(1, MAX_SHARDS);
        let per_shard = capacity.div_ceil(shards);
        let shards = (0..shards)
            .map(|_| {
                Mutex::new(Shard {
                    entries: IdMap::default(),
                    age: VecDeque::new(),
                    next_seq: 0,
                    capacity: per_shard,
                    sweep_at: per_shard,
                })
            })
            .collect();
        RowCache { shards, hasher: rustc_hash::FxBuildHasher, capacity }
    }

    /// The capacity given to [`RowCache::new`].
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The index of the shard holding `id` (below [`MAX_SHARDS`]).
    fn shard_index(&self, id: &ObjectId) -> usize {
        (self.hasher.hash_one(id) % self.shards.len() as u64) as usize
    }

    fn shard(&self, id: &ObjectId) -> MutexGuard<'_, Shard> {
        let i = self.shard_index(id);
        // A panic while a shard is locked cannot leave it inconsistent in a way that matters:
        // the worst case is a stale age-queue item, which sweeps skip.
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached snapshot of `id`, if any.
    pub fn get(&self, id: ObjectId) -> Option<Arc<Snapshot>> {
        self.shard(&id).entries.get(&id).map(|e| e.row.snapshot.clone())
    }

    /// The cached row of `id` with the time it was fetched, if any.
    pub fn get_row(&self, id: ObjectId) -> Option<CachedRow> {
        self.shard(&id).entries.get(&id).map(|e| e.row.clone())
    }

    /// The cached snapshot of `id` if a store returned it no longer than `max_age` ago
    /// (`None`: any age). An older entry stays cached (the next read replaces it).
    pub fn get_fresh(&self, id: ObjectId, max_age: Option<Duration>) -> Option<Arc<Snapshot>> {
        let shard = self.shard(&id);
        let entry = shard.entries.get(&id)?;
        match max_age {
            Some(age) if entry.row.fetched_at.elapsed() > age => None,
            _ => Some(entry.row.snapshot.clone()),
        }
    }

    /// Records a snapshot a store returned (or a save produced) and returns the one the
    /// cache keeps: the newest version. An older version than the cached one is ignored; the
    /// same version keeps the cached `Arc` (so every holder shares one) and only refreshes
    /// its fetch time.
    pub fn insert(&self, snapshot: Arc<Snapshot>) -> Arc<Snapshot> {
        self.insert_at(snapshot, Instant::now())
    }

    /// [`RowCache::insert`] with the time the store returned (or the save produced) the
    /// snapshot: one clock read serves a whole batch of rows.
    pub fn insert_at(&self, snapshot: Arc<Snapshot>, now: Instant) -> Arc<Snapshot> {
        let mut snapshot = snapshot;
        // The guard is a temporary: the lock is released before a displaced row drops.
        let displaced = self.shard(&snapshot.id()).insert(&mut snapshot, now);
        drop(displaced);
        snapshot
    }

    /// [`RowCache::insert`] for every row a store returned at once (one fetch), in place:
    /// one clock read and one lock of each shard for the batch, and the returned vector
    /// reuses `rows`' allocation.
    pub fn insert_all(&self, rows: Vec<Arc<Snapshot>>) -> Vec<Arc<Snapshot>> {
        let mut rows = rows;
        let now = Instant::now();
        // Rows the cache already holds (at the same or a newer version), dropped once no
        // shard is locked.
        let mut displaced = Vec::new();
        if let [only] = &*self.shards {
            let mut shard = only.lock().unwrap_or_else(|e| e.into_inner());
            shard.reserve(rows.len());
            displaced.extend(rows.iter_mut().filter_map(|row| shard.insert(row, now)));
            drop(shard);
            return rows;
        }
        // One lock per shard, not per row: each lock and unlock is an atomic operation that
        // waits for the row's cache-missing writes (most of `insert_at`'s time in `perf` on
        // a 100,000-row fetch). Each shard sees its rows in their order, so it ends as
        // row-by-row inserts would leave it.
        let shard_of: Vec<u8> = rows.iter().map(|row| self.shard_index(&row.id()) as u8).collect();
        // The rows' positions grouped by shard, each group in row order (a counting sort).
        let mut starts = [0_usize; MAX_SHARDS + 1];
        for &s in &shard_of {
            starts[usize::from(s) + 1] += 1;
        }
        let mut total = 0;
        for start in &mut starts {
            total += *start;
            *start = total;
        }
        let mut next = starts;
        let mut order = vec![0_usize; rows.len()];
        for (position, &s) in shard_of.iter().enumerate() {
            order[next[usize::from(s)]] = position;
            next[usize::from(s)] += 1;
        }
        for (i, shard) in self.shards.iter().enumerate() {
            let positions = &order[starts[i]..starts[i + 1]];
            if positions.is_empty() {
                continue;
            }
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            shard.reserve(positions.len());
            for &position in positions {
                displaced.extend(shard.insert(&mut rows[position], now));
            }
        }
        rows
    }

    /// Forgets `id` (its row was deleted, or is known to be stale).
    pub fn remove(&self, id: ObjectId) {
        self.shard(&id).entries.remove(&id);
    }

    /// Forgets every row of `store`.
    pub fn remove_store(&self, store: StoreId) {
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            shard.entries.retain(|id, _| id.store() != Some(store));
        }
    }

    /// Forgets every row.
    pub fn clear(&self) {
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            shard.entries.clear();
            shard.age.clear();
            shard.sweep_at = shard.capacity;
        }
    }

    /// How many rows the cache holds now.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).entries.len()).sum()
    }

    /// Whether the cache holds no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Evicts unreferenced rows, oldest first, until every shard is within its share of the
    /// capacity or holds only referenced rows. Inserts do this on their own when a shard
    /// grows past its threshold; call it to release memory after contexts dropped rows.
    pub fn sweep(&self) {
        for shard in self.shards.iter() {
            shard.lock().unwrap_or_else(|e| e.into_inner()).sweep();
        }
    }
}

impl Shard {
    /// Makes room for `rows` more rows at once (never past what the shard may keep), so a
    /// batch grows the shard once instead of doubling and rehashing its way up.
    fn reserve(&mut self, rows: usize) {
        let room = rows.min(self.capacity.saturating_sub(self.entries.len()));
        self.entries.reserve(room);
        self.age.reserve(room);
    }

    /// [`RowCache::insert_at`] in this shard: caches `snapshot`, or replaces it with the
    /// cached `Arc` when the cache keeps that (the same or a newer version) and returns the
    /// replaced one, for the caller to drop after unlocking.
    fn insert(&mut self, snapshot: &mut Arc<Snapshot>, now: Instant) -> Option<Arc<Snapshot>> {
        let id = snapshot.id();
        let seq = self.next_seq;
        // One hash of `id` whether the row is new, replaced or kept.
        let fresh = |snapshot: &Arc<Snapshot>| Entry {
            row: CachedRow { snapshot: snapshot.clone(), fetched_at: now },
            seq,
        };
        match self.entries.entry(id) {
            hash_map::Entry::Occupied(mut slot) => {
                let entry = slot.get_mut();
                if entry.row.snapshot.version() >= snapshot.version() {
                    if entry.row.snapshot.version() == snapshot.version() {
                        entry.row.fetched_at = now;
                    }
                    return Some(std::mem::replace(snapshot, entry.row.snapshot.clone()));
                }
                *entry = fresh(snapshot);
            }
            hash_map::Entry::Vacant(slot) => {
                slot.insert(fresh(snapshot));
            }
        }
        self.next_seq += 1;
        self.age.push_back((seq, id));
        if self.entries.len() > self.sweep_at {
            self.sweep();
        }
        None
    }

    fn sweep(&mut self) {
        // Visit each queued item at most once: referenced rows go to the back (they are in
        // use, so they count as recent) and stale items are dropped.
        let mut budget = self.age.len();
        while self.entries.len() > self.capacity && budget > 0 {
            budget -= 1;
            let Some((seq, id)) = self.age.pop_front() else { break };
            let Some(entry) = self.entries.get(&id) else { continue };
            if entry.seq != seq {
                continue;
            }
            if Arc::strong_count(&entry.row.snapshot) == 1 {
                self.entries.remove(&id);
            } else {
                let seq = self.next_seq;
                self.next_seq += 1;
                if let Some(entry) = self.entries.get_mut(&id) {
                    entry.seq = seq;
                }
                self.age.push_back((seq, id));
            }
        }
        // Drop stale queue items so the queue stays proportional to the entries.
        if self.age.len() > 2 * self.entries.len() + 16 {
            let entries = &self.entries;
            self.age.retain(|(seq, id)| entries.get(id).is_some_and(|e| e.seq == *seq));
        }
        let len = self.entries.len();
        self.sweep_at = if len > self.capacity { len + len / 4 + 1 } else { self.capacity };
    }
}

impl std::fmt::Debug for RowCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowCache").field("capacity", &self.capacity).field("len", &self.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use strata_model::{EntityIndex, Uuid, Value};

    use super::*;

    fn id(key: i64) -> ObjectId {
        let store = StoreId::from_uuid(Uuid::from_u128(0xC0FFEE));
        ObjectId::permanent(store, EntityIndex(0), key).unwrap()
    }

    fn row(key: i64, version: u64) -> Arc<Snapshot> {
        Arc::new(Snapshot::new(id(key), version, vec![Value::Int64(version as i64)], vec![]))
    }

    #[test]
    fn keeps_the_newest_version() {
        let cache = RowCache::new(10);
        let v2 = cache.insert(row(1, 2));
        assert_eq!(cache.insert(row(1, 1)).version(), 2, "an older version is ignored");
        assert!(Arc::ptr_eq(&cache.insert(row(1, 2)), &v2), "the same version keeps the shared Arc");
        assert_eq!(cache.insert(row(1, 3)).version(), 3, "a newer version replaces");
        assert_eq!(cache.get(id(1)).map(|s| s.version()), Some(3));
        cache.remove(id(1));
        assert!(cache.get(id(1)).is_none());
    }

    #[test]
    fn refetching_the_same_version_refreshes_the_fetch_time() {
        let cache = RowCache::new(10);
        cache.insert(row(1, 1));
        let first = cache.get_row(id(1)).unwrap().fetched_at;
        std::thread::sleep(std::time::Duration::from_millis(2));
        cache.insert(row(1, 1));
        assert!(cache.get_row(id(1)).unwrap().fetched_at > first);
    }

    #[test]
    fn insert_at_records_the_given_fetch_time() {
        let cache = RowCache::new(10);
        let then = Instant::now();
        std::thread::sleep(Duration::from_millis(5));
        let kept = cache.insert_at(row(1, 1), then);
        assert_eq!(cache.get_row(id(1)).unwrap().fetched_at, then);
        assert!(cache.get_fresh(id(1), Some(Duration::from_millis(1))).is_none(), "fetched 5 ms ago");
        assert!(
            Arc::ptr_eq(&cache.insert_at(row(1, 1), Instant::now()), &kept),
            "the same version is shared"
        );
        assert!(cache.get_fresh(id(1), Some(Duration::from_secs(60))).is_some(), "and its time refreshed");
    }

    #[test]
    fn rows_older_than_the_interval_are_not_fresh() {
        let cache = RowCache::new(10);
        cache.insert(row(1, 1));
        assert!(cache.get_fresh(id(1), None).is_some(), "no interval: any age is fresh");
        assert!(cache.get_fresh(id(1), Some(Duration::from_secs(60))).is_some());
        std::thread::sleep(Duration::from_millis(5));
        assert!(cache.get_fresh(id(1), Some(Duration::from_millis(1))).is_none(), "older than 1 ms");
        assert!(cache.get(id(1)).is_some(), "a stale row stays cached until replaced");
        cache.insert(row(1, 1));
        assert!(cache.get_fresh(id(1), Some(Duration::from_secs(60))).is_some(), "re-reading refreshes it");
    }

    #[test]
    fn insert_all_keeps_the_newest_versions_with_one_fetch_time() {
        let cache = RowCache::new(10);
        let v3 = cache.insert(row(1, 3));
        let kept = cache.insert_all(vec![row(1, 2), row(2, 1), row(3, 4)]);
        let versions: Vec<_> = kept.iter().map(|s| (s.id(), s.version())).collect();
        assert_eq!(versions, [(id(1), 3), (id(2), 1), (id(3), 4)], "in order, newest kept");
        assert!(Arc::ptr_eq(&kept[0], &v3), "the cached newer version is shared");
        let (a, b) = (cache.get_row(id(2)).unwrap(), cache.get_row(id(3)).unwrap());
        assert_eq!(a.fetched_at, b.fetched_at, "one clock read for the batch");
        assert!(cache.insert_all(Vec::new()).is_empty());
    }

    #[test]
    fn a_large_batch_is_cached_whole_and_still_bounded() {
        let cache = RowCache::new(40_000);
        let held = cache.insert_all((1..=30_000).map(|k| row(k, 1)).collect());
        assert!(held.iter().zip(1..).all(|(s, k)| s.id() == id(k)), "in order");
        assert_eq!(cache.len(), 30_000, "every held row is cached");
        drop(held);
        drop(cache.insert_all((30_001..=60_000).map(|k| row(k, 1)).collect()));
        assert!(cache.len() <= 40_000 + cache.shards.len(), "unreferenced rows are swept: {}", cache.len());
        assert!(cache.get(id(60_000)).is_some(), "the newest rows stay");
    }

    /// A batch spread over every shard comes back in its order, each row the cache's
    /// (newest) version, as row-by-row inserts would answer.
    #[test]
    fn a_sharded_batch_answers_as_row_by_row_inserts() {
        let (batched, single) = (RowCache::new(80_000), RowCache::new(80_000));
        assert!(batched.shards.len() > 1);
        let held: Vec<_> = (1..=500).map(|k| batched.insert(row(k * 2, 5))).collect();
        for k in 1..=500 {
            single.insert(row(k * 2, 5));
        }
        let batch = || (1..=1_000).map(|k| row(k, 1 + (k % 7) as u64)).collect::<Vec<_>>();
        let kept = batched.insert_all(batch());
        let one_by_one: Vec<_> = batch().into_iter().map(|s| single.insert(s)).collect();
        let shape = |rows: &[Arc<Snapshot>]| rows.iter().map(|s| (s.id(), s.version())).collect::<Vec<_>>();
        assert_eq!(shape(&kept), shape(&one_by_one));
        assert!(kept.iter().zip(1..).all(|(s, k)| s.id() == id(k)), "in order");
        assert!(Arc::ptr_eq(&kept[1], &held[0]), "a cached newer version is shared");
        assert_eq!(batched.len(), 1_000);
    }

    #[test]
    fn evicts_unreferenced_rows_oldest_first() {
        let cache = RowCache::new(3);
        for key in 1..=3 {
            cache.insert(row(key, 1));
        }
        cache.insert(row(4, 1));
        assert_eq!(cache.len(), 3);
        assert!(cache.get(id(1)).is_none(), "the oldest row goes first");
        assert!((2..=4).all(|k| cache.get(id(k)).is_some()));
    }

    #[test]
    fn referenced_rows_stay_and_go_once_released() {
        let cache = RowCache::new(2);
        let held: Vec<_> = (1..=2).map(|k| cache.insert(row(k, 1))).collect();
        for key in 3..=5 {
            cache.insert(row(key, 1));
        }
        assert!(cache.get(id(1)).is_some() && cache.get(id(2)).is_some(), "held rows are never evicted");
        assert!(cache.get(id(3)).is_none(), "unreferenced older rows are");
        assert!(cache.len() >= 2);
        drop(held);
        cache.insert(row(6, 1));
        cache.insert(row(7, 1));
        assert_eq!(cache.len(), 2, "released rows become evictable");
        assert!(cache.get(id(1)).is_none() && cache.get(id(2)).is_none(), "oldest released rows go first");
        assert!(cache.get(id(6)).is_some() && cache.get(id(7)).is_some());
    }

    #[test]
    fn a_cache_full_of_held_rows_stays_bounded_by_what_is_held() {
        let cache = RowCache::new(4);
        let held: Vec<_> = (1..=50).map(|k| cache.insert(row(k, 1))).collect();
        assert_eq!(cache.len(), 50);
        for key in 51..=150 {
            cache.insert(row(key, 1));
        }
        assert!(cache.len() <= 50 + 50 / 4 + 2 + 4, "unreferenced rows are swept: {}", cache.len());
        drop(held);
        cache.sweep();
        assert_eq!(cache.len(), 4);
    }

    #[test]
    fn large_caches_shard_and_still_bound() {
        let cache = RowCache::new(40_000);
        assert!(cache.shards.len() > 1);
        for key in 1..=50_000 {
            cache.insert(row(key, 1));
        }
        assert!(cache.len() <= 40_000 + cache.shards.len());
        cache.remove_store(id(1).store().unwrap());
        assert!(cache.is_empty());
    }
}
