//! The `-notify` sidecar file beside a store: one little-endian `u64`, the number of commits
//! announced so far, bumped with `write` under an exclusive `flock` after every commit.
//!
//! A `write` (never a write through a mapping) is what makes inotify fire, so every bump
//! wakes the watchers of every process. The counter is the store's change sequence when
//! persistent history is off. This module never touches the database.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The sidecar's path: the database path with `-notify` appended (as SQLite names `-wal`).
pub(crate) fn sidecar_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-notify");
    PathBuf::from(name)
}

/// Opens (creating it, mode 0600 like the database) the sidecar at `path`.
pub(crate) fn open(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).write(true).create(true).truncate(false).mode(0o600).open(path)
}

/// The counter in `file`; a missing or short file (never bumped) counts 0.
pub(crate) fn read(file: &File) -> io::Result<u64> {
    let mut bytes = [0u8; 8];
    let mut filled = 0;
    while filled < bytes.len() {
        match file.read_at(&mut bytes[filled..], filled as u64) {
            Ok(0) => return Ok(0),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(u64::from_le_bytes(bytes))
}

/// Adds one to the counter in `file` and returns the new value. `before_write` sees the new
/// value while the lock is held, before any watcher can read it. Callers serialize the
/// threads of one process themselves: `flock` belongs to the open file, not to a thread.
pub(crate) fn bump(file: &File, before_write: impl FnOnce(u64)) -> io::Result<u64> {
    file.lock()?;
    let result = read(file).and_then(|old| {
        let new = old.wrapping_add(1);
        before_write(new);
        file.write_all_at(&new.to_le_bytes(), 0)?;
        Ok(new)
    });
    // Closing the file would release the lock too; unlocking now keeps the hold short.
    let unlocked = file.unlock();
    let new = result?;
    unlocked?;
    Ok(new)
}
