//! The steps of `strata demo rest`, in order; each checks what it shows.

use std::time::Instant;

use anyhow::{Context as _, bail, ensure};
use strata_rest::{RestError, RestEvent};

use super::{Demo, PALETTES, fetch_palettes, millis, titles};

/// Steps 2 and 3: a store over the API; the first fetch answers from the empty cache, then
/// the notification brings the palettes in.
pub(super) fn first_fetch(demo: &mut Demo<'_>) -> anyhow::Result<()> {
    demo.section("2. A RestStore over it, every object cached in a private SQLite store")?;
    demo.open_stack()?;
    let cache = demo.cache_path().display().to_string();
    demo.say(format!("cache: {cache} (asynchronous: fetches never wait for the network)"))?;

    demo.section("3. The first fetch answers at once from the empty cache, then fills in")?;
    let mut context = demo.context()?;
    let before = demo.server.request_count();
    // Held until the cache has answered, so the race with a fast loopback API cannot be lost.
    demo.server.hold();
    let answered = fetch_palettes(&mut context);
    demo.server.release();
    let (ids, took) = answered?;
    ensure!(ids.is_empty(), "the first fetch answered {} palettes from an empty cache", ids.len());
    demo.say(format!(
        "context.fetch(Palette) answered 0 palettes in {}: nothing is cached yet",
        millis(took)
    ))?;
    let event = demo.fetch_outcome()?;
    let RestEvent::FetchFinished { changes, not_modified: false, .. } = event else {
        bail!("expected the first remote fetch to finish, got {event:?}");
    };
    ensure!(
        changes.inserted.len() == PALETTES,
        "the first remote fetch inserted {} palettes, not {PALETTES}",
        changes.inserted.len()
    );
    let pages: Vec<String> = demo.server.requests()[before..]
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.target.clone())
        .collect();
    demo.say(format!("in the background: GET {}", pages.join(", GET ")))?;
    demo.say(format!(
        "notification: fetch finished, {} palettes inserted into the cache",
        changes.inserted.len()
    ))?;
    context.merge_changes(changes.merge_request())?;
    let (ids, took) = fetch_palettes(&mut context)?;
    ensure!(ids.len() == PALETTES, "after the merge the fetch answered {} palettes", ids.len());
    let first = titles(&mut context, &ids[..3])?;
    demo.say(format!(
        "merged into the context: the same fetch answers {} palettes in {} ({}, …)",
        ids.len(),
        millis(took),
        first.join(", ")
    ))?;
    Ok(())
}

/// Step 4: a new store on the same cache answers at once; its refetch is conditional.
pub(super) fn second_run(demo: &mut Demo<'_>) -> anyhow::Result<()> {
    demo.section("4. A second run (a new store on the same cache file): the cache answers at once")?;
    demo.open_stack()?;
    let before = demo.server.request_count();
    let mut context = demo.context()?;
    demo.server.hold();
    let answered = fetch_palettes(&mut context);
    let unanswered = demo.server.requests()[before..].iter().all(|r| r.status.is_none());
    demo.server.release();
    let (ids, took) = answered?;
    ensure!(ids.len() == PALETTES, "the second run answered {} palettes from the cache", ids.len());
    ensure!(unanswered, "the API answered before the cache did");
    demo.say(format!(
        "context.fetch(Palette) answered {} palettes in {}, before any network answer",
        ids.len(),
        millis(took)
    ))?;
    let event = demo.fetch_outcome()?;
    let RestEvent::FetchFinished { changes, not_modified: true, .. } = event else {
        bail!("expected the refetch to be answered 304 Not Modified, got {event:?}");
    };
    ensure!(changes.is_empty(), "a 304 changed the cache: {changes:?}");
    let sent = demo.server.requests()[before..].to_vec();
    ensure!(
        !sent.is_empty() && sent.iter().all(|r| r.if_none_match.is_some() && r.status == Some(304)),
        "the refetch was not answered 304 throughout: {sent:?}"
    );
    let etag = sent[0].if_none_match.clone().unwrap_or_default();
    demo.say(format!(
        "the refetch sent If-None-Match: {etag}; the API answered 304 Not Modified: nothing to merge"
    ))?;
    Ok(())
}

/// Step 5: an edit goes to the server first, then to the cache.
pub(super) fn edit(demo: &mut Demo<'_>) -> anyhow::Result<()> {
    demo.section("5. An edit is saved to the server first, then to the cache")?;
    let mut context = demo.context()?;
    let (ids, _) = fetch_palettes(&mut context)?;
    let names = titles(&mut context, &ids)?;
    let index = names.iter().position(|t| t == "Palette 3").context("the cache has no \"Palette 3\"")?;
    context.set(ids[index], "title", "Sunset")?;
    let before = demo.server.request_count();
    let started = Instant::now();
    context.save()?;
    let took = started.elapsed();
    let sent = demo.server.requests()[before..].to_vec();
    let patch = sent
        .iter()
        .find(|r| r.method == "PATCH")
        .with_context(|| format!("the save sent no PATCH: {sent:?}"))?;
    ensure!(patch.status == Some(200), "the server answered the PATCH with {:?}", patch.status);
    let on_server = demo.server.palette(3).context("the server lost palette 3")?;
    ensure!(on_server["title"] == "Sunset", "the server holds {on_server}");
    demo.say(format!(
        "context.save(): PATCH {} → 200 in {}; the server now holds \"{}\"",
        patch.target,
        millis(took),
        on_server["title"].as_str().unwrap_or_default()
    ))?;
    let mut fresh = demo.context()?;
    let (ids, _) = fetch_palettes(&mut fresh)?;
    ensure!(titles(&mut fresh, &ids)?.iter().any(|t| t == "Sunset"), "the cache does not hold the edit");
    demo.say("a new context reads \"Sunset\" from the cache")?;
    Ok(())
}

/// Step 6: the server stops; the cache still answers and the failure is notified.
pub(super) fn offline(demo: &mut Demo<'_>) -> anyhow::Result<()> {
    demo.section("6. The server goes away; the cache still answers")?;
    let stack = demo.stack()?;
    ensure!(stack.store.wait_idle(super::WAIT), "the store's requests did not finish in 10 s");
    while stack.events.try_recv().is_ok() {}
    demo.server.stop();
    let mut context = demo.context()?;
    let (ids, took) = fetch_palettes(&mut context)?;
    ensure!(ids.len() == PALETTES, "offline, the cache answered {} palettes", ids.len());
    ensure!(titles(&mut context, &ids)?.iter().any(|t| t == "Sunset"), "offline, the edit is gone");
    demo.say(format!(
        "server stopped; context.fetch(Palette) answered {} palettes in {}",
        ids.len(),
        millis(took)
    ))?;
    let event = demo.fetch_outcome()?;
    let RestEvent::FetchFailed { error, .. } = event else {
        bail!("expected the offline refetch to fail, got {event:?}");
    };
    ensure!(matches!(error, RestError::Network { .. }), "the offline refetch failed with {error}");
    demo.say(format!("notification: fetch failed ({error}); nothing cached was lost"))?;
    Ok(())
}
