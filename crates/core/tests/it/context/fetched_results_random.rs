//! Property test of the fetched-results observer: proptest generates sequences of edits in
//! the observed context (inserts, attribute edits moving clips across sort positions,
//! sections and in or out of the predicate, deletes, saves, rollbacks, refreshes, resets) and
//! of saves in other contexts merged through `merge_changes`. After every step, for four
//! observers (flat and sectioned, with and without predicate and sort), applying the reported
//! changes to the previous list in the documented order gives exactly the new list, and the
//! new list is exactly a brute-force re-fetch of the store.
//!
//! Steps name clips by an `Index` into the list of clips alive when the step runs (taken
//! modulo its length), so every step stays meaningful while proptest shrinks a failing
//! sequence to a minimal one. `PROPTEST_CASES` raises the number of cases for long runs.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use strata_core::fetched_results::{FetchedResults, IndexPath, ResultChange};
use strata_core::{Context, FetchRequest, MergePolicy, ObjectId};
use strata_model::Value;

use super::support::Env;

/// An attribute edit; each can move a clip across sort positions, sections or a predicate.
#[derive(Debug, Clone)]
enum Edit {
    Score(u8),
    Visits(u8),
    Title(u8),
    Pinned(bool),
}

/// A clip to insert: its title, then a few edits.
#[derive(Debug, Clone)]
struct NewClip {
    title: u8,
    edits: Vec<Edit>,
}

/// What another context does to the store before it saves.
#[derive(Debug, Clone)]
enum OtherEdit {
    Insert(NewClip),
    Delete(Index),
    Edit(Index, Edit),
}

/// One step on the observed context, or a save elsewhere merged into it.
#[derive(Debug, Clone)]
enum Step {
    Save,
    Insert(NewClip),
    Edit(Index, Edit),
    Delete(Index),
    /// Another context makes these edits, saves, and the observed context merges the save.
    Elsewhere(Vec<OtherEdit>),
    Rollback,
    /// `refresh(clip, merge_changes)` of a saved clip.
    Refresh(Index, bool),
    Reset,
    RefreshAll,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0..4_u8).prop_map(Edit::Score),
        (0..3_u8).prop_map(Edit::Visits),
        (0..3_u8).prop_map(Edit::Title),
        any::<bool>().prop_map(Edit::Pinned),
    ]
}

fn new_clip() -> impl Strategy<Value = NewClip> {
    (0..3_u8, vec(edit(), 0..=3)).prop_map(|(title, edits)| NewClip { title, edits })
}

fn other_edit() -> impl Strategy<Value = OtherEdit> {
    prop_oneof![
        1 => new_clip().prop_map(OtherEdit::Insert),
        1 => any::<Index>().prop_map(OtherEdit::Delete),
        3 => (any::<Index>(), edit()).prop_map(|(clip, edit)| OtherEdit::Edit(clip, edit)),
    ]
}

/// Weights as in the seeded generator this test replaced.
fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => Just(Step::Save),
        6 => new_clip().prop_map(Step::Insert),
        10 => (any::<Index>(), edit()).prop_map(|(clip, edit)| Step::Edit(clip, edit)),
        4 => any::<Index>().prop_map(Step::Delete),
        6 => vec(other_edit(), 1..=3).prop_map(Step::Elsewhere),
        2 => Just(Step::Rollback),
        2 => (any::<Index>(), any::<bool>()).prop_map(|(clip, merge)| Step::Refresh(clip, merge)),
        1 => Just(Step::Reset),
        1 => Just(Step::RefreshAll),
    ]
}

/// The clips saved before the observers start, and the steps.
fn scenario() -> impl Strategy<Value = (Vec<NewClip>, Vec<Step>)> {
    (vec(new_clip(), 0..6), vec(step(), 1..50))
}

