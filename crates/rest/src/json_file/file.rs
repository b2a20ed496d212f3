//! The file system side of [`JsonFileStore`](super::JsonFileStore): reading the file with a
//! fingerprint that tells when it changed, replacing it atomically, and the sidecar lock
//! that keeps two processes' saves from interleaving.
//!
//! Nothing here knows the file's format. A write must never leave a half-written store file
//! behind: the new bytes go to a temporary file in the same directory, are flushed to disk,
//! and only then renamed over the store file.

use std::fs::{File, OpenOptions};
use std::hash::Hasher;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use crate::RestError;

/// What identifies one version of the file without reading it: a file replaced by a save
/// (a new inode), appended to or edited in place (a new size or modification time) gets
/// another fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Fingerprint {
    len: u64,
    modified: Option<SystemTime>,
    /// (device, inode) on Unix; a rename-based save always changes it.
    node: (u64, u64),
}

impl Fingerprint {
    fn of(metadata: &std::fs::Metadata) -> Fingerprint {
        #[cfg(unix)]
        let node = {
            use std::os::unix::fs::MetadataExt as _;
            (metadata.dev(), metadata.ino())
        };
        #[cfg(not(unix))]
        let node = (0, 0);
        Fingerprint { len: metadata.len(), modified: metadata.modified().ok(), node }
    }

    /// Whether any change made to the file after `checked_at` (a time taken before this
    /// fingerprint was) is sure to change the fingerprint. Not so while the clock is still
    /// in the modification time's timestamp granule: an in-place edit of the same size
    /// would get the same modification time (git's "racily clean" files), so the content
    /// must be compared. Timestamps with nanoseconds come from a clock ticking at least
    /// every few milliseconds; whole seconds may mean a file system that keeps only those.
    pub(super) fn settled(&self, checked_at: SystemTime) -> bool {
        let Some(modified) = self.modified else { return false };
        let fine = modified.duration_since(SystemTime::UNIX_EPOCH).is_ok_and(|d| d.subsec_nanos() != 0);
        let granule = if fine { Duration::from_millis(25) } else { Duration::from_secs(2) };
        modified.checked_add(granule).is_some_and(|settled| checked_at >= settled)
    }
}

/// The hash of a file's bytes, compared before a save so that a change the fingerprint
/// missed (an edit within the file system's time resolution) is still seen.
pub(super) fn content_hash(bytes: &[u8]) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
}

fn io(operation: &'static str, path: &Path, source: std::io::Error) -> RestError {
    RestError::Io { operation, path: path.to_owned(), source: Arc::new(source) }
}

/// The current fingerprint of the file at `path`.
pub(super) fn stat(path: &Path) -> Result<Fingerprint, RestError> {
    let metadata = std::fs::metadata(path).map_err(|e| io("reading the metadata of", path, e))?;
    Ok(Fingerprint::of(&metadata))
}

/// The file's bytes, the fingerprint of the version read and a time taken before it (for
/// [`Fingerprint::settled`]). The fingerprint is taken from the open file before reading,
/// so a save that replaces the file meanwhile is seen as a change at the next check rather
/// than hidden.
pub(super) fn read(path: &Path) -> Result<(Vec<u8>, Fingerprint, SystemTime), RestError> {
    let checked_at = SystemTime::now();
    let mut file = File::open(path).map_err(|e| io("opening", path, e))?;
    let metadata = file.metadata().map_err(|e| io("reading the metadata of", path, e))?;
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.read_to_end(&mut bytes).map_err(|e| io("reading", path, e))?;
    Ok((bytes, Fingerprint::of(&metadata), checked_at))
}

/// Replaces the file at `path` with `bytes` atomically (temporary file, flush, rename,
/// flush of the directory) and returns the new version's fingerprint and a time taken
/// before it. On error the file at `path` is untouched and the temporary file is removed.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(Fingerprint, SystemTime), RestError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = directory_of(path);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp =
        dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| io("creating", &temp, e))?;
        file.write_all(bytes).map_err(|e| io("writing", &temp, e))?;
        file.sync_all().map_err(|e| io("flushing", &temp, e))?;
        std::fs::rename(&temp, path).map_err(|e| io("renaming a temporary file over", path, e))
    })();
    if let Err(error) = written {
        // The temporary file is ours and useless now; failing to remove it changes nothing
        // for the store file, so the original error is the one worth reporting.
        if let Err(e) = std::fs::remove_file(&temp) {
            tracing::debug!(path = %temp.display(), error = %e, "could not remove a temporary file");
        }
        return Err(error);
    }
    sync_directory(&dir)?;
    let checked_at = SystemTime::now();
    Ok((stat(path)?, checked_at))
}

/// The directory holding `path` (`.` for a bare file name).
fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Flushes the directory entry of a rename to disk, so the new file survives a crash.
fn sync_directory(dir: &Path) -> Result<(), RestError> {
    #[cfg(unix)]
    {
        let handle = File::open(dir).map_err(|e| io("opening the directory", dir, e))?;
        handle.sync_all().map_err(|e| io("flushing the directory", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// The sidecar lock file of the store file at `path`: `<name>.lock` next to it.
pub(super) fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".lock");
    directory_of(path).join(name)
}

/// An exclusive lock on the sidecar lock file, held until dropped. Another process (or
/// another store instance on the same file in this process) waits for it.
pub(super) struct FileLock {
    file: File,
}

impl FileLock {
    /// Waits for and takes the lock at `lock_path`, creating the lock file if needed.
    pub(super) fn acquire(lock_path: &Path) -> Result<FileLock, RestError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(lock_path)
            .map_err(|e| io("opening the lock file", lock_path, e))?;
        file.lock().map_err(|e| io("locking", lock_path, e))?;
        Ok(FileLock { file })
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Closing the file releases the lock anyway; unlocking first only makes it prompt.
        if let Err(e) = self.file.unlock() {
            tracing::debug!(error = %e, "could not unlock a JSON store's lock file");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_changes_the_fingerprint() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.json");
        std::fs::write(&path, b"old").expect("write");
        let before = stat(&path).expect("stat");
        let (after, _) = write_atomically(&path, b"new contents").expect("write atomically");
        assert_ne!(before, after);
        let (bytes, fingerprint, _) = read(&path).expect("read");
        assert_eq!(bytes, b"new contents");
        assert_eq!(fingerprint, after);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn a_failed_write_leaves_the_file_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("no-such-dir").join("s.json");
        assert!(matches!(write_atomically(&missing, b"x"), Err(RestError::Io { .. })));
        assert_eq!(lock_path(Path::new("s.json")), Path::new("./s.json.lock"));
    }
}
