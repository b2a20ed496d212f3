//! Property test of the fetched-results observer: random sequences of edits in the observed
//! context (inserts, attribute edits moving clips across sort positions, sections and in or
//! out of the predicate, deletes, saves, rollbacks, refreshes, resets) and of saves in other
//! contexts merged through `merge_changes`. After every step, for four observers (flat and
//! sectioned, with and without predicate and sort), applying the reported changes to the
//! previous list in the documented order gives exactly the new list, and the new list is
//! exactly a brute-force re-fetch of the store. Cases come from a seeded generator (as in
//! `undo_random.rs`, so store crates run it without extra dependencies); `PROPTEST_CASES`
//! raises their number for long runs.

use strata_core::fetched_results::{FetchedResults, IndexPath, ResultChange};
use strata_core::{Context, FetchRequest, MergePolicy, ObjectId};
use strata_model::Value;

use super::support::Env;

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick(&mut self, ids: &[ObjectId]) -> Option<ObjectId> {
        (!ids.is_empty()).then(|| ids[self.below(ids.len())])
    }
}

fn cases() -> u64 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)
}

type Layout = Vec<(Value, Vec<ObjectId>)>;

/// One observed request: the request, its section key, and the observer.
struct Observed {
    request: FetchRequest,
    section: Option<&'static str>,
    results: FetchedResults,
}

fn requests() -> Vec<(FetchRequest, Option<&'static str>)> {
    let parse =
        |r: Result<FetchRequest, strata_predicate::PredicateError>| r.unwrap_or_else(|e| panic!("{e}"));
    vec![
        (
            parse(
                FetchRequest::new("Clip")
                    .filter("visits > 0", &[])
                    .and_then(|r| r.sort_by("score desc, title")),
            ),
            None,
        ),
        (FetchRequest::new("Clip"), None),
        (
            parse(
                FetchRequest::new("Clip")
                    .filter("pinned == NO", &[])
                    .and_then(|r| r.sort_by("visits, score desc")),
            ),
            Some("visits"),
        ),
        (parse(FetchRequest::new("Clip").sort_by("title desc, score")), Some("title")),
    ]
}

fn layout(results: &FetchedResults) -> Layout {
    results.sections().iter().map(|s| (s.name().clone(), s.objects().to_vec())).collect()
}

/// What a fresh context fetches from the store, laid out in sections.
fn refetch(env: &Env, observed: &Observed) -> Layout {
    let mut fresh = env.context();
    let ids = fresh.fetch(&observed.request.clone().include_pending_changes(false)).unwrap().ids();
    let Some(key) = observed.section else { return vec![(Value::Null, ids)] };
    let mut out: Layout = Vec::new();
    for id in ids {
        let name = fresh.value(id, key).unwrap();
        match out.last_mut() {
            Some((last, members)) if *last == name => members.push(id),
            _ => out.push((name, vec![id])),
        }
    }
    out
}

