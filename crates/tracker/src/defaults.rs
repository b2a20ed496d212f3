//! [`SharedDefaults`]: the app group's small key-value store, the analogue of an app
//! group's `UserDefaults` — readable and writable by every member process, safely.
//!
//! One JSON file (`{"format": "strata.defaults", "version": 1, "values": {…}}`) beside a
//! lock file (`.defaults.json.lock`). Readers take a shared lock and read the file; writers
//! take the exclusive lock, read, change, and replace the file atomically (temporary file,
//! fsync, rename, fsync of the directory), so a reader never sees half a write and a crash
//! leaves the old or the new content. Every operation opens the lock file itself, so
//! threads of one process exclude each other exactly as processes do.
//!
//! Content this crate did not write — invalid JSON, another JSON shape, a newer version — is
//! a typed error naming the file, never a panic, and is never overwritten.

use std::fs::File;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Result, TrackerError, io};
use crate::files;

const FORMAT: &str = "strata.defaults";
const VERSION: u64 = 1;

/// The shared key-value store of an [`AppGroup`](crate::AppGroup) (see the
/// [module docs](self)). Cheap to clone; every call locks and reads the file, so values
/// written by other processes are seen at once.
#[derive(Debug, Clone)]
pub struct SharedDefaults {
    path: PathBuf,
    lock: PathBuf,
    mode: u32,
}

/// Releases a lock when dropped (an error path included).
struct Locked(File);

impl Drop for Locked {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

impl SharedDefaults {
    /// The store in the file `path`, whose files get `mode` when created. Nothing is created
    /// until the first call.
    pub fn new(path: impl Into<PathBuf>, mode: u32) -> SharedDefaults {
        let path = path.into();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let lock = path.with_file_name(format!(".{name}.lock"));
        SharedDefaults { path, lock, mode }
    }

    /// The JSON file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Result<Option<Value>> {
        Ok(self.all()?.remove(key))
    }

