//! `strata bench --peers`: the `insert` and `fetch_all` workloads run by what a user might
//! pick instead of Strata — Diesel (`bench/peers/`, a Cargo workspace of its own, built and
//! run with `cargo run --release --locked`) and SQLAlchemy's ORM
//! (`bench/peers/sqlalchemy_peer.py`, in a virtualenv this module creates under the source
//! tree's `target/bench-venv`).
//!
//! The peers live in the source tree, not in this binary: the tree is the one this binary
//! was built from (its `CARGO_MANIFEST_DIR` at compile time), or `--repo DIR`, or the
//! `STRATA_REPO` environment variable. A peer that cannot run here (no cargo, no python3, no
//! source tree, a failed build or install) is skipped with the reason; a peer whose checksum
//! disagrees with the rows the bench made is an error, as in every workload. Each peer runs
//! in its own process after Strata's runs, with its own medians: the ratio compares medians
//! from the same machine minutes apart, not interleaved runs as the raw baselines are.

use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use indicatif::ProgressBar;

use super::super::Format;
use super::data;
use crate::output::{JsonObject, Table};

/// The workloads the peers run.
pub const WORKLOADS: [&str; 2] = ["insert", "fetch_all"];

/// How long a peer's build or install may take before it is skipped.
const PREPARE_LIMIT: Duration = Duration::from_secs(30 * 60);

/// How long one peer run (one workload, all its repetitions) may take.
const RUN_LIMIT: Duration = Duration::from_secs(20 * 60);

/// The environment variable naming the source tree, below `--repo`.
pub const REPO_ENV: &str = "STRATA_REPO";

/// The source tree holding `bench/peers`: `flag`, else `$STRATA_REPO`, else the tree this
/// binary was built from.
pub fn repo_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(dir) = flag {
        return dir.to_path_buf();
    }
    if let Some(dir) = std::env::var_os(REPO_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    // crates/cli → the workspace root; canonical where it exists, for readable messages.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::canonicalize(&root).unwrap_or(root)
}

/// One peer's median on one workload, as its JSON line reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerTime {
    /// `"diesel"` or `"sqlalchemy"`.
    pub peer: String,
    /// What ran, with its SQLite: `"Diesel 2.3 (SQLite 3.53.2)"`.
    pub label: String,
    /// The workload.
    pub workload: String,
    /// Rows.
    pub n: usize,
    /// Median seconds over the peer's runs.
    pub median_s: f64,
}

/// A peer ready to run, or why it cannot.
pub enum Prepared {
    /// Ready to run one workload at a time.
    Ready {
        /// The program: cargo, or the virtualenv's python.
        program: PathBuf,
        /// Its arguments before the bench's own (`--n`, `--repeats`, `--dir`, `--only`).
        args: Vec<std::ffi::OsString>,
    },
    /// Skipped, with the reason shown to the user.
    Skipped(String),
}

/// The peers, in the order they run and print.
pub const PEERS: [&str; 2] = ["diesel", "sqlalchemy"];

/// Builds or installs `peer` under `repo`.
pub fn prepare(peer: &str, repo: &Path) -> Prepared {
    let peers = repo.join("bench").join("peers");
    let manifest = peers.join("Cargo.toml");
    if !manifest.is_file() {
        return Prepared::Skipped(format!(
            "no {} (pass --repo DIR or set {REPO_ENV} to a Strata source tree)",
            manifest.display()
        ));
    }
    match peer {
        "diesel" => prepare_diesel(&manifest),
        _ => prepare_sqlalchemy(repo, &peers),
    }
}

