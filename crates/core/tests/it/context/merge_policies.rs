//! Merge policies on version conflicts: two contexts edit the same clip (attributes, a
//! to-one and a many-to-many relationship); the second save resolves by its policy, and the
//! stored outcome is checked property by property. Also: deletions on either side, and the
//! bound on retries.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use strata_core::store::{SaveRequest, SaveResult, StoreFetchRequest, StoreFetchResult, UpdatedRow};
use strata_core::{
    Context, Error, FetchRequest, MergePolicy, MergePolicyHandler, MergeResolution, ObjectConflict, ObjectId,
    PropertyValue, Snapshot, Store, StoreError, StoreMetadata, Value,
};

use super::support::{Env, clip, folder, save_all, sorted};

/// The stored clip and the objects around it.
pub struct Scene {
    pub env: Env,
    pub clip: ObjectId,
    pub folders: [ObjectId; 3],
    pub tags: [ObjectId; 3],
}

/// A clip titled "t0" (score 1, visits 0) in folder f1 with tag t1, three folders and three
/// tags, saved.
pub fn scene() -> Scene {
    let env = Env::new();
    let mut ctx = env.context();
    let c = clip(&mut ctx, "t0", 1.0);
    let folders = [folder(&mut ctx, "f1"), folder(&mut ctx, "f2"), folder(&mut ctx, "f3")];
    let mut tags = Vec::new();
    for name in ["t1", "t2", "t3"] {
        let t = ctx.insert("Tag").unwrap();
        ctx.set(t, "name", name).unwrap();
        tags.push(t);
    }
    ctx.set_to_one(c, "folder", Some(folders[0])).unwrap();
    ctx.add_to_many(c, "tags", tags[0]).unwrap();
    let all: Vec<ObjectId> = [c].iter().chain(&folders).chain(&tags).copied().collect();
    let ids = save_all(&mut ctx, &all);
    Scene { env, clip: ids[0], folders: [ids[1], ids[2], ids[3]], tags: [ids[4], ids[5], ids[6]] }
}

/// What a fresh context reads of the clip.
#[derive(Debug, PartialEq)]
pub struct Stored {
    pub title: String,
    pub score: f64,
    pub visits: i64,
    pub folder: Option<ObjectId>,
    pub tags: Vec<ObjectId>,
}

impl Scene {
    pub fn stored(&self) -> Stored {
        let mut ctx = self.env.context();
        let c = self.clip;
        Stored {
            title: ctx.get(c, "title").unwrap(),
            score: ctx.get(c, "score").unwrap(),
            visits: ctx.get(c, "visits").unwrap(),
            folder: ctx.to_one(c, "folder").unwrap(),
            tags: sorted(ctx.to_many(c, "tags").unwrap()),
        }
    }

    /// Each folder's stored clips, to check both sides of the to-one agree.
    pub fn folder_lists(&self) -> Vec<Vec<ObjectId>> {
        let mut ctx = self.env.context();
        self.folders.iter().map(|f| ctx.to_many(*f, "clips").unwrap()).collect()
    }

    fn expect(&self, title: &str, score: f64, visits: i64, folder: usize, tags: &[usize]) -> Stored {
        Stored {
            title: title.to_owned(),
            score,
            visits,
            folder: Some(self.folders[folder]),
            tags: sorted(tags.iter().map(|i| self.tags[*i]).collect()),
        }
    }
}

/// Context A reads the clip, B changes title, visits, folder (f2) and adds t2 and saves;
/// then A changes title, score, folder (f3), removes t1, adds t3 and saves under `policy`.
fn race(scene: &Scene, policy: MergePolicy) -> (Context, strata_core::Result<strata_core::SaveOutcome>) {
    let c = scene.clip;
    let [f1, f2, f3] = scene.folders;
    let [t1, t2, t3] = scene.tags;
    let mut a = scene.env.context();
    a.set_merge_policy(policy);
    assert_eq!(a.get::<String>(c, "title").unwrap(), "t0");
    assert_eq!(a.to_many(c, "tags").unwrap(), vec![t1]);
    assert_eq!(a.to_many(f1, "clips").unwrap(), vec![c]);

    let mut b = scene.env.context();
    b.set(c, "title", "B").unwrap();
    b.set(c, "visits", 5_i64).unwrap();
    b.set_to_one(c, "folder", Some(f2)).unwrap();
    b.add_to_many(c, "tags", t2).unwrap();
    b.save().unwrap();

    a.set(c, "title", "A").unwrap();
    a.set(c, "score", 7.0).unwrap();
    a.set_to_one(c, "folder", Some(f3)).unwrap();
    a.remove_to_many(c, "tags", t1).unwrap();
    a.add_to_many(c, "tags", t3).unwrap();
    let result = a.save();
    (a, result)
}

