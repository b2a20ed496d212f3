//! `strata bench`: Strata's speed against what a user would otherwise write, measured side by
//! side in one process on identical data with identical SQLite settings.
//!
//! Every workload runs its Strata side and its baseline alternately, several times, and
//! reports the medians and their ratio against the target. Both sides return a
//! checksum of what they read, and a disagreement is an error: a side that skipped work
//! would otherwise look fast. Workloads whose features have not landed yet are listed as
//! pending with what they wait for, never faked. Ratios are reported, not asserted: the bench
//! is a measurement, CI only smoke-runs it (`--quick`).

mod data;
mod raw;
mod workloads;

use std::io::{IsTerminal as _, Write};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressStyle};

use super::Format;
use crate::output::{JsonObject, Table};
use data::{ORIGIN_MICROS, STEP_MICROS};
use raw::RawDb;
use workloads::StrataDb;

/// Flags of `strata bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Small sizes and three repetitions: a smoke run that finishes in well under a minute.
    #[arg(long)]
    pub quick: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Run only this workload.
    #[arg(long, value_name = "NAME")]
    pub only: Option<String>,
}

/// What a workload's ratio is held to.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// Strata's median over the baseline's must be at most this.
    Ratio(f64),
}

struct Spec {
    name: &'static str,
    baseline: &'static str,
    n: (usize, usize),
    target: Target,
    /// `Some(what it waits for)` for a workload whose feature has not landed.
    pending: Option<&'static str>,
}

const WORKLOADS: &[Spec] = &[
    Spec {
        name: "insert",
        baseline: "raw rusqlite prepared INSERTs, one transaction",
        n: (100_000, 10_000),
        target: Target::Ratio(1.5),
        pending: None,
    },
    Spec {
        name: "fetch_all",
        baseline: "raw SELECT into a Vec of structs",
        n: (100_000, 10_000),
        target: Target::Ratio(1.5),
        pending: None,
    },
    Spec {
        name: "fetch_indexed",
        baseline: "raw SELECT on the date index",
        n: (100_000, 10_000),
        target: Target::Ratio(1.3),
        pending: None,
    },
    Spec {
        name: "fault_warm",
        baseline: "raw SELECT by primary key",
        n: (10_000, 2_000),
        target: Target::Ratio(0.5),
        pending: None,
    },
    Spec {
        name: "batch_update",
        baseline: "raw UPDATE",
        n: (100_000, 10_000),
        target: Target::Ratio(1.2),
        pending: Some("batch requests (issue 5)"),
    },
    Spec {
        name: "batch_insert",
        baseline: "raw INSERTs",
        n: (100_000, 10_000),
        target: Target::Ratio(1.2),
        pending: Some("batch requests (issue 5)"),
    },
    Spec {
        name: "history_overhead",
        baseline: "the insert workload with history off",
        n: (100_000, 10_000),
        target: Target::Ratio(1.25),
        pending: Some("persistent history (issue 5)"),
    },
]; // merge, notify_latency and fetch_memory report figures rather than ratios; they join with issues 4–5.

struct Measured {
    n: usize,
    strata: Duration,
    baseline: Duration,
}

/// Runs the selected workloads and prints one line per workload.
pub fn run(args: &BenchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let selected: Vec<&Spec> = match &args.only {
        Some(name) => match WORKLOADS.iter().find(|w| w.name == name) {
            Some(w) => vec![w],
            None => {
                let near = strata::model::nearest_name(name, WORKLOADS.iter().map(|w| w.name));
                match near {
                    Some(near) => bail!("no workload {name:?} (did you mean {near:?}?)"),
                    None => bail!("no workload {name:?}; the workloads are {}", names()),
                }
            }
        },
        None => WORKLOADS.iter().collect(),
    };
    let repeats = if args.quick { 3 } else { 5 };
    let runnable = selected.iter().filter(|w| w.pending.is_none()).count();
    let bar = progress_bar((runnable * repeats) as u64);
    let dir = tempfile::tempdir().context("a temporary directory for the bench databases")?;
    let mut table =
        Table::new(["workload", "n", "strata s", "baseline", "baseline s", "ratio", "target", "ok"]);
    for spec in selected {
        let n = if args.quick { spec.n.1 } else { spec.n.0 };
        let Target::Ratio(target) = spec.target;
        if let Some(waits_for) = spec.pending {
            match args.format {
                Format::Json => writeln!(
                    out,
                    "{}",
                    JsonObject::new()
                        .field("workload", spec.name)
                        .field("status", "pending")
                        .field("needs", waits_for)
                        .field("target", serde_json::json!(target))
                        .finish()
                )?,
                Format::Table => table.row(vec![
                    spec.name.into(),
                    String::new(),
                    format!("pending: {waits_for}"),
                    spec.baseline.into(),
                    String::new(),
                    String::new(),
                    format!("≤ {target}"),
                    String::new(),
                ]),
            }
            continue;
        }
        bar.set_message(spec.name);
        let dir = dir.path().join(spec.name);
        std::fs::create_dir_all(&dir)?;
        let measured =
            measure(spec.name, n, repeats, &dir, &bar).with_context(|| format!("workload {}", spec.name))?;
        let (strata_s, baseline_s) = (measured.strata.as_secs_f64(), measured.baseline.as_secs_f64());
        let ratio = strata_s / baseline_s;
        let ok = ratio <= target;
        match args.format {
            Format::Json => writeln!(
                out,
                "{}",
                JsonObject::new()
                    .field("workload", spec.name)
                    .field("n", serde_json::json!(measured.n))
                    .field("strata_s", serde_json::json!(strata_s))
                    .field("baseline", spec.baseline)
                    .field("baseline_s", serde_json::json!(baseline_s))
                    .field("ratio", serde_json::json!(ratio))
                    .field("target", serde_json::json!(target))
                    .field("ok", serde_json::json!(ok))
                    .finish()
            )?,
            Format::Table => table.row(vec![
                spec.name.into(),
                measured.n.to_string(),
                format!("{strata_s:.4}"),
                spec.baseline.into(),
                format!("{baseline_s:.4}"),
                format!("{ratio:.2}"),
                format!("≤ {target}"),
                if ok { "ok".into() } else { "short".into() },
            ]),
        }
    }
    bar.finish_and_clear();
    if args.format == Format::Table {
        write!(out, "{}", table.render())?;
        writeln!(out, "medians of {repeats} runs each; ratio = strata / baseline (lower is better)")?;
    }
    Ok(())
}

