//! [`MemoryContents`]: a [`MemoryStore`]'s whole data as plain values, taken out and put
//! back, so a store that keeps the data elsewhere (a file, a message) can build on a
//! `MemoryStore` for everything else: predicates, sorting, rows, saves and their checks.
//!
//! Putting contents back checks what would otherwise make a later request panic or break a
//! rule of the store contract (a row of another store, a row that does not fit its entity,
//! a key handed out twice); it never trusts the caller's data.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use strata_model::{EntityIndex, Model, Uuid};

use super::{Data, MemoryStore};
use crate::store::StoreError;
use crate::{ObjectId, Snapshot, StoreId};

/// Everything a [`MemoryStore`] holds (besides its history): every row, every join-stored
/// link, and the next primary key of every inheritance hierarchy.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemoryContents {
    /// Every row, in ID order (entity, then key).
    pub rows: Vec<Arc<Snapshot>>,
    /// Join-stored to-many links (many-to-many, or to-many without a to-one inverse):
    /// (source, relationship index in the source's entity, destination). A many-to-many
    /// link is listed from both sides.
    pub links: Vec<(ObjectId, usize, ObjectId)>,
    /// The next primary key to hand out per inheritance root; roots not listed start at 1.
    pub next_keys: Vec<(EntityIndex, i64)>,
}

impl MemoryStore {
    /// A copy of the store's current data.
    pub fn contents(&self) -> MemoryContents {
        let data = self.read().clone();
        let mut links: Vec<(ObjectId, usize, ObjectId)> = data
            .links
            .iter()
            .flat_map(|(&(source, r), destinations)| destinations.iter().map(move |&d| (source, r, d)))
            .collect();
        links.sort_unstable();
        let mut next_keys: Vec<(EntityIndex, i64)> = data.next_key.iter().map(|(&e, &k)| (e, k)).collect();
        next_keys.sort_unstable();
        MemoryContents { rows: data.rows.values().cloned().collect(), links, next_keys }
    }

    /// A store for `model` with the given UUID holding `contents`.
    ///
    /// Fails with [`StoreError::InvalidRequest`] when a row or link does not belong to this
    /// store (its ID names another store, is temporary, or repeats), does not fit its
    /// entity, or links through a relationship that is not to-many; a next key at or below
    /// a stored key of its hierarchy is raised past it, so no key is ever handed out twice.
    pub fn with_contents(
        model: Arc<Model>,
        uuid: Uuid,
        contents: MemoryContents,
    ) -> Result<MemoryStore, StoreError> {
        let store = MemoryStore::with_uuid(model, uuid);
        let data = build(&store.model, store.store_id, contents)?;
        *store.write() = Arc::new(data);
        Ok(store)
    }
}

