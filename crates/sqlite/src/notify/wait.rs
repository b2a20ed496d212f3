//! How a watcher thread sleeps until the sidecar changes, its subscription ends, or a
//! fallback tick is due: on Linux, `poll` on an inotify descriptor watching the sidecar and
//! an eventfd the subscription's guard writes to stop it; elsewhere, ticks only.
//!
//! inotify was chosen by measurement (`NOTES.md`: a 6 µs cross-process wake-up, against
//! 3.4 µs for a futex on a mapped file that would need `unsafe` for the mapping); both are
//! far below the 50 µs target once the watcher's own work is added. Nothing here reads the
//! database or calls a handler.

use std::path::Path;

/// Why [`Waiter::wait`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    /// The sidecar was written (or the watch was lost and must be re-read).
    Changed,
    /// The timeout passed with nothing seen: time for the fallback check.
    Tick,
    /// The subscription ended.
    Stop,
}

#[cfg(target_os = "linux")]
pub(crate) use linux::{Stopper, Waiter};
#[cfg(not(target_os = "linux"))]
pub(crate) use portable::{Stopper, Waiter};

/// Creates a waiter on the sidecar at `sidecar` and the handle that stops it.
pub(crate) fn waiter(sidecar: &Path) -> std::io::Result<(Waiter, Stopper)> {
    Waiter::new(sidecar)
}

#[cfg(target_os = "linux")]
mod linux {
    use std::mem::MaybeUninit;
    use std::os::fd::OwnedFd;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;
    use std::time::Duration;

    use rustix::event::{EventfdFlags, PollFd, PollFlags, Timespec, eventfd, poll};
    use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};
    use rustix::io::Errno;

    use super::Wake;

    /// The watcher thread's side.
    pub(crate) struct Waiter {
        inotify: OwnedFd,
        stop: Arc<OwnedFd>,
        sidecar: PathBuf,
        watching: bool,
    }

    /// The guard's side: [`Stopper::stop`] wakes the waiter for good.
    pub(crate) struct Stopper {
        stop: Arc<OwnedFd>,
    }

    impl Stopper {
        /// Makes the waiter's current and every later wait return [`Wake::Stop`].
        pub(crate) fn stop(&self) {
            // An eventfd write fails only when the counter would overflow, which one write
            // per subscription cannot reach.
            let _ = rustix::io::write(&*self.stop, &1u64.to_ne_bytes());
        }
    }

    impl Waiter {
        pub(crate) fn new(sidecar: &Path) -> std::io::Result<(Waiter, Stopper)> {
            let inotify = inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK)?;
            let stop = Arc::new(eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?);
            let mut waiter =
                Waiter { inotify, stop: stop.clone(), sidecar: sidecar.to_owned(), watching: false };
            waiter.watch();
            Ok((waiter, Stopper { stop }))
        }

        /// (Re-)adds the watch on the sidecar, creating the file if needed; on failure the
        /// waiter keeps ticking and tries again at the next wait.
        fn watch(&mut self) {
            if self.watching {
                return;
            }
            if crate::notify::sidecar::open(&self.sidecar).is_err() {
                return;
            }
            let flags = WatchFlags::MODIFY | WatchFlags::DELETE_SELF | WatchFlags::MOVE_SELF;
            self.watching = inotify::add_watch(&self.inotify, &self.sidecar, flags).is_ok();
        }

        /// Sleeps until a change, a stop, or `timeout`.
        pub(crate) fn wait(&mut self, timeout: Duration) -> Wake {
            let lost = !self.watching;
            self.watch();
            if lost && self.watching {
                // Changes made while unwatched are only visible by reading the counter.
                return Wake::Changed;
            }
            let timeout = Timespec {
                tv_sec: i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: i64::from(timeout.subsec_nanos()),
            };
            let (changed, stopped) = {
                let mut fds =
                    [PollFd::new(&self.inotify, PollFlags::IN), PollFd::new(&*self.stop, PollFlags::IN)];
                match poll(&mut fds, Some(&timeout)) {
                    Ok(_) => (!fds[0].revents().is_empty(), !fds[1].revents().is_empty()),
                    // EINTR and friends: a spurious wake-up, re-checked by the caller.
                    Err(_) => (true, false),
                }
            };
            if stopped {
                return Wake::Stop;
            }
            if !changed {
                return Wake::Tick;
            }
            self.drain();
            Wake::Changed
        }

        /// Reads every queued inotify event (they only say "written"; the counter says how
        /// far), noting a lost watch (file deleted or renamed).
        fn drain(&mut self) {
            let mut buffer = [MaybeUninit::<u8>::uninit(); 1024];
            let mut reader = inotify::Reader::new(&self.inotify, &mut buffer);
            loop {
                match reader.next() {
                    Ok(event) => {
                        let flags = event.events();
                        if flags.intersects(
                            ReadFlags::IGNORED
                                | ReadFlags::DELETE_SELF
                                | ReadFlags::MOVE_SELF
                                | ReadFlags::QUEUE_OVERFLOW,
                        ) {
                            self.watching = false;
                        }
                    }
                    Err(Errno::INTR) => {}
                    Err(_) => break,
                }
            }
            if !self.watching {
                // Drop the old watch (if any is left) so it cannot fire twice.
                let fresh = inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK);
                if let Ok(fresh) = fresh {
                    self.inotify = fresh;
                }
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod portable {
    use std::path::Path;
    use std::sync::{Arc, Condvar, Mutex};
    use std::time::Duration;

    use super::Wake;

    type Flag = Arc<(Mutex<bool>, Condvar)>;

    /// The watcher thread's side: without inotify it only ticks (a short interval).
    pub(crate) struct Waiter {
        stop: Flag,
    }

    /// The guard's side.
    pub(crate) struct Stopper {
        stop: Flag,
    }

    impl Stopper {
        pub(crate) fn stop(&self) {
            let (lock, condvar) = &*self.stop;
            *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
            condvar.notify_all();
        }
    }

    impl Waiter {
        pub(crate) fn new(_sidecar: &Path) -> std::io::Result<(Waiter, Stopper)> {
            let stop: Flag = Arc::new((Mutex::new(false), Condvar::new()));
            Ok((Waiter { stop: stop.clone() }, Stopper { stop }))
        }

        pub(crate) fn wait(&mut self, timeout: Duration) -> Wake {
            let (lock, condvar) = &*self.stop;
            let stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
            let short = timeout.min(Duration::from_millis(20));
            let (stopped, _) = condvar.wait_timeout(stopped, short).unwrap_or_else(|e| e.into_inner());
            if *stopped { Wake::Stop } else { Wake::Changed }
        }
    }
}
