//! [`HistoryTracker`]: keeps this member's contexts current with what the other members of
//! the app group wrote to a shared store, through the store's persistent history.
//!
//! Configured with a [`TrackerBuilder`]: the group (whose shared defaults hold every actor's
//! bookmark), the coordinator and the store to follow, this member's actor name (the
//! transaction author its contexts save under), every member's, the names of this member's
//! batch contexts (whose own transactions it must merge too), the merge targets, hooks,
//! observers, the clean strategy and the silent-actor cap.
//!
//! Once started, a worker thread runs a catch-up pass, then a pass after each change
//! notification of the store (coalesced), each save of this process's coordinator by a
//! batch context (the store does not notify a process of its own saves), each
//! [`HistoryTracker::wake`], and each poll interval (a safety net). A pass reads the
//! transactions after the bookmark (paged), keeps every transaction of the other actors and
//! of this actor only those saved by a batch context, runs the hook chain, calls the
//! observers, merges into every target, and **only then** advances the bookmark — a history
//! token, exact, stored in the shared defaults with the time the actor was last seen. If the
//! history after the bookmark was deleted, every target refreshes all its objects, the
//! bookmark moves to the store's current token, and a [`TrackerEvent::Expired`] says so.
//!
//! Delivery is at least once: a crash between a target's merge and the bookmark's write
//! offers the same transactions again at the next start (merging a transaction twice into
//! a context is harmless; a target that keeps its own log can drop repeats with a hook).
//!
//! Nothing here touches a context: targets receive `Send` values and apply them on their
//! owner's thread ([`MergeSender`](strata_core::context::MergeSender)), or are closures the
//! application wrote.

mod process;
mod types;
mod worker;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use strata_core::store::{ChangeKind, HistoryToken, RemoteChangeHandler, RemoteChangeSubscription};
use strata_core::{Coordinator, StoreId};
use strata_model::{Date, Uuid};

pub use process::ProcessReport;
pub use types::{
    HookAction, MergeBatch, MergeHook, MergeTarget, MergedTransaction, ObservedChange, StartPosition,
    TargetMessage, TrackerEvent,
};

use crate::bookmark::{self, ActorRecord};
use crate::cleaner::{CleanReport, CleanStrategy, DEFAULT_SILENT_ACTOR_CAP};
use crate::error::{Result, TargetError, TrackerError};
use crate::group::AppGroup;
use process::{Events, Observer, Processor, Settings};
use types::FnTarget;
use worker::Wake;

/// The default number of transactions read per history request.
pub const DEFAULT_PAGE_SIZE: usize = 256;
/// The default poll interval of the worker.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How long stopping waits for the worker by default.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);

