//! The workloads with no baseline to divide by: each reports figures — a measured value with
//! its unit, held to a target where the issue gives one. `merge` times
//! [`Context::merge_changes`](strata::core::Context::merge_changes) of one large history
//! transaction; `notify_latency` and `fetch_memory` measure in a second `strata` process
//! (spawned with a hidden `bench` flag, see `child.rs`), since a notification must cross
//! processes and a peak RSS is only clean in a process that did nothing else.
//!
//! A figure is never estimated: every one comes from a run whose result was checked (the
//! merged values read back, every delivery in order, every fetched row counted).

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use strata::core::ObjectId;
use strata::core::store::{InsertedRow, SaveRequest};

use super::child::{FetchMemoryReport, WATCHER_READY};
use super::data;
use super::workloads::StrataDb;

/// One measured figure of a workload.
pub struct Figure {
    /// What was measured (`"p50"`, `"merge_changes"`, …).
    pub figure: &'static str,
    /// The value, in `unit`.
    pub value: f64,
    /// The unit of `value` and `target`.
    pub unit: &'static str,
    /// The most `value` may be, where the issue sets a bound.
    pub target: Option<f64>,
}

impl Figure {
    /// Whether the figure meets its target; `None` without one.
    pub fn ok(&self) -> Option<bool> {
        self.target.map(|t| self.value <= t)
    }
}

/// `merge`: the median time of merging a history transaction that updated `n` objects into
/// a context holding all of them, over `repeats` runs (each with a fresh context and a
/// fresh transaction).
pub fn merge(n: usize, repeats: usize, dir: &Path) -> anyhow::Result<Vec<Figure>> {
    let db = StrataDb::create_with_history(&dir.join("merge.sqlite"))?;
    db.insert(&data::rows(n))?;
    let mut times = Vec::with_capacity(repeats);
    for run in 0..repeats {
        // A new score each run, so every run's save changes every object.
        let score = 1_000.0 + run as f64;
        let (mut holder, transaction) = db.merge_setup(score)?;
        let ids: Vec<ObjectId> = transaction.changes.iter().map(|c| c.id).collect();
        let start = Instant::now();
        holder.merge_changes(transaction.object_id_notification())?;
        times.push(start.elapsed());
        let total = StrataDb::scores(&mut holder, &ids)?;
        ensure!(
            total == score * n as f64,
            "after the merge the context reads a score total of {total}, not {}: the merge missed objects",
            score * n as f64
        );
    }
    let median = super::median(times);
    Ok(vec![Figure { figure: "merge_changes", value: median.as_secs_f64() * 1e3, unit: "ms", target: None }])
}

/// Kills and reaps a spawned `strata` when dropped, whatever path the parent leaves by.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// This `strata` binary with `args`, stdout piped.
fn spawn_self(args: &[&std::ffi::OsStr]) -> anyhow::Result<(ChildGuard, ChildStdout)> {
    let exe = std::env::current_exe().context("the path of this strata binary")?;
    let mut child = Command::new(&exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("spawn {}", exe.display()))?;
    let stdout = child.stdout.take().context("the child's stdout")?;
    Ok((ChildGuard(child), stdout))
}

/// How long the parent waits for a watcher line before calling the delivery lost (a
/// delivery takes microseconds; this only keeps a lost one from hanging the bench).
const WATCHER_PATIENCE: Duration = Duration::from_secs(10);

/// The watcher's lines, read on a thread so the parent can wait with a timeout.
fn watcher_lines(stdout: ChildStdout) -> Receiver<std::io::Result<String>> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            // The parent stopped listening: nothing left to read for.
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or(f64::NAN)
}