#[test]
fn error_fails_with_every_conflict_described() {
    let scene = scene();
    let (mut a, result) = race(&scene, MergePolicy::Error);
    let Err(Error::Conflict(e)) = result else { panic!("the save must conflict: {result:?}") };
    let conflict = e.conflicts.iter().find(|x| x.id == scene.clip).expect("the clip conflicts");
    assert_eq!(conflict.read.as_ref().map(|s| s.version()), Some(1));
    assert_eq!(conflict.current.as_ref().map(|s| s.version()), Some(2));
    assert_eq!(conflict.current.as_ref().and_then(|s| s.value(0).cloned()), Some(Value::from("B")));
    assert_eq!(conflict.read.as_ref().and_then(|s| s.value(0).cloned()), Some(Value::from("t0")));
    assert_eq!(conflict.values.get("title"), Some(&PropertyValue::Value(Value::from("A"))));
    assert_eq!(conflict.values.get("visits"), Some(&PropertyValue::Value(Value::Int16(0))));
    assert_eq!(conflict.values.get("folder"), Some(&PropertyValue::Object(Some(scene.folders[2]))));
    assert!(!conflict.deleted);
    let tags = &conflict.to_many["tags"];
    assert_eq!((tags.added.clone(), tags.removed.clone()), (vec![scene.tags[2]], vec![scene.tags[0]]));
    for name in ["title", "score", "folder", "tags"] {
        assert!(conflict.changed.iter().any(|c| c == name), "{name} is listed as changed");
    }
    assert_eq!(scene.stored(), scene.expect("B", 1.0, 5, 1, &[0, 1]), "nothing of A was stored");
    assert_eq!(a.get::<String>(scene.clip, "title").unwrap(), "A", "A keeps its edits");
    assert!(a.has_changes());
}

#[test]
fn store_trump_keeps_store_changes_where_both_changed() {
    let scene = scene();
    let (_, result) = race(&scene, MergePolicy::MergeByPropertyStoreTrump);
    result.unwrap();
    // title and folder changed on both sides: the store's; score only by A; tags merge.
    assert_eq!(scene.stored(), scene.expect("B", 7.0, 5, 1, &[1, 2]));
    assert_eq!(scene.folder_lists(), vec![vec![], vec![scene.clip], vec![]]);
}

#[test]
fn object_trump_keeps_object_changes_where_both_changed() {
    let scene = scene();
    let (mut a, result) = race(&scene, MergePolicy::MergeByPropertyObjectTrump);
    result.unwrap();
    assert_eq!(scene.stored(), scene.expect("A", 7.0, 5, 2, &[1, 2]));
    assert_eq!(scene.folder_lists(), vec![vec![], vec![], vec![scene.clip]]);
    assert_eq!(a.get::<i64>(scene.clip, "visits").unwrap(), 5, "A now holds the merged row");
}

#[test]
fn overwrite_writes_the_whole_object() {
    let scene = scene();
    let (_, result) = race(&scene, MergePolicy::Overwrite);
    result.unwrap();
    // visits as A read it (0), the tag list as A saw it ({t3}: t2 added by B is dropped).
    assert_eq!(scene.stored(), scene.expect("A", 7.0, 0, 2, &[2]));
    let mut fresh = scene.env.context();
    assert!(fresh.to_many(scene.tags[1], "clips").unwrap().is_empty(), "both sides agree");
}

#[test]
fn rollback_drops_the_object_changes() {
    let scene = scene();
    let (mut a, result) = race(&scene, MergePolicy::Rollback);
    result.unwrap();
    assert_eq!(scene.stored(), scene.expect("B", 1.0, 5, 1, &[0, 1]));
    assert_eq!(scene.folder_lists(), vec![vec![], vec![scene.clip], vec![]]);
    assert!(!a.has_changes());
    assert_eq!(a.get::<String>(scene.clip, "title").unwrap(), "B");
    assert_eq!(sorted(a.to_many(scene.clip, "tags").unwrap()), sorted(vec![scene.tags[0], scene.tags[1]]));
    assert!(a.to_many(scene.folders[2], "clips").unwrap().is_empty(), "the inverse entry is gone too");
}

