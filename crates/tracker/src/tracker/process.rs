//! One pass of a history tracker: read the transactions after the bookmark (paged), keep
//! those that matter to this actor, run the hook chain and the observers, merge into every
//! target, and only then advance the bookmark; recover from expired history; clean by the
//! strategy. The worker thread and `process_now` both run passes through the one
//! [`Processor`] behind a mutex, so passes never overlap.
//!
//! A pass never holds a store or coordinator lock while calling a hook, observer or target,
//! and never advances the bookmark past a transaction a target has not accepted.

use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use strata_core::store::{
    ChangeKind, HistoryDeleteRequest, HistoryRequest, HistoryToken, HistoryTransaction,
};
use strata_core::{MergeRequest, Store, StoreError};
use strata_model::{Date, EntityIndex, Model, Uuid};

use super::types::{MergeBatch, MergeHook, MergeTarget, MergedTransaction, ObservedChange, TrackerEvent};
use crate::SharedDefaults;
use crate::bookmark::{self, ActorRecord};
use crate::cleaner::{CleanReport, CleanStrategy, plan};
use crate::error::{Result, TrackerError};

/// What one pass did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ProcessReport {
    /// Transactions merged into the targets.
    pub merged: usize,
    /// Transactions read and not merged: this actor's own (outside its batch contexts),
    /// dropped by a hook, or left with no change.
    pub skipped: usize,
    /// The bookmark after the pass.
    pub bookmark: Option<HistoryToken>,
    /// Whether the history had expired and the recovery ran.
    pub expired: bool,
    /// What the cleaner did, if the strategy made it run.
    pub cleaned: Option<CleanReport>,
}

/// An observer: a callback for the changes of one entity (and its sub-entities, or any)
/// of some kinds (or all).
pub(crate) struct Observer {
    pub(crate) entity: Option<EntityIndex>,
    pub(crate) kinds: Vec<ChangeKind>,
    pub(crate) callback: Box<dyn FnMut(&ObservedChange<'_>) + Send>,
}

/// An event callback.
pub(crate) type EventCallback = Box<dyn Fn(&TrackerEvent) + Send>;

/// Where events go.
#[derive(Default)]
pub(crate) struct Events {
    pub(crate) callbacks: Vec<EventCallback>,
    pub(crate) senders: Vec<Sender<TrackerEvent>>,
}

impl Events {
    pub(crate) fn emit(&mut self, event: TrackerEvent) {
        for callback in &self.callbacks {
            callback(&event);
        }
        // A dropped receiver unsubscribes.
        self.senders.retain(|s| s.send(event.clone()).is_ok());
    }
}

/// What the tracker was configured with.
pub(crate) struct Settings {
    pub(crate) actor: String,
    /// Every group member, the actor included: the authors whose history the cleaner deletes.
    pub(crate) members: Vec<String>,
    pub(crate) batch_contexts: Vec<String>,
    pub(crate) page_size: usize,
    pub(crate) silent_actor_cap: Duration,
    pub(crate) clean: CleanStrategy,
}

/// The state of a tracker's passes.
pub(crate) struct Processor {
    pub(crate) settings: Settings,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) store_uuid: Uuid,
    pub(crate) model: Arc<Model>,
    pub(crate) defaults: SharedDefaults,
    pub(crate) hooks: Vec<Box<dyn MergeHook>>,
    pub(crate) observers: Vec<Observer>,
    pub(crate) targets: Vec<Box<dyn MergeTarget>>,
    pub(crate) events: Events,
    pub(crate) bookmark: Option<HistoryToken>,
    pub(crate) last_touch: Instant,
    pub(crate) notifications: u32,
    pub(crate) last_clean: Option<Instant>,
}

