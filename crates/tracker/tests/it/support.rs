//! Test support: the model, an app group holding one SQLite store with history, members
//! (each its own coordinator and store instance, as separate processes have), saving clips
//! under an author and context name, and a merge target that records what it receives.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use strata_core::{Context, Coordinator, FetchRequest, ObjectId, StoreId};
use strata_model::Model;
use strata_sqlite::{SqliteOptions, SqliteStore};
use strata_tracker::{AppGroup, GroupOptions, MergeBatch, TargetError, TargetMessage};

/// Clips (tagged, scored) and notes.
pub const CLIPS: &str = r#"{ "name": "Clips", "version": 1, "entities": [
  { "name": "Clip", "attributes": [
      { "name": "tag", "type": "string" },
      { "name": "score", "type": "int64" } ] },
  { "name": "Note", "attributes": [ { "name": "text", "type": "string" } ] }
] }"#;

/// The store file's name in the group.
pub const STORE: &str = "Clips.sqlite";

pub fn model() -> Arc<Model> {
    Arc::new(Model::from_json(CLIPS).expect("the test model is valid"))
}

/// An app group in a temporary directory, with the store created (history on).
pub struct Group {
    /// Kept for its drop, which removes everything.
    pub _dir: tempfile::TempDir,
    pub group: AppGroup,
}

impl Group {
    pub fn new() -> Group {
        let dir = tempfile::tempdir().expect("temp dir");
        let group =
            AppGroup::open(dir.path().join("group"), GroupOptions::default()).expect("open the group");
        let path = group.store_path(STORE).expect("a valid name");
        SqliteStore::create(&path, model(), SqliteOptions::default().with_history(true))
            .expect("create the store");
        Group { _dir: dir, group }
    }

    pub fn member(&self) -> Member {
        Member::open(&self.group)
    }
}

/// One member's coordinator on the group's store.
pub struct Member {
    pub coordinator: Arc<Coordinator>,
    pub store: StoreId,
    pub sqlite: Arc<SqliteStore>,
}

impl Member {
    pub fn open(group: &AppGroup) -> Member {
        let path: PathBuf = group.store_path(STORE).expect("a valid name");
        let sqlite =
            Arc::new(SqliteStore::open(&path, model(), SqliteOptions::default()).expect("open the store"));
        let coordinator = Coordinator::new(model());
        let store = coordinator.add_store("Default", sqlite.clone()).expect("the store fits");
        Member { coordinator, store, sqlite }
    }

    /// A context saving under `author` with the name `name` (empty: none).
    pub fn context(&self, author: &str, name: &str) -> Context {
        let mut context = Context::new(self.coordinator.clone());
        context.set_transaction_author((!author.is_empty()).then_some(author));
        context.set_name((!name.is_empty()).then_some(name));
        context
    }

    /// Saves one clip per tag, in one transaction; their permanent IDs.
    pub fn save_clips(&self, author: &str, name: &str, tags: &[&str]) -> Vec<ObjectId> {
        let mut context = self.context(author, name);
        let ids: Vec<ObjectId> = tags
            .iter()
            .map(|tag| {
                let id = context.insert("Clip").expect("insert");
                context.set(id, "tag", *tag).expect("set the tag");
                id
            })
            .collect();
        let outcome = context.save().expect("save");
        ids.iter().map(|id| outcome.permanent_id(*id).expect("saved")).collect()
    }

    /// Every clip's tag, sorted.
    pub fn tags(&self) -> Vec<String> {
        let mut context = Context::new(self.coordinator.clone());
        let ids = context.fetch(&FetchRequest::new("Clip")).expect("fetch").ids();
        let mut tags: Vec<String> = ids.iter().map(|id| context.get(*id, "tag").expect("tag")).collect();
        tags.sort();
        tags
    }
}

/// What a recording target received.
#[derive(Debug, Clone)]
pub enum Received {
    Merge(MergeBatch),
    RefreshAll,
}

/// A merge target that records every message (and can be told to fail).
#[derive(Clone, Default)]
pub struct Recorder {
    pub received: Arc<Mutex<Vec<Received>>>,
    pub fail: Arc<Mutex<bool>>,
}

impl Recorder {
    pub fn target(&self) -> impl FnMut(TargetMessage<'_>) -> Result<(), TargetError> + Send + 'static {
        let recorder = self.clone();
        move |message| {
            if *recorder.fail.lock().unwrap() {
                return Err(TargetError::Other("told to fail".into()));
            }
            recorder.received.lock().unwrap().push(match message {
                TargetMessage::Merge(batch) => Received::Merge(batch.clone()),
                TargetMessage::RefreshAll => Received::RefreshAll,
                _ => unreachable!("no other message exists"),
            });
            Ok(())
        }
    }

    /// The inserted IDs of every merged batch, in order.
    pub fn inserted(&self) -> Vec<ObjectId> {
        let received = self.received.lock().unwrap();
        received
            .iter()
            .filter_map(|r| match r {
                Received::Merge(batch) => Some(batch.request.inserted.clone()),
                Received::RefreshAll => None,
            })
            .flatten()
            .collect()
    }

    pub fn refreshes(&self) -> usize {
        self.received.lock().unwrap().iter().filter(|r| matches!(r, Received::RefreshAll)).count()
    }
}
