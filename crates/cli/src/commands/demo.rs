//! `strata demo`: a guided tour of what Strata does today, on the example Clips model.
//!
//! It uses only the public API: the model loader, a store behind the store contract, the
//! predicate language, sort descriptors. Later issues grow it (SQLite files, contexts,
//! history, a second process).

use std::sync::Arc;

use anyhow::Context as _;
use strata::core::memory_store::MemoryStore;
use strata::core::store::{
    InsertedRow, SaveRequest, StoreFetchRequest, StoreFetchResult, StoreResultType, ToManyChange, UpdatedRow,
};
use strata::core::{ObjectId, Snapshot, Store, StoreError};
use strata::model::{Date, EntityIndex, Model, Value};
use strata::predicate::SortDescriptor;
use strata::predicate::sql::{DefaultSchema, Dialect, compile_where};

use super::model::describe;
use super::predicate::prepare;

const MODEL: &str = include_str!("../../../../examples/clips/model.json");

struct Demo {
    model: Arc<Model>,
    store: MemoryStore,
    clip: EntityIndex,
}

/// Runs the tour.
pub fn run() -> anyhow::Result<()> {
    let model = Arc::new(Model::from_json(MODEL).context("the example model")?);
    println!("Strata demo — what works today\n");
    println!("1. The model (examples/clips/model.json), validated, with a stable hash:\n");
    print!("{}", describe(&model));
    let clip = model.entity("Clip").context("Clip")?.index();
    let demo = Demo { store: MemoryStore::new(model.clone()), model, clip };
    let titles = demo.populate()?;

    println!("\n3. Predicates: parsed, checked against Clip, evaluated by the store; the same");
    println!("   predicate compiled for SQLite (every value a bound parameter):\n");
    for predicate in [
        r#"title BEGINSWITH[cd] "creme""#,
        r#"ANY tags.name == "rust" AND score >= 4"#,
        r#"folder.name ==[c] "READING""#,
        r#"SUBQUERY(tags, $t, $t.name IN {"rust", "db"}).@count == 2"#,
        r#"created > "2024-06-01T00:00:00Z" AND NOT pinned == YES"#,
        r#"title LIKE[c] "*strasse*" OR tags.@count == 0"#,
    ] {
        demo.show_fetch(predicate, &titles)?;
    }

    println!("4. Sorted by \"pinned desc, score desc, title:ci asc\":\n");
    let sort = SortDescriptor::parse_list("pinned desc, score desc, title:ci asc")?;
    let sorted = demo.fetch(StoreFetchRequest { sort, ..demo.request(None) })?;
    for s in &sorted {
        println!(
            "   {:<28} score {:<4} pinned {}",
            titles(s.id()),
            s.values()[demo.attr("score")],
            s.values()[demo.attr("pinned")]
        );
    }

    println!("\n5. Mistakes get typed errors, with a caret under the fault:\n");
    for bad in ["title BEGINSWITH", "titel == \"x\"", "score > \"high\"", "ANY title == \"x\""] {
        let error = prepare(&demo.model, clip, bad, &[], &[]).expect_err("a bad predicate");
        println!("   {}\n", error.to_string().replace('\n', "\n   "));
    }

    println!("6. Optimistic locking: two writers read version 1 of the same clip.");
    let first = sorted.first().context("a clip")?;
    let update = |title: &str| SaveRequest {
        updated: vec![UpdatedRow {
            id: first.id(),
            expected_version: first.version(),
            values: vec![(demo.attr("title"), title.into())],
            to_one: vec![],
        }],
        ..Default::default()
    };
    let saved = demo.store.save(&update("Edited by writer A"))?;
    println!("   writer A saves: now version {}", saved.versions[0].1);
    match demo.store.save(&update("Edited by writer B")) {
        Err(StoreError::Conflict { conflicts }) => println!(
            "   writer B is refused: {} conflict(s); it read version {}, the store has version {}",
            conflicts.len(),
            conflicts[0].expected_version,
            conflicts[0].current.as_ref().map_or(0, |s| s.version())
        ),
        other => anyhow::bail!("a stale save must conflict, got {other:?}"),
    }
    println!("\nNext: a SQLite store, coordinator and contexts (issue 3).");
    Ok(())
}

impl Demo {
    fn attr(&self, name: &str) -> usize {
        let clip = self.model.entity_at(self.clip);
        clip.attributes().iter().position(|a| a.name() == name).unwrap_or(usize::MAX)
    }

    fn row(&self, entity: &str, values: &[(&str, Value)]) -> anyhow::Result<InsertedRow> {
        let e = self.model.entity(entity).with_context(|| format!("entity {entity}"))?;
        let mut row = InsertedRow {
            id: ObjectId::new_temporary(e.index()),
            values: e.attributes().iter().map(|a| a.default_value().clone()).collect(),
            to_one: vec![None; e.relationships().len()],
        };
        for (name, value) in values {
            let i = e.attributes().iter().position(|a| a.name() == *name).context("attribute")?;
            row.values[i] = value.clone().coerce(e.attributes()[i].attribute_type())?;
        }
        Ok(row)
    }

