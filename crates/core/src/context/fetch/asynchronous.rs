//! Asynchronous fetches: [`Context::fetch_async`] runs a fetch's store work on a worker
//! thread, reporting progress and honouring cancellation, and [`Context::finish_async`]
//! hands the results back to the context on its own thread.
//!
//! A context is not `Sync`, so the worker never touches it: it holds only the
//! `Arc<Coordinator>` and a store request prepared on the context's thread. It fetches the
//! matching IDs (one store call), then — when the result needs rows — loads them a
//! [batch](FetchRequest::batch_size) at a time with one `snapshots` call each
//! ([`DEFAULT_BATCH_SIZE`] if the request sets none), calling the progress handler after the
//! IDs (`loaded` 0) and after every batch, with `loaded` increasing up to `total`. The
//! cancel token is checked before the ID fetch and before every batch: a cancelled fetch
//! stops there (within one batch) and finishes with [`FetchError::Cancelled`]. A store call
//! already running is not interrupted.
//!
//! [`Context::finish_async`] registers what the worker loaded exactly as [`Context::fetch`]
//! would, pending changes included: the context's changes are those at finish time (if they
//! grew in a way the worker's request could not account for — more changed objects than its
//! raised limit allows — the fetch is re-run synchronously, so the answer is always the
//! one [`Context::fetch`] would give). Prefetching runs at finish, on the context's thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use super::super::Context;
use super::batched::DEFAULT_BATCH_SIZE;
use crate::coordinator::{Coordinator, QueryGeneration};
use crate::fetch_request::{FetchError, FetchRequest, FetchResult, ResultType};
use crate::store::{StoreFetchRequest, StoreFetchResult, StoreResultType};
use crate::{Error, ObjectId, Result, Snapshot};

/// How far an asynchronous fetch has got: `loaded` of `total` matching objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FetchProgress {
    /// Objects whose rows are loaded (equal to `total` for results that need no rows).
    pub loaded: u64,
    /// Objects the store matched.
    pub total: u64,
}

/// Called on the worker thread with each [`FetchProgress`] of an asynchronous fetch.
pub type ProgressHandler = Box<dyn FnMut(FetchProgress) + Send + 'static>;

/// Cancels asynchronous fetches: clones share one flag; cancelling is permanent.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not cancelled.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Asks every fetch holding this token (or a clone) to stop at its next check.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What the worker hands back.
struct Loaded {
    ids: Vec<ObjectId>,
    rows: Vec<Arc<Snapshot>>,
    count: Option<u64>,
}

/// A fetch running on a worker thread ([`Context::fetch_async`]); finish it with
/// [`Context::finish_async`] on the context that started it.
///
/// The worker never touches the context (which is not `Sync`): it holds only the
/// `Arc<Coordinator>` and a store request prepared on the context's thread. It fetches the
/// matching IDs (one store call), then — when the result needs rows — loads them a
/// [batch](FetchRequest::batch_size) at a time with one `snapshots` call each
/// ([`DEFAULT_BATCH_SIZE`] if the request sets none), calling the progress handler after the
/// IDs (`loaded` 0) and after every batch, `loaded` increasing up to `total`. The
/// [`CancelToken`] is checked before the ID fetch and before every batch: a cancelled fetch
/// stops there (within one batch) and finishes with [`FetchError::Cancelled`]; a store call
/// already running is not interrupted.
///
/// [`Context::finish_async`] registers what the worker loaded exactly as [`Context::fetch`]
/// would, pending changes included: the context's changes are those at finish time (if they
/// grew in a way the worker's request could not account for, the fetch is re-run
/// synchronously, so the answer is always the one [`Context::fetch`] would give).
/// Prefetching runs at finish, on the context's thread.
#[derive(Debug)]
pub struct AsyncFetch {
    request: FetchRequest,
    token: CancelToken,
    worker: JoinHandle<Result<Loaded>>,
    /// The changed objects the worker's request accounted for (`None`: none, so the store
    /// applied offset and limit itself).
    accounted: Option<usize>,
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded").field("ids", &self.ids.len()).field("rows", &self.rows.len()).finish()
    }
}

impl AsyncFetch {
    /// The fetch's cancel token.
    pub fn cancel_token(&self) -> &CancelToken {
        &self.token
    }

    /// Asks the worker to stop at its next check (before its next batch).
    pub fn cancel(&self) {
        self.token.cancel();
    }

    /// Whether the worker is done (finishing will not wait).
    pub fn is_finished(&self) -> bool {
        self.worker.is_finished()
    }
}

