//! The tracker's worker thread: a catch-up pass at start, then one pass per wake-up —
//! change notifications (coalesced: every wake-up queued while a pass ran starts one more
//! pass), nudges, or the poll interval — until told to stop.
//!
//! The worker owns nothing but its channel: the state is the shared [`Processor`], locked
//! for one pass at a time. It never blocks except waiting for a wake-up or the lock.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::process::Processor;
use super::types::TrackerEvent;

/// What wakes the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    /// A change notification from the store.
    Notified,
    /// The application asked for a pass.
    Nudge,
    /// Stop after the current pass.
    Stop,
}

/// Runs until [`Wake::Stop`] or until every sender is gone.
pub(crate) fn run(processor: Arc<Mutex<Processor>>, wakes: Receiver<Wake>, poll: Option<Duration>) {
    pass(&processor, false);
    loop {
        let first = match poll {
            Some(interval) => wakes.recv_timeout(interval),
            None => wakes.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        let mut notified = match first {
            Ok(Wake::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Ok(Wake::Notified) => true,
            Ok(Wake::Nudge) | Err(RecvTimeoutError::Timeout) => false,
        };
        for next in wakes.try_iter() {
            match next {
                Wake::Stop => return,
                Wake::Notified => notified = true,
                Wake::Nudge => {}
            }
        }
        pass(&processor, notified);
    }
}

fn pass(processor: &Mutex<Processor>, notified: bool) {
    let mut processor = processor.lock().unwrap_or_else(PoisonError::into_inner);
    if let Err(error) = processor.pass(notified) {
        tracing::warn!(actor = %processor.settings.actor, %error, "history tracker pass failed; retrying at the next wake-up");
        processor.events.emit(TrackerEvent::Failed { error: Arc::new(error) });
    }
}

/// How often the batch-save forwarder checks whether it should stop.
const FORWARD_TICK: Duration = Duration::from_millis(200);

/// Wakes the worker after each save of this process's coordinator to `store` by a context
/// named in `batch_contexts` (the store does not notify a process of its own saves), until
/// `stop` is set or the worker is gone.
pub(crate) fn forward_batch_saves(
    saves: Receiver<Arc<strata_core::DidSave>>,
    store: strata_core::StoreId,
    batch_contexts: Vec<String>,
    wake: std::sync::mpsc::Sender<Wake>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    loop {
        match saves.recv_timeout(FORWARD_TICK) {
            Ok(save) => {
                let batch = save.context_name.as_ref().is_some_and(|n| batch_contexts.contains(n));
                if save.store == store && batch && wake.send(Wake::Nudge).is_err() {
                    return;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
    }
}