    /// Saves folders, tags and clips in one atomic save; returns a title lookup.
    fn populate(&self) -> anyhow::Result<impl Fn(ObjectId) -> String + use<>> {
        let folders = [
            self.row("Folder", &[("name", "Reading".into())])?,
            self.row("Folder", &[("name", "Kitchen".into())])?,
        ];
        let tags: Vec<InsertedRow> = ["rust", "db", "food"]
            .iter()
            .map(|n| self.row("Tag", &[("name", (*n).into())]))
            .collect::<Result<_, _>>()?;
        let clips = [
            ("Rust ownership explained", 5.0, true, "2024-09-01", Some(0), vec![0]),
            ("SQLite internals", 4.5, false, "2024-07-15", Some(0), vec![0, 1]),
            ("Crème brûlée at home", 3.0, false, "2024-02-02", Some(1), vec![2]),
            ("Postgres vs SQLite", 4.0, true, "2023-11-30", Some(0), vec![1]),
            ("Street names: STRASSE", 2.0, false, "2024-08-08", None, vec![]),
            ("crepes for a crowd", 3.5, false, "2024-10-10", Some(1), vec![2]),
        ];
        let folder_slot = self.slot("Clip", "folder")?;
        let mut rows: Vec<InsertedRow> = Vec::new();
        let mut links = Vec::new();
        for (title, score, pinned, day, folder, clip_tags) in &clips {
            let created = Value::Date(format!("{day}T09:00:00Z").parse::<Date>()?);
            let mut row = self.row(
                "Clip",
                &[
                    ("title", (*title).into()),
                    ("score", Value::Double(*score)),
                    ("pinned", Value::Bool(*pinned)),
                    ("created", created),
                    ("uuid", Value::Uuid(strata::model::Uuid::new_v4())),
                ],
            )?;
            row.to_one[folder_slot] = folder.map(|f| folders[f].id);
            for &t in clip_tags {
                links.push((row.id, tags[t].id));
            }
            rows.push(row);
        }
        let (clip_tags, tag_clips) = (self.slot("Clip", "tags")?, self.slot("Tag", "clips")?);
        let to_many = links
            .iter()
            .flat_map(|&(c, t)| {
                [
                    ToManyChange { source: c, relationship: clip_tags, added: vec![t], removed: vec![] },
                    ToManyChange { source: t, relationship: tag_clips, added: vec![c], removed: vec![] },
                ]
            })
            .collect();
        let titles: Vec<(ObjectId, String)> =
            rows.iter().zip(&clips).map(|(r, c)| (r.id, c.0.to_owned())).collect();
        let inserted = rows.into_iter().chain(folders).chain(tags).collect();
        let saved = self.store.save(&SaveRequest { inserted, to_many, ..Default::default() })?;
        println!(
            "\n2. A store ({} {}) receives one atomic save: {} objects, {} tag links.",
            self.store.metadata().store_type,
            self.store.metadata().uuid,
            saved.permanent_ids.len(),
            links.len()
        );
        let permanent: Vec<(ObjectId, String)> = titles
            .into_iter()
            .filter_map(|(t, title)| {
                saved.permanent_ids.iter().find(|(tmp, _)| *tmp == t).map(|(_, p)| (*p, title))
            })
            .collect();
        if let Some((id, _)) = permanent.first() {
            println!("   Objects get permanent IDs with a URI form: {}", id.uri(&self.model));
        }
        Ok(move |id: ObjectId| {
            permanent.iter().find(|(p, _)| *p == id).map_or_else(|| format!("{id:?}"), |(_, t)| t.clone())
        })
    }

    fn slot(&self, entity: &str, relationship: &str) -> anyhow::Result<usize> {
        let e = self.model.entity(entity).context("entity")?;
        e.relationships().iter().position(|r| r.name() == relationship).context("relationship")
    }

    fn request(&self, predicate: Option<strata::predicate::Predicate>) -> StoreFetchRequest {
        StoreFetchRequest {
            entity: self.clip,
            include_subentities: true,
            predicate,
            sort: vec![],
            offset: 0,
            limit: None,
            result: StoreResultType::Snapshots,
        }
    }

    fn fetch(&self, request: StoreFetchRequest) -> anyhow::Result<Vec<Arc<Snapshot>>> {
        match self.store.fetch(&request)? {
            StoreFetchResult::Snapshots(rows) => Ok(rows),
            other => anyhow::bail!("asked for snapshots, got {other:?}"),
        }
    }

    fn show_fetch(&self, text: &str, titles: &impl Fn(ObjectId) -> String) -> anyhow::Result<()> {
        let checked = prepare(&self.model, self.clip, text, &[], &[])?;
        let rows = self.fetch(self.request(Some(checked.clone())))?;
        let names: Vec<String> = rows.iter().map(|r| titles(r.id())).collect();
        println!("   {text}\n     → {} clip(s): {}", rows.len(), names.join("; "));
        let compiled = compile_where(
            &checked,
            &self.model,
            self.clip,
            &DefaultSchema::new(&self.model),
            Dialect::Sqlite,
            "t0",
        )?;
        println!("     SQL: {}", compiled.sql.as_deref().unwrap_or("(none)"));
        println!();
        Ok(())
    }
}
