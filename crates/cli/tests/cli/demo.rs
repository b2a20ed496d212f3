//! `strata demo`: the README's main command runs to the end and leaves nothing behind.

use super::support::strata;

#[test]
fn the_demo_runs_and_removes_its_directory() {
    let out = strata(&["demo"]).ok();
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
    let removed = out.lines().find_map(|l| l.strip_prefix("Removed ")).and_then(|l| l.split(';').next());
    let removed = removed.unwrap_or_else(|| panic!("the demo names the directory it removed:\n{out}"));
    assert!(removed.contains("strata-demo-"), "{removed}");
    assert!(!std::path::Path::new(removed).exists(), "{removed} is gone");
}
