//! The Strata side of each workload, through the public API an application uses: a
//! `SqliteStore` behind a `Coordinator`, objects through a `Context`. Each function does the
//! same logical work as its baseline in `raw.rs` and returns the same checksum.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use strata::core::store::{BatchOptions, BatchRequest, BatchResult, HistoryRequest, HistoryTransaction};
use strata::core::{Context, Coordinator, FetchRequest, ResultType};
use strata::model::{Date, EntityIndex, Model, Value};
use strata::predicate::Argument;
use strata::sqlite::{SqliteOptions, SqliteStore};
use strata::{ObjectId, Store};

use super::data::{MODEL, ReadBack, Row};

const ATTRIBUTES: [&str; 7] = ["title", "url", "created", "score", "visits", "pinned", "uuid"];

/// A Strata store for the bench model, on a SQLite file.
pub struct StrataDb {
    model: Arc<Model>,
    store: Arc<dyn Store>,
}

impl StrataDb {
    /// A new store at `path`.
    pub fn create(path: &Path) -> anyhow::Result<StrataDb> {
        StrataDb::create_with(path, SqliteOptions::default())
    }

    /// A new store at `path` keeping persistent history.
    pub fn create_with_history(path: &Path) -> anyhow::Result<StrataDb> {
        StrataDb::create_with(path, SqliteOptions::default().with_history(true))
    }

    fn create_with(path: &Path, options: SqliteOptions) -> anyhow::Result<StrataDb> {
        let model = Arc::new(Model::from_json(MODEL).context("the bench model")?);
        let store = SqliteStore::create(path, model.clone(), options)?;
        Ok(StrataDb { model, store: Arc::new(store) })
    }

    /// The store, for saves straight through the store contract.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The index of the bench model's `Clip` entity.
    pub fn entity_index(&self) -> anyhow::Result<EntityIndex> {
        Ok(self.model.entity("Clip").context("the bench model has no Clip entity")?.index())
    }

    /// How many changes the store's persistent history holds, over all its transactions.
    pub fn history_changes(&self) -> anyhow::Result<usize> {
        Ok(self.store.history(&HistoryRequest::all())?.iter().map(|t| t.changes.len()).sum())
    }

    /// What `merge` times, set up: a context holding every object (fetched, so their rows
    /// are registered), and the history transaction of a save, by a context on another
    /// coordinator (its own row cache, as another process has), setting every object's
    /// score to `score`.
    pub fn merge_setup(&self, score: f64) -> anyhow::Result<(Context, HistoryTransaction)> {
        let token = self.store.current_history_token()?;
        let mut holder = Context::new(self.coordinator()?);
        let ids = holder.fetch(&FetchRequest::new("Clip"))?.ids();
        let mut writer = Context::new(self.coordinator()?);
        for &id in &ids {
            writer.set(id, "score", score)?;
        }
        writer.save()?;
        let mut transactions = self.store.history(&HistoryRequest::after(token))?;
        anyhow::ensure!(
            transactions.len() == 1,
            "the update of {} objects left {} history transactions, not one",
            ids.len(),
            transactions.len()
        );
        let transaction = transactions.remove(0);
        anyhow::ensure!(
            transaction.changes.len() == ids.len(),
            "the history transaction holds {} changes, not {}",
            transaction.changes.len(),
            ids.len()
        );
        Ok((holder, transaction))
    }

    /// The sum of the scores of `ids` as `ctx` reads them: after a merge, each must read the
    /// merged value.
    pub fn scores(ctx: &mut Context, ids: &[ObjectId]) -> anyhow::Result<f64> {
        let mut total = 0.0;
        for &id in ids {
            total += ctx.value(id, "score")?.as_f64().unwrap_or(f64::NAN);
        }
        Ok(total)
    }

    /// A coordinator on the store with an empty row cache, as a freshly started application
    /// has.
    pub fn coordinator(&self) -> anyhow::Result<Arc<Coordinator>> {
        let coordinator = Coordinator::new(self.model.clone());
        coordinator.add_store("default", self.store.clone())?;
        Ok(coordinator)
    }

    /// Inserts every row in one context and saves once.
    pub fn insert(&self, rows: &[Row]) -> anyhow::Result<u64> {
        let mut ctx = Context::new(self.coordinator()?);
        for r in rows {
            let id = ctx.insert("Clip")?;
            ctx.set(id, "title", r.title.as_str())?;
            ctx.set(id, "url", r.url.as_str())?;
            ctx.set(id, "created", Date::from_unix_micros(r.created))?;
            ctx.set(id, "score", r.score)?;
            ctx.set(id, "visits", r.visits)?;
            ctx.set(id, "pinned", r.pinned)?;
            ctx.set(id, "uuid", r.uuid)?;
        }
        ctx.save()?;
        Ok(rows.len() as u64)
    }

    /// The rows as a batch insert takes them: one value per attribute, in attribute order
    /// (title, url, created, score, visits, pinned, uuid).
    pub fn batch_rows(rows: &[Row]) -> Vec<Vec<Value>> {
        rows.iter()
            .map(|r| {
                vec![
                    Value::from(r.title.as_str()),
                    Value::from(r.url.as_str()),
                    Value::Date(Date::from_unix_micros(r.created)),
                    Value::Double(r.score),
                    Value::Int64(r.visits),
                    Value::Bool(r.pinned),
                    Value::Uuid(r.uuid),
                ]
            })
            .collect()
    }

