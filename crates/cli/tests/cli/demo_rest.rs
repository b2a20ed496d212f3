//! `strata demo rest`: the REST store's story runs to the end, checked step by step, and
//! leaves nothing behind.

use super::support::strata;

#[test]
fn the_rest_demo_runs_and_removes_its_directory() {
    let out = strata(&["demo", "rest"]).ok();
    for expected in [
        "1. A palettes API",
        "answered 0 palettes in",
        "notification: fetch finished, 12 palettes inserted",
        "the same fetch answers 12 palettes",
        "4. A second run",
        "answered 304 Not Modified",
        "PATCH /palettes/3 → 200",
        "a new context reads \"Sunset\" from the cache",
        "server stopped; context.fetch(Palette) answered 12 palettes",
        "notification: fetch failed",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    let removed = out.lines().find_map(|l| l.strip_prefix("Removed ")).and_then(|l| l.split(';').next());
    let removed = removed.unwrap_or_else(|| panic!("the demo names the directory it removed:\n{out}"));
    assert!(removed.contains("strata-demo-rest-"), "{removed}");
    assert!(!std::path::Path::new(removed).exists(), "{removed} is gone");
}
