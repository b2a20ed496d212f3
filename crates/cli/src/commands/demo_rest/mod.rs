//! `strata demo rest`: a REST-API store with a local cache, end to end on loopback.
//!
//! It starts the fixture palettes API on 127.0.0.1, opens a `RestStore` over it with its
//! SQLite cache in a temporary directory, and shows the AFIncrementalStore story: a first
//! fetch answering at once from the empty cache and filling in when the notification
//! arrives, a second run answering from the cache with a `304` refetch, an edit saved back
//! to the server, and the server going away while the cache still answers. It uses only
//! public API, as an application would; every step checks what it shows (a regression is
//! an error, never a false line), it finishes in a few seconds and removes its directory.

mod steps;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use strata::Model;
use strata::core::{Context, Coordinator, FetchRequest, FetchResult, ObjectId};
use strata_rest::fixture::{PalettesOptions, PalettesServer};
use strata_rest::{ConventionalClient, EntityMapping, Paging, RestEvent, RestOptions, RestStore};

const MODEL: &str = include_str!("../../../../../examples/palettes/model.json");

/// Palettes the fixture API starts with, and how many a page holds.
const PALETTES: usize = 12;
const PAGE_SIZE: usize = 5;
/// How long the fixture takes to answer, so the cache's instant answer is visible.
const LATENCY: Duration = Duration::from_millis(150);
/// The longest the demo waits for a notification.
const WAIT: Duration = Duration::from_secs(10);

/// Runs the REST demo.
pub fn run(out: &mut dyn Write) -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("strata-demo-rest-")
        .tempdir()
        .context("cannot create a temporary directory for the demo's cache")?;
    writeln!(out, "Strata demo — a REST API behind a local cache")?;
    {
        let mut demo = Demo::start(dir.path().join("cache.sqlite"), out)?;
        steps::first_fetch(&mut demo)?;
        steps::second_run(&mut demo)?;
        steps::edit(&mut demo)?;
        steps::offline(&mut demo)?;
        let log = demo.server.requests();
        let not_modified = log.iter().filter(|r| r.status == Some(304)).count();
        writeln!(
            demo.out,
            "\nSummary: the API answered {} requests ({not_modified} of them 304 Not Modified); every \
             fetch was answered by the cache at once, online and offline.",
            log.len()
        )?;
        // The store, its workers and the server are stopped here, before the directory goes.
    }
    let shown = dir.path().display().to_string();
    dir.close().with_context(|| format!("cannot remove the demo directory {shown}"))?;
    writeln!(out, "Removed {shown}; done in {:.1} s.", started.elapsed().as_secs_f64())?;
    Ok(())
}

/// The demo's state: the API, the store over it, and where the cache lives.
struct Demo<'o> {
    out: &'o mut dyn Write,
    model: Arc<Model>,
    server: PalettesServer,
    cache: PathBuf,
    stack: Option<Stack>,
}

/// One run of an application: a store over the API, a coordinator, its notifications.
struct Stack {
    store: Arc<RestStore>,
    coordinator: Arc<Coordinator>,
    events: Receiver<RestEvent>,
}

impl<'o> Demo<'o> {
    fn start(cache: PathBuf, out: &'o mut dyn Write) -> anyhow::Result<Demo<'o>> {
        let model = Arc::new(Model::from_json(MODEL).context("the example palettes model")?);
        let options = PalettesOptions::default().with_palettes(PALETTES).with_page_size(PAGE_SIZE);
        let server = PalettesServer::start(options).context("cannot start the fixture palettes API")?;
        server.set_delay(LATENCY);
        let mut demo = Demo { out, model, server, cache, stack: None };
        demo.section("1. A palettes API (the seed article's: id, title, description, colors, colorWidths)")?;
        let url = demo.server.url();
        demo.say(format!(
            "{url}/palettes: {PALETTES} palettes, {PAGE_SIZE} per page (Link headers), ETags, \
             each answer taking {} ms",
            LATENCY.as_millis()
        ))?;
        Ok(demo)
    }

    /// Opens a store over the API on the demo's cache file (as an application starting up).
    fn open_stack(&mut self) -> anyhow::Result<()> {
        // The previous run's refetches finish first, so the API's log shows this run alone.
        if let Some(previous) = self.stack.take() {
            ensure!(previous.store.wait_idle(WAIT), "the previous store's requests did not finish in 10 s");
        }
        let client = ConventionalClient::builder(self.server.url())
            .entity(EntityMapping::new("Palette", "/palettes").numeric_ids(true))
            .paging(Paging::page_number("page", "per_page", PAGE_SIZE))
            .build(&self.model)?;
        let options = RestOptions::default().with_timeout(Duration::from_secs(2)).with_retries(0);
        let store = RestStore::open(&self.cache, self.model.clone(), Arc::new(client), options)?;
        let store = Arc::new(store);
        let events = store.subscribe();
        let coordinator = Coordinator::new(self.model.clone());
        coordinator.add_store("Default", store.clone())?;
        self.stack = Some(Stack { store, coordinator, events });
        Ok(())
    }

    fn stack(&self) -> anyhow::Result<&Stack> {
        self.stack.as_ref().context("the demo has no store open")
    }

    fn context(&self) -> anyhow::Result<Context> {
        Ok(Context::new(self.stack()?.coordinator.clone()))
    }

    /// The next fetch that finished or failed, skipping other notifications.
    fn fetch_outcome(&self) -> anyhow::Result<RestEvent> {
        let stack = self.stack()?;
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = stack.events.recv_timeout(left).context("no notification from the store in 10 s")?;
            if matches!(event, RestEvent::FetchFinished { .. } | RestEvent::FetchFailed { .. }) {
                return Ok(event);
            }
        }
    }

    fn cache_path(&self) -> &Path {
        &self.cache
    }

    fn section(&mut self, title: &str) -> anyhow::Result<()> {
        writeln!(self.out, "\n{title}\n")?;
        Ok(())
    }

    fn say(&mut self, text: impl std::fmt::Display) -> anyhow::Result<()> {
        writeln!(self.out, "   {text}")?;
        Ok(())
    }
}

/// Fetches every palette through `context`, and how long the answer took.
fn fetch_palettes(context: &mut Context) -> anyhow::Result<(Vec<ObjectId>, Duration)> {
    let started = Instant::now();
    let ids = match context.fetch(&FetchRequest::new("Palette").sort_by("created")?)? {
        FetchResult::Objects(ids) => ids,
        other => bail!("a fetch of objects answered {other:?}"),
    };
    Ok((ids, started.elapsed()))
}

/// The titles of `ids`, for the demo's lines.
fn titles(context: &mut Context, ids: &[ObjectId]) -> anyhow::Result<Vec<String>> {
    ids.iter().map(|&id| Ok(context.get::<String>(id, "title")?)).collect()
}

fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}
