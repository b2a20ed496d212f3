//! [`RestStore`]: a [`Store`] whose objects live on a remote HTTP JSON API, reached through
//! a user's [`RestClient`], with every object cached in a private
//! [`SqliteStore`] — the AFIncrementalStore design, with errors reported instead of logged.
//!
//! # How it works
//!
//! - **The cache.** A SQLite store at a path the user gives (created if absent) holds every
//!   object the server sent, in an augmented model (`augment`): the user's entities plus a
//!   resource identifier (indexed), the last `ETag` and `Last-Modified`, and a "loaded" flag.
//!   Snapshots are mapped between the two models by property name, so callers only ever see
//!   the user's model. Object IDs and the store UUID are the cache's: that is sound because
//!   the augmented model keeps the user's entities at the same indexes, the cache is private
//!   (nothing else assigns its keys, and it never reuses one), and every object of this store
//!   is a row of it.
//! - **Fetches** answer at once from the cache and send the API's request on a bounded
//!   worker pool (never on the caller's thread); identical requests in flight are coalesced.
//!   Each response page is inserted-or-updated into the cache by resource identifier, in one
//!   cache save per page; cache writes are serialised, so concurrent fetches never make two
//!   objects of one resource. Relationship destinations not in the cache become placeholders
//!   (not loaded: every attribute null) and an object request is sent for each; they fill in
//!   when it answers. An unfiltered, unpaged fetch that completes removes the objects of its
//!   entity the server no longer listed; an object request answered `404` removes the object.
//!   Each completed read is announced by a [`RestEvent`] whose
//!   [`merge_request`](RestEvent::merge_request) contexts merge.
//!   Grouped and aggregated fetches (rows) answer from the cache alone.
//! - **Relationships** come from the objects' representations (destinations named by
//!   resource identifier); with [`RestOptions::relationship_requests`], reading a to-many
//!   relationship also sends the API's relationship request and makes its answer the members.
//! - **Synchronous mode** ([`RestOptions::synchronous`]) makes fetches and fault fills wait
//!   for the network, then answer from the cache.
//! - **HTTP caching.** Validators are kept per URL (and per object); requests carry
//!   `If-None-Match` / `If-Modified-Since`; a `304` changes nothing.
//! - **Offline.** A failed read leaves the cache as it was and is reported as
//!   [`RestEvent::FetchFailed`]; fetches keep answering from the cache.
//! - **Remote changes.** [`Store::subscribe_remote_changes`] handlers are called after every
//!   remote read that changed the cache, so a coordinator's remote-change subscription works.
//! - **Saves** go to the server first (inserts, then updates, then deletes), and the cache
//!   changes only for what the server accepted; see [`RestStore`] for failures.
//!
//! This module must never send a request on a caller's thread in asynchronous mode, hold a
//! lock while a subscriber runs, or let the cache hold anything the server did not accept.

mod augment;
mod events;
mod merge;
mod options;
mod pool;
mod remote;
mod retry;
mod save;
#[cfg(test)]
mod tests;
mod transport;

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use strata_core::store::{SaveRequest, SaveResult, StoreFetchRequest, StoreFetchResult, StoreResultType};
use strata_core::{IdMap, ObjectId, Snapshot, Store, StoreError, StoreMetadata};
use strata_model::Model;
use strata_sqlite::SqliteStore;

pub use events::{RemoteKind, RestChanges, RestEvent};
pub use options::RestOptions;

use crate::{RestClient, RestError};
use augment::ModelMap;
use events::{Broadcaster, RemoteHandlers};
use pool::{Flights, WorkerPool};
use transport::{VALIDATORS_KEY, Validator};

/// The store type a [`RestStore`] reports.
pub const STORE_TYPE: &str = "REST";

/// A store over a remote HTTP JSON API with a local SQLite cache (see the
/// [module docs](self)).
///
/// # Saves and failures
///
/// A save sends one request per inserted, updated and deleted object (inserts first, in an
/// order that lets relationships name objects inserted before them; then updates, with
/// many-to-many changes folded into the source's update; then deletes). Only when the server
/// accepted every request is the whole save applied to the cache, and the save succeeds.
/// A server or network error (after the configured retries) fails the save with
/// [`RestError::Http`] (status and body excerpt), [`RestError::Network`] or
/// [`RestError::Timeout`] inside [`StoreError::Backend`] (`source()` downcasts to
/// [`RestError`]).
///
/// When the server accepted part of a save before failing, HTTP gives no way to undo it, so
/// the cache records exactly that part (the objects inserted, updated or deleted on the
/// server) and the save still fails. The saving context keeps all its changes. If it saves
/// again, the inserts that went through are not sent twice: the store remembers which
/// temporary ID became which cached object and sends an update of that object instead
/// (reporting it as the insert's permanent ID). The objects whose update or delete went
/// through meet a version conflict (their cache version moved), which the context's merge
/// policy resolves.
pub struct RestStore {
    inner: Arc<Inner>,
}

