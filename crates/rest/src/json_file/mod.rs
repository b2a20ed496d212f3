//! [`JsonFileStore`]: a store whose data is one JSON file, readable and editable by hand.
//!
//! The store keeps the file's data in a [`MemoryStore`], which answers fetches (predicates,
//! sorts and rows with the shared in-memory semantics) and checks saves (versions, missing
//! and foreign objects, uniqueness). A save is applied to a copy of that data, written to
//! the file atomically, and only then swapped in: after any error, the file and the data in
//! memory are exactly as before. The module must never write the file in place, nor save
//! without holding the sidecar lock (`<file>.lock`), which keeps saves of several processes
//! (or several stores on one file) from interleaving.
//!
//! # The file
//!
//! ```json
//! {
//!   "format": "strata-json-store",
//!   "formatVersion": 1,
//!   "store": "0192f3a4-5b6c-7d8e-9f00-112233445566",
//!   "model": "<the model's hash: 64 hexadecimal digits>",
//!   "metadata": {},
//!   "nextKeys": { "Folder": 2, "Note": 3, "Tag": 2 },
//!   "objects": {
//!     "Note": [
//!       { "@id": 1, "@version": 2, "title": "Groceries", "rank": 5, "folder": 1, "tags": [1] },
//!       { "@id": 2, "@version": 1, "title": "Ideas", "rank": null, "folder": null, "tags": [] }
//!     ],
//!     "Folder": [ { "@id": 1, "@version": 1, "name": "Home" } ],
//!     "Tag": [ { "@id": 1, "@version": 1, "name": "shopping", "notes": [1] } ]
//!   }
//! }
//! ```
//!
//! - `"objects"` holds one array per entity that is not abstract (a sub-entity's objects are
//!   listed under its own name, with its inherited properties). `"@id"` is the object's
//!   primary key, unique within its inheritance hierarchy; `"@version"` counts the saves
//!   that changed it (optimistic locking; may be left out of a hand-added object: 1).
//! - Attributes are in the JSON form of [`Value::to_json`](strata_model::Value::to_json):
//!   numbers, booleans, strings, dates as RFC 3339 text, binary as base64, decimals as
//!   text, `null` for nil. A missing attribute is nil.
//! - A to-one relationship holds its destination's `"@id"` (or `null`); a many-to-many or
//!   inverse-less to-many relationship holds an array of them. A many-to-many link may be
//!   listed on either side (it is written on both; remove it from both to unlink). A
//!   to-many relationship whose inverse is to-one is not written: set the to-one side.
//! - `"nextKeys"` holds the next key each inheritance hierarchy hands out, so keys of
//!   deleted objects are never reused; a hand-added object's key raises it as needed.
//! - `"store"` is the store's UUID (part of every object ID) and `"model"` the hash of the
//!   model it was created with: opening it with another model fails with
//!   [`StoreError::ModelMismatch`]. A file without the `"format"` key is not a store
//!   ([`StoreError::NotAStore`]).
//!
//! Unknown keys, values of the wrong type, duplicate keys and references to missing objects
//! are errors ([`RestError::MalformedFile`], with the line and column when the JSON parser
//! knows them), never silently dropped.
//!
//! # Hand edits and other processes
//!
//! Before each operation the store compares the file's size, modification time and inode
//! with the version it loaded (and, for a few milliseconds after a change, while an
//! in-place edit could keep the modification time, the bytes' hash; before each save, the
//! hash always), and reloads the file when it changed. The sidecar lock file stays next to
//! the store file; deleting it while no save runs is harmless. Editors do not take that
//! lock: an edit written while a save is under way is replaced by the save, so edit the
//! file while no program saves to it. While the file does not parse, every operation fails with
//! [`RestError::MalformedFile`] (inside [`StoreError::Backend`]; see
//! [`RestError::into_store_error`]); once it is fixed, the store carries on. Versions make
//! a save based on data another process has changed since fail with
//! [`StoreError::Conflict`], as in every store.
//!
//! # Not supported
//!
//! Persistent history ([`Store::history`] and friends) and remote-change notifications
//! answer [`StoreError::Unsupported`]. Query generations are supported: a generation keeps
//! the data loaded when it was opened. Batch requests run as saves
//! ([`execute_batch_with_saves`](strata_core::store::execute_batch_with_saves)).

mod file;
mod parse;
mod render;
mod store;

pub use store::JsonFileStore;

/// The value of the file's `"format"` key.
const FORMAT: &str = "strata-json-store";

/// The version of the format this module reads and writes (`"formatVersion"`).
const FORMAT_VERSION: u32 = 1;

#[cfg(doc)]
use {crate::RestError, strata_core::Store, strata_core::StoreError, strata_core::memory_store::MemoryStore};
