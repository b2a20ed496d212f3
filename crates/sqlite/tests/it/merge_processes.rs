//! Merge policies across processes: this process reads a clip, a child process (this test
//! binary re-run on the ignored test [`child_edits`], as in `multiprocess.rs`) edits and
//! saves it in the same file, then this process edits and saves under each policy, and the
//! stored outcome is checked property by property. Also `merge_remote` of the child's save.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use strata_core::{
    Context, Coordinator, Error, MergePolicy, MergePolicyHandler, MergeResolution, ObjectConflict, ObjectId,
    Value,
};
use strata_sqlite::{SqliteOptions, SqliteStore};

use crate::support::{finish, model};

const SHOP: &str = r#"{ "name": "Shop", "version": 1, "entities": [
  { "name": "Clip",
    "attributes": [
      { "name": "title", "type": "string" },
      { "name": "score", "type": "double" },
      { "name": "visits", "type": "int64" } ],
    "relationships": [
      { "name": "folder", "destination": "Folder", "toMany": false, "inverse": "clips" },
      { "name": "tags", "destination": "Tag", "toMany": true, "inverse": "clips" } ] },
  { "name": "Folder",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [ { "name": "clips", "destination": "Clip", "toMany": true, "inverse": "folder" } ] },
  { "name": "Tag",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [ { "name": "clips", "destination": "Clip", "toMany": true, "inverse": "tags" } ] }
] }"#;

const STORE: &str = "STRATA_MERGE_CHILD_STORE";
const CLIP: &str = "STRATA_MERGE_CHILD_CLIP";
const FOLDER: &str = "STRATA_MERGE_CHILD_FOLDER";
const TAG: &str = "STRATA_MERGE_CHILD_TAG";

/// The child's side: sets the clip's title to "B", visits to 5, its folder to the given one
/// and adds the given tag, then saves. Run directly (`--ignored`) it does nothing.
#[test]
#[ignore = "the child process of the merge-policy process tests; they run it themselves"]
fn child_edits() {
    let Ok(path) = std::env::var(STORE) else {
        eprintln!("child_edits: no {STORE} given; this test only runs as a child of merge_processes tests");
        return;
    };
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is given"));
    let model = model(SHOP);
    let store =
        SqliteStore::open(&path, model.clone(), SqliteOptions::default()).expect("the child opens the store");
    let coordinator = Coordinator::new(model);
    coordinator.add_store("Default", Arc::new(store)).expect("the store fits");
    let mut ctx = Context::new(coordinator.clone());
    let id = |uri: String| coordinator.object_id(&uri).expect("the parent's URI resolves here");
    let (c, f, t) = (id(var(CLIP)), id(var(FOLDER)), id(var(TAG)));
    ctx.set(c, "title", "B").unwrap();
    ctx.set(c, "visits", 5_i64).unwrap();
    ctx.set_to_one(c, "folder", Some(f)).unwrap();
    ctx.add_to_many(c, "tags", t).unwrap();
    ctx.save().expect("the child saves");
}

/// A store file with a clip "t0" (score 1, visits 0) in folder 0 with tag 0, three folders
/// and three tags; this process's coordinator on it.
struct Shop {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    coordinator: Arc<Coordinator>,
    store: Arc<SqliteStore>,
    clip: ObjectId,
    folders: Vec<ObjectId>,
    tags: Vec<ObjectId>,
}

fn shop() -> Shop {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("shop.sqlite");
    let model = model(SHOP);
    let store =
        Arc::new(SqliteStore::create(&path, model.clone(), SqliteOptions::default()).expect("create"));
    let coordinator = Coordinator::new(model);
    coordinator.add_store("Default", store.clone()).expect("the store fits");
    let mut ctx = Context::new(coordinator.clone());
    let named = |ctx: &mut Context, entity: &str, name: &str| {
        let id = ctx.insert(entity).unwrap();
        ctx.set(id, if entity == "Clip" { "title" } else { "name" }, name).unwrap();
        id
    };
    let c = named(&mut ctx, "Clip", "t0");
    ctx.set(c, "score", 1.0).unwrap();
    ctx.set(c, "visits", 0_i64).unwrap();
    let folders: Vec<ObjectId> = ["f0", "f1", "f2"].iter().map(|n| named(&mut ctx, "Folder", n)).collect();
    let tags: Vec<ObjectId> = ["t0", "t1", "t2"].iter().map(|n| named(&mut ctx, "Tag", n)).collect();
    ctx.set_to_one(c, "folder", Some(folders[0])).unwrap();
    ctx.add_to_many(c, "tags", tags[0]).unwrap();
    let outcome = ctx.save().expect("seed");
    let p = |id: &ObjectId| outcome.permanent_id(*id).expect("saved");
    Shop {
        _dir: dir,
        path,
        coordinator,
        store,
        clip: p(&c),
        folders: folders.iter().map(p).collect(),
        tags: tags.iter().map(p).collect(),
    }
}

impl Shop {
    /// Runs the child on this store, moving the clip to folder 1 and adding tag 1.
    fn child_edits(&self) {
        let uri = |id: ObjectId| self.coordinator.uri(id).expect("a URI");
        let child = Command::new(std::env::current_exe().expect("the test binary"))
            .args(["--exact", "merge_processes::child_edits", "--ignored", "--test-threads=1", "-q"])
            .env(STORE, &self.path)
            .env(CLIP, uri(self.clip))
            .env(FOLDER, uri(self.folders[1]))
            .env(TAG, uri(self.tags[1]))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the child");
        finish(child, Duration::from_secs(30));
    }

