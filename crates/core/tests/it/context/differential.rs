//! Differential check of fetches with pending changes: what a context answers with unsaved
//! changes must equal what a fresh context answers once those changes are saved — same
//! objects, same order, same paging, same count. Cases come from a seeded generator;
//! `PROPTEST_CASES` raises their number for long runs.

use strata_core::{Context, FetchRequest, ObjectId};

use super::support::{Env, clip};

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn score(&mut self) -> f64 {
        self.below(6) as f64
    }
}

fn cases() -> u64 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(40)
}

fn request(rng: &mut Rng) -> FetchRequest {
    let mut request = FetchRequest::new("Clip");
    if rng.below(3) > 0 {
        let op = ["<", "<=", ">=", ">", "!="][rng.below(5) as usize];
        request = request.filter(&format!("score {op} %d"), &[(rng.below(6) as i64).into()]).unwrap();
    }
    request = match rng.below(3) {
        0 => request,
        1 => request.sort_by("score").unwrap(),
        _ => request.sort_by("score desc, title").unwrap(),
    };
    if rng.below(2) == 0 {
        request = request.offset(rng.below(4) as usize);
    }
    if rng.below(2) == 0 {
        request = request.limit(1 + rng.below(5) as usize);
    }
    request
}

fn permanent(ctx: &Context, ids: Vec<ObjectId>) -> Vec<ObjectId> {
    ids.into_iter().map(|id| ctx.permanent_id(id).unwrap_or(id)).collect()
}

#[test]
fn pending_fetches_match_the_saved_result() {
    for case in 0..cases() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (case + 1).wrapping_mul(0x1000_0000_01B3));
        let env = Env::new();
        let mut seed = env.context();
        for i in 0..8 {
            let score = rng.score();
            clip(&mut seed, &format!("s{i}"), score);
        }
        seed.save().unwrap();
        let mut ctx = env.context();
        let mut live = ctx.fetch(&FetchRequest::new("Clip")).unwrap().ids();
        for step in 0..6 {
            match rng.below(3) {
                0 => {
                    let score = rng.score();
                    live.push(clip(&mut ctx, &format!("n{step}"), score));
                }
                1 if !live.is_empty() => {
                    let target = live[rng.below(live.len() as u64) as usize];
                    let score = rng.score();
                    ctx.set(target, "score", score).unwrap();
                }
                _ if !live.is_empty() => {
                    let target = live.remove(rng.below(live.len() as u64) as usize);
                    ctx.delete(target).unwrap();
                }
                _ => {}
            }
        }
        let requests: Vec<FetchRequest> = (0..4).map(|_| request(&mut rng)).collect();
        let pending: Vec<(Vec<ObjectId>, u64)> =
            requests.iter().map(|r| (ctx.fetch(r).unwrap().ids(), ctx.count(r).unwrap())).collect();
        ctx.save().unwrap();
        let mut fresh = env.context();
        for (request, (ids, count)) in requests.iter().zip(pending) {
            let saved = fresh.fetch(request).unwrap().ids();
            assert_eq!(permanent(&ctx, ids), saved, "case {case}: {request:?}");
            assert_eq!(count, fresh.count(request).unwrap(), "case {case}: count of {request:?}");
        }
    }
}
