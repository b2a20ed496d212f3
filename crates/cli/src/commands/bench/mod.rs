//! `strata bench`: Strata's speed against what a user would otherwise write, measured side by
//! side in one process on identical data with identical SQLite settings.
//!
//! Every workload runs its Strata side and its baseline alternately, several times, and
//! reports the medians and their ratio against the target. Both sides return a
//! checksum of what they read, and a disagreement is an error: a side that skipped work
//! would otherwise look fast. Ratios are reported, not asserted: the bench is a measurement,
//! CI only smoke-runs it (`--quick`).
//!
//! JSON output is one line per result. A ratio workload prints `{"workload", "n",
//! "strata_s", "baseline", "baseline_s", "ratio", "target", "ok"}`. A workload with no
//! baseline (`merge`, `notify_latency`, `fetch_memory`, in `figures`) prints one line per
//! figure: `{"workload", "n", "figure", "value", "unit", "target", "ok"}`, where `figure`
//! names what was measured (`"merge_changes"`; `"p50"` and `"p99"`; `"peak RSS growth"`),
//! `value` is in `unit` (`"ms"`, `"µs"`, `"MiB"`), `target` is the most `value` may be or
//! `null` where the issue sets none, and `ok` is `null` without a target (`fetch_memory`'s
//! figure is `"peak RSS growth, fill included"` where the kernel cannot reset the peak). A
//! workload this system cannot measure (`fetch_memory` off Linux) prints `{"workload",
//! "status": "unsupported", "needs"}`. The hidden flags run the second process
//! `notify_latency` and `fetch_memory` need (`child`); they are not an interface.
//!
//! `--peers` then runs `insert` and `fetch_all` with Diesel and SQLAlchemy's ORM (`peers`)
//! and prints Strata's ratio to each: `{"workload", "n", "strata_s", "peer", "peer_label",
//! "peer_s", "ratio"}` with `ratio` = Strata's median / the peer's, or `{"peer", "status":
//! "skipped", "reason"}` for a peer that cannot run here.

mod child;
mod data;
mod figures;
mod peers;
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
    /// Also run insert and fetch_all with Diesel and SQLAlchemy's ORM (from the source
    /// tree's bench/peers; needs cargo, and python3 for SQLAlchemy) and print Strata's ratio
    /// to each.
    #[arg(long)]
    pub peers: bool,
    /// The Strata source tree holding bench/peers (default: $STRATA_REPO, else the tree
    /// this binary was built from).
    #[arg(long, value_name = "DIR", requires = "peers")]
    pub repo: Option<std::path::PathBuf>,
    /// Internal: be the notify_latency watcher of the store at PATH.
    #[arg(long, hide = true, value_name = "PATH", conflicts_with = "fetch_memory_rows")]
    pub watch_store: Option<std::path::PathBuf>,
    /// Internal: be the fetch_memory child, on this many rows.
    #[arg(long, hide = true, value_name = "ROWS", requires = "fetch_memory_store")]
    pub fetch_memory_rows: Option<usize>,
    /// Internal: the new store the fetch_memory child creates.
    #[arg(long, hide = true, value_name = "PATH", requires = "fetch_memory_rows")]
    pub fetch_memory_store: Option<std::path::PathBuf>,
}

/// A workload measured against a baseline.
struct Spec {
    name: &'static str,
    baseline: &'static str,
    /// (full, `--quick`) sizes.
    n: (usize, usize),
    /// The most Strata's median over the baseline's may be.
    target: f64,
}

const WORKLOADS: &[Spec] = &[
    Spec {
        name: "insert",
        baseline: "raw rusqlite prepared INSERTs, one transaction",
        n: (100_000, 10_000),
        target: 1.5,
    },
    Spec {
        name: "fetch_all",
        baseline: "raw SELECT into a Vec of structs",
        n: (100_000, 10_000),
        target: 1.5,
    },
    Spec {
        name: "fetch_indexed",
        baseline: "raw SELECT on the date index",
        n: (100_000, 10_000),
        target: 1.3,
    },
    Spec { name: "fault_warm", baseline: "raw SELECT by primary key", n: (10_000, 2_000), target: 0.5 },
    Spec { name: "batch_update", baseline: "raw UPDATE", n: (100_000, 10_000), target: 1.2 },
    Spec { name: "batch_insert", baseline: "raw INSERTs", n: (100_000, 10_000), target: 1.2 },
    Spec {
        name: "history_overhead",
        baseline: "the insert workload with history off",
        n: (100_000, 10_000),
        target: 1.25,
    },
];

