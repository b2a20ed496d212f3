//! `strata history`: the JSON shape of transactions and changes, the filters, deletion up to
//! a token and the "expired" error after it, the table form, and stores without history.

use strata::core::{Context, Coordinator};
use strata::sqlite::{SqliteOptions, SqliteStore};
use strata::{Store, Value};

use super::support::{DATA, Env, MODEL, json_lines, strata};

/// A store created with `--history`, holding [`DATA`] (one import save by no author), then
/// one update of Clip/p1's score by "editor" in context "ui", and one deletion of Clip/p2.
fn history_env() -> Env {
    let mut env = Env::new();
    let out =
        strata(&["init", "--store", &env.store(), "--model", MODEL, "--history", "--format", "json"]).ok();
    env.uuid = json_lines(&out)[0]["uuid"].as_str().expect("uuid").to_owned();
    let file = env.write("data.jsonl", DATA);
    env.import(&file, &[]).ok();
    let store = std::sync::Arc::new(
        SqliteStore::open_existing(env.path("store.sqlite"), SqliteOptions::default()).unwrap(),
    );
    let coordinator = Coordinator::new(store.model().clone());
    coordinator.add_store("Default", store.clone() as std::sync::Arc<dyn Store>).unwrap();
    let mut context = Context::new(coordinator);
    context.set_transaction_author(Some("editor"));
    context.set_name(Some("ui"));
    let first = context.object_id_for_uri(&env.uri("Clip/p1")).unwrap();
    context.set(first, "score", Value::Double(9.5)).unwrap();
    context.save().unwrap();
    context.set_transaction_author(None);
    let second = context.object_id_for_uri(&env.uri("Clip/p2")).unwrap();
    context.delete(second).unwrap();
    context.save().unwrap();
    env
}

fn history(env: &Env, extra: &[&str]) -> Vec<serde_json::Value> {
    let store = env.store();
    let mut args = vec!["history", "--store", &store, "--format", "json"];
    args.extend_from_slice(extra);
    json_lines(&strata(&args).ok())
}

#[test]
fn history_prints_one_json_line_per_transaction() {
    let env = history_env();
    let lines = history(&env, &[]);
    assert_eq!(lines.len(), 3, "{lines:?}");
    let tokens: Vec<&str> = lines.iter().map(|l| l["token"].as_str().unwrap_or_default()).collect();
    assert_eq!(tokens, [1, 2, 3].map(|n| format!("{}:{n}", env.uuid)));
    assert_eq!(lines[0]["changes"].as_array().map(Vec::len), Some(8), "the import inserted 8 objects");
    assert_eq!(lines[0]["changes"][0]["type"], "insert");
    let update = &lines[1];
    assert_eq!(update["author"], "editor");
    assert_eq!(update["context"], "ui");
    assert_eq!(update["process"].as_u64(), Some(u64::from(std::process::id())), "saved by this test");
    assert!(update["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')), "{update}");
    assert_eq!(
        update["changes"],
        serde_json::json!([{"type": "update", "id": env.uri("Clip/p1"), "entity": "Clip", "updated": ["score"]}])
    );
    let delete = &lines[2]["changes"];
    assert!(
        delete.as_array().is_some_and(|c| c.iter().any(|c| c["type"] == "delete"
            && c["id"] == env.uri("Clip/p2").as_str()
            && c["tombstone"].as_object().is_some_and(|t| t.contains_key("uuid")))),
        "{delete}"
    );
}

#[test]
fn history_filters() {
    let env = history_env();
    let token = |lines: &[serde_json::Value]| -> Vec<String> {
        lines
            .iter()
            .map(|l| {
                l["token"].as_str().unwrap_or_default().rsplit(':').next().unwrap_or_default().to_owned()
            })
            .collect()
    };
    assert_eq!(token(&history(&env, &["--author", "editor"])), ["2"]);
    assert_eq!(token(&history(&env, &["--context", "ui"])), ["2", "3"]);
    assert_eq!(token(&history(&env, &["--after", &format!("{}:1", env.uuid)])), ["2", "3"]);
    // The deletion also updated the clip's folder (its `clips` lost a member).
    let folders = history(&env, &["--entity", "Folder"]);
    assert_eq!(token(&folders), ["1", "3"]);
    assert!(
        folders
            .iter()
            .all(|l| l["changes"].as_array().is_some_and(|c| c.iter().all(|c| c["entity"] == "Folder")))
    );
    assert_eq!(token(&history(&env, &["--since", "2000-01-01T00:00:00Z"])), ["1", "2", "3"]);
    assert!(history(&env, &["--since", "2999-01-01T00:00:00Z"]).is_empty());
    let error = strata(&["history", "--store", &env.store(), "--entity", "Clipp"]).fails();
    assert!(error.contains("no entity Clipp") && error.contains("Clip"), "{error}");
    let error = strata(&["history", "--store", &env.store(), "--after", "nonsense"]).fails();
    assert!(error.contains("not a history token"), "{error}");
    let foreign = "00000000-0000-0000-0000-000000000001:1";
    let error = strata(&["history", "--store", &env.store(), "--after", foreign]).fails();
    assert!(error.contains("belongs to store"), "{error}");
}

#[test]
fn history_delete_before_expires_older_tokens() {
    let env = history_env();
    let store = env.store();
    let through = format!("{}:1", env.uuid);
    let out = strata(&["history", "--store", &store, "--delete-before", &through]).ok();
    assert!(out.starts_with("deleted 1 transaction"), "{out}");
    assert_eq!(history(&env, &[]).len(), 2);
    assert_eq!(history(&env, &["--after", &through]).len(), 2, "after the deleted edge is fine");
    let error = strata(&["history", "--store", &store, "--after", &format!("{}:0", env.uuid)]).fails();
    assert!(error.contains("expired"), "{error}");
}

#[test]
fn history_table_and_stores_without_history() {
    let env = history_env();
    let table = strata(&["history", "--store", &env.store()]).ok();
    assert!(table.contains("update Clip/p1 (score)") && table.contains("editor"), "{table}");
    let plain = Env::with_store();
    let error = strata(&["history", "--store", &plain.store()]).fails();
    assert!(error.contains("does not record history"), "{error}");
}
