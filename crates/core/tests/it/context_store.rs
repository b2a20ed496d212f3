//! The store the context suite (`context/`) runs on in this crate: a new `MemoryStore` per
//! call. A store crate runs the same suite on its own store by including `context/` with
//! `#[path]` beside its own `context_store` module offering `new_store`.

use std::sync::Arc;

use strata_core::Store;
use strata_core::memory_store::MemoryStore;
use strata_model::Model;

/// A new, empty store for `model`.
pub fn new_store(model: Arc<Model>) -> Arc<dyn Store> {
    Arc::new(MemoryStore::new(model))
}
