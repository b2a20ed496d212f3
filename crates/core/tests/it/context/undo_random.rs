//! Property test of undo: random sequences of changes (values, every relationship kind,
//! inserts, deletes with their rules, explicit groups) mixed with undos and redos, then
//! undo all → the context answers exactly what it answered before (values and
//! relationships of every object, changed sets), inverses agreeing at every step; redo as
//! many groups → what it answered after. Cases come from a seeded generator;
//! `PROPTEST_CASES` raises their number for long runs.

use strata_core::{Context, ObjectId};

use super::merge_policies::scene;
use super::undo::world;

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

    fn pick(&mut self, ids: &[ObjectId]) -> ObjectId {
        ids[self.below(ids.len())]
    }
}

fn cases() -> u64 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)
}

/// The objects a case works on, by entity.
struct Pool {
    clips: Vec<ObjectId>,
    folders: Vec<ObjectId>,
    tags: Vec<ObjectId>,
    notes: Vec<ObjectId>,
}

impl Pool {
    fn all(&self) -> Vec<ObjectId> {
        self.clips.iter().chain(&self.folders).chain(&self.tags).chain(&self.notes).copied().collect()
    }
}

/// One random change; errors (a deleted object, a wrong destination) change nothing and
/// are ignored.
fn step(ctx: &mut Context, rng: &mut Rng, pool: &mut Pool) {
    let c = rng.pick(&pool.clips);
    let _ = match rng.below(12) {
        0 => ctx.set(c, "title", format!("t{}", rng.below(4))),
        1 => ctx.set(c, "score", rng.below(5) as f64),
        2 => {
            let f = rng.pick(&pool.folders);
            ctx.set_to_one(c, "folder", if rng.below(4) == 0 { None } else { Some(f) })
        }
        3 => {
            let f = rng.pick(&pool.folders);
            ctx.add_to_many(f, "clips", c)
        }
        4 => ctx.add_to_many(c, "tags", rng.pick(&pool.tags)),
        5 => ctx.remove_to_many(rng.pick(&pool.tags), "clips", c),
        6 => {
            let n = rng.pick(&pool.notes);
            ctx.set_to_one(n, "clip", if rng.below(4) == 0 { None } else { Some(c) })
        }
        7 => {
            let tags: Vec<ObjectId> = (0..rng.below(3)).map(|_| rng.pick(&pool.tags)).collect();
            ctx.set_to_many(c, "tags", &tags)
        }
        8 => ctx.insert("Clip").map(|id| pool.clips.push(id)),
        9 => ctx.insert("Note").map(|id| pool.notes.push(id)),
        10 => {
            let f = rng.pick(&pool.folders);
            let p = rng.pick(&pool.folders);
            ctx.set_to_one(f, "parent", (f != p).then_some(p))
        }
        _ => match rng.below(3) {
            0 => ctx.delete(c),
            1 => ctx.delete(rng.pick(&pool.tags)),
            _ => ctx.delete(rng.pick(&pool.folders)),
        },
    };
}

#[test]
fn undoing_everything_restores_the_context() {
    let (mut changed, mut saved) = (0, 0);
    for case in 0..cases() {
        let scene = scene();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (case + 1).wrapping_mul(0x1234_5678_9ABC_DEF1));
        let mut ctx = scene.env.context();
        let mut pool = Pool {
            clips: vec![scene.clip],
            folders: scene.folders.to_vec(),
            tags: scene.tags.to_vec(),
            notes: vec![],
        };
        // Some unsaved objects before the recorded changes start.
        ctx.set_undo_enabled(false);
        for _ in 0..2 {
            pool.clips.push(ctx.insert("Clip").unwrap());
            pool.notes.push(ctx.insert("Note").unwrap());
        }
        ctx.set_to_one(pool.clips[1], "folder", Some(pool.folders[1])).unwrap();
        ctx.set_undo_enabled(true);
        assert!(!ctx.can_undo(), "case {case}: setup recorded nothing");
        let before = world(&mut ctx, &pool.all());
        for _ in 0..(5 + rng.below(25)) {
            let roll = rng.below(10);
            if roll == 0 {
                ctx.undo();
            } else if roll == 1 {
                ctx.redo();
            } else if roll < 4 {
                ctx.begin_undo_group();
                for _ in 0..(1 + rng.below(4)) {
                    step(&mut ctx, &mut rng, &mut pool);
                }
                ctx.end_undo_group();
            } else {
                step(&mut ctx, &mut rng, &mut pool);
            }
        }
        let ids = pool.all();
        let after = world(&mut ctx, &ids);
        let (groups, undone) = (ctx.undo_count(), ctx.redo_count());
        assert_consistent(&mut ctx, &ids, case);
        changed += usize::from(after != world_of(&before, &ids));
        while ctx.undo() {
            assert_consistent(&mut ctx, &ids, case);
        }
        assert_eq!(world(&mut ctx, &ids), world_of(&before, &ids), "case {case}: undo all");
        assert_eq!(ctx.redo_count(), groups + undone, "case {case}");
        for _ in 0..groups {
            assert!(ctx.redo(), "case {case}");
        }
        assert_eq!(world(&mut ctx, &ids), after, "case {case}: redo what was undone");
        assert_eq!(ctx.redo_count(), undone, "case {case}: the groups undone during the run stay redoable");
        // The redone context saves (or fails validation only).
        match ctx.save() {
            Ok(_) => saved += 1,
            Err(e) => {
                // Random graphs can break validation rules (an inserted clip has no title):
                // only those errors are acceptable.
                assert!(matches!(e, strata_core::Error::Validation(_)), "case {case}: {e}");
            }
        }
    }
    let cases = cases() as usize;
    assert!(changed * 10 >= cases * 9, "most cases change something ({changed} of {cases})");
    assert!(saved > 0 || cases < 10, "some redone cases save ({saved} of {cases})");
}

/// `before` extended with the objects inserted later (not held before the changes).
fn world_of(before: &super::undo::World, ids: &[ObjectId]) -> super::undo::World {
    let mut world = before.clone();
    for id in ids {
        world.0.entry(*id).or_insert(None);
    }
    world
}

/// Every relationship between live objects of `ids` agrees with its inverse.
fn assert_consistent(ctx: &mut Context, ids: &[ObjectId], case: u64) {
    let model = ctx.model().clone();
    let live: Vec<ObjectId> =
        ids.iter().copied().filter(|id| ctx.is_registered(*id) && !ctx.is_deleted(*id)).collect();
    for &id in &live {
        for r in model.entities()[id.entity().get()].relationships() {
            let Some(inverse) = model.inverse_of(r) else { continue };
            let destinations = if r.is_to_many() {
                ctx.to_many(id, r.name()).unwrap()
            } else {
                ctx.to_one(id, r.name()).unwrap().into_iter().collect()
            };
            for d in destinations.into_iter().filter(|d| live.contains(d)) {
                let back = if inverse.is_to_many() {
                    ctx.to_many(d, inverse.name()).unwrap()
                } else {
                    ctx.to_one(d, inverse.name()).unwrap().into_iter().collect()
                };
                assert!(
                    back.contains(&id),
                    "case {case}: {id:?}.{} holds {d:?} but not the inverse",
                    r.name()
                );
            }
        }
    }
}