/// A failed operation as a test failure (not a panic, whose message would print again on
/// every shrinking attempt).
fn check<T, E: std::fmt::Display>(what: &str, result: Result<T, E>) -> Result<T, TestCaseError> {
    result.map_err(|e| TestCaseError::fail(format!("{what}: {e}")))
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
fn refetch(env: &Env, observed: &Observed) -> Result<Layout, TestCaseError> {
    let mut fresh = env.context();
    let request = observed.request.clone().include_pending_changes(false);
    let ids = check("re-fetch", fresh.fetch(&request))?.ids();
    let Some(key) = observed.section else { return Ok(vec![(Value::Null, ids)]) };
    let mut out: Layout = Vec::new();
    for id in ids {
        let name = check("section name", fresh.value(id, key))?;
        match out.last_mut() {
            Some((last, members)) if *last == name => members.push(id),
            _ => out.push((name, vec![id])),
        }
    }
    Ok(out)
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
#[derive(Default)]
struct Pool {
    clips: Vec<ObjectId>,
    /// Clips inserted in the observed context and not saved.
    unsaved: Vec<ObjectId>,
}

/// The element of `ids` that `index` names, if there is any.
fn pick(ids: &[ObjectId], index: &Index) -> Option<ObjectId> {
    (!ids.is_empty()).then(|| *index.get(ids))
}

fn apply_edit(ctx: &mut Context, id: ObjectId, edit: &Edit) -> Result<(), TestCaseError> {
    let result = match edit {
        Edit::Score(score) => ctx.set(id, "score", f64::from(*score)),
        Edit::Visits(visits) => ctx.set(id, "visits", i64::from(*visits)),
        Edit::Title(title) => ctx.set(id, "title", format!("t{title}")),
        Edit::Pinned(pinned) => ctx.set(id, "pinned", *pinned),
    };
    check("set", result)
}

fn insert_clip(ctx: &mut Context, clip: &NewClip) -> Result<ObjectId, TestCaseError> {
    let id = check("insert", ctx.insert("Clip"))?;
    check("set", ctx.set(id, "title", format!("t{}", clip.title)))?;
    for edit in &clip.edits {
        apply_edit(ctx, id, edit)?;
    }
    Ok(id)
}

/// Saves the observed context, moving its saved inserts into the pool.
fn save(ctx: &mut Context, pool: &mut Pool) -> Result<(), TestCaseError> {
    let outcome = check("the observed context's save", ctx.save())?;
    let saved: Vec<ObjectId> = pool.unsaved.drain(..).filter_map(|t| outcome.permanent_id(t)).collect();
    pool.clips.extend(saved);
    pool.clips.retain(|id| !outcome.deleted.contains(id));
    Ok(())
}

/// Another context makes `edits` and saves; the observed context merges the save.
fn elsewhere(
    env: &Env,
    ctx: &mut Context,
    edits: &[OtherEdit],
    pool: &mut Pool,
) -> Result<(), TestCaseError> {
    let mut other = env.context();
    let mut inserted = Vec::new();
    for edit in edits {
        match edit {
            OtherEdit::Insert(clip) => inserted.push(insert_clip(&mut other, clip)?),
            OtherEdit::Delete(index) => {
                if let Some(id) = pick(&pool.clips, index) {
                    // A second delete of the same clip in one step is a no-op, not a failure.
                    if !other.is_deleted(id) {
                        check("the other context's delete", other.delete(id))?;
                    }
                }
            }
            OtherEdit::Edit(index, edit) => {
                if let Some(id) = pick(&pool.clips, index).filter(|id| !other.is_deleted(*id)) {
                    apply_edit(&mut other, id, edit)?;
                }
            }
        }
    }
    let outcome = check("the other context's save", other.save())?;
    pool.clips.extend(inserted.iter().filter_map(|t| outcome.permanent_id(*t)));
    pool.clips.retain(|id| !outcome.deleted.contains(id));
    for notification in &outcome.notifications {
        check("merge", ctx.merge_changes(notification))?;
    }
    Ok(())
}

/// Runs `step` on the observed context.
fn run_step(env: &Env, ctx: &mut Context, step: &Step, pool: &mut Pool) -> Result<(), TestCaseError> {
    let live: Vec<ObjectId> =
        pool.clips.iter().chain(&pool.unsaved).copied().filter(|id| !ctx.is_deleted(*id)).collect();
    match step {
        Step::Save => save(ctx, pool)?,
        Step::Insert(clip) => {
            let id = insert_clip(ctx, clip)?;
            pool.unsaved.push(id);
        }
        Step::Edit(index, edit) => {
            if let Some(id) = pick(&live, index) {
                apply_edit(ctx, id, edit)?;
            }
        }
        Step::Delete(index) => {
            if let Some(id) = pick(&live, index) {
                check("delete", ctx.delete(id))?;
                pool.unsaved.retain(|u| *u != id);
            }
        }
        Step::Elsewhere(edits) => elsewhere(env, ctx, edits, pool)?,
        Step::Rollback => {
            ctx.rollback();
            pool.unsaved.clear();
        }
        Step::Refresh(index, merge) => {
            if let Some(id) = pick(&pool.clips, index) {
                check("refresh", ctx.refresh(id, *merge))?;
            }
        }
        Step::Reset => {
            ctx.reset();
            pool.unsaved.clear();
        }
        Step::RefreshAll => {
            check("refresh all", ctx.refresh_all_objects())?;
        }
    }
    Ok(())
}

/// Saves `initial`, starts the four observers, runs `steps` and checks every observer after
/// each of them; the number of changes reported.
fn run(initial: &[NewClip], steps: &[Step]) -> Result<usize, TestCaseError> {
    let env = Env::new();
    let mut ctx = env.context();
    // Edits survive merges of the same objects, so saves never fail on conflicts.
    ctx.set_merge_policy(MergePolicy::MergeByPropertyObjectTrump);
    let mut pool = Pool::default();
    for clip in initial {
        let id = insert_clip(&mut ctx, clip)?;
        pool.unsaved.push(id);
    }
    save(&mut ctx, &mut pool)?;
    let mut observed = Vec::new();
    for (request, section) in requests() {
        let made = match section {
            Some(key) => FetchedResults::sectioned(request.clone(), key),
            None => FetchedResults::new(request.clone()),
        };
        let mut results = check("observer", made)?;
        check("perform_fetch", results.perform_fetch(&mut ctx))?;
        let o = Observed { request, section, results };
        prop_assert_eq!(layout(&o.results), refetch(&env, &o)?, "the initial fetch");
        observed.push(o);
    }
    let mut reported = 0;
    for (n, step) in steps.iter().enumerate() {
        run_step(&env, &mut ctx, step, &mut pool)?;
        for (i, o) in observed.iter_mut().enumerate() {
            let before = layout(&o.results);
            let changes = check("process_changes", o.results.process_changes(&mut ctx))?;
            reported += changes.len();
            let now = layout(&o.results);
            prop_assert_eq!(
                &now,
                &refetch(&env, o)?,
                "step {} ({:?}), observer {}: the list is a re-fetch",
                n,
                step,
                i
            );
            let applied = apply(before, &changes);
            prop_assert_eq!(
                applied.as_ref(),
                Some(&now),
                "step {} ({:?}), observer {}: the changes {:?} apply",
                n,
                step,
                i,
                changes
            );
        }
    }
    Ok(reported)
}

/// 64 cases unless `PROPTEST_CASES` says otherwise (`proptest!` lets the variable override
/// the count given here). No regression files: this file is compiled into several crates'
/// suites, and a failure prints its minimal sequence.
fn config() -> Config {
    Config { cases: 64, failure_persistence: None, ..Config::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn reported_changes_turn_the_old_list_into_a_refetch((initial, steps) in scenario()) {
        run(&initial, &steps)?;
    }
}

/// The property above is only as good as its sequences: they must move clips around.
#[test]
fn generated_sequences_change_the_lists() {
    let mut runner = TestRunner::deterministic();
    let (mut reported, mut steps) = (0, 0);
    for _ in 0..8 {
        let tree = scenario().new_tree(&mut runner).unwrap_or_else(|e| panic!("{e}"));
        let (initial, sequence) = tree.current();
        steps += sequence.len();
        reported += run(&initial, &sequence).unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(reported > steps, "the steps changed the lists ({reported} changes in {steps} steps)");
}
