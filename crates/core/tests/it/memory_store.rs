//! The memory store against the store conformance suite.

use std::sync::Arc;

use strata_core::memory_store::MemoryStore;
use strata_core::{Store, conformance};

#[test]
fn memory_store_conforms() {
    conformance::run_all(&|model| Arc::new(MemoryStore::new(model)) as Arc<dyn Store>);
}
