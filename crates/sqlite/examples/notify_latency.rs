//! Cross-process notification latency: a commit in this process, the `RemoteChange` in
//! another. Run with `cargo run --release -p strata-sqlite --example notify_latency [SAMPLES]
//! [history]` (`history`: a store keeping persistent history, whose tokens cost a read).
//!
//! The example re-runs itself as the watcher process, which subscribes to the store and
//! prints, for each delivery, the token's sequence and the wall-clock time (ns) it arrived.
//! The saver saves one row, waits for that delivery, pauses so the watcher is asleep again,
//! and repeats. Both processes read the same clock (`CLOCK_REALTIME`). Latency is measured
//! from the return of `save` (commit and announcement done): the wake-up may race that
//! return, so a sample can come out slightly negative; the duration of `save` is printed
//! too, as the other bound (the commit lies between the start and the return of `save`).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use strata_core::ObjectId;
use strata_core::Store;
use strata_core::store::{InsertedRow, RemoteChange, RemoteChangeHandler, SaveRequest};
use strata_model::{Model, Value};
use strata_sqlite::{SqliteOptions, SqliteStore};

const MODEL: &str = r#"{ "name": "Log", "version": 1, "entities": [
  { "name": "Entry", "attributes": [ { "name": "n", "type": "int64" } ] } ] }"#;

const WATCHER: &str = "STRATA_NOTIFY_LATENCY_WATCHER";

type Failure = Box<dyn std::error::Error>;

fn now_ns() -> i128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i128)
}

/// The watcher process: one line per delivery, `<sequence> <arrival ns>`.
fn watch(path: &Path) -> Result<(), Failure> {
    let store = SqliteStore::open_existing(path, SqliteOptions::default())?;
    let (sender, receiver) = mpsc::channel::<(u64, i128)>();
    let handler: RemoteChangeHandler = Arc::new(move |change: RemoteChange| {
        let _ = sender.send((change.token.sequence, now_ns()));
    });
    let _subscription = store.subscribe_remote_changes(handler)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    // Runs until the saver kills it after the last sample.
    while let Ok((sequence, at)) = receiver.recv() {
        writeln!(out, "{sequence} {at}")?;
        out.flush()?;
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or(f64::NAN)
}

fn main() -> Result<(), Failure> {
    if let Some(path) = std::env::var_os(WATCHER) {
        return watch(Path::new(&path));
    }
    let samples: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1_000);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("latency.sqlite");
    let model = Arc::new(Model::from_json(MODEL)?);
    let history = std::env::args().nth(2).is_some_and(|a| a == "history");
    let store = SqliteStore::create(&path, model.clone(), SqliteOptions::default().with_history(history))?;
    let entry = model.entity("Entry").ok_or("no Entry entity")?.index();

    let mut child = Command::new(std::env::current_exe()?)
        .env(WATCHER, &path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no watcher stdout")?).lines();
    let ready = lines.next().ok_or("the watcher ended")??;
    if ready != "ready" {
        return Err(format!("the watcher said {ready:?}").into());
    }

    let (mut latencies, mut saves) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
    for n in 0..samples {
        let row = InsertedRow {
            id: ObjectId::new_temporary(entry),
            values: vec![Value::Int64(n as i64)],
            to_one: vec![],
        };
        let request = SaveRequest { inserted: vec![row], ..Default::default() };
        let started = Instant::now();
        store.save(&request)?;
        let returned = now_ns();
        saves.push(started.elapsed().as_secs_f64() * 1e6);
        let line = lines.next().ok_or("the watcher ended")??;
        let (sequence, at) = line.split_once(' ').ok_or("a malformed watcher line")?;
        // Counter and history sequences both start at 1 on a new store.
        if sequence.parse::<usize>()? != n + 1 {
            return Err(format!("expected delivery {}, got {line:?} (coalesced?)", n + 1).into());
        }
        latencies.push((at.parse::<i128>()? - returned) as f64 / 1e3);
        // Let the watcher go back to sleep, as an idle subscriber would be.
        std::thread::sleep(Duration::from_micros(500));
    }
    let _ = child.kill();
    let _ = child.wait();

    latencies.sort_by(f64::total_cmp);
    saves.sort_by(f64::total_cmp);
    println!("samples: {samples}, history {}", if history { "on" } else { "off" });
    println!(
        "save() return -> RemoteChange in another process: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    println!(
        "save() duration (commit + announcement): p50 {:.1} µs, p99 {:.1} µs",
        percentile(&saves, 0.50),
        percentile(&saves, 0.99)
    );
    println!("targets: p50 <= 50 µs, p99 <= 500 µs");
    Ok(())
}
