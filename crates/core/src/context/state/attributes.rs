//! [`AttributeMap`]: an object's pending attribute values, by attribute index. It never
//! looks at what the values mean: `state.rs` decides what is an edit.

use strata_model::Value;

/// Pending attribute values by attribute index, in index order: the part of `BTreeMap`'s
/// interface contexts use, over a sorted `Vec`. An object has a handful of pending values,
/// set mostly in index order; a short vector holds them in one small allocation that
/// searching, iterating and clearing walk without pointer chasing.
#[derive(Debug, Clone, Default)]
pub(crate) struct AttributeMap(Vec<(usize, Value)>);

impl AttributeMap {
    /// An empty map with room for `n` values.
    pub(crate) fn with_capacity(n: usize) -> AttributeMap {
        AttributeMap(Vec::with_capacity(n))
    }

    fn find(&self, index: usize) -> Result<usize, usize> {
        // Values are mostly set in index order: check the end before searching.
        match self.0.last() {
            Some(&(last, _)) if last < index => Err(self.0.len()),
            _ => self.0.binary_search_by_key(&index, |(i, _)| *i),
        }
    }

    pub(crate) fn get(&self, index: &usize) -> Option<&Value> {
        self.find(*index).ok().map(|at| &self.0[at].1)
    }

    /// Sets the value of `index`; the value it replaces.
    pub(crate) fn insert(&mut self, index: usize, value: Value) -> Option<Value> {
        match self.find(index) {
            Ok(at) => Some(std::mem::replace(&mut self.0[at].1, value)),
            Err(at) => {
                self.0.insert(at, (index, value));
                None
            }
        }
    }

    pub(crate) fn remove(&mut self, index: &usize) -> Option<Value> {
        self.find(*index).ok().map(|at| self.0.remove(at).1)
    }

    /// Keeps the entries `keep` accepts.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&usize, &mut Value) -> bool) {
        self.0.retain_mut(|(i, v)| keep(i, v));
    }

    /// Drops every entry and the allocation (a saved object keeps no spare room).
    pub(crate) fn clear(&mut self) {
        self.0 = Vec::new();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&usize, &Value)> {
        self.0.iter().map(|(i, v)| (i, v))
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&usize, &mut Value)> {
        self.0.iter_mut().map(|(i, v)| (&*i, v))
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &usize> {
        self.0.iter().map(|(i, _)| i)
    }
}

impl<'a> IntoIterator for &'a AttributeMap {
    type Item = (&'a usize, &'a Value);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, (usize, Value)>, fn(&'a (usize, Value)) -> Self::Item>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(i, v)| (i, v))
    }
}

impl IntoIterator for AttributeMap {
    type Item = (usize, Value);
    type IntoIter = std::vec::IntoIter<(usize, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use strata_model::Value;

    use super::AttributeMap;

    /// `AttributeMap` answers as the `BTreeMap` it stands for, whatever order keys come in.
    #[test]
    fn attribute_map_behaves_as_a_btree_map() {
        let mut map = AttributeMap::default();
        let mut model: BTreeMap<usize, Value> = BTreeMap::new();
        let steps = [(3, 1), (0, 2), (5, 3), (3, 4), (1, 5), (9, 6), (0, 7), (4, 8)];
        for (n, &(key, value)) in steps.iter().enumerate() {
            if n % 3 == 2 {
                assert_eq!(map.remove(&key), model.remove(&key));
            }
            assert_eq!(map.insert(key, Value::Int64(value)), model.insert(key, Value::Int64(value)));
            let pairs: Vec<_> = map.iter().collect();
            assert_eq!(pairs, model.iter().collect::<Vec<_>>(), "after step {n}");
            assert_eq!(map.keys().collect::<Vec<_>>(), model.keys().collect::<Vec<_>>());
            for key in 0..10 {
                assert_eq!(map.get(&key), model.get(&key));
            }
        }
        map.retain(|k, _| k % 2 == 1);
        model.retain(|k, _| k % 2 == 1);
        assert_eq!((&map).into_iter().collect::<Vec<_>>(), model.iter().collect::<Vec<_>>());
        for (_, value) in map.iter_mut() {
            *value = Value::Null;
        }
        assert!(map.iter().all(|(_, v)| v.is_null()));
        assert_eq!(map.clone().into_iter().map(|(k, _)| k).collect::<Vec<_>>(), vec![1, 3, 5, 9]);
        map.clear();
        assert!(map.is_empty() && map.get(&1).is_none());
    }
}