/// A workload reporting figures rather than a ratio (`figures`).
struct FigureSpec {
    name: &'static str,
    /// What the figures are measured against, for the table.
    about: &'static str,
    n: (usize, usize),
    /// `Some(what it needs)` where this system cannot measure it.
    unsupported: Option<&'static str>,
}

const FIGURE_WORKLOADS: &[FigureSpec] = &[
    FigureSpec {
        name: "merge",
        about: "a history transaction updating n objects",
        n: (10_000, 2_000),
        unsupported: None,
    },
    FigureSpec {
        name: "notify_latency",
        about: "save() return -> RemoteChange in another process",
        n: (1_000, 100),
        unsupported: None,
    },
    FigureSpec {
        name: "fetch_memory",
        about: "batched fetch (batches of 1,000), own process",
        n: (1_000_000, 20_000),
        // The peak RSS comes from /proc/self/status.
        unsupported: if cfg!(target_os = "linux") { None } else { Some("Linux (/proc/self/status)") },
    },
];

struct Measured {
    n: usize,
    strata: Duration,
    baseline: Duration,
}

/// Runs the selected workloads and prints one line per workload.
pub fn run(args: &BenchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if let Some(path) = &args.watch_store {
        return child::watch(path, out);
    }
    if let (Some(rows), Some(path)) = (args.fetch_memory_rows, &args.fetch_memory_store) {
        return child::fetch_memory(rows, path, out);
    }
    let (selected, selected_figures): (Vec<&Spec>, Vec<&FigureSpec>) = match &args.only {
        Some(name) => match (
            WORKLOADS.iter().find(|w| w.name == name),
            FIGURE_WORKLOADS.iter().find(|w| w.name == name),
        ) {
            (Some(w), _) => (vec![w], vec![]),
            (None, Some(w)) => (vec![], vec![w]),
            (None, None) => {
                let all = WORKLOADS.iter().map(|w| w.name).chain(FIGURE_WORKLOADS.iter().map(|w| w.name));
                match strata::model::nearest_name(name, all) {
                    Some(near) => bail!("no workload {name:?} (did you mean {near:?}?)"),
                    None => bail!("no workload {name:?}; the workloads are {}", names()),
                }
            }
        },
        None => (WORKLOADS.iter().collect(), FIGURE_WORKLOADS.iter().collect()),
    };
    let peer_workloads = selected.iter().filter(|w| peers::WORKLOADS.contains(&w.name)).count();
    if args.peers && peer_workloads == 0 {
        bail!("--peers compares {}: --only selects neither", peers::WORKLOADS.join(" and "));
    }
    let repeats = if args.quick { 3 } else { 5 };
    let peer_runs = if args.peers { peers::PEERS.len() * peer_workloads } else { 0 };
    let bar = progress_bar((selected.len() * repeats + selected_figures.len() + peer_runs) as u64);
    // Strata's medians on the workloads the peers run too.
    let mut strata_times = Vec::new();
    let dir = tempfile::tempdir().context("a temporary directory for the bench databases")?;
    let mut table =
        Table::new(["workload", "n", "strata s", "baseline", "baseline s", "ratio", "target", "ok"]);
    for spec in selected {
        let n = if args.quick { spec.n.1 } else { spec.n.0 };
        let target = spec.target;
        bar.set_message(spec.name);
        let dir = dir.path().join(spec.name);
        std::fs::create_dir_all(&dir)?;
        let measured =
            measure(spec.name, n, repeats, &dir, &bar).with_context(|| format!("workload {}", spec.name))?;
        let (strata_s, baseline_s) = (measured.strata.as_secs_f64(), measured.baseline.as_secs_f64());
        let ratio = strata_s / baseline_s;
        let ok = ratio <= target;
        if peers::WORKLOADS.contains(&spec.name) {
            strata_times.push(peers::StrataTime { workload: spec.name, n: measured.n, strata_s });
        }
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
    for spec in selected_figures {
        let n = if args.quick { spec.n.1 } else { spec.n.0 };
        if let Some(needs) = spec.unsupported {
            match args.format {
                Format::Json => writeln!(
                    out,
                    "{}",
                    JsonObject::new()
                        .field("workload", spec.name)
                        .field("status", "unsupported")
                        .field("needs", needs)
                        .finish()
                )?,
                Format::Table => {
                    let mut row =
                        vec![spec.name.to_string(), String::new(), format!("unsupported: needs {needs}")];
                    row.extend(
                        [spec.about.to_string()].into_iter().chain(std::iter::repeat_n(String::new(), 4)),
                    );
                    table.row(row);
                }
            }
            bar.inc(1);
            continue;
        }
        bar.set_message(spec.name);
        let dir = dir.path().join(spec.name);
        std::fs::create_dir_all(&dir)?;
        let measured = match spec.name {
            "merge" => figures::merge(n, repeats, &dir),
            "notify_latency" => figures::notify_latency(n, &dir),
            "fetch_memory" => figures::fetch_memory(n, &dir),
            other => bail!("workload {other} has no implementation"),
        }
        .with_context(|| format!("workload {}", spec.name))?;
        for figure in measured {
            write_figure(args.format, out, &mut table, spec, n, &figure)?;
        }
        bar.inc(1);
    }
    if args.format == Format::Table {
        // Strata's figures first: the peers' builds may take minutes.
        bar.suspend(|| -> anyhow::Result<()> {
            write!(out, "{}", table.render())?;
            writeln!(out, "medians of {repeats} runs each; ratio = strata / baseline (lower is better)")?;
            writeln!(
                out,
                "figure rows: merge is a median of {repeats} runs, notify_latency percentiles of n samples, \
                 fetch_memory one run"
            )?;
            Ok(out.flush()?)
        })?;
    }
    if args.peers {
        let repo = peers::repo_dir(args.repo.as_deref());
        let peers_dir = dir.path().join("peers");
        std::fs::create_dir_all(&peers_dir)?;
        let table = peers::compare(&strata_times, repeats, &repo, &peers_dir, args.format, &bar, out)?;
        if args.format == Format::Table {
            bar.suspend(|| -> anyhow::Result<()> {
                write!(out, "\n{}", table.render())?;
                writeln!(
                    out,
                    "peers: medians of {repeats} runs each in their own process, after Strata's; \
                     strata / peer below 1 means Strata is faster"
                )?;
                Ok(())
            })?;
        }
    }
    bar.finish_and_clear();
    Ok(())
}

fn names() -> String {
    WORKLOADS
        .iter()
        .map(|w| w.name)
        .chain(FIGURE_WORKLOADS.iter().map(|w| w.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One figure as a JSON line or a table row (the shape the module docs give).
fn write_figure(
    format: Format,
    out: &mut dyn Write,
    table: &mut Table,
    spec: &FigureSpec,
    n: usize,
    figure: &figures::Figure,
) -> anyhow::Result<()> {
    let ok = figure.ok();
    match format {
        Format::Json => writeln!(
            out,
            "{}",
            JsonObject::new()
                .field("workload", spec.name)
                .field("n", serde_json::json!(n))
                .field("figure", figure.figure)
                .field("value", serde_json::json!(figure.value))
                .field("unit", figure.unit)
                .field("target", serde_json::json!(figure.target))
                .field("ok", serde_json::json!(ok))
                .finish()
        )?,
        Format::Table => table.row(vec![
            spec.name.into(),
            n.to_string(),
            format!("{} {:.3} {}", figure.figure, figure.value, figure.unit),
            spec.about.into(),
            String::new(),
            String::new(),
            figure.target.map_or_else(|| "—".into(), |t| format!("≤ {t} {}", figure.unit)),
            match ok {
                Some(true) => "ok".into(),
                Some(false) => "short".into(),
                None => String::new(),
            },
        ]),
    }
    Ok(())
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

/// Times both sides of one run, Strata's first on even runs and the baseline's first on odd
/// ones: whichever side runs second inherits the first one's aftermath (the kernel writing
/// back its pages, the allocator returning its memory), and alternating spreads that over
/// both medians instead of charging it to one side.
fn timed_pair<A, B>(
    run: usize,
    strata: impl FnOnce() -> anyhow::Result<A>,
    baseline: impl FnOnce() -> anyhow::Result<B>,
) -> anyhow::Result<((Duration, A), (Duration, B))> {
    if run.is_multiple_of(2) {
        let first = timed(strata)?;
        Ok((first, timed(baseline)?))
    } else {
        let first = timed(baseline)?;
        Ok((timed(strata)?, first))
    }
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

/// Runs one workload `repeats` times on each side, alternating (and alternating which side
/// goes first, see [`timed_pair`]), and returns the medians.
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
    if !matches!(name, "insert" | "history_overhead" | "batch_insert") {
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
                let ((ts, a), (tr, b)) = timed_pair(run, || s.insert(&rows), || r.insert(&rows))?;
                agree(a as i64, b as i64)?;
                strata.push(ts);
                baseline.push(tr);
            }
            ("batch_insert", _) => {
                let s = StrataDb::create(&dir.join(format!("strata-batch-{run}.sqlite")))?;
                let mut r = RawDb::create(&dir.join(format!("raw-batch-{run}.sqlite")))?;
                // The request's input is values: built before the clock starts, as the
                // baseline's rows are.
                let values = StrataDb::batch_rows(&rows);
                let ((ts, a), (tr, b)) = timed_pair(run, || s.batch_insert(values), || r.insert(&rows))?;
                agree(a as i64, b as i64)?;
                anyhow::ensure!(s.count()? == n as u64, "the batch stored {} rows, not {n}", s.count()?);
                strata.push(ts);
                baseline.push(tr);
            }
            ("batch_update", Some((s, r))) => {
                let visits = 10_000 + run as i64;
                let ((ts, a), (tr, b)) =
                    timed_pair(run, || s.batch_update_visits(visits), || r.update_visits(visits))?;
                agree(a as i64, b as i64)?;
                strata.push(ts);
                baseline.push(tr);
            }
            ("history_overhead", _) => {
                let s = StrataDb::create_with_history(&dir.join(format!("history-{run}.sqlite")))?;
                let plain = StrataDb::create(&dir.join(format!("plain-{run}.sqlite")))?;
                let ((ts, a), (tp, b)) = timed_pair(run, || s.insert(&rows), || plain.insert(&rows))?;
                agree(a as i64, b as i64)?;
                let recorded = s.history_changes()?;
                anyhow::ensure!(
                    recorded == n,
                    "the history records {recorded} changes, not {n}: it skipped work"
                );
                strata.push(ts);
                baseline.push(tp);
            }
            ("fetch_all", Some((s, r))) => {
                let ((ts, a), (tr, b)) = timed_pair(run, || s.fetch_all(), || r.fetch_all())?;
                agree(a, b)?;
                strata.push(ts);
                baseline.push(tr);
            }
            ("fetch_indexed", Some((s, r))) => {
                // 1% of the rows, from the middle of the date range.
                let share = (n / 100).max(1) as i64;
                let from = ORIGIN_MICROS + (n as i64 / 2) * STEP_MICROS;
                let to = from + share * STEP_MICROS;
                let ((ts, a), (tr, b)) =
                    timed_pair(run, || s.fetch_range(from, to, 100), || r.fetch_range(from, to, 100))?;
                agree(a, b)?;
                strata.push(ts);
                baseline.push(tr);
            }
            ("fault_warm", Some((s, r))) => {
                let (coordinator, ids) = s.warm(n)?;
                let keys = StrataDb::keys(&ids);
                let ((ts, a), (tr, b)) =
                    timed_pair(run, || StrataDb::faults(&coordinator, &ids), || r.fetch_by_key(&keys))?;
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
