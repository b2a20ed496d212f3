//! `strata demo`: the mission in one command. Two processes — an "app" (this one) and an
//! "extension" (the same binary, started as the hidden `strata demo extension`) — share one
//! SQLite store in an app group directory. The extension saves a clip every ~100 ms under its
//! own author; the app follows the store's persistent history with a [`HistoryTracker`] that
//! merges the extension's transactions into the app's context, and a [`FetchedResults`]
//! observer that turns each merge into list changes. The app prints each clip as it arrives
//! with its latency from commit (in the extension) to merge (in the app), runs a batch update
//! of its own in a "batchContext" (which the tracker merges back, since batch changes bypass
//! contexts), resolves a URI the extension handed over through the group's shared defaults,
//! cleans the history both members have read, and sums up.
//!
//! Every step checks what it shows (counts against a fresh fetch, the handed-over title, the
//! history left after cleaning), so a regression fails the demo instead of printing something
//! false. It must finish on its own in well under 30 seconds, kill its child on any error,
//! and leave nothing behind.

mod extension;
mod report;

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use strata::core::store::{BatchOptions, BatchRequest, HistoryRequest, SaveInfo};
use strata::core::{Context, ContextInbox, Coordinator, FetchRequest, FetchedResults, ResultChange};
use strata::model::{Date, Model};
use strata::sqlite::{SqliteOptions, SqliteStore};
use strata::tracker::{AppGroup, CleanStrategy, GroupOptions, HistoryTracker, TrackerEvent};
use strata::{ObjectId, Predicate, Store, Value};

pub use extension::{ExtensionArgs, run as run_extension};
use report::{Arrivals, Latencies};

/// The store's file name in the group directory.
const STORE_NAME: &str = "clips.sqlite";
/// The app's author name in the history.
const APP: &str = "app";
/// The extension's author name.
const EXTENSION: &str = "extension";
/// Every member of the group.
const ACTORS: [&str; 2] = [APP, EXTENSION];
/// Shared-defaults keys through which the extension hands its first clip to the app.
const HANDOFF_URI: &str = "demo.handoff.uri";
const HANDOFF_TITLE: &str = "demo.handoff.title";
/// The titles the extension cycles through.
const TITLES: [&str; 8] = [
    "Rust ownership explained",
    "SQLite internals",
    "Write-ahead logging",
    "Crème brûlée at home",
    "Persistent history",
    "Faults and the row cache",
    "Predicates, compiled",
    "Street names: STRASSE",
];

/// How many clips the extension saves, and how often.
const CLIPS: usize = 40;
const INTERVAL_MS: u64 = 100;
/// The app runs its batch update once this many clips have arrived.
const BATCH_AFTER: usize = 20;
/// The whole exchange must be over by then (the extension needs about CLIPS × INTERVAL_MS).
const DEADLINE: Duration = Duration::from_secs(25);

/// Runs the story.
pub fn run(out: &mut dyn Write) -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("strata-demo-")
        .tempdir()
        .context("cannot create a temporary directory for the demo")?;
    writeln!(out, "Strata demo — an app and its extension sharing one store\n")?;
    let summary = App::start(dir.path(), out)?.run()?;
    let shown = dir.path().display().to_string();
    dir.close().with_context(|| format!("cannot remove the demo directory {shown}"))?;
    summary.print(out)?;
    writeln!(out, "Removed {shown}; done in {:.1} s.", started.elapsed().as_secs_f64())?;
    writeln!(
        out,
        "\nMore: strata demo tour (one process: predicates, saves, faults, conflicts), \
         strata demo rest (a REST API behind a local cache)."
    )?;
    Ok(())
}

/// What the story measured, for its summary.
struct Summary {
    clips: usize,
    latencies: Latencies,
    pinned: usize,
    cleaned: usize,
    left: usize,
}

impl Summary {
    fn print(&self, out: &mut dyn Write) -> anyhow::Result<()> {
        writeln!(
            out,
            "\nSummary: {} clips merged from the extension, commit → merge latency p50 {} / p99 {} \
             (max {}); a batch update of {} clips merged back from batchContext; {} history \
             transactions cleaned, {} left.",
            self.clips,
            report::millis(self.latencies.percentile(50.0)),
            report::millis(self.latencies.percentile(99.0)),
            report::millis(self.latencies.max()),
            self.pinned,
            self.cleaned,
            self.left,
        )?;
        Ok(())
    }
}

/// The app process's side: its store, context, observer, tracker and the extension.
struct App<'o> {
    out: &'o mut dyn Write,
    group: AppGroup,
    model: Arc<Model>,
    coordinator: Arc<Coordinator>,
    store: Arc<dyn Store>,
    context: Context,
    inbox: ContextInbox,
    results: FetchedResults,
    tracker: Option<HistoryTracker>,
    events: Receiver<TrackerEvent>,
    extension: Extension,
}

