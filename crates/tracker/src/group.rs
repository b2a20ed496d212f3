//! [`AppGroup`]: the directory the members of an application group (an app, its extension,
//! its daemon) share — their store files and the [`SharedDefaults`] key-value store.
//!
//! The directory is created private to the user (0700), or to the user and the group
//! (0770) with [`GroupOptions::group_sharing`]; files this crate creates in it are 0600 or
//! 0660 likewise. This module never deletes anything and never hands out a path outside the
//! directory.

use std::path::{Path, PathBuf};

use crate::defaults::SharedDefaults;
use crate::error::{Result, TrackerError};
use crate::files;

/// The name of the shared-defaults file in the group directory.
pub const DEFAULTS_FILE: &str = "defaults.json";

/// How an app group shares its directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct GroupOptions {
    /// Whether members running as other users of the same Unix group may read and write the
    /// directory and its files (0770 and 0660 instead of 0700 and 0600).
    pub group_sharing: bool,
}

impl GroupOptions {
    /// Options with group sharing on or off.
    pub fn with_group_sharing(mut self, group_sharing: bool) -> GroupOptions {
        self.group_sharing = group_sharing;
        self
    }
}

/// An app group's shared directory (see the [module docs](self)). Cheap to clone; every
/// member process opens its own.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// use strata_tracker::{AppGroup, GroupOptions};
/// let group = AppGroup::open(dir.path().join("group"), GroupOptions::default())?;
/// let store = group.store_path("Clips.sqlite")?;
/// group.defaults().set("onboarded", true)?;
/// assert_eq!(group.defaults().get_as::<bool>("onboarded")?, Some(true));
/// # let _ = store;
/// # Ok::<(), strata_tracker::TrackerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct AppGroup {
    dir: PathBuf,
    options: GroupOptions,
}

impl AppGroup {
    /// Opens the group directory `dir`, creating it (and missing parents) if absent with
    /// mode 0700, or 0770 with group sharing. An existing directory keeps its mode.
    ///
    /// # Errors
    /// [`TrackerError::NotADirectory`] if `dir` is a file; [`TrackerError::Io`] if it cannot
    /// be created or read.
    pub fn open(dir: impl AsRef<Path>, options: GroupOptions) -> Result<AppGroup> {
        let dir = dir.as_ref().to_path_buf();
        files::create_dir(&dir, if options.group_sharing { 0o770 } else { 0o700 })?;
        let meta = std::fs::metadata(&dir).map_err(|e| crate::error::io(&dir, "read", e))?;
        if !meta.is_dir() {
            return Err(TrackerError::NotADirectory { path: dir });
        }
        Ok(AppGroup { dir, options })
    }

    /// The group directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The options the group was opened with.
    pub fn options(&self) -> GroupOptions {
        self.options
    }

    /// The mode of files this crate creates in the group: 0600, or 0660 with group sharing.
    pub fn file_mode(&self) -> u32 {
        if self.options.group_sharing { 0o660 } else { 0o600 }
    }

    /// The path of the store file `name` in the group directory. The name must be a plain
    /// file name: not empty, at most 200 bytes, no path separator or NUL or control
    /// character, not starting with `.` (the group's own hidden files) and not the
    /// shared-defaults file's name.
    ///
    /// # Errors
    /// [`TrackerError::InvalidName`] saying what is wrong with the name.
    pub fn store_path(&self, name: &str) -> Result<PathBuf> {
        let bad = |problem| Err(TrackerError::InvalidName { name: name.to_owned(), problem });
        if name.is_empty() {
            return bad("it is empty");
        }
        if name.len() > 200 {
            return bad("it is longer than 200 bytes");
        }
        if name.contains(['/', '\\']) {
            return bad("it contains a path separator");
        }
        if name.chars().any(char::is_control) {
            return bad("it contains a control character");
        }
        if name.starts_with('.') {
            return bad("it starts with '.' (hidden files are the group's own)");
        }
        if name == DEFAULTS_FILE {
            return bad("it is the shared-defaults file's name");
        }
        Ok(self.dir.join(name))
    }

    /// Gives the file at `path` and its SQLite companions (`-wal`, `-shm`, `-journal`,
    /// where present) the group's [file mode](AppGroup::file_mode): stores create their
    /// files private (0600), which members running as other users of the group cannot open.
    /// Call it after creating a store with group sharing on.
    ///
    /// # Errors
    /// [`TrackerError::Io`] if `path` does not exist or its mode cannot be set.
    pub fn share_file(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        files::set_mode(path, self.file_mode())?;
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut companion = path.as_os_str().to_owned();
            companion.push(suffix);
            let companion = PathBuf::from(companion);
            if companion.exists() {
                files::set_mode(&companion, self.file_mode())?;
            }
        }
        Ok(())
    }

    /// The group's shared key-value store (`defaults.json` in the directory).
    pub fn defaults(&self) -> SharedDefaults {
        SharedDefaults::new(self.dir.join(DEFAULTS_FILE), self.file_mode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_names_must_be_plain_file_names() {
        let dir = tempfile::tempdir().expect("temp dir");
        let group = AppGroup::open(dir.path().join("a/b"), GroupOptions::default()).expect("nested dirs");
        assert_eq!(group.store_path("Clips.sqlite").unwrap(), dir.path().join("a/b/Clips.sqlite"));
        let long = "x".repeat(201);
        for (name, problem) in [
            ("", "empty"),
            ("../x", "separator"),
            ("a\\b", "separator"),
            ("a\nb", "control"),
            (".hidden", "'.'"),
            ("..", "'.'"),
            (DEFAULTS_FILE, "shared-defaults"),
            (long.as_str(), "200 bytes"),
        ] {
            let error = group.store_path(name).unwrap_err();
            assert!(matches!(error, TrackerError::InvalidName { .. }), "{name:?}");
            assert!(error.to_string().contains(problem), "{name:?}: {error}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn shared_files_get_the_group_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let group =
            AppGroup::open(dir.path().join("g"), GroupOptions::default().with_group_sharing(true)).unwrap();
        let path = group.store_path("S.sqlite").unwrap();
        for file in [path.clone(), dir.path().join("g/S.sqlite-wal")] {
            std::fs::write(&file, b"").unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        group.share_file(&path).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o660);
        assert_eq!(mode(&dir.path().join("g/S.sqlite-wal")), 0o660);
        assert!(matches!(group.share_file(dir.path().join("g/missing")), Err(TrackerError::Io { .. })));
    }

    #[test]
    fn a_file_in_the_way_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("file");
        std::fs::write(&path, b"x").unwrap();
        assert!(matches!(
            AppGroup::open(&path, GroupOptions::default()),
            Err(TrackerError::NotADirectory { .. })
        ));
        // Opening an existing directory again works.
        AppGroup::open(dir.path().join("g"), GroupOptions::default()).unwrap();
        AppGroup::open(dir.path().join("g"), GroupOptions::default()).unwrap();
    }
}