impl Processor {
    /// Runs one pass; `notified` says a change notification started it (for
    /// [`CleanStrategy::EveryNotifications`]).
    pub(crate) fn pass(&mut self, notified: bool) -> Result<ProcessReport> {
        let mut report = ProcessReport::default();
        let mut advanced = false;
        loop {
            let request = match self.bookmark {
                Some(token) => HistoryRequest::after(token),
                None => HistoryRequest::all(),
            }
            .with_limit(self.settings.page_size);
            let page = match self.store.history(&request) {
                Ok(page) => page,
                Err(StoreError::HistoryExpired { .. } | StoreError::ForeignHistoryToken { .. })
                    if !report.expired =>
                {
                    self.recover()?;
                    report.expired = true;
                    advanced = true;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let Some(last) = page.last().map(|t| t.token) else { break };
            let full = page.len() >= self.settings.page_size;
            let read = page.len();
            let kept = self.select(page);
            report.skipped += read - kept.len();
            self.observe(&kept);
            if !kept.is_empty() {
                self.merge(&kept)?;
            }
            bookmark::advance(
                &self.defaults,
                self.store_uuid,
                &self.settings.actor,
                Some(last),
                Date::now(),
            )?;
            self.bookmark = Some(last);
            self.last_touch = Instant::now();
            advanced = true;
            report.merged += kept.len();
            if !kept.is_empty() {
                tracing::debug!(actor = %self.settings.actor, merged = kept.len(), bookmark = %last, "merged history");
                let transactions = kept.iter().map(MergedTransaction::of).collect();
                self.events.emit(TrackerEvent::Merged { transactions, bookmark: last });
            }
            if !full {
                break;
            }
        }
        if !advanced && self.last_touch.elapsed() >= self.touch_interval() {
            bookmark::advance(&self.defaults, self.store_uuid, &self.settings.actor, None, Date::now())?;
            self.last_touch = Instant::now();
        }
        report.bookmark = self.bookmark;
        report.cleaned = self.clean_by_strategy(notified);
        Ok(report)
    }

    /// How often an idle tracker records that its actor is alive: often enough that the
    /// cleaner never takes it for silent.
    fn touch_interval(&self) -> Duration {
        (self.settings.silent_actor_cap / 4).min(Duration::from_secs(60))
    }

    /// The transactions of a page that matter to this actor, after the hook chain.
    fn select(&mut self, page: Vec<HistoryTransaction>) -> Vec<HistoryTransaction> {
        let mut kept = Vec::with_capacity(page.len());
        'transactions: for mut transaction in page {
            let own = transaction.author.as_deref() == Some(self.settings.actor.as_str());
            let batch = transaction
                .context_name
                .as_ref()
                .is_some_and(|name| self.settings.batch_contexts.iter().any(|b| b == name));
            if own && !batch {
                continue;
            }
            for hook in &mut self.hooks {
                if hook.process(&mut transaction) == super::types::HookAction::Drop {
                    continue 'transactions;
                }
            }
            if !transaction.changes.is_empty() {
                kept.push(transaction);
            }
        }
        kept
    }

    fn observe(&mut self, kept: &[HistoryTransaction]) {
        if self.observers.is_empty() {
            return;
        }
        for transaction in kept {
            for change in &transaction.changes {
                for observer in &mut self.observers {
                    let entity = observer.entity.is_none_or(|e| self.model.is_kind_of(change.id.entity(), e));
                    if entity && (observer.kinds.is_empty() || observer.kinds.contains(&change.kind)) {
                        (observer.callback)(&ObservedChange { transaction, change });
                    }
                }
            }
        }
    }

    fn merge(&mut self, kept: &[HistoryTransaction]) -> Result<()> {
        let mut request = MergeRequest::default();
        for transaction in kept {
            request.append(transaction.object_id_notification());
        }
        let batch = MergeBatch { transactions: kept.to_vec(), request };
        for (target, sink) in self.targets.iter_mut().enumerate() {
            sink.merge(&batch).map_err(|source| TrackerError::Target { target, source: Box::new(source) })?;
        }
        Ok(())
    }

    /// The documented recovery from expired history: every target refreshes all its
    /// objects, the bookmark moves to the store's current token.
    fn recover(&mut self) -> Result<()> {
        let current = self.store.current_history_token()?;
        for (target, sink) in self.targets.iter_mut().enumerate() {
            sink.refresh_all().map_err(|source| TrackerError::Target { target, source: Box::new(source) })?;
        }
        bookmark::advance(&self.defaults, self.store_uuid, &self.settings.actor, Some(current), Date::now())?;
        let old = self.bookmark.replace(current);
        self.last_touch = Instant::now();
        tracing::warn!(
            actor = %self.settings.actor,
            bookmark = ?old.map(|t| t.to_string()),
            reset_to = %current,
            "history after the bookmark was deleted; targets refresh all objects"
        );
        self.events.emit(TrackerEvent::Expired { bookmark: old, reset_to: current });
        Ok(())
    }

    fn clean_by_strategy(&mut self, notified: bool) -> Option<CleanReport> {
        let due = match self.settings.clean {
            CleanStrategy::EveryNotifications(n) => {
                if notified {
                    self.notifications += 1;
                }
                self.notifications >= n.max(1)
            }
            CleanStrategy::AtMostEvery(interval) => self.last_clean.is_none_or(|t| t.elapsed() >= interval),
            CleanStrategy::None | CleanStrategy::Manual => false,
        };
        if !due {
            return None;
        }
        match self.clean() {
            Ok(report) => Some(report),
            Err(error) => {
                tracing::warn!(actor = %self.settings.actor, %error, "cleaning history failed");
                self.events.emit(TrackerEvent::Failed { error: Arc::new(error) });
                None
            }
        }
    }

    /// Deletes the history every registered actor has merged (see `cleaner`).
    pub(crate) fn clean(&mut self) -> Result<CleanReport> {
        let now = Date::now();
        let mut records = bookmark::read_all(&self.defaults, self.store_uuid)?;
        // This actor is alive, whatever its record says, and at its in-memory bookmark.
        match records.iter_mut().find(|(a, _)| *a == self.settings.actor) {
            Some((_, record)) => {
                record.last_seen = Some(now);
                record.bookmark = self.bookmark;
            }
            None => records.push((
                self.settings.actor.clone(),
                ActorRecord { bookmark: self.bookmark, last_seen: Some(now), registered: now },
            )),
        }
        let mut report = plan(&records, now, self.settings.silent_actor_cap);
        self.last_clean = Some(Instant::now());
        self.notifications = 0;
        if let Some(through) = report.through {
            let mut request = HistoryDeleteRequest::through(through);
            for member in &self.settings.members {
                request = request.with_author(member.clone());
            }
            report.deleted = self.store.delete_history(&request)?;
            if report.deleted > 0 {
                tracing::info!(actor = %self.settings.actor, deleted = report.deleted, %through, "cleaned history");
                self.events.emit(TrackerEvent::Cleaned(report.clone()));
            }
        }
        Ok(report)
    }
}
