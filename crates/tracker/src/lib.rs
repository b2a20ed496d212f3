//! What an application wires up so that every member of an app group — an app, its
//! extension, its daemon — shares one store and stays current with what the others wrote:
//! the [app group](group) directory with its shared key-value store, the history
//! [tracker] that merges other members' transactions into this member's contexts,
//! and the [cleaner] that deletes history once every member has seen it.
//!
//! A tour:
//!
//! - [`AppGroup`]: the shared directory; [`AppGroup::store_path`] for store files,
//!   [`AppGroup::defaults`] for the [`SharedDefaults`] (a process-safe JSON key-value store).
//! - [`HistoryTracker`]: built with [`HistoryTracker::builder`], started with
//!   [`TrackerBuilder::start`]; merges into [`MergeTarget`]s (a context inbox's
//!   `MergeSender`, or a closure), reports [`TrackerEvent`]s, runs [`MergeHook`]s and
//!   observers; [`HistoryTracker::process_now`] for synchronous use.
//! - [`CleanStrategy`] and [`HistoryTracker::clean_now`]: history deletion that never makes
//!   a registered actor meet an expired history.
//! - [`TrackerError`]: every fallible call's error.

pub mod bookmark;
pub mod cleaner;
pub mod defaults;
mod error;
mod files;
pub mod group;
pub mod tracker;

pub use bookmark::ActorRecord;
pub use cleaner::{CleanReport, CleanStrategy, DEFAULT_SILENT_ACTOR_CAP};
pub use defaults::SharedDefaults;
pub use error::{Result, TargetError, TrackerError};
pub use group::{AppGroup, GroupOptions};
pub use tracker::{
    HistoryTracker, HookAction, MergeBatch, MergeHook, MergeTarget, MergedTransaction, ObservedChange,
    ProcessReport, StartPosition, TargetMessage, TrackerBuilder, TrackerEvent,
};
