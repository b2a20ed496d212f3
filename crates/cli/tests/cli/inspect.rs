//! `strata inspect`: the description of a store, and clear errors for what is not one.

use super::support::{Env, json_lines, strata};

#[test]
fn inspect_describes_the_store() {
    let env = Env::with_data();
    let json = json_lines(&strata(&["inspect", "--store", &env.store(), "--format", "json"]).ok());
    assert_eq!(json.len(), 1, "one JSON object");
    let info = &json[0];
    assert_eq!(info["uuid"], env.uuid.as_str());
    assert_eq!(info["path"], env.store());
    assert_eq!(info["type"], "SQLite");
    assert_eq!(info["model"], "Clips");
    assert_eq!(info["modelVersion"], 1);
    assert_eq!(info["modelHash"].as_str().map(str::len), Some(64));
    assert_eq!(info["history"], false);
    assert_eq!(info["rows"], serde_json::json!({"Clip": 4, "Folder": 2, "Tag": 2}));
    assert_eq!(info["user"], serde_json::json!({}));
    let size = &info["size"];
    let part = |k: &str| size[k].as_u64().unwrap_or_default();
    assert!(part("database") > 0);
    assert_eq!(part("total"), part("database") + part("wal") + part("shm"));

    let table = strata(&["inspect", "--store", &env.store()]).ok();
    assert!(table.contains(&format!("uuid           {}", env.uuid)), "{table}");
    assert!(table.contains("history        off") && table.contains("model          Clips v1"), "{table}");
    assert!(table.contains("\nClip    4\nFolder  2\nTag     2\n"), "{table}");
}

#[test]
fn inspect_refuses_what_is_not_a_store() {
    let env = Env::new();
    let text = env.write("notes.txt", "not a database");
    let error = strata(&["inspect", "--store", &text]).fails();
    assert!(error.contains("is not a Strata store: it is not an SQLite database"), "{error}");
    assert_eq!(std::fs::read_to_string(&text).unwrap_or_default(), "not a database", "left unchanged");
    let missing = env.path("missing.sqlite");
    let error = strata(&["inspect", "--store", missing.to_str().unwrap_or_default()]).fails();
    assert!(error.contains("is not a Strata store: the file does not exist"), "{error}");
    assert!(!missing.exists(), "inspect creates nothing");
}
