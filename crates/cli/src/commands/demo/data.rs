//! The tour's data set, inserted through a context: folders, tags and clips, with
//! relationships set from one side and their inverses maintained on the other.

use anyhow::ensure;
use strata::ObjectId;
use strata::model::Uuid;

use super::Tour;

/// One clip of the data set.
struct ClipRow {
    title: &'static str,
    score: f64,
    pinned: bool,
    /// The day it was created (09:00 UTC).
    day: &'static str,
    /// An index into [`FOLDERS`].
    folder: Option<usize>,
    /// Indexes into [`TAGS`].
    tags: &'static [usize],
}

const fn clip(
    title: &'static str,
    score: f64,
    pinned: bool,
    day: &'static str,
    folder: Option<usize>,
    tags: &'static [usize],
) -> ClipRow {
    ClipRow { title, score, pinned, day, folder, tags }
}

const CLIPS: [ClipRow; 6] = [
    clip("Rust ownership explained", 5.0, true, "2024-09-01", Some(0), &[0]),
    clip("SQLite internals", 4.5, false, "2024-07-15", Some(0), &[0, 1]),
    clip("Crème brûlée at home", 3.0, false, "2024-02-02", Some(1), &[2]),
    clip("Postgres vs SQLite", 4.0, true, "2023-11-30", Some(0), &[1]),
    clip("Street names: STRASSE", 2.0, false, "2024-08-08", None, &[]),
    clip("crepes for a crowd", 3.5, false, "2024-10-10", Some(1), &[2]),
];

const FOLDERS: [&str; 2] = ["Reading", "Kitchen"];
const TAGS: [&str; 3] = ["rust", "db", "food"];

/// What the import made, by permanent ID.
pub struct Imported {
    /// The clips, in [`CLIPS`] order.
    pub clips: Vec<ObjectId>,
}

/// Inserts the data set in one context and saves it once.
pub fn import(tour: &mut Tour<'_>) -> anyhow::Result<Imported> {
    tour.section("3. Importing through a context: objects get temporary IDs until the save.")?;
    let mut context = tour.context();
    context.set_name(Some("demo import"));
    context.set_transaction_author(Some("strata demo"));
    let mut folders = Vec::new();
    for name in FOLDERS {
        let folder = context.insert("Folder")?;
        context.set(folder, "name", name)?;
        folders.push(folder);
    }
    let mut tags = Vec::new();
    for name in TAGS {
        let tag = context.insert("Tag")?;
        context.set(tag, "name", name)?;
        tags.push(tag);
    }
    let mut clips = Vec::new();
    for ClipRow { title, score, pinned, day, folder, tags: clip_tags } in CLIPS {
        let clip = context.insert("Clip")?;
        let mut object = context.object(clip);
        object
            .set("title", title)?
            .set("score", score)?
            .set("pinned", pinned)?
            // RFC 3339 text is fitted to the date attribute.
            .set("created", format!("{day}T09:00:00Z"))?
            .set("uuid", Uuid::new_v4())?
            .set_to_one("folder", folder.map(|f| folders[f]))?;
        let destinations: Vec<ObjectId> = clip_tags.iter().map(|&t| tags[t]).collect();
        context.set_to_many(clip, "tags", &destinations)?;
        clips.push(clip);
    }
    let reading = context.to_many(folders[0], "clips")?.len();
    let rust = context.to_many(tags[0], "clips")?.len();
    ensure!(reading == 3 && rust == 2, "inverse relationships were not maintained");
    tour.say(format!(
        "{} folders, {} tags, {} clips inserted; clip.folder and clip.tags were set from the clips' side,",
        folders.len(),
        tags.len(),
        clips.len()
    ))?;
    tour.say(format!(
        "and the inverses followed: folder \"Reading\" now lists {reading} clips, tag \"rust\" {rust}."
    ))?;
    let temporary = clips[0].uri(&tour.model);
    let calls = tour.store.calls();
    let outcome = context.save()?;
    let saves = tour.store.calls().save - calls.save;
    tour.summary.imported = outcome.permanent_ids.len();
    tour.summary.saves += 1;
    tour.say(format!(
        "One save: {} objects in {saves} atomic store transaction; temporary IDs became permanent:",
        outcome.permanent_ids.len()
    ))?;
    let clips: Vec<ObjectId> = clips.iter().map(|&c| context.permanent_id(c).unwrap_or(c)).collect();
    tour.say(format!("  {temporary}"))?;
    tour.say(format!("  → {}", clips[0].uri(&tour.model)))?;
    ensure!(clips.iter().all(|c| !c.is_temporary()), "every saved clip has a permanent ID");
    Ok(Imported { clips })
}