fn build(model: &Model, store: StoreId, contents: MemoryContents) -> Result<Data, StoreError> {
    let invalid = |reason: String| StoreError::InvalidRequest { reason };
    let own = |id: ObjectId| id.store() == Some(store) && id.entity().get() < model.entities().len();
    let mut data = Data::default();
    let mut keys = HashSet::new();
    for (root, key) in contents.next_keys {
        if root.get() >= model.entities().len() || model.root_of(root) != root {
            return Err(invalid(format!(
                "next key given for entity #{}, not an inheritance root",
                root.get()
            )));
        }
        data.next_key.insert(root, key.max(1));
    }
    for row in contents.rows {
        let id = row.id();
        if !own(id) {
            return Err(invalid(format!("row {id:?} does not belong to this store")));
        }
        let entity = model.entity_at(id.entity());
        if entity.is_abstract() || !row.check_shape(entity) || row.version() == 0 {
            return Err(invalid(format!("row {id:?} does not fit entity {}", entity.name())));
        }
        if row.to_one().iter().flatten().any(|&d| !own(d)) {
            return Err(invalid(format!("row {id:?} links to an object of another store")));
        }
        let key = id.primary_key().unwrap_or(0);
        let root = model.root_of(id.entity());
        let next = data.next_key.entry(root).or_insert(1);
        *next = (*next).max(key.saturating_add(1));
        // Keys are unique per hierarchy, not per entity: one key for two sub-entities is
        // two objects sharing an identity.
        if !keys.insert((root, key)) {
            return Err(invalid(format!("two rows of the hierarchy of {} have key {key}", entity.name())));
        }
        data.rows.insert(id, row);
    }
    let mut links: BTreeMap<(ObjectId, usize), BTreeSet<ObjectId>> = BTreeMap::new();
    for (source, r, destination) in contents.links {
        let relationship =
            own(source).then(|| model.entity_at(source.entity()).relationships().get(r)).flatten();
        let Some(relationship) = relationship.filter(|rel| rel.is_to_many()) else {
            return Err(invalid(format!(
                "link from {source:?} through relationship #{r}, not a to-many one"
            )));
        };
        if !own(destination) || !model.is_kind_of(destination.entity(), relationship.destination()) {
            return Err(invalid(format!("link from {source:?} to {destination:?}, not a {} object", {
                model.entity_at(relationship.destination()).name()
            })));
        }
        links.entry((source, r)).or_default().insert(destination);
    }
    data.links = links.into_iter().collect();
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use crate::conformance::{Fixture, conformance_model};
    use crate::store::{SaveRequest, ToManyChange};

    /// A store with a note, two tags linked to it, and a circle.
    fn filled() -> (Fixture, Arc<MemoryStore>) {
        let store = Arc::new(MemoryStore::new(conformance_model()));
        let f = Fixture { store: store.clone(), model: conformance_model() };
        let ids = f.insert(vec![
            f.row("Note", &[("title", "n".into())]),
            f.row("Tag", &[("name", "a".into())]),
            f.row("Tag", &[("name", "b".into())]),
            f.row("Circle", &[("name", "c".into())]),
        ]);
        let tags = f.relationship("Note", "tags");
        let change =
            ToManyChange { source: ids[0], relationship: tags, added: ids[1..3].to_vec(), removed: vec![] };
        f.store.save(&SaveRequest { to_many: vec![change], ..Default::default() }).expect("link");
        (f, store)
    }

    #[test]
    fn contents_round_trip_and_keys_are_not_reused() {
        let (f, store) = filled();
        let contents = store.contents();
        assert_eq!(contents.rows.len(), 4);
        assert_eq!(contents.links.len(), 4, "a many-to-many link is listed from both sides");
        let uuid = store.metadata().uuid;
        let copy = MemoryStore::with_contents(f.model.clone(), uuid, contents.clone()).expect("put back");
        assert_eq!(copy.contents(), contents);

        // Keys past the stored ones, whatever next key was given.
        let mut low = contents.clone();
        low.next_keys.clear();
        let copy = Arc::new(MemoryStore::with_contents(f.model.clone(), uuid, low).expect("put back"));
        let g = Fixture { store: copy, model: f.model.clone() };
        let id = g.insert(vec![g.row("Tag", &[])])[0];
        assert_eq!(id.primary_key(), Some(3), "tags had keys 1 and 2");
        let square = g.insert(vec![g.row("Square", &[])])[0];
        assert_eq!(square.primary_key(), Some(2), "the shape hierarchy had key 1");
    }

    #[test]
    fn contents_that_break_the_contract_are_refused() {
        let (f, store) = filled();
        let uuid = store.metadata().uuid;
        let contents = store.contents();
        let refused = |contents: MemoryContents| {
            let result = MemoryStore::with_contents(f.model.clone(), uuid, contents).map(|_| ());
            assert!(matches!(result, Err(StoreError::InvalidRequest { .. })), "{result:?}");
        };
        // Another store's UUID: every row is foreign.
        let other = MemoryStore::with_contents(f.model.clone(), Uuid::new_v4(), contents.clone());
        assert!(other.is_err());
        // A row of the wrong shape.
        let mut bad = contents.clone();
        let row = &bad.rows[0];
        bad.rows[0] = Arc::new(Snapshot::new(row.id(), 1, vec![], vec![]));
        refused(bad);
        // Two objects of one hierarchy with one key (a Circle and a Square, both key 1).
        let mut bad = contents.clone();
        let square = ObjectId::permanent(StoreId::from_uuid(uuid), f.entity("Square"), 1).expect("id");
        let shape_values = f.model.entity_at(f.entity("Square")).attributes().len();
        bad.rows.push(Arc::new(Snapshot::new(
            square,
            1,
            vec![strata_model::Value::Null; shape_values],
            vec![],
        )));
        refused(bad);
        // A link through a to-one relationship.
        let mut bad = contents.clone();
        let (source, _, destination) = bad.links[0];
        bad.links.push((source, f.relationship("Note", "folder"), destination));
        refused(bad);
        // A next key for an entity that is not a root.
        let mut bad = contents;
        bad.next_keys.push((f.entity("Circle"), 9));
        refused(bad);
    }
}