fn prepare_diesel(manifest: &Path) -> Prepared {
    // `cargo run` sets CARGO for what it runs; anywhere else, the one on PATH.
    let cargo = std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
    let mut build = Command::new(&cargo);
    build.args(["build", "--release", "--locked", "--quiet", "--manifest-path"]).arg(manifest);
    match run_bounded(build, PREPARE_LIMIT) {
        Err(Failure::NotFound) => Prepared::Skipped(format!(
            "{} not found: install Rust (rustup.rs) to run Diesel",
            cargo.display()
        )),
        Err(e) => Prepared::Skipped(format!("building the Diesel peer: {e}")),
        Ok(out) if !out.status.success() => Prepared::Skipped(format!(
            "building the Diesel peer failed ({}): {}",
            out.status,
            tail(&out.stderr)
        )),
        Ok(_) => Prepared::Ready {
            program: cargo,
            args: ["run", "--release", "--locked", "--quiet", "--manifest-path"]
                .into_iter()
                .map(Into::into)
                .chain([manifest.as_os_str().to_owned(), "--".into()])
                .collect(),
        },
    }
}

fn prepare_sqlalchemy(repo: &Path, peers: &Path) -> Prepared {
    let script = peers.join("sqlalchemy_peer.py");
    let requirements = peers.join("requirements.txt");
    let wanted = match std::fs::read_to_string(&requirements) {
        Ok(text) => text,
        Err(e) => return Prepared::Skipped(format!("reading {}: {e}", requirements.display())),
    };
    let venv = repo.join("target").join("bench-venv");
    let python =
        if cfg!(windows) { venv.join("Scripts").join("python.exe") } else { venv.join("bin").join("python") };
    // The venv is reused while it was made from these requirements.
    let marker = venv.join("strata-requirements.txt");
    let installed = std::fs::read_to_string(&marker).is_ok_and(|text| text == wanted) && python.is_file();
    if !installed {
        let mut create = Command::new("python3");
        create.args(["-m", "venv", "--clear"]).arg(&venv);
        match run_bounded(create, PREPARE_LIMIT) {
            Err(Failure::NotFound) => {
                return Prepared::Skipped("python3 not found: install Python 3 to run SQLAlchemy".into());
            }
            Err(e) => return Prepared::Skipped(format!("creating a virtualenv: {e}")),
            Ok(out) if !out.status.success() => {
                return Prepared::Skipped(format!(
                    "`python3 -m venv {}` failed ({}): {}",
                    venv.display(),
                    out.status,
                    tail(&out.stderr)
                ));
            }
            Ok(_) => {}
        }
        let mut install = Command::new(&python);
        install
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements);
        match run_bounded(install, PREPARE_LIMIT) {
            Ok(out) if out.status.success() => {}
            Ok(out) => {
                return Prepared::Skipped(format!(
                    "installing {} failed ({}): {}",
                    wanted.trim(),
                    out.status,
                    tail(&out.stderr)
                ));
            }
            Err(e) => return Prepared::Skipped(format!("installing {}: {e}", wanted.trim())),
        }
        if let Err(e) = std::fs::write(&marker, &wanted) {
            return Prepared::Skipped(format!("writing {}: {e}", marker.display()));
        }
    }
    Prepared::Ready { program: python, args: vec![script.into_os_string()] }
}

/// Runs a prepared peer on `workload` with `n` rows, `repeats` times, in `dir`, and checks
/// its checksum against the rows the bench makes.
pub fn run(
    program: &Path,
    args: &[std::ffi::OsString],
    workload: &str,
    n: usize,
    repeats: usize,
    dir: &Path,
) -> anyhow::Result<PeerTime> {
    let mut command = Command::new(program);
    command
        .args(args)
        .arg("--n")
        .arg(n.to_string())
        .arg("--repeats")
        .arg(repeats.to_string())
        .arg("--dir")
        .arg(dir)
        .arg("--only")
        .arg(workload);
    let out = run_bounded(command, RUN_LIMIT).map_err(|e| anyhow::anyhow!("{e}"))?;
    ensure!(out.status.success(), "the peer failed ({}): {}", out.status, tail(&out.stderr));
    let line = out
        .stdout
        .lines()
        .find(|l| !l.trim().is_empty())
        .with_context(|| format!("the peer printed nothing; its errors: {}", tail(&out.stderr)))?;
    parse(line, workload, n)
}