/// Applies `changes` to `old` as `ResultChange` documents it; `None` if they do not fit.
fn apply(mut sections: Layout, changes: &[ResultChange]) -> Option<Layout> {
    let mut removals: Vec<IndexPath> = Vec::new();
    let mut gone: Vec<usize> = Vec::new();
    let mut new_sections: Vec<(usize, Value)> = Vec::new();
    let mut insertions: Vec<(IndexPath, ObjectId)> = Vec::new();
    let mut updates: Vec<(IndexPath, ObjectId)> = Vec::new();
    for change in changes {
        match change {
            ResultChange::DeleteSection { section, .. } => gone.push(*section),
            ResultChange::InsertSection { section, name } => new_sections.push((*section, name.clone())),
            ResultChange::Delete { old, .. } => removals.push(*old),
            ResultChange::Insert { object, new } => insertions.push((*new, *object)),
            ResultChange::Move { object, old, new } => {
                removals.push(*old);
                insertions.push((*new, *object));
            }
            ResultChange::Update { object, new, .. } => updates.push((*new, *object)),
            _ => return None,
        }
    }
    removals.sort_by(|a, b| b.cmp(a));
    for p in removals {
        let section = sections.get_mut(p.section)?;
        (p.row < section.1.len()).then_some(())?;
        section.1.remove(p.row);
    }
    gone.sort_by(|a, b| b.cmp(a));
    for s in gone {
        (sections.get(s)?.1.is_empty()).then_some(())?;
        sections.remove(s);
    }
    new_sections.sort_by_key(|(i, _)| *i);
    for (s, name) in new_sections {
        (s <= sections.len()).then_some(())?;
        sections.insert(s, (name, Vec::new()));
    }
    insertions.sort();
    for (p, object) in insertions {
        let section = sections.get_mut(p.section)?;
        (p.row <= section.1.len()).then_some(())?;
        section.1.insert(p.row, object);
    }
    for (p, object) in updates {
        (sections.get(p.section)?.1.get(p.row) == Some(&object)).then_some(())?;
    }
    Some(sections)
}

/// Live clips as far as the observed context's saves and merges go.
struct Pool {
    clips: Vec<ObjectId>,
    /// Clips inserted in the observed context and not saved.
    unsaved: Vec<ObjectId>,
}

fn random_values(ctx: &mut Context, rng: &mut Rng, id: ObjectId) {
    let _ = match rng.below(4) {
        0 => ctx.set(id, "score", rng.below(4) as f64),
        1 => ctx.set(id, "visits", rng.below(3) as i64),
        2 => ctx.set(id, "title", format!("t{}", rng.below(3))),
        _ => ctx.set(id, "pinned", rng.below(2) == 0),
    };
}

fn new_clip(ctx: &mut Context, rng: &mut Rng) -> ObjectId {
    let id = ctx.insert("Clip").unwrap_or_else(|e| panic!("{e}"));
    ctx.set(id, "title", format!("t{}", rng.below(3))).unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..3 {
        random_values(ctx, rng, id);
    }
    id
}

/// Saves `ctx`, moving its saved inserts into the pool.
fn save(ctx: &mut Context, pool: &mut Pool) -> String {
    match ctx.save() {
        Ok(outcome) => {
            let saved: Vec<ObjectId> =
                pool.unsaved.drain(..).filter_map(|t| outcome.permanent_id(t)).collect();
            pool.clips.extend(saved);
            pool.clips.retain(|id| !outcome.deleted.contains(id));
            "save".into()
        }
        Err(e) => panic!("the observed context's save failed: {e}"),
    }
}

/// Another context saves a few changes; the observed context merges them.
fn elsewhere(env: &Env, ctx: &mut Context, rng: &mut Rng, pool: &mut Pool) -> String {
    let mut other = env.context();
    let mut inserted = Vec::new();
    for _ in 0..1 + rng.below(3) {
        match (rng.below(5), rng.pick(&pool.clips)) {
            (0, _) | (_, None) => inserted.push(new_clip(&mut other, rng)),
            (1, Some(c)) => {
                let _ = other.delete(c);
            }
            (_, Some(c)) => random_values(&mut other, rng, c),
        }
    }
    let outcome = other.save().unwrap_or_else(|e| panic!("the other context's save failed: {e}"));
    pool.clips.extend(inserted.iter().filter_map(|t| outcome.permanent_id(*t)));
    pool.clips.retain(|id| !outcome.deleted.contains(id));
    for notification in &outcome.notifications {
        ctx.merge_changes(notification).unwrap_or_else(|e| panic!("merge: {e}"));
    }
    format!(
        "elsewhere {:?}",
        outcome.notifications.first().map(|n| (n.inserted.len(), n.updated.len(), n.deleted.len()))
    )
}

