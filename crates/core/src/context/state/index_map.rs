//! [`IndexMap`]: an object's pending to-one destinations or loaded to-many relationships, by
//! relationship index. It never looks at what the values mean: `state.rs` decides.

use std::collections::BTreeMap;
use std::collections::btree_map;

/// A map by relationship index with the part of `BTreeMap`'s interface contexts use, one
/// pointer wide: most objects never have an entry (a fetched row that is only read), and
/// every registered object carries two of these, so the empty case costs 8 bytes instead of
/// a `BTreeMap`'s 24 in the identity map that every look-up and the context's drop walk.
#[derive(Debug, Clone)]
#[expect(clippy::box_collection, reason = "the box is the point: one pointer while empty")]
pub(crate) struct IndexMap<V>(Option<Box<BTreeMap<usize, V>>>);

// Not derived: the derive would require `V: Default`.
impl<V> Default for IndexMap<V> {
    fn default() -> IndexMap<V> {
        IndexMap(None)
    }
}

/// The slot of one index, from [`IndexMap::entry`].
pub(crate) struct IndexEntry<'a, V> {
    map: &'a mut IndexMap<V>,
    index: usize,
}

impl<'a, V: Default> IndexEntry<'a, V> {
    /// The value at the index, inserting `V::default()` first if there is none.
    pub(crate) fn or_default(self) -> &'a mut V {
        self.map.0.get_or_insert_with(Box::default).entry(self.index).or_default()
    }
}

impl<V> IndexMap<V> {
    pub(crate) fn get(&self, index: &usize) -> Option<&V> {
        self.0.as_ref()?.get(index)
    }

    pub(crate) fn get_mut(&mut self, index: &usize) -> Option<&mut V> {
        self.0.as_mut()?.get_mut(index)
    }

    /// Sets the value of `index`; the value it replaces.
    pub(crate) fn insert(&mut self, index: usize, value: V) -> Option<V> {
        self.0.get_or_insert_with(Box::default).insert(index, value)
    }

    pub(crate) fn remove(&mut self, index: &usize) -> Option<V> {
        self.0.as_mut()?.remove(index)
    }

    pub(crate) fn entry(&mut self, index: usize) -> IndexEntry<'_, V> {
        IndexEntry { map: self, index }
    }

    /// Keeps the entries `keep` accepts.
    pub(crate) fn retain(&mut self, keep: impl FnMut(&usize, &mut V) -> bool) {
        if let Some(map) = &mut self.0 {
            map.retain(keep);
        }
    }

    /// Drops every entry and the allocation.
    pub(crate) fn clear(&mut self) {
        self.0 = None;
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|m| m.is_empty())
    }

    /// The entries in index order.
    pub(crate) fn iter(&self) -> Iter<'_, V> {
        self.0.as_ref().map(|m| m.iter()).into_iter().flatten()
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &usize> {
        self.iter().map(|(i, _)| i)
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.0.as_mut().map(|m| m.values_mut()).into_iter().flatten()
    }
}

/// [`IndexMap::iter`]'s iterator.
pub(crate) type Iter<'a, V> = std::iter::Flatten<std::option::IntoIter<btree_map::Iter<'a, usize, V>>>;

impl<'a, V> IntoIterator for &'a IndexMap<V> {
    type Item = (&'a usize, &'a V);
    type IntoIter = Iter<'a, V>;

    fn into_iter(self) -> Iter<'a, V> {
        self.iter()
    }
}

impl<V> IntoIterator for IndexMap<V> {
    type Item = (usize, V);
    type IntoIter = btree_map::IntoIter<usize, V>;

    fn into_iter(self) -> btree_map::IntoIter<usize, V> {
        self.0.map(|m| *m).unwrap_or_default().into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_btree_map_by_index() {
        let mut map: IndexMap<u32> = IndexMap::default();
        assert!(map.is_empty() && map.get(&1).is_none() && map.remove(&1).is_none());
        assert_eq!(map.insert(3, 30), None);
        assert_eq!(map.insert(1, 10), None);
        assert_eq!(map.insert(3, 31), Some(30), "replacing hands back the old value");
        *map.entry(2).or_default() += 20;
        *map.entry(1).or_default() += 1;
        let pairs: Vec<_> = map.iter().map(|(i, v)| (*i, *v)).collect();
        assert_eq!(pairs, [(1, 11), (2, 20), (3, 31)], "in index order");
        assert_eq!(map.keys().copied().collect::<Vec<_>>(), [1, 2, 3]);
        for v in map.values_mut() {
            *v += 1;
        }
        assert_eq!(map.values().copied().sum::<u32>(), 12 + 21 + 32);
        if let Some(v) = map.get_mut(&2) {
            *v = 0;
        }
        map.retain(|_, v| *v != 0);
        assert_eq!(map.iter().count(), 2);
        assert_eq!(map.remove(&1), Some(12));
        assert_eq!(map.clone().into_iter().collect::<Vec<_>>(), [(3, 32)]);
        map.retain(|_, _| false);
        assert!(map.is_empty(), "an emptied map is empty");
        map.insert(4, 4);
        map.clear();
        assert!(map.is_empty() && (&map).into_iter().next().is_none());
    }

    #[test]
    fn an_empty_map_is_one_pointer_wide() {
        assert_eq!(std::mem::size_of::<IndexMap<u64>>(), std::mem::size_of::<usize>());
    }
}