    /// Inserts `rows` (from [`StrataDb::batch_rows`]) with one batch request; the count.
    pub fn batch_insert(&self, rows: Vec<Vec<Value>>) -> anyhow::Result<u64> {
        let request = BatchRequest::Insert { entity: self.entity_index()?, rows };
        batch_count(self.store.execute_batch(&request, &BatchOptions::default())?)
    }

    /// Sets `visits` on every object with one batch request; the count.
    pub fn batch_update_visits(&self, visits: i64) -> anyhow::Result<u64> {
        let entity = self.entity_index()?;
        let index = self
            .model
            .entity_at(entity)
            .attributes()
            .iter()
            .position(|a| a.name() == "visits")
            .context("the bench model has visits")?;
        let request = BatchRequest::Update {
            entity,
            include_subentities: true,
            predicate: None,
            values: vec![(index, Value::Int64(visits))],
        };
        batch_count(self.store.execute_batch(&request, &BatchOptions::default())?)
    }

    /// Fetches every object (filled) and reads every attribute.
    pub fn fetch_all(&self) -> anyhow::Result<i64> {
        let mut ctx = Context::new(self.coordinator()?);
        let ids = ctx.fetch(&FetchRequest::new("Clip"))?.ids();
        read_all(&mut ctx, &ids)
    }

    /// `created` in `[from, to)`, sorted by `created`, first `limit` objects, every attribute.
    pub fn fetch_range(&self, from: i64, to: i64, limit: usize) -> anyhow::Result<i64> {
        let mut ctx = Context::new(self.coordinator()?);
        let args = [
            Argument::Value(Value::Date(Date::from_unix_micros(from))),
            Argument::Value(Value::Date(Date::from_unix_micros(to))),
        ];
        let request = FetchRequest::new("Clip")
            .filter("created >= %@ AND created < %@", &args)?
            .sort_by("created asc")?
            .limit(limit);
        let ids = ctx.fetch(&request)?.ids();
        read_all(&mut ctx, &ids)
    }

    /// The first `n` objects' IDs, and a coordinator whose row cache holds their rows (a
    /// fetch by another context filled it).
    pub fn warm(&self, n: usize) -> anyhow::Result<(Arc<Coordinator>, Vec<ObjectId>)> {
        let coordinator = self.coordinator()?;
        let mut ctx = Context::new(coordinator.clone());
        let request = FetchRequest::new("Clip").sort_by("created asc")?.limit(n);
        let ids = ctx.fetch(&request)?.ids();
        Ok((coordinator, ids))
    }

    /// Fires one fault per ID in a new context, reading each title.
    pub fn faults(coordinator: &Arc<Coordinator>, ids: &[ObjectId]) -> anyhow::Result<i64> {
        let mut ctx = Context::new(coordinator.clone());
        let mut sum = 0;
        for &id in ids {
            if let Value::String(title) = ctx.value(id, "title")? {
                sum += title.len() as i64;
            }
        }
        Ok(sum)
    }

    /// The primary keys of `ids`, for the baseline's look-ups.
    pub fn keys(ids: &[ObjectId]) -> Vec<i64> {
        ids.iter().filter_map(|id| id.primary_key()).collect()
    }

    /// How many objects a fetch request counts (for sanity checks).
    pub fn count(&self) -> anyhow::Result<u64> {
        let mut ctx = Context::new(self.coordinator()?);
        Ok(ctx.fetch(&FetchRequest::new("Clip").result_type(ResultType::Count))?.count())
    }
}

/// Reads every attribute of every object; the checksum is [`ReadBack::checksum`], as the
/// baseline's.
fn read_all(ctx: &mut Context, ids: &[ObjectId]) -> anyhow::Result<i64> {
    // Reads every attribute through borrowing accessors, as an application that only looks
    // at values would; the raw side copies each row into a struct, which it needs to own.
    let mut sum = 0;
    for &id in ids {
        let [title, url, created, score, visits, pinned, uuid] = ATTRIBUTES;
        let title = ctx.value_ref(id, title)?.as_str().map_or(0, str::len);
        let url = ctx.value_ref(id, url)?.as_str().map_or(0, str::len);
        let created = match ctx.value_ref(id, created)? {
            Value::Date(d) => d.unix_micros(),
            _ => 0,
        };
        let score = ctx.value_ref(id, score)?.as_f64().unwrap_or(0.0);
        let visits = ctx.value_ref(id, visits)?.as_i64().unwrap_or(0);
        let pinned = matches!(ctx.value_ref(id, pinned)?, Value::Bool(true));
        let uuid = match ctx.value_ref(id, uuid)? {
            Value::Uuid(u) => u.as_bytes().last().copied().unwrap_or(0),
            _ => 0,
        };
        sum += ReadBack::checksum_of_parts(
            id.primary_key().unwrap_or(0),
            title,
            url,
            created,
            score,
            visits,
            pinned,
            uuid,
        );
    }
    Ok(sum)
}

fn batch_count(result: BatchResult) -> anyhow::Result<u64> {
    match result {
        BatchResult::Count(n) => Ok(n),
        BatchResult::ObjectIds(ids) => Ok(ids.len() as u64),
        other => anyhow::bail!("a batch answered {other:?}"),
    }
}