type ObserverCallback = Box<dyn FnMut(&ObservedChange<'_>) + Send>;

/// Configures and starts a [`HistoryTracker`] (see the [module docs](self)).
///
/// ```no_run
/// # use std::sync::Arc;
/// # use strata_core::{Context, Coordinator, context::ContextInbox};
/// # use strata_tracker::{AppGroup, GroupOptions, HistoryTracker, CleanStrategy};
/// # fn demo(coordinator: Arc<Coordinator>, store: strata_core::StoreId) -> Result<(), Box<dyn std::error::Error>> {
/// let group = AppGroup::open("/tmp/group", GroupOptions::default())?;
/// let (sender, inbox) = ContextInbox::new();
/// let tracker = HistoryTracker::builder(&group, coordinator.clone(), store, "app")
///     .actors(["app", "extension"])
///     .batch_contexts(["batchContext"])
///     .merge_into(sender)
///     .clean_strategy(CleanStrategy::EveryNotifications(10))
///     .on_event(|event| println!("{event:?}"))
///     .start()?;
/// let mut context = Context::new(coordinator);
/// inbox.apply(&mut context)?; // on the context's thread, when convenient
/// tracker.stop()?;
/// # Ok(()) }
/// ```
#[must_use = "a builder does nothing until `start`"]
pub struct TrackerBuilder {
    group: AppGroup,
    coordinator: Arc<Coordinator>,
    store: StoreId,
    actor: String,
    actors: Vec<String>,
    batch_contexts: Vec<String>,
    targets: Vec<Box<dyn MergeTarget>>,
    hooks: Vec<Box<dyn MergeHook>>,
    observers: Vec<(Option<String>, Vec<ChangeKind>, ObserverCallback)>,
    events: Events,
    clean: CleanStrategy,
    silent_actor_cap: Duration,
    start: StartPosition,
    page_size: usize,
    poll_interval: Option<Duration>,
    worker: bool,
    stop_timeout: Duration,
}

impl TrackerBuilder {
    /// Every member's actor name (this actor is added if missing). The cleaner deletes
    /// only transactions authored by these, and registers each in the shared defaults so
    /// that it holds the history back until it has merged (or falls silent).
    pub fn actors<I: IntoIterator<Item = S>, S: Into<String>>(mut self, actors: I) -> Self {
        self.actors.extend(actors.into_iter().map(Into::into));
        self
    }

    /// Names of this member's batch contexts: transactions this actor saved from a context
    /// of one of these names are merged too (they bypassed this member's other contexts).
    pub fn batch_contexts<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.batch_contexts.extend(names.into_iter().map(Into::into));
        self
    }

    /// Adds a merge target: a context inbox's [`MergeSender`](strata_core::context::MergeSender),
    /// or any [`MergeTarget`].
    pub fn merge_into(mut self, target: impl MergeTarget + 'static) -> Self {
        self.targets.push(Box::new(target));
        self
    }

    /// Adds a closure target, called with each [`TargetMessage`].
    pub fn merge_with<F>(self, target: F) -> Self
    where
        F: FnMut(TargetMessage<'_>) -> std::result::Result<(), TargetError> + Send + 'static,
    {
        self.merge_into(FnTarget(target))
    }

    /// Adds a hook at the end of the chain.
    pub fn hook(mut self, hook: impl MergeHook + 'static) -> Self {
        self.hooks.push(Box::new(hook));
        self
    }

    /// Adds an observer of the changes to objects of `entity` (and its sub-entities; `None`:
    /// every entity) of the given kinds (empty: every kind), called before the merge.
    pub fn observe(
        mut self,
        entity: Option<&str>,
        kinds: &[ChangeKind],
        observer: impl FnMut(&ObservedChange<'_>) + Send + 'static,
    ) -> Self {
        self.observers.push((entity.map(str::to_owned), kinds.to_vec(), Box::new(observer)));
        self
    }

    /// Calls `callback` with every [`TrackerEvent`], on the thread running the pass. Like
    /// targets, hooks and observers, it must not call back into the tracker (the pass holds
    /// the tracker's lock): forward what it needs to another thread.
    pub fn on_event(mut self, callback: impl Fn(&TrackerEvent) + Send + 'static) -> Self {
        self.events.callbacks.push(Box::new(callback));
        self
    }

    /// Sends every [`TrackerEvent`] to `sender` (until its receiver drops).
    pub fn send_events_to(mut self, sender: Sender<TrackerEvent>) -> Self {
        self.events.senders.push(sender);
        self
    }

    /// When the tracker cleans history by itself (default [`CleanStrategy::None`]).
    pub fn clean_strategy(mut self, strategy: CleanStrategy) -> Self {
        self.clean = strategy;
        self
    }

    /// How long an actor may stay silent before it no longer holds history back (default
    /// [`DEFAULT_SILENT_ACTOR_CAP`], 7 days).
    pub fn silent_actor_cap(mut self, cap: Duration) -> Self {
        self.silent_actor_cap = cap;
        self
    }

    /// Where this actor starts if it has never run (default [`StartPosition::Beginning`]).
    pub fn start_position(mut self, start: StartPosition) -> Self {
        self.start = start;
        self
    }

    /// Transactions read per history request (default [`DEFAULT_PAGE_SIZE`]; at least 1).
    pub fn page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size;
        self
    }

    /// How often the worker runs a pass without a notification (default
    /// [`DEFAULT_POLL_INTERVAL`]; `None`: only on notifications and nudges).
    pub fn poll_interval(mut self, interval: Option<Duration>) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Whether to run the worker thread (default true). Without it nothing happens until
    /// [`HistoryTracker::process_now`]: for tests and applications with their own loop.
    pub fn run_worker(mut self, worker: bool) -> Self {
        self.worker = worker;
        self
    }

    /// How long [`HistoryTracker::stop`] (and drop) waits for the worker (default
    /// [`DEFAULT_STOP_TIMEOUT`]).
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Registers the actors, and starts the worker (which first catches up from the
    /// bookmark) unless [`TrackerBuilder::run_worker`] turned it off.
    ///
    /// # Errors
    /// [`TrackerError::InvalidConfig`] for an empty actor name, a page size of 0 or
    /// `EveryNotifications(0)`; [`TrackerError::UnknownStore`]; [`TrackerError::HistoryOff`]
    /// if the store keeps no history; [`TrackerError::UnknownEntity`] for an observer's
    /// entity; shared-defaults and store errors.
    pub fn start(self) -> Result<HistoryTracker> {
        let invalid = |problem| Err(TrackerError::InvalidConfig { problem });
        if self.actor.is_empty() || self.actors.iter().any(String::is_empty) {
            return invalid("an actor name is empty");
        }
        if self.page_size == 0 {
            return invalid("the page size is 0");
        }
        if self.clean == CleanStrategy::EveryNotifications(0) {
            return invalid("EveryNotifications(0) would clean after no notification");
        }
        let store = self
            .coordinator
            .store(self.store)
            .ok_or(TrackerError::UnknownStore { store: self.store.uuid() })?;
        let metadata = store.metadata();
        if !metadata.history {
            return Err(TrackerError::HistoryOff { store: metadata.uuid });
        }
        let model = self.coordinator.model().clone();
        let mut observers = Vec::with_capacity(self.observers.len());
        for (entity, kinds, callback) in self.observers {
            let entity = match entity {
                Some(name) => Some(model.entity(&name).ok_or(TrackerError::UnknownEntity { name })?.index()),
                None => None,
            };
            observers.push(Observer { entity, kinds, callback });
        }
        let mut members = self.actors;
        if !members.contains(&self.actor) {
            members.push(self.actor.clone());
        }
        members.sort();
        members.dedup();
        let defaults = self.group.defaults();
        let start_now = match self.start {
            StartPosition::Now => Some(store.current_history_token()?),
            StartPosition::Beginning => None,
        };
        let own =
            bookmark::register(&defaults, metadata.uuid, &members, &self.actor, start_now, Date::now())?;
        tracing::info!(actor = %self.actor, store = %metadata.uuid, bookmark = ?own.bookmark.map(|t| t.to_string()), "history tracker starting");
        let batch_contexts = self.batch_contexts;
        let processor = Processor {
            settings: Settings {
                actor: self.actor.clone(),
                members,
                batch_contexts: batch_contexts.clone(),
                page_size: self.page_size,
                silent_actor_cap: self.silent_actor_cap,
                clean: self.clean,
            },
            store: store.clone(),
            store_uuid: metadata.uuid,
            model,
            defaults,
            hooks: self.hooks,
            observers,
            targets: self.targets,
            events: self.events,
            bookmark: own.bookmark,
            last_touch: Instant::now(),
            notifications: 0,
            last_clean: None,
        };
        let processor = Arc::new(Mutex::new(processor));
        let mut tracker = HistoryTracker {
            processor: processor.clone(),
            wake: None,
            worker: None,
            forwarder: None,
            stop_forwarding: Arc::new(AtomicBool::new(false)),
            subscription: None,
            stop_timeout: self.stop_timeout,
            actor: self.actor,
            store: metadata.uuid,
        };
        if self.worker {
            let (sender, receiver) = channel();
            let notify = sender.clone();
            let handler: RemoteChangeHandler = Arc::new(move |_change| {
                // A closed channel means the tracker is stopping.
                let _ = notify.send(Wake::Notified);
            });
            tracker.subscription = match store.subscribe_remote_changes(handler) {
                Ok(subscription) => Some(subscription),
                Err(strata_core::StoreError::Unsupported { .. }) => {
                    tracing::info!(store = %metadata.uuid, "store sends no change notifications; polling only");
                    None
                }
                Err(e) => return Err(e.into()),
            };
            let poll = self.poll_interval;
            let worker = std::thread::Builder::new()
                .name(format!("strata-tracker-{}", tracker.actor))
                .spawn(move || worker::run(processor, receiver, poll))
                .map_err(|e| crate::error::io("strata-tracker thread", "spawn", e))?;
            if !batch_contexts.is_empty() {
                let (saves, wake, stop) =
                    (self.coordinator.subscribe(), sender.clone(), tracker.stop_forwarding.clone());
                let store = self.store;
                let forwarder = std::thread::Builder::new()
                    .name(format!("strata-tracker-{}-saves", tracker.actor))
                    .spawn(move || worker::forward_batch_saves(saves, store, batch_contexts, wake, stop))
                    .map_err(|e| crate::error::io("strata-tracker thread", "spawn", e))?;
                tracker.forwarder = Some(forwarder);
            }
            tracker.wake = Some(sender);
            tracker.worker = Some(worker);
        }
        Ok(tracker)
    }
}

/// A running history tracker (see the [module docs](self)). Stop it with
/// [`HistoryTracker::stop`] to learn whether the worker stopped cleanly; dropping it stops
/// it too.
pub struct HistoryTracker {
    processor: Arc<Mutex<Processor>>,
    wake: Option<Sender<Wake>>,
    worker: Option<JoinHandle<()>>,
    /// Wakes the worker after this process's batch-context saves.
    forwarder: Option<JoinHandle<()>>,
    stop_forwarding: Arc<AtomicBool>,
    subscription: Option<RemoteChangeSubscription>,
    stop_timeout: Duration,
    actor: String,
    store: Uuid,
}

impl HistoryTracker {
    /// A builder for a tracker of `store` (held by `coordinator`) for the member `actor` of
    /// `group`.
    pub fn builder(
        group: &AppGroup,
        coordinator: Arc<Coordinator>,
        store: StoreId,
        actor: impl Into<String>,
    ) -> TrackerBuilder {
        TrackerBuilder {
            group: group.clone(),
            coordinator,
            store,
            actor: actor.into(),
            actors: Vec::new(),
            batch_contexts: Vec::new(),
            targets: Vec::new(),
            hooks: Vec::new(),
            observers: Vec::new(),
            events: Events::default(),
            clean: CleanStrategy::None,
            silent_actor_cap: DEFAULT_SILENT_ACTOR_CAP,
            start: StartPosition::Beginning,
            page_size: DEFAULT_PAGE_SIZE,
            poll_interval: Some(DEFAULT_POLL_INTERVAL),
            worker: true,
            stop_timeout: DEFAULT_STOP_TIMEOUT,
        }
    }

    /// This tracker's actor.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The UUID of the store it follows.
    pub fn store(&self) -> Uuid {
        self.store
    }

    /// Runs one pass now, on this thread (waiting for a pass of the worker to finish
    /// first): everything after the bookmark is merged when it returns `Ok`.
    pub fn process_now(&self) -> Result<ProcessReport> {
        self.lock().pass(false)
    }

    /// Cleans now, whatever the strategy: deletes the history every registered actor has
    /// merged (see [`crate::cleaner`]).
    pub fn clean_now(&self) -> Result<CleanReport> {
        self.lock().clean()
    }

    /// The bookmark: the token up to which this actor has merged.
    pub fn bookmark(&self) -> Option<HistoryToken> {
        self.lock().bookmark
    }

    /// Every registered actor's record for this store, by name.
    pub fn actor_records(&self) -> Result<Vec<(String, ActorRecord)>> {
        let processor = self.lock();
        bookmark::read_all(&processor.defaults, processor.store_uuid)
    }

    /// Asks the worker for a pass soon. Saves of this process's coordinator by a batch
    /// context wake it by themselves; call this after work the coordinator does not
    /// announce (a `Coordinator::execute_batch` of this process, which neither the store
    /// nor the coordinator notifies to this process). Does nothing without a worker.
    pub fn wake(&self) {
        if let Some(wake) = &self.wake {
            let _ = wake.send(Wake::Nudge);
        }
    }

    /// Stops the worker (after its current pass) and waits for it, at most the stop
    /// timeout.
    ///
    /// # Errors
    /// [`TrackerError::StopTimeout`] if it did not stop in time (it is left to finish
    /// alone); [`TrackerError::WorkerPanicked`] if a hook, observer or target panicked.
    pub fn stop(mut self) -> Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<()> {
        self.subscription = None;
        self.stop_forwarding.store(true, Ordering::Relaxed);
        if let Some(wake) = self.wake.take() {
            let _ = wake.send(Wake::Stop);
        }
        let deadline = Instant::now() + self.stop_timeout;
        let mut result = Ok(());
        for (thread, what) in [(self.worker.take(), "worker"), (self.forwarder.take(), "save forwarder")] {
            let Some(thread) = thread else { continue };
            while !thread.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2));
            }
            if !thread.is_finished() {
                tracing::warn!(actor = %self.actor, thread = what, "history tracker thread did not stop in time");
                result = result.and(Err(TrackerError::StopTimeout { waited: self.stop_timeout }));
            } else if thread.join().is_err() {
                result = result.and(Err(TrackerError::WorkerPanicked));
            }
        }
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Processor> {
        self.processor.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for HistoryTracker {
    fn drop(&mut self) {
        if let Err(error) = self.shutdown() {
            tracing::warn!(actor = %self.actor, %error, "stopping the history tracker");
        }
    }
}

impl std::fmt::Debug for HistoryTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryTracker")
            .field("actor", &self.actor)
            .field("store", &self.store)
            .field("worker", &self.worker.is_some())
            .finish()
    }
}
