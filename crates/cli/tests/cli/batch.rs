//! `strata batch-update` and `strata batch-delete`: counts printed, values stored, cascade
//! delete rules honoured, the author recorded in history, and errors (unknown names, values
//! of the wrong type, uniqueness) that leave the store unchanged.

use super::support::{DATA, Env, MODEL, json_lines, strata};

fn batch(env: &Env, command: &str, entity: &str, extra: &[&str]) -> super::support::Run {
    let store = env.store();
    let mut args = vec![command, "--store", &store, "--entity", entity];
    args.extend_from_slice(extra);
    strata(&args)
}

fn count(env: &Env, entity: &str, predicate: &str) -> String {
    env.fetch(entity, &["--result", "count", "--where", predicate]).ok()
}

#[test]
fn batch_update_sets_values_on_the_matching_objects() {
    let env = Env::with_data();
    let out = batch(
        &env,
        "batch-update",
        "Clip",
        &["--where", "score >= %@", "--arg", "4", "--set", "pinned=true", "--set", "visits=10"],
    );
    assert_eq!(out.ok(), "updated 2 object(s)\n");
    assert_eq!(count(&env, "Clip", "pinned == YES AND visits == 10"), "2\n");
    assert_eq!(count(&env, "Clip", "visits == 10"), "2\n", "objects that did not match are untouched");
    let all = batch(&env, "batch-update", "Clip", &["--set", "url=\"https://example.com\""]);
    assert_eq!(all.ok(), "updated 4 object(s)\n", "without --where every object is updated");
    assert_eq!(count(&env, "Clip", "url == 'https://example.com'"), "4\n");
}

#[test]
fn batch_delete_honours_cascade_rules() {
    let env = Env::with_data();
    let out = batch(&env, "batch-delete", "Folder", &["--where", "name == %@", "--arg", "Reading"]);
    assert_eq!(out.ok(), "deleted 3 object(s)\n", "the folder and its two clips (cascade)");
    let rows = env.rows();
    assert_eq!(
        (rows["Folder"].as_u64(), rows["Clip"].as_u64(), rows["Tag"].as_u64()),
        (Some(1), Some(2), Some(2))
    );
    assert_eq!(
        batch(&env, "batch-delete", "Clip", &["--where", "score > 100"]).ok(),
        "deleted 0 object(s)\n"
    );
}

#[test]
fn batches_are_recorded_in_history_with_their_author_and_context() {
    let env = Env::new();
    strata(&["init", "--store", &env.store(), "--model", MODEL, "--history"]).ok();
    let file = env.write("data.jsonl", DATA);
    env.import(&file, &[]).ok();
    batch(&env, "batch-update", "Clip", &["--set", "visits=1", "--author", "bot", "--context", "nightly"])
        .ok();
    batch(&env, "batch-delete", "Tag", &["--author", "bot"]).ok();
    let lines = json_lines(
        &strata(&["history", "--store", &env.store(), "--author", "bot", "--format", "json"]).ok(),
    );
    let changes: Vec<usize> = lines.iter().map(|l| l["changes"].as_array().map_or(0, Vec::len)).collect();
    assert_eq!(changes, [4, 2], "one transaction per batch, one change per object: {lines:?}");
    assert_eq!(lines[0]["changes"][0]["type"], "update");
    assert_eq!(lines[0]["context"], "nightly", "{lines:?}");
    assert_eq!(lines[1]["changes"][0]["type"], "delete");
    assert!(lines[1]["context"].is_null(), "{lines:?}");
}

#[test]
fn bad_batches_fail_and_change_nothing() {
    let env = Env::with_data();
    let before = env.rows();
    let wrong_type = batch(&env, "batch-update", "Clip", &["--set", "score=\"high\""]).fails();
    assert!(wrong_type.contains("does not fit Clip.score"), "{wrong_type}");
    let typo = batch(&env, "batch-update", "Clip", &["--set", "scor=1"]).fails();
    assert!(typo.contains("did you mean \"score\""), "{typo}");
    let relationship = batch(&env, "batch-update", "Clip", &["--set", "folder=1"]).fails();
    assert!(relationship.contains("relationship"), "{relationship}");
    let not_json = batch(&env, "batch-update", "Clip", &["--set", "title=plain"]).fails();
    assert!(not_json.contains("not JSON"), "{not_json}");
    let entity = batch(&env, "batch-delete", "Clp", &[]).fails();
    assert!(entity.contains("did you mean \"Clip\""), "{entity}");
    let predicate = batch(&env, "batch-delete", "Clip", &["--where", "nope > 1"]).fails();
    assert!(predicate.contains("nope"), "{predicate}");
    let unique = batch(&env, "batch-update", "Tag", &["--set", "name=\"same\""]).fails();
    assert!(unique.contains("unique"), "{unique}");
    assert_eq!(count(&env, "Tag", "name == 'same'"), "0\n", "a uniqueness failure writes nothing");
    assert_eq!(env.rows(), before, "failed batches changed nothing");
}