/// What the store's handle, its jobs and its worker threads share.
pub(crate) struct Inner {
    map: ModelMap,
    cache: SqliteStore,
    client: Arc<dyn RestClient>,
    options: RestOptions,
    pool: WorkerPool,
    flights: Arc<Flights>,
    events: Broadcaster,
    remote_handlers: Arc<RemoteHandlers>,
    /// Serialises every write to the cache (response merges and saves), so a resource is
    /// looked up and inserted under one lock and versions checked before a save stay valid.
    write: Mutex<()>,
    validators: Mutex<HashMap<String, Validator>>,
    /// Inserts of failed saves that the server accepted: temporary ID → cached object.
    adopted: Mutex<IdMap<ObjectId>>,
}

impl RestStore {
    /// Opens the store: the cache at `cache_path` (created if absent) for `model`, the API
    /// through `client`. Sends nothing.
    ///
    /// # Errors
    /// [`RestError::Configuration`] if an entity has a property named like one the store
    /// keeps for itself (`_restResourceId`, `_restEtag`, `_restLastModified`,
    /// `_restLoaded`) or a worker cannot start; [`RestError::Store`] if the cache cannot be
    /// opened (a cache made for another model is refused with
    /// [`StoreError::ModelMismatch`]: delete the file to start afresh — it is only a cache).
    pub fn open(
        cache_path: impl AsRef<Path>,
        model: Arc<Model>,
        client: Arc<dyn RestClient>,
        options: RestOptions,
    ) -> Result<RestStore, RestError> {
        let map = ModelMap::new(model)?;
        let cache = SqliteStore::open_or_create(cache_path, Arc::clone(&map.cache), options.cache.clone())?;
        let validators = transport::read_validators(&cache.metadata().user);
        let pool = WorkerPool::new(options.workers)?;
        let inner = Inner {
            map,
            cache,
            client,
            options,
            pool,
            flights: Arc::default(),
            events: Broadcaster::default(),
            remote_handlers: Arc::default(),
            write: Mutex::new(()),
            validators: Mutex::new(validators),
            adopted: Mutex::default(),
        };
        Ok(RestStore { inner: Arc::new(inner) })
    }

    /// A channel of this store's [`RestEvent`]s from now on. Dropping the receiver ends the
    /// subscription.
    pub fn subscribe(&self) -> Receiver<RestEvent> {
        self.inner.events.subscribe()
    }

    /// Waits at most `timeout` until no request is queued or in flight; whether that
    /// happened (for tools and tests).
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        self.inner.flights.wait_idle(timeout)
    }

    /// Sends the remote fetch for `request` now (or joins the identical one in flight) and
    /// waits for it, whatever [`RestOptions::synchronous`] says: what it changed in the
    /// cache, or why it failed. `Ok` with no change when the API has no request for it.
    pub fn refresh(&self, request: &StoreFetchRequest) -> Result<RestChanges, RestError> {
        match self.inner.start_fetch(request)? {
            None => Ok(RestChanges::default()),
            Some((flight, url)) => match flight.wait(self.inner.wait_budget()) {
                Some(outcome) => outcome.map(|(changes, _)| changes),
                None => Err(RestError::Timeout { method: "GET", url, after: self.inner.wait_budget() }),
            },
        }
    }
}

impl std::fmt::Debug for RestStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestStore").field("cache", &self.inner.cache.path()).finish_non_exhaustive()
    }
}

impl Inner {
    /// The longest a synchronous caller waits for one remote read.
    fn wait_budget(&self) -> Duration {
        let o = &self.options;
        (o.timeout + o.max_backoff).saturating_mul(o.retries.saturating_add(1)).saturating_mul(4)
    }

    /// Answers a fetch from the cache, in the user's layout.
    fn answer(&self, request: &StoreFetchRequest) -> Result<StoreFetchResult, StoreError> {
        Ok(match self.cache.fetch(request)? {
            StoreFetchResult::Snapshots(rows) => {
                StoreFetchResult::Snapshots(rows.iter().filter_map(|r| self.map.to_user(r)).collect())
            }
            other => other,
        })
    }

