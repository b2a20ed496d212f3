//! Integration tests of strata-core: one binary, one module per concern.

mod context;
mod context_store;
mod coordinator;
mod history;
mod memory_store;