impl Context {
    /// Starts `request` on a worker thread (see [`AsyncFetch`]): checked now,
    /// run by the worker, finished by [`Context::finish_async`]. `token` cancels it;
    /// `progress`, if given, is called on the worker. Grouped and aggregated requests are
    /// refused as by [`Context::fetch`].
    pub fn fetch_async(
        &mut self,
        request: &FetchRequest,
        token: &CancelToken,
        progress: Option<ProgressHandler>,
    ) -> Result<AsyncFetch> {
        if request.returns_rows() {
            return Err(FetchError::UseFetchRows.into());
        }
        let batch = match request.batch_size_value() {
            0 => DEFAULT_BATCH_SIZE,
            n => n,
        };
        // The batch size paces the worker; the result is that of the same fetch unbatched
        // (rows, not faults).
        let request = &request.clone().batch_size(0);
        let plan = self.plan(request)?;
        let dirty = self.pending_of(request, &plan);
        let (store_request, needs_rows, accounted) = if dirty.is_empty() {
            let needs_rows = match request.result_type_value() {
                ResultType::Objects => !Context::wants_faults(request),
                ResultType::Dictionaries => true,
                ResultType::Count | ResultType::ObjectIds => false,
            };
            let kind = match request.result_type_value() {
                ResultType::Count => StoreResultType::Count,
                _ => StoreResultType::Ids,
            };
            (self.store_request(request, &plan, kind), needs_rows, None)
        } else {
            let mut store_request = self.pending_store_request(request, &plan, &dirty);
            let needs_rows = store_request.result == StoreResultType::Snapshots;
            store_request.result = StoreResultType::Ids;
            (store_request, needs_rows, Some(changed_stored(&dirty)))
        };
        // The worker reads what this context reads: at its pinned generation, if any.
        let source =
            Source { coordinator: self.coordinator.clone(), generation: self.query_generation().cloned() };
        let worker_token = token.clone();
        let worker = std::thread::Builder::new()
            .name("strata-fetch".to_owned())
            .spawn(move || load(&source, &store_request, needs_rows, batch, &worker_token, progress))
            .map_err(|_| FetchError::WorkerPanicked)?;
        Ok(AsyncFetch { request: request.clone(), token: token.clone(), worker, accounted })
    }

    /// Waits for `fetch`'s worker and registers its results in this context, as
    /// [`Context::fetch`] would (see [`AsyncFetch`]). Errors with
    /// [`FetchError::Cancelled`] if it was cancelled, or with the worker's store error.
    pub fn finish_async(&mut self, fetch: AsyncFetch) -> Result<FetchResult> {
        let loaded = fetch.worker.join().map_err(|_| Error::from(FetchError::WorkerPanicked))??;
        let request = fetch.request;
        if self.parent().is_some() {
            // A child reads through its parent, whose unsaved changes the worker (which
            // only has the coordinator) could not see: answer as a synchronous fetch does.
            return self.fetch(&request);
        }
        let plan = self.plan(&request)?;
        let dirty = self.pending_of(&request, &plan);
        let result = match fetch.accounted {
            None if dirty.is_empty() => match loaded.count {
                Some(n) => FetchResult::Count(n),
                None => self.finish(&request, &plan, loaded.ids, loaded.rows)?,
            },
            None if request.offset_value() == 0
                && request.limit_value().is_none()
                && loaded.count.is_none() =>
            {
                self.merge_pending(&request, &plan, dirty, loaded.ids, loaded.rows)?
            }
            Some(accounted) if request.limit_value().is_none() || changed_stored(&dirty) <= accounted => {
                self.merge_pending(&request, &plan, dirty, loaded.ids, loaded.rows)?
            }
            // The context changed since the start in a way the worker's answer cannot
            // absorb: answer as a synchronous fetch does.
            _ => return self.fetch(&request),
        };
        self.after_fetch(&plan, &result)?;
        Ok(result)
    }
}

fn changed_stored(dirty: &[ObjectId]) -> usize {
    dirty.iter().filter(|id| !id.is_temporary()).count()
}

/// Where the worker reads: the stores' current state, or a query generation.
struct Source {
    coordinator: Arc<Coordinator>,
    generation: Option<QueryGeneration>,
}

impl Source {
    fn fetch(&self, request: &StoreFetchRequest) -> Result<StoreFetchResult> {
        match &self.generation {
            Some(generation) => self.coordinator.fetch_at(request, generation),
            None => self.coordinator.fetch(request),
        }
    }

    fn snapshots(&self, ids: &[ObjectId]) -> Result<Vec<Option<Arc<Snapshot>>>> {
        match &self.generation {
            Some(generation) => self.coordinator.snapshots_at(ids, generation),
            None => self.coordinator.snapshots(ids),
        }
    }
}

/// The worker: IDs, then rows a batch at a time.
fn load(
    source: &Source,
    request: &StoreFetchRequest,
    needs_rows: bool,
    batch: usize,
    token: &CancelToken,
    mut progress: Option<ProgressHandler>,
) -> Result<Loaded> {
    let mut report = |loaded: usize, total: usize| {
        if let Some(handler) = progress.as_mut() {
            handler(FetchProgress { loaded: loaded as u64, total: total as u64 });
        }
    };
    if token.is_cancelled() {
        return Err(FetchError::Cancelled { loaded: 0, total: 0 }.into());
    }
    let ids = match source.fetch(request)? {
        StoreFetchResult::Ids(ids) => ids,
        StoreFetchResult::Count(n) => {
            let n_usize = usize::try_from(n).unwrap_or(usize::MAX);
            report(0, n_usize);
            report(n_usize, n_usize);
            return Ok(Loaded { ids: Vec::new(), rows: Vec::new(), count: Some(n) });
        }
        StoreFetchResult::Snapshots(rows) => rows.iter().map(|s| s.id()).collect(),
        StoreFetchResult::Rows(_) => Vec::new(),
    };
    let total = ids.len();
    report(0, total);
    if !needs_rows {
        report(total, total);
        return Ok(Loaded { ids, rows: Vec::new(), count: None });
    }
    let mut rows = Vec::with_capacity(total);
    let mut done = 0;
    for chunk in ids.chunks(batch.max(1)) {
        if token.is_cancelled() {
            return Err(FetchError::Cancelled { loaded: done as u64, total: total as u64 }.into());
        }
        // Objects deleted since the IDs were fetched are dropped, as a later fetch would.
        rows.extend(source.snapshots(chunk)?.into_iter().flatten());
        done += chunk.len();
        report(done, total);
    }
    let ids = rows.iter().map(|s| s.id()).collect();
    Ok(Loaded { ids, rows, count: None })
}
