//! The demo's second process, the "extension": the same `strata` binary run as
//! `strata demo extension` (a hidden part). It opens the app group's store, saves one clip
//! every interval under its own author, hands the first clip's URI to the app through the
//! group's shared defaults, and keeps its own history tracker so that its bookmark follows
//! the history (the cleaner needs every member's bookmark). It prints nothing on success: the
//! app tells the story; errors go to stderr and the exit status.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use strata::core::{Context, ContextInbox, Coordinator};
use strata::model::{Date, Model, Uuid};
use strata::sqlite::{SqliteOptions, SqliteStore};
use strata::tracker::{AppGroup, GroupOptions, HistoryTracker};

use super::{ACTORS, EXTENSION, HANDOFF_TITLE, HANDOFF_URI, STORE_NAME, TITLES};

/// `strata demo extension` (hidden): the flags the app passes to its second process.
#[derive(Debug, clap::Args)]
pub struct ExtensionArgs {
    /// The app group's directory.
    #[arg(long)]
    pub group: PathBuf,
    /// How many clips to save.
    #[arg(long, default_value_t = 40)]
    pub clips: usize,
    /// Milliseconds between two saves.
    #[arg(long, default_value_t = 100)]
    pub interval_ms: u64,
}

/// Runs the extension: saves `clips` clips, one per interval, then makes sure its tracker has
/// read the whole history before it exits.
pub fn run(args: &ExtensionArgs) -> anyhow::Result<()> {
    let group = AppGroup::open(&args.group, GroupOptions::default())?;
    let model = Arc::new(Model::from_json(super::super::MODEL).context("the example model")?);
    let path = group.store_path(STORE_NAME)?;
    let store = SqliteStore::open(&path, model.clone(), SqliteOptions::default().with_history(true))
        .with_context(|| format!("the extension cannot open {}", path.display()))?;
    let coordinator = Coordinator::new(model);
    let store_id = coordinator.add_store("Default", Arc::new(store))?;

    let mut context = Context::new(coordinator.clone());
    context.set_name(Some("extensionContext"));
    context.set_transaction_author(Some(EXTENSION));
    // The extension keeps its context current with the app's batch changes, like any member.
    let (sender, inbox) = ContextInbox::new();
    let tracker = HistoryTracker::builder(&group, coordinator.clone(), store_id, EXTENSION)
        .actors(ACTORS)
        .batch_contexts(["batchContext"])
        .merge_into(sender)
        .start()?;

    let interval = Duration::from_millis(args.interval_ms);
    let started = Instant::now();
    for n in 0..args.clips {
        let title = TITLES[n % TITLES.len()];
        let clip = context.insert("Clip")?;
        context
            .object(clip)
            .set("title", format!("{title} #{}", n + 1))?
            .set("url", format!("https://example.com/clips/{}", n + 1))?
            .set("created", Date::now())?
            .set("visits", (n % 7) as i64)?
            .set("uuid", Uuid::new_v4())?;
        context.save()?;
        if n == 0 {
            let id = context.permanent_id(clip).unwrap_or(clip);
            let defaults = group.defaults();
            defaults.set(HANDOFF_URI, coordinator.uri(id)?)?;
            defaults.set(HANDOFF_TITLE, context.get::<String>(id, "title")?)?;
        }
        inbox.apply(&mut context)?;
        // Paced against the start, so slow saves do not stretch the run.
        let next = interval * (n as u32 + 1);
        if let Some(wait) = next.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    // The app's batch change may land after the last save: read to the end before leaving,
    // so that this member's bookmark lets the cleaner delete everything.
    tracker.process_now()?;
    inbox.apply(&mut context)?;
    tracker.stop()?;
    Ok(())
}