    /// The clip as a fresh coordinator reads it.
    fn stored(&self) -> Stored {
        let fresh = Coordinator::new(self.coordinator.model().clone());
        fresh.add_store("Default", self.store.clone()).expect("the store fits");
        let mut ctx = Context::new(fresh);
        let c = self.clip;
        let folder = ctx.to_one(c, "folder").unwrap().and_then(|f| self.folders.iter().position(|x| *x == f));
        let mut tags: Vec<usize> = ctx
            .to_many(c, "tags")
            .unwrap()
            .iter()
            .filter_map(|t| self.tags.iter().position(|x| x == t))
            .collect();
        tags.sort();
        (
            ctx.get(c, "title").unwrap(),
            ctx.get(c, "score").unwrap(),
            ctx.get(c, "visits").unwrap(),
            folder.expect("the clip has a folder"),
            tags,
        )
    }
}

/// (title, score, visits, folder index, tag indexes) of the clip.
type Stored = (String, f64, i64, usize, Vec<usize>);

/// This process reads, the child saves, this process edits (title, score, folder 2, tags
/// -0 +2) and saves under `policy`.
fn race(shop: &Shop, policy: MergePolicy) -> strata_core::Result<strata_core::SaveOutcome> {
    let c = shop.clip;
    let mut ctx = Context::new(shop.coordinator.clone());
    ctx.set_merge_policy(policy);
    assert_eq!(ctx.get::<String>(c, "title").unwrap(), "t0");
    assert_eq!(ctx.to_many(c, "tags").unwrap(), vec![shop.tags[0]]);
    shop.child_edits();
    ctx.set(c, "title", "A").unwrap();
    ctx.set(c, "score", 7.0).unwrap();
    ctx.set_to_one(c, "folder", Some(shop.folders[2])).unwrap();
    ctx.remove_to_many(c, "tags", shop.tags[0]).unwrap();
    ctx.add_to_many(c, "tags", shop.tags[2]).unwrap();
    ctx.save()
}

struct PlusOne;

impl MergePolicyHandler for PlusOne {
    fn resolve(&self, conflict: &ObjectConflict) -> MergeResolution {
        // Folders conflict too: the child's save moved the clip out of one.
        if conflict.entity != "Clip" {
            return MergeResolution::ObjectTrump;
        }
        let visits = conflict.current.as_ref().and_then(|s| s.value(2)).and_then(Value::as_i64).unwrap_or(0);
        MergeResolution::Values(vec![("visits".to_owned(), Value::Int64(visits + 1))])
    }
}

#[test]
fn every_policy_against_another_process() {
    let t = |s: &str| s.to_owned();
    let cases: Vec<(MergePolicy, Option<Stored>)> = vec![
        (MergePolicy::Error, None),
        (MergePolicy::MergeByPropertyStoreTrump, Some((t("B"), 7.0, 5, 1, vec![1, 2]))),
        (MergePolicy::MergeByPropertyObjectTrump, Some((t("A"), 7.0, 5, 2, vec![1, 2]))),
        (MergePolicy::Overwrite, Some((t("A"), 7.0, 0, 2, vec![2]))),
        (MergePolicy::Rollback, Some((t("B"), 1.0, 5, 1, vec![0, 1]))),
        (MergePolicy::Custom(Arc::new(PlusOne)), Some((t("B"), 1.0, 6, 1, vec![0, 1]))),
    ];
    for (policy, expected) in cases {
        let shop = shop();
        let result = race(&shop, policy.clone());
        match expected {
            None => {
                let Err(Error::Conflict(e)) = result else { panic!("{policy:?} must fail: {result:?}") };
                assert!(e.conflicts.iter().any(|c| c.id == shop.clip && c.current.is_some()));
                assert_eq!(shop.stored(), (t("B"), 1.0, 5, 1, vec![0, 1]), "only the child's save");
            }
            Some(expected) => {
                result.unwrap_or_else(|e| panic!("{policy:?}: {e}"));
                assert_eq!(shop.stored(), expected, "{policy:?}");
            }
        }
    }
}

#[test]
fn merge_remote_brings_the_child_save_in() {
    let shop = shop();
    let c = shop.clip;
    let mut ctx = Context::new(shop.coordinator.clone());
    ctx.set(c, "score", 9.0).unwrap();
    assert_eq!(ctx.to_many(shop.folders[1], "clips").unwrap(), vec![]);
    shop.child_edits();
    let uris: Vec<String> =
        [c, shop.folders[0], shop.folders[1]].iter().map(|id| shop.coordinator.uri(*id).unwrap()).collect();
    let outcomes = shop.coordinator.merge_remote(&uris, &mut [&mut ctx]).unwrap();
    assert!(outcomes[0].refreshed.contains(&c));
    assert_eq!(ctx.get::<String>(c, "title").unwrap(), "B");
    assert_eq!(ctx.get::<i64>(c, "visits").unwrap(), 5);
    assert_eq!(ctx.get::<f64>(c, "score").unwrap(), 9.0, "the edit is kept");
    assert_eq!(ctx.to_many(shop.folders[1], "clips").unwrap(), vec![c], "the inverse list reloads");
    ctx.save().expect("no conflict after the merge");
    assert_eq!(shop.stored(), ("B".to_owned(), 9.0, 5, 1, vec![0, 1]));
}
