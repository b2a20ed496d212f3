//! The context and coordinator suite: identity map, values, relationships and inverses,
//! delete rules, validation, saves, faults, fetches with pending changes, lifecycle, URIs,
//! notifications, conflicts and threads.
//!
//! Every test runs against stores made by `crate::context_store::new_store`, so any store
//! can run the whole suite: include this directory with
//! `#[path = "…/crates/core/tests/it/context/mod.rs"] mod context;` next to a
//! `mod context_store` whose `new_store(Arc<Model>) -> Arc<dyn Store>` makes an empty store.

mod coordinators;
mod delete_rules;
mod differential;
mod faults;
mod fetch;
mod fetch_async;
mod fetch_batched;
mod fetch_prefetch;
mod fetch_rows;
mod fetched_results;
mod fetched_results_random;
mod generations;
mod identity;
mod lifecycle;
mod merge_changes;
mod merge_policies;
mod merge_upsert;
mod parent;
mod relationships;
mod save;
mod stores;
mod support;
mod threads;
mod undo;
mod undo_random;
mod validation;