/// Counts visits: the store's value plus one, whatever the object holds; folders object-trump.
struct CountVisits {
    seen: Mutex<Vec<String>>,
}

impl MergePolicyHandler for CountVisits {
    fn resolve(&self, conflict: &ObjectConflict) -> MergeResolution {
        self.seen.lock().unwrap().push(conflict.entity.clone());
        if conflict.entity != "Clip" {
            return MergeResolution::ObjectTrump;
        }
        let visits = conflict.current.as_ref().and_then(|s| s.value(3)).and_then(Value::as_i64).unwrap_or(0);
        MergeResolution::Values(vec![("visits".to_owned(), Value::Int64(visits + 1))])
    }
}

#[test]
fn a_custom_handler_decides_per_object() {
    let scene = scene();
    let handler = Arc::new(CountVisits { seen: Mutex::new(Vec::new()) });
    let (_, result) = race(&scene, MergePolicy::Custom(handler.clone()));
    result.unwrap();
    assert_eq!(scene.stored(), scene.expect("B", 1.0, 6, 1, &[0, 1]));
    assert!(handler.seen.lock().unwrap().iter().any(|e| e == "Clip"));
}

#[test]
fn a_custom_value_that_does_not_fit_fails_before_anything_changes() {
    struct Bad;
    impl MergePolicyHandler for Bad {
        fn resolve(&self, _: &ObjectConflict) -> MergeResolution {
            MergeResolution::Values(vec![("visits".to_owned(), Value::from("many"))])
        }
    }
    let scene = scene();
    let (mut a, result) = race(&scene, MergePolicy::Custom(Arc::new(Bad)));
    assert!(matches!(result, Err(Error::Context(_))), "{result:?}");
    assert_eq!(a.get::<String>(scene.clip, "title").unwrap(), "A", "edits untouched");
    assert_eq!(scene.stored().title, "B");
}

/// B deletes the clip A edits; A saves under `policy`.
fn deleted_in_store(policy: MergePolicy) -> (Scene, Context, strata_core::Result<strata_core::SaveOutcome>) {
    let scene = scene();
    let mut a = scene.env.context();
    a.set_merge_policy(policy);
    a.set(scene.clip, "title", "A").unwrap();
    let f = a.insert("Folder").unwrap();
    a.set(f, "name", "new").unwrap();
    let mut b = scene.env.context();
    b.delete(scene.clip).unwrap();
    b.save().unwrap();
    let result = a.save();
    (scene, a, result)
}

#[test]
fn a_row_deleted_in_the_store_is_never_resurrected() {
    for policy in [MergePolicy::MergeByPropertyStoreTrump, MergePolicy::Rollback] {
        let (scene, a, result) = deleted_in_store(policy.clone());
        result.unwrap_or_else(|e| panic!("{policy:?} accepts the deletion: {e}"));
        assert!(!a.is_registered(scene.clip), "{policy:?}: the object is forgotten");
        let mut fresh = scene.env.context();
        assert_eq!(fresh.count(&FetchRequest::new("Clip")).unwrap(), 0);
        assert_eq!(
            fresh.count(&FetchRequest::new("Folder")).unwrap(),
            4,
            "the rest of the save went through"
        );
    }
    for policy in [MergePolicy::Error, MergePolicy::MergeByPropertyObjectTrump, MergePolicy::Overwrite] {
        let (scene, mut a, result) = deleted_in_store(policy.clone());
        let Err(Error::Conflict(e)) = result else { panic!("{policy:?} cannot resolve a deleted row") };
        assert_eq!(e.conflicts.len(), 1);
        assert_eq!(e.conflicts[0].current, None);
        assert_eq!(a.get::<String>(scene.clip, "title").unwrap(), "A", "{policy:?}: the edit is kept");
        let mut fresh = scene.env.context();
        assert_eq!(fresh.count(&FetchRequest::new("Clip")).unwrap(), 0, "{policy:?}: no new clip");
    }
}

