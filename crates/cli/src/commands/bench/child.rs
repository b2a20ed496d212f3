//! The second `strata` process two workloads need, run through hidden `bench` flags:
//! `--watch-store PATH` (the `notify_latency` watcher: subscribes to the store and prints
//! `<sequence> <arrival ns>` per delivery until killed) and `--fetch-memory-rows N
//! --fetch-memory-store PATH` (fills a new store with N rows, resets the peak RSS, runs the
//! batched fetch and prints one [`FetchMemoryReport`] line). Nothing here judges the
//! figures: the parent checks and reports them. Linux only for the memory figures
//! (`/proc/self/status`); elsewhere the child fails with a clear error.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use strata::core::store::{InsertedRow, RemoteChange, RemoteChangeHandler, SaveRequest};
use strata::core::{Context, FetchRequest, ObjectId, Store};
use strata::sqlite::{SqliteOptions, SqliteStore};

use super::data;
use super::workloads::StrataDb;

/// What the watcher prints once subscribed.
pub const WATCHER_READY: &str = "ready";

/// Rows per save while filling the `fetch_memory` store.
const FILL_CHUNK: usize = 50_000;

/// The batch size of the `fetch_memory` fetch (the issue's).
const BATCH: usize = 1_000;

/// Nanoseconds since the Unix epoch on the wall clock, which both processes share.
pub fn now_ns() -> i128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i128)
}

/// The watcher: one line per delivery, `<sequence> <arrival ns>`, until killed (or until
/// stdout closes because the parent is gone).
pub fn watch(path: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
    let store = SqliteStore::open_existing(path, SqliteOptions::default())
        .with_context(|| format!("open {}", path.display()))?;
    let (sender, receiver) = mpsc::channel::<(u64, i128)>();
    let handler: RemoteChangeHandler = Arc::new(move |change: RemoteChange| {
        // A send fails only once the receiver below is gone, when nothing is left to report.
        let _ = sender.send((change.token.sequence, now_ns()));
    });
    let _subscription = store.subscribe_remote_changes(handler)?;
    writeln!(out, "{WATCHER_READY}")?;
    out.flush()?;
    while let Ok((sequence, at)) = receiver.recv() {
        writeln!(out, "{sequence} {at}")?;
        out.flush()?;
    }
    Ok(())
}

/// What the `fetch_memory` child measured.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchMemoryReport {
    /// Objects the batched fetch yielded.
    pub rows: usize,
    /// The sum of their scores, for the parent to check against the data.
    pub score_total: f64,
    /// Resident set before the fetch, KiB.
    pub before_kib: u64,
    /// Peak resident set after the fetch, KiB.
    pub peak_kib: u64,
    /// Whether the peak was reset after the fill (if not, it includes the fill).
    pub peak_reset: bool,
}

impl FetchMemoryReport {
    fn to_json(&self) -> String {
        serde_json::json!({
            "rows": self.rows,
            "score_total": self.score_total,
            "before_kib": self.before_kib,
            "peak_kib": self.peak_kib,
            "peak_reset": self.peak_reset,
        })
        .to_string()
    }

    /// Reads the line the child printed.
    pub fn parse(line: &str) -> anyhow::Result<FetchMemoryReport> {
        let json: serde_json::Value = serde_json::from_str(line)?;
        let field = |name: &str| json.get(name).with_context(|| format!("no {name:?} field"));
        let uint = |name: &str| field(name)?.as_u64().with_context(|| format!("{name:?} is not a count"));
        Ok(FetchMemoryReport {
            rows: usize::try_from(uint("rows")?)?,
            score_total: field("score_total")?.as_f64().context("\"score_total\" is not a number")?,
            before_kib: uint("before_kib")?,
            peak_kib: uint("peak_kib")?,
            peak_reset: field("peak_reset")?.as_bool().context("\"peak_reset\" is not a bool")?,
        })
    }
}

/// A field of `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")
        .context("fetch_memory reads /proc/self/status, which this system lacks (Linux only)")?;
    let value = status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kib| kib.parse().ok());
    match value {
        Some(kib) => Ok(kib),
        None => bail!("/proc/self/status has no {field} line"),
    }
}

/// The `fetch_memory` child: fills a new store at `path` with `n` rows (straight through the
/// store contract, a slice at a time so the fill leaves little behind), resets the peak
/// RSS, iterates a batched fetch reading every score, and prints its report.
pub fn fetch_memory(n: usize, path: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
    let db = StrataDb::create(path)?;
    let clip = db.entity_index()?;
    let mut done = 0;
    while done < n {
        let end = (done + FILL_CHUNK).min(n);
        let inserted = data::rows_in(done..end, n)
            .iter()
            .map(|row| InsertedRow {
                id: ObjectId::new_temporary(clip),
                values: data::values(row),
                to_one: Vec::new(),
            })
            .collect();
        db.store().save(&SaveRequest { inserted, ..Default::default() })?;
        done = end;
    }
    let mut context = Context::new(db.coordinator()?);
    // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0).
    let peak_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before_kib = status_kib("VmRSS")?;
    let mut cursor = context.fetch_batched(&FetchRequest::new("Clip").batch_size(BATCH))?;
    let (mut rows, mut score_total) = (0usize, 0.0);
    while let Some(ids) = cursor.next_batch()? {
        for id in ids {
            score_total += cursor.context().get::<f64>(id, "score")?;
            rows += 1;
        }
    }
    drop(cursor);
    let peak_kib = status_kib("VmHWM")?;
    let report = FetchMemoryReport { rows, score_total, before_kib, peak_kib, peak_reset };
    writeln!(out, "{}", report.to_json())?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_survives_its_line() {
        let report = FetchMemoryReport {
            rows: 7,
            score_total: 2.25,
            before_kib: 100,
            peak_kib: 140,
            peak_reset: true,
        };
        assert_eq!(FetchMemoryReport::parse(&report.to_json()).ok(), Some(report));
    }

    #[test]
    fn a_report_missing_a_field_is_refused() {
        let err = FetchMemoryReport::parse(r#"{"rows":1,"score_total":0,"before_kib":1,"peak_kib":2}"#);
        assert!(err.is_err_and(|e| e.to_string().contains("peak_reset")));
    }
}