/// Strata's median on a workload the peers also run, from the bench's own runs.
pub struct StrataTime {
    /// The workload.
    pub workload: &'static str,
    /// Rows.
    pub n: usize,
    /// Median seconds.
    pub strata_s: f64,
}

/// Prepares every peer and runs it on each workload in `strata`, printing one JSON line per
/// comparison (or skipped peer) as it goes, or returning the table to print.
pub fn compare(
    strata: &[StrataTime],
    repeats: usize,
    repo: &Path,
    dir: &Path,
    format: Format,
    bar: &ProgressBar,
    out: &mut dyn Write,
) -> anyhow::Result<Table> {
    let mut table = Table::new(["workload", "n", "strata s", "peer", "peer s", "strata / peer"]);
    for peer in PEERS {
        bar.set_message(format!("{peer}: building or installing (the first run takes minutes)"));
        let (program, args) = match prepare(peer, repo) {
            Prepared::Ready { program, args } => (program, args),
            Prepared::Skipped(reason) => {
                match format {
                    Format::Json => writeln!(
                        out,
                        "{}",
                        JsonObject::new()
                            .field("peer", peer)
                            .field("status", "skipped")
                            .field("reason", reason.as_str())
                            .finish()
                    )?,
                    Format::Table => table.row(vec![
                        String::new(),
                        String::new(),
                        String::new(),
                        peer.into(),
                        format!("skipped: {reason}"),
                        String::new(),
                    ]),
                }
                bar.inc(strata.len() as u64);
                continue;
            }
        };
        for s in strata {
            bar.set_message(format!("{peer}: {}", s.workload));
            let peer_dir = dir.join(format!("{peer}-{}", s.workload));
            std::fs::create_dir_all(&peer_dir)?;
            let time = run(&program, &args, s.workload, s.n, repeats, &peer_dir)
                .with_context(|| format!("peer {peer}, workload {}", s.workload))?;
            let ratio = s.strata_s / time.median_s;
            match format {
                Format::Json => writeln!(
                    out,
                    "{}",
                    JsonObject::new()
                        .field("workload", s.workload)
                        .field("n", serde_json::json!(s.n))
                        .field("strata_s", serde_json::json!(s.strata_s))
                        .field("peer", peer)
                        .field("peer_label", time.label.as_str())
                        .field("peer_s", serde_json::json!(time.median_s))
                        .field("ratio", serde_json::json!(ratio))
                        .finish()
                )?,
                Format::Table => table.row(vec![
                    s.workload.into(),
                    s.n.to_string(),
                    format!("{:.4}", s.strata_s),
                    time.label,
                    format!("{:.4}", time.median_s),
                    format!("{ratio:.2}"),
                ]),
            }
            bar.inc(1);
        }
    }
    Ok(table)
}

/// Reads a peer's JSON line and checks it is about `workload` on `n` rows and read exactly
/// the bench's rows.
pub fn parse(line: &str, workload: &str, n: usize) -> anyhow::Result<PeerTime> {
    let v: serde_json::Value =
        serde_json::from_str(line).with_context(|| format!("a peer printed {line:?}, not a JSON line"))?;
    let text = |key: &str| v[key].as_str().with_context(|| format!("no {key:?} in {line}"));
    let (peer, label, sqlite) = (text("peer")?, text("label")?, text("sqlite")?);
    ensure!(text("workload")? == workload, "asked for {workload}, the peer reported {line}");
    ensure!(v["n"].as_u64() == Some(n as u64), "asked for {n} rows, the peer reported {line}");
    let median_s = v["median_s"].as_f64().filter(|s| s.is_finite() && *s > 0.0);
    let median_s = median_s.with_context(|| format!("no positive median_s in {line}"))?;
    let checksum = v["checksum"].as_i64().with_context(|| format!("no checksum in {line}"))?;
    let expected = match workload {
        "insert" => n as i64,
        _ => data::checksum_of(n),
    };
    if checksum != expected {
        bail!(
            "{peer}'s {workload} checksum {checksum} differs from the bench's {expected}: it made or read other rows"
        );
    }
    Ok(PeerTime {
        peer: peer.to_owned(),
        label: format!("{label} (SQLite {sqlite})"),
        workload: workload.to_owned(),
        n,
        median_s,
    })
}