impl<'o> App<'o> {
    /// Creates the group and its store, the app's context, observer and tracker, and starts
    /// the extension.
    fn start(dir: &std::path::Path, out: &'o mut dyn Write) -> anyhow::Result<App<'o>> {
        let group = AppGroup::open(dir.join("group.example.clips"), GroupOptions::default())?;
        let model = Arc::new(Model::from_json(super::MODEL).context("the example model")?);
        let path = group.store_path(STORE_NAME)?;
        let sqlite =
            Arc::new(SqliteStore::create(&path, model.clone(), SqliteOptions::default().with_history(true))?);
        let store: Arc<dyn Store> = sqlite;
        let coordinator = Coordinator::new(model.clone());
        let store_id = coordinator.add_store("Default", store.clone())?;
        writeln!(out, "1. An app group: a private directory (0700) shared by the app and its extension.\n")?;
        writeln!(out, "   {}", group.path().display())?;
        writeln!(out, "   ├── {STORE_NAME}   the store, with persistent history")?;
        writeln!(out, "   └── defaults.json  shared defaults: bookmarks, and what members hand each other")?;

        let mut context = Context::new(coordinator.clone());
        context.set_name(Some("appContext"));
        context.set_transaction_author(Some(APP));
        let request = FetchRequest::new("Clip").sort_by("title")?;
        let mut results = FetchedResults::new(request)?;
        results.perform_fetch(&mut context)?;

        let (sender, inbox) = ContextInbox::new();
        let (events_to, events) = channel();
        let tracker = HistoryTracker::builder(&group, coordinator.clone(), store_id, APP)
            .actors(ACTORS)
            .batch_contexts(["batchContext"])
            .merge_into(sender)
            .send_events_to(events_to)
            .clean_strategy(CleanStrategy::Manual)
            .start()?;
        writeln!(
            out,
            "\n2. The app: a context, a fetched-results observer (clips by title) and a history\n   \
             tracker for author \"{APP}\" that merges the other members' transactions into the context."
        )?;
        let extension = Extension::spawn(group.path())?;
        writeln!(
            out,
            "\n3. The extension: a second process (pid {}) saving a clip every {INTERVAL_MS} ms as \"{EXTENSION}\".\n   \
             Each clip as the app's observer reports it, with its latency from commit to merge:\n",
            extension.child.id()
        )?;
        Ok(App {
            out,
            group,
            model,
            coordinator,
            store,
            context,
            inbox,
            results,
            tracker: Some(tracker),
            events,
            extension,
        })
    }

    /// Follows the extension to its end, then hands over, cleans and checks.
    fn run(mut self) -> anyhow::Result<Summary> {
        let deadline = Instant::now() + DEADLINE;
        let mut arrivals = Arrivals::default();
        let mut pinned = None;
        let mut exited = false;
        while !(exited && arrivals.printed() >= CLIPS && pinned.is_some_and(|(_, merged)| merged)) {
            if Instant::now() > deadline {
                bail!(
                    "the demo did not finish in {DEADLINE:?}: {} of {CLIPS} clips arrived, extension {}",
                    arrivals.printed(),
                    if exited { "exited" } else { "still running" }
                );
            }
            if !exited {
                exited = self.extension.finished()?;
            }
            self.inbox.apply_next(&mut self.context, Duration::from_millis(20))?;
            let merged_at = Date::now();
            let mut updates = 0;
            for change in self.results.process_changes(&mut self.context)? {
                match change {
                    ResultChange::Insert { object, new } => arrivals.arrived(object, new.row, merged_at),
                    ResultChange::Update { .. } | ResultChange::Move { .. } => updates += 1,
                    _ => {}
                }
            }
            while let Ok(event) = self.events.try_recv() {
                match event {
                    TrackerEvent::Merged { transactions, .. } => arrivals.committed(&transactions),
                    TrackerEvent::Failed { error } => bail!("the tracker failed: {error}"),
                    _ => {}
                }
            }
            for (id, position, latency) in arrivals.ready() {
                let title: String = self.context.get(id, "title")?;
                writeln!(self.out, "   + {title:<32} at row {position:>2}   {}", report::millis(latency))?;
            }
            if let Some((count, merged)) = pinned.as_mut()
                && !*merged
                && updates > 0
            {
                *merged = true;
                writeln!(
                    self.out,
                    "   ↻ the tracker merged the app's own batch transaction back: {updates} updates \
                     reported by the observer ({count} pinned clips)"
                )?;
            }
            if pinned.is_none() && arrivals.printed() >= BATCH_AFTER {
                let count = self.batch_update()?;
                pinned = Some((count, count == 0));
            }
        }
        self.finish(arrivals, pinned.map_or(0, |(count, _)| count))
    }

    /// Pins, in one batch update in the store, every clip visited at least five times.
    fn batch_update(&mut self) -> anyhow::Result<usize> {
        let entity = self.model.entity("Clip").context("the Clip entity")?;
        let pinned =
            entity.attributes().iter().position(|a| a.name() == "pinned").context("the pinned attribute")?;
        let predicate = Predicate::parse("visits >= 5")?.check(&self.model, entity.index())?;
        let request = BatchRequest::Update {
            entity: entity.index(),
            include_subentities: true,
            predicate: Some(predicate),
            values: vec![(pinned, Value::Bool(true))],
        };
        let options = BatchOptions {
            info: SaveInfo { author: Some(APP.to_owned()), context_name: Some("batchContext".to_owned()) },
            ..BatchOptions::default()
        };
        let count = match self.coordinator.execute_batch(&request, &options)? {
            strata::core::store::BatchResult::Count(n) => n as usize,
            strata::core::store::BatchResult::ObjectIds(ids) => ids.len(),
            other => bail!("the store answered the batch update with {other:?}"),
        };
        // The tracker hears of other processes' commits by itself; a batch of this process
        // bypasses its contexts, so tell the tracker to read the history now.
        if let Some(tracker) = &self.tracker {
            tracker.wake();
        }
        writeln!(
            self.out,
            "   ⚑ the app pins every clip visited ≥ 5 times with a batch update in \"batchContext\": \
             {count} rows, straight in the store"
        )?;
        Ok(count)
    }

    /// After the extension exited: the URI hand-over, the checks, the cleaning.
    fn finish(mut self, arrivals: Arrivals, pinned: usize) -> anyhow::Result<Summary> {
        let tracker = self.tracker.take().context("the tracker")?;
        tracker.process_now()?;
        self.inbox.apply(&mut self.context)?;
        self.results.process_changes(&mut self.context)?;

        let listed = self.results.len();
        let fetched = self.context.count(&FetchRequest::new("Clip"))?;
        ensure!(
            listed == CLIPS && fetched == CLIPS as u64,
            "the observer lists {listed} clips and the store holds {fetched}; {CLIPS} were saved"
        );
        let mut still_pinned = 0;
        for id in self.results.fetched_objects() {
            if self.context.get::<bool>(id, "pinned")? {
                still_pinned += 1;
            }
        }
        ensure!(
            still_pinned == pinned,
            "the context shows {still_pinned} pinned clips, the batch pinned {pinned}"
        );

        let defaults = self.group.defaults();
        let uri: String = defaults.get_as(HANDOFF_URI)?.context("the extension handed over no URI")?;
        let title: String = defaults.get_as(HANDOFF_TITLE)?.context("the extension handed over no title")?;
        let id: ObjectId = self.context.object_id_for_uri(&uri)?;
        let here: String = self.context.get(id, "title")?;
        ensure!(here == title, "the URI resolved to {here:?}, the extension saved {title:?}");
        writeln!(
            self.out,
            "\n4. A URI handed over through the shared defaults resolves to the same object in the app:\n\n   \
             {uri}\n   → \"{here}\", as the extension saved it"
        )?;

        let before = self.store.history(&HistoryRequest::default())?.len();
        let cleaned = tracker.clean_now()?;
        let left = self.store.history(&HistoryRequest::default())?.len();
        ensure!(
            cleaned.deleted == before - left,
            "the cleaner reported {} deletions, the history shrank by {}",
            cleaned.deleted,
            before - left
        );
        ensure!(left == 0, "{left} transactions are left after cleaning: a member's bookmark lags behind");
        writeln!(
            self.out,
            "\n5. Both members' bookmarks are past every transaction, so the cleaner deletes the history:\n\n   \
             {before} transactions → {left} ({} deleted; {})",
            cleaned.deleted,
            match cleaned.waiting_for.as_slice() {
                [] => "no member left behind".to_owned(),
                waiting => format!("held back by {}", waiting.join(", ")),
            }
        )?;
        tracker.stop()?;
        Ok(Summary { clips: listed, latencies: arrivals.latencies(), pinned, cleaned: cleaned.deleted, left })
    }
}

/// The extension process; killed if the demo stops before it exits.
struct Extension {
    child: Child,
}

impl Extension {
    fn spawn(group: &std::path::Path) -> anyhow::Result<Extension> {
        let exe = std::env::current_exe().context("cannot find the strata binary to start the extension")?;
        let child = Command::new(exe)
            .args([
                "demo",
                "extension",
                "--clips",
                &CLIPS.to_string(),
                "--interval-ms",
                &INTERVAL_MS.to_string(),
            ])
            .arg("--group")
            .arg(group)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start the extension process")?;
        Ok(Extension { child })
    }

    /// Whether the extension exited; an error if it failed.
    fn finished(&mut self) -> anyhow::Result<bool> {
        match self.child.try_wait()? {
            None => Ok(false),
            Some(status) if status.success() => Ok(true),
            Some(status) => bail!("the extension process failed ({status})"),
        }
    }
}

impl Drop for Extension {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