#[test]
fn a_deletion_against_a_store_update() {
    for policy in [
        MergePolicy::Error,
        MergePolicy::MergeByPropertyStoreTrump,
        MergePolicy::MergeByPropertyObjectTrump,
        MergePolicy::Overwrite,
        MergePolicy::Rollback,
    ] {
        let scene = scene();
        let mut a = scene.env.context();
        a.set_merge_policy(policy.clone());
        a.delete(scene.clip).unwrap();
        let mut b = scene.env.context();
        b.set(scene.clip, "title", "B").unwrap();
        b.save().unwrap();
        let result = a.save();
        let mut fresh = scene.env.context();
        let count = fresh.count(&FetchRequest::new("Clip")).unwrap();
        match policy {
            MergePolicy::Error => {
                let Err(Error::Conflict(e)) = result else { panic!("must conflict") };
                assert!(e.conflicts[0].deleted, "the conflict says the context deleted it");
                assert_eq!(count, 1);
            }
            MergePolicy::Rollback => {
                result.unwrap();
                assert_eq!(count, 1, "the deletion is rolled back");
                assert!(!a.is_deleted(scene.clip));
                assert_eq!(scene.stored(), scene.expect("B", 1.0, 0, 0, &[0]), "its links are kept");
            }
            _ => {
                result.unwrap_or_else(|e| panic!("{policy:?}: {e}"));
                assert_eq!(count, 0, "{policy:?}: the deletion wins");
                assert!(fresh.to_many(scene.tags[0], "clips").unwrap().is_empty());
            }
        }
    }
}

/// A store where another writer updates every row just before each save touching it, so
/// every save conflicts.
struct Contested {
    inner: Arc<dyn Store>,
    saves: AtomicUsize,
}

impl Store for Contested {
    fn metadata(&self) -> StoreMetadata {
        self.inner.metadata()
    }

    fn model(&self) -> &Arc<strata_model::Model> {
        self.inner.model()
    }

    fn set_user_metadata(&self, user: serde_json::Map<String, serde_json::Value>) -> Result<(), StoreError> {
        self.inner.set_user_metadata(user)
    }

    fn fetch(&self, request: &StoreFetchRequest) -> Result<StoreFetchResult, StoreError> {
        self.inner.fetch(request)
    }

    fn snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>, StoreError> {
        self.inner.snapshots(ids)
    }

    fn related(&self, sources: &[ObjectId], relationship: usize) -> Result<Vec<Vec<ObjectId>>, StoreError> {
        self.inner.related(sources, relationship)
    }

    fn save(&self, request: &SaveRequest) -> Result<SaveResult, StoreError> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        let ids: Vec<ObjectId> = request.updated.iter().map(|u| u.id).collect();
        let interfering = SaveRequest {
            updated: self
                .inner
                .snapshots(&ids)?
                .into_iter()
                .flatten()
                .map(|s| UpdatedRow {
                    id: s.id(),
                    expected_version: s.version(),
                    values: vec![],
                    to_one: vec![],
                })
                .collect(),
            ..Default::default()
        };
        self.inner.save(&interfering)?;
        self.inner.save(request)
    }
}

#[test]
fn retries_are_bounded() {
    let model = super::support::model();
    let contested = Arc::new(Contested {
        inner: crate::context_store::new_store(model.clone()),
        saves: AtomicUsize::new(0),
    });
    let coordinator = strata_core::Coordinator::new(model);
    coordinator.add_store("Default", contested.clone()).unwrap();
    let mut ctx = Context::new(coordinator.clone());
    let c = clip(&mut ctx, "c", 1.0);
    let [c] = save_all(&mut ctx, &[c])[..] else { panic!() };
    let before = contested.saves.load(Ordering::SeqCst);
    ctx.set_merge_policy(MergePolicy::MergeByPropertyObjectTrump);
    ctx.set(c, "title", "never stored").unwrap();
    let Err(Error::Conflict(e)) = ctx.save() else { panic!("an endless race ends in a conflict") };
    assert_eq!(e.conflicts[0].id, c);
    assert_eq!(
        contested.saves.load(Ordering::SeqCst) - before,
        strata_core::context::MAX_CONFLICT_ROUNDS + 1
    );
    assert_eq!(ctx.get::<String>(c, "title").unwrap(), "never stored", "the edit is kept");
}
