//! File-system primitives of the app group: directories and files created with the
//! group's modes (whatever the umask), atomic replacement of a file (temporary file, fsync,
//! rename, fsync of the directory), and lock files.
//!
//! Nothing here parses content or holds a lock beyond the call that takes it; modes are
//! applied on Unix and ignored elsewhere.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Result, io};

/// Creates `dir` (and missing parents) if absent, the last component with `mode`.
pub(crate) fn create_dir(dir: &Path, mode: u32) -> Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| io(parent, "create", e))?;
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, mode);
    match builder.create(dir) {
        Ok(()) => set_mode(dir, mode),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io(dir, "create", e)),
    }
}

/// Gives `path` exactly `mode` (the umask may have removed bits at creation).
pub(crate) fn set_mode(path: &Path, mode: u32) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| io(path, "set the permissions of", e))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Opens (creating with `mode` if absent) the lock file at `path`.
pub(crate) fn open_lock_file(path: &Path, mode: u32) -> Result<File> {
    match OpenOptions::new().read(true).write(true).open(path) {
        Ok(file) => return Ok(file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(path, "open", e)),
    }
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    let file = options.open(path).map_err(|e| io(path, "create", e))?;
    set_mode(path, mode)?;
    Ok(file)
}

/// Replaces the file at `path` with `bytes`, atomically: readers see the old content or
/// the new, never part of it, and after a crash the file holds one of the two. The new
/// file has `mode`.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary: PathBuf =
        dir.join(format!(".{name}.tmp-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    let result = write_new(&temporary, bytes, mode).and_then(|()| {
        std::fs::rename(&temporary, path).map_err(|e| io(path, "replace", e))?;
        sync_dir(dir)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    let mut file = options.open(path).map_err(|e| io(path, "create", e))?;
    set_mode(path, mode)?;
    file.write_all(bytes).map_err(|e| io(path, "write", e))?;
    file.sync_all().map_err(|e| io(path, "sync", e))
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io(dir, "sync", e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