/// The last few lines of a process's error output, for a skip reason.
fn tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    match lines.len() {
        0 => "no error output".into(),
        len => lines[len.saturating_sub(5)..].join(" | "),
    }
}

struct Output {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Why a child process gave no output.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("not found")]
    NotFound,
    #[error("could not start: {source}")]
    Spawn { source: std::io::Error },
    #[error("still running after {limit:?}: stopped")]
    TimedOut { limit: Duration },
    #[error("waiting for it: {source}")]
    Wait { source: std::io::Error },
}

/// Runs `command` to its end or for at most `limit`, collecting its output.
fn run_bounded(mut command: Command, limit: Duration) -> Result<Output, Failure> {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => Failure::NotFound,
        _ => Failure::Spawn { source },
    })?;
    let reader = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                // A read error leaves what was read: the output is for messages only.
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = reader(child.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let stderr = reader(child.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failure::TimedOut { limit });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(source) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failure::Wait { source });
            }
        }
    };
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(workload: &str, n: usize, checksum: i64) -> String {
        format!(
            r#"{{"peer":"diesel","label":"Diesel 2.3","sqlite":"3.53.2","workload":"{workload}","n":{n},"median_s":0.5,"runs":3,"checksum":{checksum}}}"#
        )
    }

    #[test]
    fn a_line_with_the_bench_checksum_is_read() {
        let time = parse(&line("fetch_all", 100, data::checksum_of(100)), "fetch_all", 100).unwrap();
        assert_eq!((time.peer.as_str(), time.label.as_str()), ("diesel", "Diesel 2.3 (SQLite 3.53.2)"));
        assert_eq!((time.n, time.median_s), (100, 0.5));
        assert!(parse(&line("insert", 100, 100), "insert", 100).is_ok());
    }

    #[test]
    fn other_rows_or_another_workload_are_refused() {
        let wrong = parse(&line("fetch_all", 100, data::checksum_of(100) + 1), "fetch_all", 100).unwrap_err();
        assert!(wrong.to_string().contains("differs from the bench's"), "{wrong}");
        assert!(parse(&line("insert", 99, 99), "insert", 100).is_err());
        assert!(parse(&line("insert", 100, 100), "fetch_all", 100).is_err());
        assert!(parse("Compiling diesel", "insert", 100).is_err());
    }

    #[test]
    fn a_missing_tree_skips_every_peer_with_the_way_out() {
        let dir = tempfile::tempdir().unwrap();
        for peer in PEERS {
            match prepare(peer, dir.path()) {
                Prepared::Skipped(reason) => assert!(reason.contains("--repo DIR"), "{reason}"),
                Prepared::Ready { .. } => panic!("{peer} ready without bench/peers"),
            }
        }
    }

    #[test]
    #[cfg(unix)]
    fn bounded_runs_stop_at_their_limit() {
        let mut sleep = Command::new("sleep");
        sleep.arg("5");
        let start = Instant::now();
        assert!(matches!(run_bounded(sleep, Duration::from_millis(100)), Err(Failure::TimedOut { .. })));
        assert!(start.elapsed() < Duration::from_secs(3));
        let missing = Command::new("/nonexistent/strata-peer");
        assert!(matches!(run_bounded(missing, Duration::from_secs(1)), Err(Failure::NotFound)));
    }
}
