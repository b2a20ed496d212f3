//! [`JsonFileStore`] itself: opening and creating the file, keeping the loaded data in step
//! with it, and the [`Store`] methods, which delegate to the loaded [`MemoryStore`].
//!
//! It must never swap in data that is not what the file holds, nor hold a lock while a
//! fetch runs: readers clone the current `Arc` and let go.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::SystemTime;

use strata_core::memory_store::MemoryStore;
use strata_core::store::{
    BatchOptions, BatchRequest, BatchResult, GenerationHandle, SaveRequest, SaveResult, StoreFetchRequest,
    StoreFetchResult, execute_batch_with_saves,
};
use strata_core::{ObjectId, Snapshot, Store, StoreError, StoreMetadata};
use strata_model::{Model, Uuid};

use super::file::{self, FileLock, Fingerprint, content_hash};
use super::{parse, render};
use crate::RestError;

/// A store whose data is one JSON file (see the [module docs](super) for the format).
///
/// ```no_run
/// # use std::sync::Arc;
/// # use strata_core::Store;
/// # use strata_rest::JsonFileStore;
/// # let model = Arc::new(strata_model::Model::from_json(r#"{"name":"M","version":1,"entities":[{"name":"Note","attributes":[{"name":"text","type":"string"}]}]}"#).unwrap());
/// let store = JsonFileStore::open_or_create("notes.json", model)?;
/// assert_eq!(store.metadata().store_type, JsonFileStore::STORE_TYPE);
/// # Ok::<(), strata_rest::RestError>(())
/// ```
pub struct JsonFileStore {
    path: PathBuf,
    lock_path: PathBuf,
    model: Arc<Model>,
    uuid: Uuid,
    /// The data of the file version last loaded or written.
    current: RwLock<Arc<Loaded>>,
    /// Why the file content with this hash could not be loaded, so a broken file is parsed
    /// once, not at every call.
    failure: Mutex<Option<(u64, RestError)>>,
    /// Held while the file is read and `current` replaced, so two reloads do not race.
    reload: Mutex<()>,
    /// Held for a whole save (with the file lock), so saves of this store are serialized.
    save: Mutex<()>,
}

impl std::fmt::Debug for JsonFileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonFileStore")
            .field("path", &self.path)
            .field("uuid", &self.uuid)
            .finish_non_exhaustive()
    }
}

