//! `strata init`: creating a store, and refusing to overwrite anything.

use super::support::{Env, MODEL, json_lines, strata};

#[test]
fn init_prints_the_uuid_and_path() {
    let env = Env::new();
    let store = env.store();
    let out = strata(&["init", "--store", &store, "--model", MODEL]).ok();
    let first = out.lines().next().unwrap_or_default();
    assert!(first.starts_with("created store ") && first.ends_with(&format!(" at {store}")), "{out}");
    assert!(out.contains("model Clips v1") && out.contains("history off"), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&store).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
        assert_eq!(mode, 0o600, "store files are private to their owner");
    }

    let other = env.path("history.sqlite");
    let other = other.to_str().unwrap_or_default();
    let json = json_lines(
        &strata(&["init", "--store", other, "--model", MODEL, "--history", "--format", "json"]).ok(),
    );
    assert_eq!(json.len(), 1);
    assert_eq!(json[0]["path"], other);
    assert_eq!(json[0]["history"], true);
    assert_eq!(json[0]["uuid"].as_str().map(str::len), Some(36));
    let inspected = json_lines(&strata(&["inspect", "--store", other, "--format", "json"]).ok());
    assert_eq!(inspected[0]["uuid"], json[0]["uuid"]);
    assert_eq!(inspected[0]["history"], true);
}

#[test]
fn init_refuses_existing_files() {
    let env = Env::with_store();
    let before = std::fs::read(env.path("store.sqlite")).unwrap_or_default();
    let error = strata(&["init", "--store", &env.store(), "--model", MODEL]).fails();
    assert!(
        error.contains("already exists and is not empty") && error.contains("SQLite database"),
        "{error}"
    );
    assert_eq!(std::fs::read(env.path("store.sqlite")).unwrap_or_default(), before);
    let inspected = json_lines(&strata(&["inspect", "--store", &env.store(), "--format", "json"]).ok());
    assert_eq!(inspected[0]["uuid"], env.uuid.as_str(), "the store is the same store");

    let notes = env.write("notes.txt", "my notes\n");
    let error = strata(&["init", "--store", &notes, "--model", MODEL]).fails();
    assert!(error.contains("already exists and is not empty"), "{error}");
    assert_eq!(std::fs::read_to_string(&notes).unwrap_or_default(), "my notes\n");
}

#[test]
fn init_reports_model_problems_and_leaves_nothing() {
    let env = Env::new();
    let model = env.write(
        "model.json",
        r#"{"name":"M","version":1,"entities":[{"name":"A","attributes":[{"name":"x","type":"strin"}]}]}"#,
    );
    let error = strata(&["init", "--store", &env.store(), "--model", &model]).fails();
    assert!(error.contains("cannot load model") && error.contains("strin"), "{error}");
    assert!(!env.path("store.sqlite").exists());
    let missing = env.path("missing.json");
    let error =
        strata(&["init", "--store", &env.store(), "--model", missing.to_str().unwrap_or_default()]).fails();
    assert!(error.contains("missing.json"), "{error}");
}