/// One random step on the observed context (or a merge into it); what it did.
fn step(env: &Env, ctx: &mut Context, rng: &mut Rng, pool: &mut Pool) -> String {
    let live: Vec<ObjectId> =
        pool.clips.iter().chain(&pool.unsaved).copied().filter(|id| !ctx.is_deleted(*id)).collect();
    match rng.below(20) {
        0..=2 => {
            let id = new_clip(ctx, rng);
            pool.unsaved.push(id);
            "insert".into()
        }
        3..=7 => match rng.pick(&live) {
            Some(id) => {
                random_values(ctx, rng, id);
                "edit".into()
            }
            None => "edit (nothing)".into(),
        },
        8 | 9 => match rng.pick(&live) {
            Some(id) => {
                ctx.delete(id).unwrap_or_else(|e| panic!("delete: {e}"));
                pool.unsaved.retain(|u| *u != id);
                "delete".into()
            }
            None => "delete (nothing)".into(),
        },
        10..=13 => save(ctx, pool),
        14..=16 => elsewhere(env, ctx, rng, pool),
        17 => {
            ctx.rollback();
            pool.unsaved.clear();
            "rollback".into()
        }
        18 => match rng.pick(&pool.clips) {
            Some(id) => {
                let _ = ctx.refresh(id, rng.below(2) == 0);
                "refresh".into()
            }
            None => "refresh (nothing)".into(),
        },
        _ => {
            if rng.below(2) == 0 {
                ctx.reset();
                pool.unsaved.clear();
                "reset".into()
            } else {
                ctx.refresh_all_objects().unwrap_or_else(|e| panic!("refresh all: {e}"));
                "refresh all".into()
            }
        }
    }
}

#[test]
fn reported_changes_turn_the_old_list_into_a_refetch() {
    let (mut reported, mut steps) = (0_usize, 0_usize);
    for case in 0..cases() {
        let seed = 0x9E37_79B9_7F4A_7C15 ^ (case + 1).wrapping_mul(0x1234_5678_9ABC_DEF1);
        let mut rng = Rng(seed);
        let env = Env::new();
        let mut ctx = env.context();
        // Edits survive merges of the same objects, so saves never fail on conflicts.
        ctx.set_merge_policy(MergePolicy::MergeByPropertyObjectTrump);
        let mut pool = Pool { clips: Vec::new(), unsaved: Vec::new() };
        for _ in 0..rng.below(6) {
            let id = new_clip(&mut ctx, &mut rng);
            pool.unsaved.push(id);
        }
        save(&mut ctx, &mut pool);
        let mut observed: Vec<Observed> = requests()
            .into_iter()
            .map(|(request, section)| {
                let mut results = match section {
                    Some(key) => FetchedResults::sectioned(request.clone(), key),
                    None => FetchedResults::new(request.clone()),
                }
                .unwrap_or_else(|e| panic!("{e}"));
                results.perform_fetch(&mut ctx).unwrap_or_else(|e| panic!("{e}"));
                Observed { request, section, results }
            })
            .collect();
        let mut history: Vec<String> = Vec::new();
        for o in &observed {
            assert_eq!(layout(&o.results), refetch(&env, o), "case {case} (seed {seed:#x}): initial fetch");
        }
        for _ in 0..10 + rng.below(40) {
            history.push(step(&env, &mut ctx, &mut rng, &mut pool));
            steps += 1;
            for (i, o) in observed.iter_mut().enumerate() {
                let before = layout(&o.results);
                let changes = o.results.process_changes(&mut ctx).unwrap_or_else(|e| panic!("{e}"));
                reported += changes.len();
                let now = layout(&o.results);
                let expected = refetch(&env, o);
                let context = format!("case {case} (seed {seed:#x}), observer {i}, steps {history:?}");
                assert_eq!(now, expected, "{context}: the list is a re-fetch");
                assert_eq!(apply(before, &changes), Some(now), "{context}: the changes {changes:?} apply");
            }
        }
    }
    assert!(reported > steps, "the steps changed the lists ({reported} changes in {steps} steps)");
}