fn names() -> String {
    WORKLOADS.iter().map(|w| w.name).collect::<Vec<_>>().join(", ")
}

fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} runs {msg}") {
        bar.set_style(style);
    }
    bar
}

/// Times `f`, returning how long it took and what it returned.
fn timed<T>(f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<(Duration, T)> {
    let start = Instant::now();
    let value = f()?;
    Ok((start.elapsed(), value))
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn agree(strata: i64, baseline: i64) -> anyhow::Result<()> {
    if strata != baseline {
        bail!(
            "Strata's checksum {strata} differs from the baseline's {baseline}: one side skipped or misread rows"
        );
    }
    Ok(())
}

/// Runs one workload `repeats` times on each side, alternating, and returns the medians.
fn measure(
    name: &str,
    n: usize,
    repeats: usize,
    dir: &std::path::Path,
    bar: &ProgressBar,
) -> anyhow::Result<Measured> {
    let rows = data::rows(n);
    let (mut strata, mut baseline) = (Vec::new(), Vec::new());
    // Databases shared by the read workloads, filled outside the timings.
    let mut shared: Option<(StrataDb, RawDb)> = None;
    if name != "insert" {
        let s = StrataDb::create(&dir.join("strata.sqlite"))?;
        s.insert(&rows)?;
        let mut r = RawDb::create(&dir.join("raw.sqlite"))?;
        r.insert(&rows)?;
        anyhow::ensure!(s.count()? == n as u64, "the Strata store holds {} rows, not {n}", s.count()?);
        shared = Some((s, r));
    }
    for run in 0..repeats {
        match (name, &shared) {
            ("insert", _) => {
                let s = StrataDb::create(&dir.join(format!("strata-{run}.sqlite")))?;
                let mut r = RawDb::create(&dir.join(format!("raw-{run}.sqlite")))?;
                let (ts, a) = timed(|| s.insert(&rows))?;
                let (tr, b) = timed(|| r.insert(&rows))?;
                agree(a as i64, b as i64)?;
                strata.push(ts);
                baseline.push(tr);
            }
            ("fetch_all", Some((s, r))) => {
                let (ts, a) = timed(|| s.fetch_all())?;
                let (tr, (_rows, b)) = timed(|| r.fetch_all())?;
                agree(a, b)?;
                strata.push(ts);
                baseline.push(tr);
            }
            ("fetch_indexed", Some((s, r))) => {
                // 1% of the rows, from the middle of the date range.
                let share = (n / 100).max(1) as i64;
                let from = ORIGIN_MICROS + (n as i64 / 2) * STEP_MICROS;
                let to = from + share * STEP_MICROS;
                let (ts, a) = timed(|| s.fetch_range(from, to, 100))?;
                let (tr, (_rows, b)) = timed(|| r.fetch_range(from, to, 100))?;
                agree(a, b)?;
                strata.push(ts);
                baseline.push(tr);
            }
            ("fault_warm", Some((s, r))) => {
                let (coordinator, ids) = s.warm(n)?;
                let keys = StrataDb::keys(&ids);
                let (ts, a) = timed(|| StrataDb::faults(&coordinator, &ids))?;
                let (tr, b) = timed(|| r.fetch_by_key(&keys))?;
                agree(a, b)?;
                strata.push(ts);
                baseline.push(tr);
            }
            _ => bail!("workload {name} has no implementation"),
        }
        bar.inc(1);
    }
    Ok(Measured { n, strata: median(strata), baseline: median(baseline) })
}
