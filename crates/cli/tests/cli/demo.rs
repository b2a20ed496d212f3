//! `strata demo`: the README's main command — the two-process story — and the one-process
//! tour run to the end, check what they print, and leave nothing behind (no directory, no
//! extension process).

use super::support::strata;

/// The directory a demo says it removed; asserts it is gone.
fn assert_removed(out: &str, prefix: &str) {
    let removed = out.lines().find_map(|l| l.strip_prefix("Removed ")).and_then(|l| l.split(';').next());
    let removed = removed.unwrap_or_else(|| panic!("the demo names the directory it removed:\n{out}"));
    assert!(removed.contains(prefix), "{removed}");
    assert!(!std::path::Path::new(removed).exists(), "{removed} is gone");
}

#[test]
fn the_story_runs_two_processes_and_cleans_up() {
    let out = strata(&["demo"]).ok();
    for heading in ["1. An app group", "2. The app", "3. The extension", "4. A URI", "5. Both members"] {
        assert!(out.contains(heading), "missing {heading:?} in:\n{out}");
    }
    let arrivals = out.lines().filter(|l| l.trim_start().starts_with("+ ")).count();
    assert_eq!(arrivals, 40, "one line per clip merged from the extension:\n{out}");
    assert!(out.contains("the tracker merged the app's own batch transaction back"), "{out}");
    assert!(out.contains("\nSummary: 40 clips merged from the extension"), "{out}");
    assert!(out.contains("0 left."), "the cleaner deletes every transaction both members read:\n{out}");
    assert_removed(&out, "strata-demo-");
}

#[test]
fn the_tour_runs_and_removes_its_directory() {
    let out = strata(&["demo", "tour"]).ok();
    for heading in [
        "1. The model",
        "3. Importing",
        "4. Predicates",
        "9. Delete rules",
        "10. Validation",
        "11. Optimistic locking",
        "12. URIs",
    ] {
        assert!(out.contains(heading), "missing {heading:?} in:\n{out}");
    }
    assert!(out.contains("\nSummary: created a SQLite store, imported 11 objects"), "{out}");
    assert_removed(&out, "strata-demo-");
}