/// `notify_latency`: `samples` saves of one row each in this process, and for each the
/// time from the return of `save` to the `RemoteChange` arriving in a watcher process, in
/// µs (both processes read `CLOCK_REALTIME`; the wake-up may race the return of `save`, so
/// a sample can be slightly negative). The store keeps no history, as by default.
pub fn notify_latency(samples: usize, dir: &Path) -> anyhow::Result<Vec<Figure>> {
    let path = dir.join("notify.sqlite");
    let db = StrataDb::create(&path)?;
    let (_child, stdout) = spawn_self(&["bench".as_ref(), "--watch-store".as_ref(), path.as_os_str()])?;
    let lines = watcher_lines(stdout);
    let next_line = || match lines.recv_timeout(WATCHER_PATIENCE) {
        Ok(line) => line.context("reading the watcher's output"),
        Err(RecvTimeoutError::Timeout) => {
            bail!("the watcher said nothing for {WATCHER_PATIENCE:?}: a notification was lost")
        }
        Err(RecvTimeoutError::Disconnected) => bail!("the watcher ended"),
    };
    let ready = next_line()?;
    ensure!(ready == WATCHER_READY, "the watcher said {ready:?}, not {WATCHER_READY:?}");
    let rows = data::rows(samples);
    let clip = db.entity_index()?;
    let mut latencies = Vec::with_capacity(samples);
    for (n, row) in rows.iter().enumerate() {
        let inserted =
            InsertedRow { id: ObjectId::new_temporary(clip), values: data::values(row), to_one: Vec::new() };
        db.store().save(&SaveRequest { inserted: vec![inserted], ..Default::default() })?;
        let returned = super::child::now_ns();
        let line = next_line()?;
        let (sequence, at) =
            line.split_once(' ').with_context(|| format!("a malformed watcher line {line:?}"))?;
        // Each save is a new token; a delivery for another one means one was coalesced or lost.
        let sequence: usize = sequence.parse().with_context(|| format!("watcher line {line:?}"))?;
        if sequence != n + 1 {
            bail!("save {} was announced as change {sequence}: deliveries were coalesced or lost", n + 1);
        }
        let at: i128 = at.parse().with_context(|| format!("watcher line {line:?}"))?;
        latencies.push((at - returned) as f64 / 1e3);
        // Let the watcher go back to sleep, as an idle subscriber would be.
        std::thread::sleep(Duration::from_micros(500));
    }
    latencies.sort_by(f64::total_cmp);
    Ok(vec![
        Figure { figure: "p50", value: percentile(&latencies, 0.50), unit: "µs", target: Some(50.0) },
        Figure { figure: "p99", value: percentile(&latencies, 0.99), unit: "µs", target: Some(500.0) },
    ])
}

/// `fetch_memory`: the peak RSS growth of a batched fetch (batches of 1,000) of `n` rows,
/// measured by a child `strata` that fills the store, resets its peak and fetches.
pub fn fetch_memory(n: usize, dir: &Path) -> anyhow::Result<Vec<Figure>> {
    let path = dir.join("memory.sqlite");
    let rows = n.to_string();
    let (mut child, mut stdout) = spawn_self(&[
        "bench".as_ref(),
        "--fetch-memory-rows".as_ref(),
        rows.as_ref(),
        "--fetch-memory-store".as_ref(),
        path.as_os_str(),
    ])?;
    let mut text = String::new();
    stdout.read_to_string(&mut text).context("the fetch_memory child's report")?;
    let status = child.0.wait().context("waiting for the fetch_memory child")?;
    ensure!(status.success(), "the fetch_memory child failed ({status})");
    let report: FetchMemoryReport = FetchMemoryReport::parse(text.trim())
        .with_context(|| format!("the fetch_memory child's report {text:?}"))?;
    ensure!(report.rows == n, "the batched fetch iterated {} rows, not {n}", report.rows);
    let expected: f64 = (0..n).map(data::score).sum();
    ensure!(
        report.score_total == expected,
        "the batched fetch read a score total of {}, not {expected}",
        report.score_total
    );
    let growth = report.peak_kib.saturating_sub(report.before_kib) as f64 / 1024.0;
    // Without a reset the peak may be the fill's: an over-estimate, named as such.
    let figure = if report.peak_reset { "peak RSS growth" } else { "peak RSS growth, fill included" };
    Ok(vec![Figure { figure, value: growth, unit: "MiB", target: Some(64.0) }])
}
