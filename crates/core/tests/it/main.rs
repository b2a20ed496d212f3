//! Integration tests of strata-core: one binary, one module per concern.

mod memory_store;
