//! The store conformance suite: the contract of [`Store`](crate::Store) as executable checks,
//! written once and run against every store (feature `conformance`).
//!
//! A store crate runs it from its tests:
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use strata_core::{Store, memory_store::MemoryStore, conformance};
//! conformance::run_all(&|model| Arc::new(MemoryStore::new(model)) as Arc<dyn Store>);
//! ```
//!
//! The factory must return a new, empty store for the model each time it is called. Checks
//! panic with a message naming the rule that failed (this is test support). They use only the
//! public store contract and compare answers with what the contract promises, never with
//! another store's internals.

mod batch;
mod fetch;
mod fixture;
mod generation;
mod history;
mod rows;
mod save;

use std::sync::Arc;

use strata_model::Model;

pub use fixture::{Fixture, conformance_model};

use crate::Store;

/// Makes a new, empty store for a model.
pub type StoreFactory<'a> = &'a dyn Fn(Arc<Model>) -> Arc<dyn Store>;

/// One conformance check: runs against stores made by the factory, panics on failure.
pub type Check = fn(StoreFactory<'_>);

/// Every check with its name, in order.
pub const CHECKS: &[(&str, Check)] = &[
    ("metadata", save::metadata),
    ("insert and read back every attribute type", save::insert_and_read_back),
    ("updates bump versions", save::updates_bump_versions),
    ("conflicts are all reported and nothing is saved", save::conflicts_are_atomic),
    ("deletes remove rows and links", save::deletes),
    ("to-one relationships and their inverses", save::to_one_relationships),
    ("many-to-many links", save::many_to_many),
    ("missing and foreign objects are refused", save::missing_and_foreign_objects),
    ("uniqueness constraints", save::uniqueness),
    ("concurrent saves", save::concurrent_saves),
    ("fetch with predicates", fetch::predicates),
    ("fetch sorted, paged and counted", fetch::sorting_and_paging),
    ("fetch with sub-entities", fetch::subentities),
    ("rows: grouping and aggregates", rows::grouping_and_aggregates),
    ("rows: distinct and objects", rows::distinct_and_objects),
    ("rows: decimals and overflow", rows::decimals_and_overflow),
    ("query generations are frozen", generation::generations_are_frozen),
    ("batch inserts", batch::inserts),
    ("batch updates", batch::updates),
    ("batch deletes honour delete rules", batch::deletes_honour_rules),
    ("batch uniqueness", batch::uniqueness),
];

/// The persistent-history checks, for a factory of stores that record history (with any
/// other store they skip): see [`run_history`].
pub const HISTORY_CHECKS: &[(&str, Check)] = &[
    ("history: saves are recorded", history::saves_are_recorded),
    ("history: filters", history::filters),
    ("history: paging", history::paging),
    ("history: deletion and expiry", history::deletion_and_expiry),
    ("history: failed saves record nothing", history::failed_saves_record_nothing),
    ("history: batches are recorded", batch::history_of_batches),
];

/// Runs the [`HISTORY_CHECKS`] against stores made by `factory`, which must record history.
pub fn run_history(factory: StoreFactory<'_>) {
    run_checks(HISTORY_CHECKS, factory);
}

/// Runs every check against stores made by `factory`.
pub fn run_all(factory: StoreFactory<'_>) {
    run_checks(CHECKS, factory);
}

fn run_checks(checks: &[(&str, Check)], factory: StoreFactory<'_>) {
    for (name, check) in checks {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(factory)));
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            panic!("store conformance check {name:?} failed: {message}");
        }
    }
}