/// One version of the file, loaded.
struct Loaded {
    store: Arc<MemoryStore>,
    user: serde_json::Map<String, serde_json::Value>,
    fingerprint: Fingerprint,
    /// A time taken before the fingerprint (see [`Fingerprint::settled`]).
    checked_at: SystemTime,
    hash: u64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves its data consistent at each step (it replaces whole
    // values), so a panic elsewhere cannot leave it half-changed.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl JsonFileStore {
    /// The store type reported in [`StoreMetadata::store_type`] and in errors.
    pub const STORE_TYPE: &'static str = "JSON file";

    /// Creates a new, empty store file at `path` for `model`, with a new UUID. Fails with
    /// [`RestError::Io`] of kind [`AlreadyExists`](std::io::ErrorKind::AlreadyExists) if a
    /// file exists there.
    pub fn create(path: impl AsRef<Path>, model: Arc<Model>) -> Result<JsonFileStore, RestError> {
        let path = path.as_ref().to_owned();
        let lock_path = file::lock_path(&path);
        let _lock = FileLock::acquire(&lock_path)?;
        if path.exists() {
            let exists = std::io::Error::new(std::io::ErrorKind::AlreadyExists, "a file exists there");
            return Err(RestError::Io { operation: "creating a store at", path, source: Arc::new(exists) });
        }
        let uuid = Uuid::now_v7();
        let store = Arc::new(MemoryStore::with_uuid(model.clone(), uuid));
        let user = serde_json::Map::new();
        let bytes = render::render(&model, uuid, &user, &store.contents()).map_err(RestError::Store)?;
        let (fingerprint, checked_at) = file::write_atomically(&path, &bytes)?;
        let loaded = Loaded { store, user, fingerprint, checked_at, hash: content_hash(&bytes) };
        Ok(JsonFileStore::with_loaded(path, lock_path, model, uuid, loaded))
    }

    /// Opens the store file at `path` with `model`. Fails with
    /// [`StoreError::NotAStore`] for a file that is not a JSON store,
    /// [`StoreError::ModelMismatch`] for a store of another model, and
    /// [`RestError::MalformedFile`] for a store file that does not parse.
    pub fn open(path: impl AsRef<Path>, model: Arc<Model>) -> Result<JsonFileStore, RestError> {
        let path = path.as_ref().to_owned();
        let (bytes, fingerprint, checked_at) = file::read(&path)?;
        let parsed = parse::parse(&path, &bytes, &model)?;
        let uuid = parsed.uuid;
        let store = Arc::new(memory_store(&path, &model, parsed.uuid, parsed.contents)?);
        let loaded = Loaded { store, user: parsed.user, fingerprint, checked_at, hash: content_hash(&bytes) };
        let lock_path = file::lock_path(&path);
        Ok(JsonFileStore::with_loaded(path, lock_path, model, uuid, loaded))
    }

    /// Opens the store file at `path`, or creates it if there is no file there.
    pub fn open_or_create(path: impl AsRef<Path>, model: Arc<Model>) -> Result<JsonFileStore, RestError> {
        let path = path.as_ref();
        match JsonFileStore::create(path, model.clone()) {
            Err(RestError::Io { source, .. }) if source.kind() == std::io::ErrorKind::AlreadyExists => {
                JsonFileStore::open(path, model)
            }
            other => other,
        }
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with_loaded(
        path: PathBuf,
        lock_path: PathBuf,
        model: Arc<Model>,
        uuid: Uuid,
        loaded: Loaded,
    ) -> JsonFileStore {
        JsonFileStore {
            path,
            lock_path,
            model,
            uuid,
            current: RwLock::new(Arc::new(loaded)),
            failure: Mutex::new(None),
            reload: Mutex::new(()),
            save: Mutex::new(()),
        }
    }

    fn error(&self, error: RestError) -> StoreError {
        error.into_store_error(Self::STORE_TYPE)
    }

    fn loaded(&self) -> Arc<Loaded> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn install(&self, loaded: Loaded) -> Arc<Loaded> {
        let loaded = Arc::new(loaded);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = loaded.clone();
        loaded
    }

    /// The data of the file as it is now, reloaded if the file changed.
    fn current(&self) -> Result<Arc<Loaded>, StoreError> {
        let fingerprint = file::stat(&self.path).map_err(|e| self.error(e))?;
        let loaded = self.loaded();
        if loaded.fingerprint == fingerprint && fingerprint.settled(loaded.checked_at) {
            return Ok(loaded);
        }
        let _reload = lock(&self.reload);
        let (bytes, fingerprint, checked_at) = file::read(&self.path).map_err(|e| self.error(e))?;
        self.reconcile(&bytes, fingerprint, checked_at).map_err(|e| self.error(e))
    }

    /// Makes `current` the data of the file version `bytes`, read with `fingerprint` after
    /// `checked_at`. Called with the reload lock held.
    fn reconcile(
        &self,
        bytes: &[u8],
        fingerprint: Fingerprint,
        checked_at: SystemTime,
    ) -> Result<Arc<Loaded>, RestError> {
        let loaded = self.loaded();
        let hash = content_hash(bytes);
        if loaded.fingerprint == fingerprint && loaded.hash == hash && loaded.checked_at >= checked_at {
            return Ok(loaded);
        }
        let mut failure = lock(&self.failure);
        if let Some((failed, error)) = failure.as_ref()
            && *failed == hash
        {
            return Err(error.clone());
        }
        if loaded.hash == hash {
            // Touched, rewritten with the same bytes, or checked again: nothing to parse.
            let store = loaded.store.clone();
            let same = Loaded { store, user: loaded.user.clone(), fingerprint, checked_at, hash };
            return Ok(self.install(same));
        }
        match self.load(bytes) {
            Ok((store, user)) => {
                *failure = None;
                tracing::debug!(path = %self.path.display(), "reloaded a JSON store file changed elsewhere");
                Ok(self.install(Loaded { store: Arc::new(store), user, fingerprint, checked_at, hash }))
            }
            Err(error) => {
                tracing::warn!(path = %self.path.display(), %error, "a JSON store file does not load");
                *failure = Some((hash, error.clone()));
                Err(error)
            }
        }
    }

    fn load(
        &self,
        bytes: &[u8],
    ) -> Result<(MemoryStore, serde_json::Map<String, serde_json::Value>), RestError> {
        let parsed = parse::parse(&self.path, bytes, &self.model)?;
        if parsed.uuid != self.uuid {
            return Err(RestError::Store(StoreError::NotAStore {
                location: self.path.display().to_string(),
                reason: format!("it now holds store {}, not the store {} opened", parsed.uuid, self.uuid),
            }));
        }
        Ok((memory_store(&self.path, &self.model, self.uuid, parsed.contents)?, parsed.user))
    }

    /// Runs one write: under the save and file locks, with the data of the file as it is
    /// now, `change` builds the next data; it is written to the file, then swapped in.
    fn write<R>(
        &self,
        change: impl FnOnce(
            &Loaded,
        )
            -> Result<(MemoryStore, serde_json::Map<String, serde_json::Value>, R), StoreError>,
    ) -> Result<R, StoreError> {
        let _save = lock(&self.save);
        let _file = FileLock::acquire(&self.lock_path).map_err(|e| self.error(e))?;
        let (bytes, fingerprint, checked_at) = file::read(&self.path).map_err(|e| self.error(e))?;
        let loaded = {
            let _reload = lock(&self.reload);
            self.reconcile(&bytes, fingerprint, checked_at).map_err(|e| self.error(e))?
        };
        let (store, user, result) = change(&loaded)?;
        let bytes = render::render(&self.model, self.uuid, &user, &store.contents())?;
        let (fingerprint, checked_at) =
            file::write_atomically(&self.path, &bytes).map_err(|e| self.error(e))?;
        let _reload = lock(&self.reload);
        let hash = content_hash(&bytes);
        self.install(Loaded { store: Arc::new(store), user, fingerprint, checked_at, hash });
        Ok(result)
    }

    /// A copy of `loaded`'s data, to change without touching what readers see.
    fn copy(&self, loaded: &Loaded) -> Result<MemoryStore, StoreError> {
        memory_store(&self.path, &self.model, self.uuid, loaded.store.contents()).map_err(|e| self.error(e))
    }
}

/// A [`MemoryStore`] holding `contents`; contents it refuses are a malformed file.
fn memory_store(
    path: &Path,
    model: &Arc<Model>,
    uuid: Uuid,
    contents: strata_core::memory_store::MemoryContents,
) -> Result<MemoryStore, RestError> {
    MemoryStore::with_contents(model.clone(), uuid, contents).map_err(|e| RestError::MalformedFile {
        path: path.to_owned(),
        line: 0,
        column: 0,
        message: e.to_string(),
    })
}

impl Store for JsonFileStore {
    fn metadata(&self) -> StoreMetadata {
        // Metadata is infallible: when the file cannot be read now, the last version loaded
        // answers, and the next fallible call reports the problem.
        let user = match self.current() {
            Ok(loaded) => loaded.user.clone(),
            Err(_) => self.loaded().user.clone(),
        };
        StoreMetadata {
            uuid: self.uuid,
            store_type: Self::STORE_TYPE.to_owned(),
            model_hash: self.model.hash(),
            history: false,
            user,
        }
    }

    fn model(&self) -> &Arc<Model> {
        &self.model
    }

    fn set_user_metadata(&self, user: serde_json::Map<String, serde_json::Value>) -> Result<(), StoreError> {
        self.write(|loaded| Ok((self.copy(loaded)?, user, ())))
    }

    fn fetch(&self, request: &StoreFetchRequest) -> Result<StoreFetchResult, StoreError> {
        self.current()?.store.fetch(request)
    }

    fn snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>, StoreError> {
        self.current()?.store.snapshots(ids)
    }

    fn related(&self, sources: &[ObjectId], relationship: usize) -> Result<Vec<Vec<ObjectId>>, StoreError> {
        self.current()?.store.related(sources, relationship)
    }

    fn save(&self, request: &SaveRequest) -> Result<SaveResult, StoreError> {
        if request.is_empty() {
            self.current()?;
            return Ok(SaveResult::default());
        }
        self.write(|loaded| {
            let next = self.copy(loaded)?;
            let result = next.save(request)?;
            Ok((next, loaded.user.clone(), result))
        })
    }

    /// Carried out through [`Store::save`] by [`execute_batch_with_saves`].
    fn execute_batch(
        &self,
        request: &BatchRequest,
        options: &BatchOptions,
    ) -> Result<BatchResult, StoreError> {
        execute_batch_with_saves(self, request, options)
    }

    /// A generation keeps the data loaded when it was opened, whatever is saved or edited
    /// in the file since.
    fn open_generation(&self) -> Result<GenerationHandle, StoreError> {
        self.current()?.store.open_generation()
    }
}