    /// The value of `key` converted to `T`, if set.
    ///
    /// # Errors
    /// [`TrackerError::ValueConversion`] if the stored value is not a `T`.
    pub fn get_as<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        match self.get(key)? {
            None => Ok(None),
            Some(value) => serde_json::from_value(value).map(Some).map_err(|source| {
                TrackerError::ValueConversion { key: key.to_owned(), path: self.path.clone(), source }
            }),
        }
    }

    /// Every key and value.
    pub fn all(&self) -> Result<Map<String, Value>> {
        let _lock = self.lock(false)?;
        self.read()
    }

    /// Every key, sorted.
    pub fn keys(&self) -> Result<Vec<String>> {
        let mut keys: Vec<String> = self.all()?.into_iter().map(|(k, _)| k).collect();
        keys.sort();
        Ok(keys)
    }

    /// Sets `key` to `value` (anything `serde` serializes).
    pub fn set(&self, key: &str, value: impl Serialize) -> Result<()> {
        let value = serde_json::to_value(value).map_err(|source| TrackerError::ValueConversion {
            key: key.to_owned(),
            path: self.path.clone(),
            source,
        })?;
        self.modify(|values| {
            values.insert(key.to_owned(), value);
        })
    }

    /// Removes `key`; its old value, if it was set.
    pub fn remove(&self, key: &str) -> Result<Option<Value>> {
        self.modify(|values| values.remove(key))
    }

    /// Replaces the value of `key` by `change(old)` (`None`: removes it) under the exclusive
    /// lock, so concurrent updates from threads and processes never lose one another;
    /// returns the new value.
    pub fn update(
        &self,
        key: &str,
        change: impl FnOnce(Option<Value>) -> Option<Value>,
    ) -> Result<Option<Value>> {
        self.modify(|values| {
            let new = change(values.remove(key));
            if let Some(new) = &new {
                values.insert(key.to_owned(), new.clone());
            }
            new
        })
    }

    /// Runs `change` on every key and value under the exclusive lock and writes the result
    /// (if it differs), atomically: several keys changed as one.
    pub fn modify<R>(&self, change: impl FnOnce(&mut Map<String, Value>) -> R) -> Result<R> {
        let _lock = self.lock(true)?;
        let before = self.read()?;
        let mut values = before.clone();
        let result = change(&mut values);
        if values != before {
            self.write(values)?;
        }
        Ok(result)
    }

    fn lock(&self, exclusive: bool) -> Result<Locked> {
        let file = files::open_lock_file(&self.lock, self.mode)?;
        let locked = if exclusive { file.lock() } else { file.lock_shared() };
        locked.map_err(|e| io(&self.lock, "lock", e))?;
        Ok(Locked(file))
    }

    /// The values in the file (none if it does not exist or is empty); the caller holds a
    /// lock.
    fn read(&self) -> Result<Map<String, Value>> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
            Err(e) => return Err(io(&self.path, "read", e)),
        };
        if bytes.is_empty() {
            return Ok(Map::new());
        }
        let document: Value = serde_json::from_slice(&bytes)
            .map_err(|source| TrackerError::CorruptDefaults { path: self.path.clone(), source })?;
        let foreign = |problem| TrackerError::ForeignDefaults { path: self.path.clone(), problem };
        let Value::Object(mut document) = document else {
            return Err(foreign("it is not a JSON object"));
        };
        if document.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(foreign("its \"format\" is not \"strata.defaults\""));
        }
        match document.get("version").and_then(Value::as_u64) {
            Some(VERSION) => {}
            Some(_) => return Err(foreign("it has a version this build does not know")),
            None => return Err(foreign("it has no \"version\" number")),
        }
        match document.remove("values") {
            Some(Value::Object(values)) => Ok(values),
            _ => Err(foreign("its \"values\" is not a JSON object")),
        }
    }

    /// Replaces the file; the caller holds the exclusive lock.
    fn write(&self, values: Map<String, Value>) -> Result<()> {
        let document = serde_json::json!({ "format": FORMAT, "version": VERSION, "values": values });
        let bytes = serde_json::to_vec_pretty(&document).map_err(|source| TrackerError::ValueConversion {
            key: String::new(),
            path: self.path.clone(),
            source,
        })?;
        files::write_atomic(&self.path, &bytes, self.mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AppGroup, GroupOptions};

    fn group(sharing: bool) -> (tempfile::TempDir, AppGroup) {
        let dir = tempfile::tempdir().expect("temp dir");
        let group = AppGroup::open(dir.path().join("g"), GroupOptions::default().with_group_sharing(sharing))
            .expect("open the group");
        (dir, group)
    }

    #[test]
    fn values_round_trip_and_are_seen_by_other_instances() {
        let (_dir, group) = group(false);
        let a = group.defaults();
        assert_eq!(a.get("x").unwrap(), None);
        a.set("x", 3).unwrap();
        a.set("name", "clip").unwrap();
        let b = group.defaults();
        assert_eq!(b.get_as::<i64>("x").unwrap(), Some(3));
        assert_eq!(b.keys().unwrap(), vec!["name".to_owned(), "x".to_owned()]);
        assert_eq!(
            b.update("x", |v| v.and_then(|v| v.as_i64()).map(|n| (n + 1).into())).unwrap(),
            Some(4.into())
        );
        assert_eq!(a.remove("x").unwrap(), Some(4.into()));
        assert_eq!(a.remove("x").unwrap(), None);
        assert!(
            matches!(b.get_as::<i64>("name"), Err(TrackerError::ValueConversion { ref key, .. }) if key == "name")
        );
    }

    #[test]
    fn concurrent_updates_from_threads_lose_nothing() {
        let (_dir, group) = group(false);
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let defaults = group.defaults();
                std::thread::spawn(move || {
                    for _ in 0..25 {
                        defaults
                            .update("counter", |v| Some((v.and_then(|v| v.as_i64()).unwrap_or(0) + 1).into()))
                            .expect("update");
                        defaults
                            .update(&format!("t{t}"), |v| {
                                Some((v.and_then(|v| v.as_i64()).unwrap_or(0) + 1).into())
                            })
                            .expect("update");
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("the thread ran");
        }
        let defaults = group.defaults();
        assert_eq!(defaults.get_as::<i64>("counter").unwrap(), Some(100));
        for t in 0..4 {
            assert_eq!(defaults.get_as::<i64>(&format!("t{t}")).unwrap(), Some(25));
        }
        // No temporary file is left behind.
        let names: Vec<String> = std::fs::read_dir(group.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private_or_group_shared() {
        for (sharing, dir_mode, file_mode) in [(false, 0o700, 0o600), (true, 0o770, 0o660)] {
            let (_dir, group) = group(sharing);
            group.defaults().set("k", 1).unwrap();
            assert_eq!(mode(group.path()), dir_mode);
            assert_eq!(mode(&group.path().join("defaults.json")), file_mode);
            assert_eq!(mode(&group.path().join(".defaults.json.lock")), file_mode);
            // A rewrite keeps the mode.
            group.defaults().set("k", 2).unwrap();
            assert_eq!(mode(&group.path().join("defaults.json")), file_mode);
        }
    }

    #[test]
    fn corrupt_and_foreign_files_are_typed_errors_and_left_alone() {
        let (_dir, group) = group(false);
        let defaults = group.defaults();
        let path = defaults.path().to_path_buf();
        std::fs::write(&path, b"{\"format\": \"strata.defaults\", \"vers").unwrap();
        assert!(
            matches!(defaults.get("k"), Err(TrackerError::CorruptDefaults { path: ref p, .. }) if *p == path)
        );
        assert!(matches!(defaults.set("k", 1), Err(TrackerError::CorruptDefaults { .. })));
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"format\": \"strata.defaults\", \"vers");
        for (content, problem) in [
            ("[1, 2]", "not a JSON object"),
            ("{\"theme\": \"dark\"}", "\"format\""),
            ("{\"format\": \"strata.defaults\", \"version\": 99, \"values\": {}}", "version"),
            ("{\"format\": \"strata.defaults\", \"version\": 1, \"values\": 3}", "\"values\""),
        ] {
            std::fs::write(&path, content).unwrap();
            let error = defaults.update("k", |_| Some(1.into())).unwrap_err();
            assert!(matches!(error, TrackerError::ForeignDefaults { .. }), "{error}");
            let message = error.to_string();
            assert!(message.contains(problem) && message.contains("defaults.json"), "{message}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), content);
        }
        // An empty file (a crash before the first write) reads as no values.
        std::fs::write(&path, b"").unwrap();
        assert_eq!(defaults.keys().unwrap(), Vec::<String>::new());
    }
}
