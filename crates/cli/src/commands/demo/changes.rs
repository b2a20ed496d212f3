//! The tour's changes: an edit and its save, faults and the identity map, a cascading
//! delete, a validation error listing every violation, an optimistic-locking conflict
//! between two contexts, and URIs resolving through the coordinator.

use anyhow::{bail, ensure};
use strata::core::{Context, FetchRequest, Problem, PropertyValue};
use strata::{Error, ObjectId};

use super::Tour;
use super::data::Imported;
use crate::output::{short_id, value_cell};

/// The one object `predicate` matches.
fn one(context: &mut Context, entity: &str, predicate: &str) -> anyhow::Result<ObjectId> {
    let ids = context.fetch(&FetchRequest::new(entity).filter(predicate, &[])?)?.ids();
    match ids[..] {
        [id] => Ok(id),
        _ => bail!("{entity} where {predicate} should match one object, matched {}", ids.len()),
    }
}

fn version(context: &Context, id: ObjectId) -> u64 {
    context.snapshot(id).map_or(0, |s| s.version())
}

/// Edits a clip and saves: only what changed is written, and the row's version moves on.
pub fn edit(tour: &mut Tour<'_>) -> anyhow::Result<()> {
    tour.section("7. Editing: the context tracks each change; the save writes only what changed.")?;
    let model = tour.model.clone();
    let mut context = tour.context();
    let clip = one(&mut context, "Clip", r#"title == "SQLite internals""#)?;
    let before = version(&context, clip);
    context.object(clip).set("score", 5.0)?.set("pinned", true)?;
    let changed: Vec<String> = context
        .changed_values(clip)?
        .into_iter()
        .map(|(name, value)| match value {
            PropertyValue::Value(v) => format!("{name} = {}", value_cell(&v)),
            PropertyValue::Object(o) => {
                format!("{name} = {}", o.map_or_else(String::new, |id| short_id(&model, id)))
            }
        })
        .collect();
    tour.say(format!(
        "\"SQLite internals\": {} updated object, changed values: {}",
        context.updated_objects().len(),
        changed.join(", ")
    ))?;
    let outcome = context.save()?;
    tour.summary.saves += 1;
    let after = version(&context, clip);
    ensure!(outcome.updated.len() == 1 && after == before + 1, "one update, one new version");
    tour.say(format!("saved: {} object updated, row version {before} → {after}", outcome.updated.len()))?;
    Ok(())
}

/// Faults fill in one batch; a context holds one object per ID.
pub fn faults(tour: &mut Tour<'_>) -> anyhow::Result<()> {
    tour.section("8. Faults and the identity map:")?;
    let mut context = tour.context();
    let start = tour.store.calls();
    let ids = context.fetch(&FetchRequest::new("Clip").returns_faults(true))?.ids();
    let faults = ids.iter().filter(|&&id| context.is_fault(id)).count();
    tour.say(format!(
        "a fetch with returns_faults(true): {} clips registered, {faults} of them faults",
        ids.len()
    ))?;
    let first = ids.first().copied().ok_or_else(|| anyhow::anyhow!("no clips to fault"))?;
    let before = tour.store.calls();
    let title = Tour::title(&mut context, first)?;
    let used = tour.store.calls().snapshots - before.snapshots;
    let left = ids.iter().filter(|&&id| context.is_fault(id)).count();
    tour.say(format!(
        "reading the first title ({title:?}) filled the faults: {used} store call(s), {left} fault(s) left"
    ))?;
    tour.say("(rows come from the coordinator's shared row cache when it holds them, else in one batch)")?;
    let again = context.fetch(&FetchRequest::new("Clip"))?.ids();
    ensure!(again == ids, "the identity map gives the same IDs");
    tour.say(format!(
        "fetching again gives the same {} IDs, still {} objects registered: one object per ID per context",
        again.len(),
        context.registered_count()
    ))?;
    let calls = tour.store.calls();
    tour.say(format!(
        "store calls for this section: {} fetch, {} snapshots",
        calls.fetch - start.fetch,
        calls.snapshots - start.snapshots
    ))?;
    Ok(())
}

/// Deleting a folder deletes its clips (Folder.clips is cascade) and nullifies the tags.
pub fn cascade(tour: &mut Tour<'_>) -> anyhow::Result<()> {
    tour.section("9. Delete rules: Folder.clips is cascade, Clip.tags is nullify.")?;
    let mut context = tour.context();
    let kitchen = one(&mut context, "Folder", r#"name == "Kitchen""#)?;
    let food = one(&mut context, "Tag", r#"name == "food""#)?;
    let clips = context.to_many(kitchen, "clips")?;
    let mut titles = Vec::new();
    for &clip in &clips {
        titles.push(Tour::title(&mut context, clip)?);
    }
    context.delete(kitchen)?;
    let deleted = context.deleted_objects().len();
    tour.say(format!(
        "deleting folder \"Kitchen\" deletes {deleted} objects: the folder and {}",
        titles.join(", ")
    ))?;
    context.save()?;
    tour.summary.saves += 1;
    tour.summary.deleted = deleted;
    let remaining = context.count(&FetchRequest::new("Clip"))?;
    let food_clips = context.to_many(food, "clips")?.len();
    ensure!(deleted == 1 + clips.len() && food_clips == 0, "the cascade and the nullify ran");
    tour.say(format!(
        "saved: {remaining} clips left; tag \"food\" stays, its clips list is now empty ({food_clips})"
    ))?;
    Ok(())
}

/// A save with several broken rules reports all of them.
pub fn validation(tour: &mut Tour<'_>) -> anyhow::Result<()> {
    tour.section("10. Validation: a save reports every violation at once, and keeps the edits.")?;
    let mut context = tour.context();
    context.insert("Clip")?;
    context.insert("Folder")?;
    for _ in 0..2 {
        let tag = context.insert("Tag")?;
        context.set(tag, "name", "go")?;
    }
    tour.say("inserting a clip without a title, a folder without a name, and two tags named \"go\":")?;
    let Err(Error::Validation(error)) = context.save() else { bail!("the save should fail validation") };
    for v in &error.violations {
        let problem = match &v.problem {
            Problem::NotUnique { properties, .. } => {
                format!("duplicates the other new {} on ({})", v.entity, properties.join(", "))
            }
            other => other.to_string(),
        };
        tour.say(format!("  new {}: {} {problem}", v.entity, v.property))?;
    }
    tour.summary.violations = error.violations.len();
    ensure!(context.has_changes(), "a failed save keeps the edits");
    context.rollback();
    tour.say(format!(
        "nothing was written; rollback() drops the edits (has_changes: {})",
        context.has_changes()
    ))?;
    Ok(())
}

/// Two contexts edit the same clip: the second save is refused, then succeeds after a refresh.
pub fn conflict(tour: &mut Tour<'_>) -> anyhow::Result<()> {
    tour.section("11. Optimistic locking: two contexts edit the same clip.")?;
    let title = r#"title == "Rust ownership explained""#;
    let mut a = tour.context();
    let mut b = tour.context();
    let clip = one(&mut a, "Clip", title)?;
    one(&mut b, "Clip", title)?;
    let read = version(&b, clip);
    a.set(clip, "score", 4.0)?;
    a.save()?;
    tour.summary.saves += 1;
    tour.say(format!(
        "both read version {read}; context A changes the score and saves (version {})",
        version(&a, clip)
    ))?;
    b.set(clip, "title", "Rust ownership, explained again")?;
    let Err(Error::Conflict(conflict)) = b.save() else { bail!("a stale save must conflict") };
    let c = conflict.conflicts.first().ok_or_else(|| anyhow::anyhow!("a conflict lists its objects"))?;
    tour.say(format!(
        "context B changes the title and is refused: it read version {}, the store has version {}, B changed {}",
        c.expected_version,
        c.current.as_ref().map_or(0, |s| s.version()),
        c.changed.join(", ")
    ))?;
    tour.summary.conflicts += 1;
    b.refresh(clip, true)?;
    b.save()?;
    tour.summary.saves += 1;
    let score: f64 = b.get(clip, "score")?;
    let new_title: String = b.get(clip, "title")?;
    ensure!(score == 4.0, "B's save keeps A's score");
    tour.say(format!(
        "B refreshes with merge_changes (its edit stays on top of the new row) and saves: {new_title:?}, score {score}"
    ))?;
    tour.say("(issue 4 adds merge policies that resolve such conflicts automatically)")?;
    Ok(())
}

/// URIs name objects across contexts and processes; the coordinator resolves them.
pub fn uris(tour: &mut Tour<'_>, data: &Imported) -> anyhow::Result<()> {
    tour.section("12. URIs: an object's ID as text, resolved by the coordinator.")?;
    let Some(&clip) = data.clips.get(1) else { bail!("the import made clips") };
    let uri = tour.coordinator.uri(clip)?;
    let back = tour.coordinator.object_id(&uri)?;
    let mut context = tour.context();
    let title = Tour::title(&mut context, back)?;
    ensure!(back == clip, "a URI resolves to its ID");
    tour.say(format!("{uri} → {title:?}"))?;
    let foreign = "strata://00000000-0000-4000-8000-000000000001/Clip/p1";
    let Err(error) = tour.coordinator.object_id(foreign) else { bail!("a URI of another store must fail") };
    tour.say(format!("{foreign} → error: {error}"))?;
    Ok(())
}
