//! The bounded worker pool that sends a [`RestStore`](super::RestStore)'s requests, and the
//! table of requests in flight through which identical requests are coalesced (a second
//! fetch of the same URL waits for the first instead of sending its own).
//!
//! Jobs never run on the caller's thread. A job that panics (a client bug) completes its
//! flight with an error, so no waiter hangs. Dropping the pool lets the workers finish the
//! queued jobs and exit; nothing joins them, because the last handle may be dropped on a
//! worker itself.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::RestError;

use super::events::RestChanges;

type Job = Box<dyn FnOnce() + Send>;

/// The outcome of one remote read: what changed, and whether everything was `304`.
pub(crate) type FlightResult = Result<(RestChanges, bool), RestError>;

/// Fixed worker threads fed by one queue.
pub(crate) struct WorkerPool {
    sender: Mutex<Sender<Job>>,
}

impl WorkerPool {
    pub(crate) fn new(workers: usize) -> Result<WorkerPool, RestError> {
        let (sender, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..workers.max(1) {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("strata-rest-{n}"))
                .spawn(move || work(&receiver))
                .map_err(|e| RestError::Configuration {
                    reason: format!("cannot start a worker thread: {e}"),
                })?;
        }
        Ok(WorkerPool { sender: Mutex::new(sender) })
    }

    /// Queues `job`; `false` if the workers are gone (they never leave while the pool lives).
    fn submit(&self, job: Job) -> bool {
        self.sender.lock().unwrap_or_else(|e| e.into_inner()).send(job).is_ok()
    }
}

fn work(receiver: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held only while taking a job, never while running one.
        let job = match receiver.lock() {
            Ok(r) => r.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// One request in flight, which any number of callers may wait for.
pub(crate) struct Flight {
    result: Mutex<Option<FlightResult>>,
    done: Condvar,
}

impl Flight {
    /// Waits at most `timeout` for the outcome; `None` if it has not come.
    pub(crate) fn wait(&self, timeout: Duration) -> Option<FlightResult> {
        let deadline = Instant::now() + timeout;
        let mut result = self.result.lock().unwrap_or_else(|e| e.into_inner());
        while result.is_none() {
            let left = deadline.checked_duration_since(Instant::now())?;
            result = self.done.wait_timeout(result, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        result.clone()
    }

    fn finish(&self, outcome: FlightResult) {
        *self.result.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
        self.done.notify_all();
    }
}

/// The identity of a request for coalescing: what it is for (a complete list, a filtered
/// fetch, an object), and the request itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FlightKey {
    pub(crate) purpose: &'static str,
    pub(crate) method: &'static str,
    pub(crate) url: String,
    pub(crate) body: Option<Vec<u8>>,
}

impl FlightKey {
    pub(crate) fn new(purpose: &'static str, request: &crate::HttpRequest) -> FlightKey {
        FlightKey {
            purpose,
            method: request.method.as_str(),
            url: request.url.clone(),
            body: request.body.clone(),
        }
    }
}

/// Requests in flight by key, and how many jobs are queued or running.
#[derive(Default)]
pub(crate) struct Flights {
    table: Mutex<HashMap<FlightKey, Arc<Flight>>>,
    pending: Mutex<usize>,
    idle: Condvar,
}

impl Flights {
    /// The flight of `key`: the one in flight if there is one, else a new one running `job`
    /// on `pool`.
    pub(crate) fn start(
        self: &Arc<Self>,
        pool: &WorkerPool,
        key: FlightKey,
        job: impl FnOnce() -> FlightResult + Send + 'static,
    ) -> Arc<Flight> {
        let flight = {
            let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(flight) = table.get(&key) {
                return Arc::clone(flight);
            }
            let flight = Arc::new(Flight { result: Mutex::new(None), done: Condvar::new() });
            table.insert(key.clone(), Arc::clone(&flight));
            flight
        };
        *self.pending.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        let flights = Arc::clone(self);
        let running = Arc::clone(&flight);
        let (method, url) = (key.method, key.url.clone());
        let submitted = pool.submit(Box::new(move || {
            let outcome = catch_unwind(AssertUnwindSafe(job)).unwrap_or_else(|_| {
                Err(RestError::Network { method, url, message: "the REST client panicked".into() })
            });
            flights.table.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
            running.finish(outcome);
            flights.done_one();
        }));
        if !submitted {
            self.done_one();
            flight
                .finish(Err(RestError::Configuration { reason: "the REST store's workers are gone".into() }));
        }
        flight
    }

    fn done_one(&self) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        *pending = pending.saturating_sub(1);
        if *pending == 0 {
            self.idle.notify_all();
        }
    }

    /// Waits at most `timeout` until no job is queued or running; whether that happened.
    pub(crate) fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        while *pending > 0 {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else { return false };
            pending = self.idle.wait_timeout(pending, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        true
    }
}
