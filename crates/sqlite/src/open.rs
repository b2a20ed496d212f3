//! Creating and opening stores: [`SqliteStore::create`], [`SqliteStore::open`],
//! [`SqliteStore::open_or_create`] and [`SqliteStore::open_existing`].
//!
//! The order of the checks is the safety argument: a file is only handed to SQLite once its
//! header says it is an SQLite database, and nothing that can write (WAL mode, pragmas that
//! touch the header, any statement) runs until its metadata says it is a Strata store of
//! this layout whose model hash equals the model's. A refused file is left byte for byte as
//! it was. Creation builds every table and the metadata in one transaction, in rollback
//! journal mode so that the finished schema lives in the main file before WAL is turned on.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use strata_core::{StoreError, StoreId, StoreMetadata};
use strata_model::{Model, Uuid};
use strata_predicate::sql::Dialect;

use crate::SqliteOptions;
use crate::connection::{Readers, Writer, configure, open_connection, retry_busy};
use crate::error::{DbResult, STORE_TYPE, io};
use crate::layout::Layout;
use crate::metadata::{
    self, HISTORY_KEY, LAYOUT_VERSION, LAYOUT_VERSION_KEY, METADATA_TABLE, MODEL_HASH_KEY, MODEL_KEY,
    PRIMARY_KEY_TABLE, STORE_TYPE_KEY, USER_KEY, UUID_KEY, write_value,
};
use crate::store::{Shared, SqliteStore};

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

impl SqliteStore {
    /// Creates a new store for `model` at `path` and opens it.
    ///
    /// The file must not exist, or be empty (as a temporary file is); it is created 0600
    /// (owner read/write), and SQLite's `-wal` and `-shm` files inherit that mode.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the file exists and is not empty (its `source` is an
    /// `std::io::Error` of kind `AlreadyExists`) or cannot be created;
    /// [`StoreError::Unsupported`] if the model has an entity named like one of the store's
    /// own tables (`Z_METADATA`, `Z_PRIMARYKEY`). Nothing is left behind on failure.
    pub fn create(
        path: impl AsRef<Path>,
        model: Arc<Model>,
        options: SqliteOptions,
    ) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref();
        let layout = Layout::new(&model)?;
        check_reserved_names(&layout)?;
        let created = claim_file(path)?;
        if let Err(e) = initialize(path, &model, &layout, &options) {
            if created {
                remove_store_files(path);
            }
            return Err(e);
        }
        open_with(path, Some((model, layout)), options)
    }

    /// Opens the existing store at `path` with `model`.
    ///
    /// # Errors
    /// [`StoreError::NotAStore`] if the file does not exist, is empty, is not an SQLite
    /// database, or is one without Strata's metadata (or of another store type or layout
    /// version); [`StoreError::ModelMismatch`] if the store was created with a model of
    /// another hash. In both cases the file is left unchanged.
    pub fn open(
        path: impl AsRef<Path>,
        model: Arc<Model>,
        options: SqliteOptions,
    ) -> Result<SqliteStore, StoreError> {
        let layout = Layout::new(&model)?;
        open_with(path.as_ref(), Some((model, layout)), options)
    }

    /// Opens the store at `path` if the file exists and is not empty, else creates it (see
    /// [`SqliteStore::open`] and [`SqliteStore::create`]).
    pub fn open_or_create(
        path: impl AsRef<Path>,
        model: Arc<Model>,
        options: SqliteOptions,
    ) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref();
        match std::fs::metadata(path) {
            Ok(meta) if meta.len() > 0 => SqliteStore::open(path, model, options),
            Ok(_) => SqliteStore::create(path, model, options),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => SqliteStore::create(path, model, options),
            Err(e) => Err(io(path, "read", e)),
        }
    }

    /// Opens the existing store at `path` with the model recorded in its metadata, for tools
    /// that have no model file. [`Store::model`](strata_core::Store::model) returns it.
    ///
    /// # Errors
    /// As [`SqliteStore::open`], except that there is no model to mismatch;
    /// [`StoreError::Corrupt`] if the recorded model does not load or does not have the
    /// recorded hash.
    pub fn open_existing(path: impl AsRef<Path>, options: SqliteOptions) -> Result<SqliteStore, StoreError> {
        open_with(path.as_ref(), None, options)
    }
}

/// Opens a store; `model` is `None` to read it from the metadata.
fn open_with(
    path: &Path,
    model: Option<(Arc<Model>, Layout)>,
    options: SqliteOptions,
) -> Result<SqliteStore, StoreError> {
    let location = path.display().to_string();
    check_header(path, &location)?;
    let conn = open_connection(path)?;
    // Only the busy timeout before the checks: it changes nothing on disk.
    conn.busy_timeout(options.busy_timeout.min(std::time::Duration::from_millis(250))).db()?;
    let stored = retry_busy(options.busy_timeout, || metadata::read(&conn, &location))?;
    let (model, layout) = match model {
        Some((model, layout)) => {
            if model.hash() != stored.model_hash {
                return Err(StoreError::ModelMismatch {
                    location,
                    expected: model.hash(),
                    found: stored.model_hash,
                });
            }
            (model, layout)
        }
        None => {
            let corrupt = |reason: String| StoreError::Corrupt { location: location.clone(), reason };
            let model = Model::from_json_value(&stored.model)
                .map_err(|e| corrupt(format!("the model recorded in the store does not load: {e}")))?;
            if model.hash() != stored.model_hash {
                return Err(corrupt(format!(
                    "the recorded model has hash {}, but the store records {}",
                    model.hash(),
                    stored.model_hash
                )));
            }
            let layout = Layout::new(&model)?;
            (Arc::new(model), layout)
        }
    };
    configure(&conn, options.busy_timeout, false)?;
    let metadata = StoreMetadata {
        uuid: stored.uuid,
        store_type: STORE_TYPE.to_owned(),
        model_hash: stored.model_hash,
        history: stored.history,
        user: stored.user,
    };
    let path: PathBuf = path.to_owned();
    Ok(SqliteStore {
        shared: Arc::new(Shared {
            model,
            layout,
            store_id: StoreId::from_uuid(stored.uuid),
            path: path.clone(),
            history: stored.history,
            history_values: options.history_values,
        }),
        metadata: RwLock::new(metadata),
        writer: Writer::new(conn, options.busy_timeout),
        notifier: crate::notify::Notifier::new(&path),
        readers: Readers::new(path, options.busy_timeout, options.readers),
    })
}