    /// Records the validators in the cache's metadata, beside the user's. Serialised with
    /// `set_user_metadata` by the validators' lock.
    fn persist_validators(&self) {
        let validators = self.validators.lock().unwrap_or_else(|e| e.into_inner());
        let mut user = self.cache.metadata().user;
        user.insert(VALIDATORS_KEY.into(), transport::validators_json(&validators));
        if let Err(error) = self.cache.set_user_metadata(user) {
            tracing::warn!(%error, "cannot record HTTP validators in the REST cache");
        }
    }
}

impl Store for RestStore {
    fn metadata(&self) -> StoreMetadata {
        let mut metadata = self.inner.cache.metadata();
        metadata.user.remove(VALIDATORS_KEY);
        StoreMetadata {
            store_type: STORE_TYPE.to_owned(),
            model_hash: self.inner.map.user.hash(),
            history: false,
            ..metadata
        }
    }

    fn model(&self) -> &Arc<Model> {
        &self.inner.map.user
    }

    /// Replaces the application's metadata (kept in the cache; the key
    /// `strata.rest.validators` is the store's own and is not replaced).
    fn set_user_metadata(
        &self,
        mut user: serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), StoreError> {
        let validators = self.inner.validators.lock().unwrap_or_else(|e| e.into_inner());
        user.insert(VALIDATORS_KEY.into(), transport::validators_json(&validators));
        self.inner.cache.set_user_metadata(user)
    }

    fn fetch(&self, request: &StoreFetchRequest) -> Result<StoreFetchResult, StoreError> {
        if matches!(request.result, StoreResultType::Rows(_))
            || self.inner.map.entity(request.entity).is_none()
        {
            return self.inner.answer(request);
        }
        let started = match self.inner.start_fetch(request) {
            Ok(started) => started,
            Err(error) => {
                // The API could not even build the request: the cache still answers.
                tracing::warn!(%error, "no remote fetch");
                None
            }
        };
        if self.inner.options.synchronous
            && let Some((flight, _)) = started
        {
            // A failure was announced as an event; the cache answers either way.
            let _ = flight.wait(self.inner.wait_budget());
        }
        self.inner.answer(request)
    }

    fn snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>, StoreError> {
        let mut rows = self.inner.cache.snapshots(ids)?;
        let placeholders: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].as_ref().is_some_and(|r| !self.inner.map.is_loaded(r)))
            .collect();
        if !placeholders.is_empty() {
            let flights: Vec<_> = placeholders
                .iter()
                .filter_map(|&i| rows[i].as_ref().and_then(|r| self.inner.start_object(r)))
                .collect();
            if self.inner.options.synchronous && !flights.is_empty() {
                for flight in &flights {
                    let _ = flight.wait(self.inner.wait_budget());
                }
                let ids: Vec<ObjectId> = placeholders.iter().map(|&i| ids[i]).collect();
                for (&i, row) in placeholders.iter().zip(self.inner.cache.snapshots(&ids)?) {
                    rows[i] = row;
                }
            }
        }
        Ok(rows.into_iter().map(|r| r.and_then(|r| self.inner.map.to_user(&r))).collect())
    }

    fn related(&self, sources: &[ObjectId], relationship: usize) -> Result<Vec<Vec<ObjectId>>, StoreError> {
        let Some(first) = sources.first() else { return Ok(Vec::new()) };
        let cache_index = self
            .inner
            .map
            .entity(first.entity())
            .and_then(|m| m.relationships.get(relationship).copied())
            .ok_or_else(|| StoreError::InvalidRequest {
                reason: format!("relationship index {relationship} is out of range"),
            })?;
        if self.inner.options.relationship_requests {
            let rows = self.inner.cache.snapshots(sources)?;
            let flights: Vec<_> = rows
                .iter()
                .flatten()
                .filter_map(|row| self.inner.start_relationship(row, cache_index))
                .collect();
            if self.inner.options.synchronous {
                for flight in &flights {
                    // A failure was announced as an event; the cache answers either way.
                    let _ = flight.wait(self.inner.wait_budget());
                }
            }
        }
        self.inner.cache.related(sources, cache_index)
    }

    fn save(&self, request: &SaveRequest) -> Result<SaveResult, StoreError> {
        save::save(&self.inner, request)
    }

    /// Calls `handler` after every remote read that changed the cache, on the worker that
    /// ran it. The tokens only order the wake-ups: the store keeps no history to read after
    /// them (merge the [`RestEvent`]s' changes, or refetch).
    fn subscribe_remote_changes(
        &self,
        handler: strata_core::store::RemoteChangeHandler,
    ) -> Result<strata_core::store::RemoteChangeSubscription, StoreError> {
        Ok(self.inner.remote_handlers.add(handler))
    }
}