/// Refuses files that are not SQLite databases before SQLite sees them.
fn check_header(path: &Path, location: &str) -> Result<(), StoreError> {
    let not_a_store =
        |reason: &str| StoreError::NotAStore { location: location.to_owned(), reason: reason.to_owned() };
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(not_a_store("the file does not exist"));
        }
        Err(e) => return Err(io(path, "open", e)),
    };
    let mut header = [0u8; 16];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(path, "read", e)),
        }
    }
    match read {
        0 => Err(not_a_store("the file is empty")),
        _ if &header == SQLITE_HEADER => Ok(()),
        _ => Err(not_a_store("it is not an SQLite database")),
    }
}

/// Refuses models whose tables would collide with the store's own.
fn check_reserved_names(layout: &Layout) -> Result<(), StoreError> {
    let schema = &layout.schema;
    let names = schema
        .tables()
        .iter()
        .map(|t| t.name.as_str())
        .chain(schema.join_tables().iter().map(|j| j.name.as_str()))
        .chain(schema.indexes().iter().map(|i| i.name.as_str()));
    for name in names {
        if name.eq_ignore_ascii_case(METADATA_TABLE) || name.eq_ignore_ascii_case(PRIMARY_KEY_TABLE) {
            return Err(StoreError::Unsupported {
                store_type: STORE_TYPE.to_owned(),
                operation: "models with an entity named Z_METADATA or Z_PRIMARYKEY (the store's own tables)",
            });
        }
    }
    Ok(())
}

/// Creates `path` with mode 0600, or accepts an existing empty file (made 0600). Returns
/// whether this call created it.
fn claim_file(path: &Path) -> Result<bool, StoreError> {
    let mut open = OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    match open.open(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let meta = std::fs::metadata(path).map_err(|e| io(path, "read", e))?;
            // A stale -wal or -journal beside an empty file would be replayed into the new
            // store by SQLite: refuse rather than let it.
            let leftovers = ["-wal", "-journal"]
                .iter()
                .any(|suffix| std::fs::metadata(sibling(path, suffix)).is_ok_and(|m| m.len() > 0));
            if !meta.is_file() || meta.len() > 0 || leftovers {
                let error = std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "the file exists and is not empty (or has SQLite journal files beside it)",
                );
                return Err(io(path, "create a store at", error));
            }
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| io(path, "set permissions of", e))?;
            }
            Ok(false)
        }
        Err(e) => Err(io(path, "create", e)),
    }
}

/// `path` with `suffix` appended to its file name (`store.sqlite-wal`).
pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_store_files(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        // Best effort: a file that cannot be removed is reported by the next create.
        let _ = std::fs::remove_file(sibling(path, suffix));
    }
}

/// Creates every table, index and metadata entry in one transaction.
fn initialize(
    path: &Path,
    model: &Model,
    layout: &Layout,
    options: &SqliteOptions,
) -> Result<(), StoreError> {
    let conn = open_connection(path)?;
    conn.pragma_update(None, "synchronous", "NORMAL").db()?;
    conn.pragma_update(None, "foreign_keys", "OFF").db()?;
    conn.busy_timeout(options.busy_timeout.min(std::time::Duration::from_millis(250))).db()?;
    let writer = Writer::new(conn, options.busy_timeout);
    writer.write(|conn| {
        let existing: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).db()?;
        if existing > 0 {
            let error =
                std::io::Error::new(std::io::ErrorKind::AlreadyExists, "another store was created there");
            return Err(io(path, "create a store at", error));
        }
        let statements = metadata::create_statements();
        for statement in statements.iter().chain(&layout.schema.create_statements(Dialect::Sqlite)) {
            conn.execute(statement, []).db()?;
        }
        let uuid = Uuid::new_v4();
        let entries = [
            (UUID_KEY, uuid.to_string()),
            (STORE_TYPE_KEY, STORE_TYPE.to_owned()),
            (MODEL_HASH_KEY, model.hash().to_string()),
            (MODEL_KEY, model.to_json().to_string()),
            (HISTORY_KEY, options.history.to_string()),
            (USER_KEY, "{}".to_owned()),
            (LAYOUT_VERSION_KEY, LAYOUT_VERSION.to_string()),
        ];
        for (key, value) in &entries {
            write_value(conn, key, value).db()?;
        }
        let mut counters = conn
            .prepare(&format!(
                "INSERT INTO \"{PRIMARY_KEY_TABLE}\" (\"Z_ENT\", \"Z_NAME\", \"Z_MAX\") VALUES (?1, ?2, 0)"
            ))
            .db()?;
        for table in &layout.tables {
            counters.execute(rusqlite::params![i64::from(table.root.0), table.raw_name]).db()?;
        }
        Ok(())
    })
}
