//! `strata import`: a round trip, every kind of bad line (with its number, and the store
//! unchanged afterwards), validation failures listing every violation, and `--save-every`
//! with refs across batches.

use serde_json::json;

use super::support::{DATA, Env, json_lines};

fn empty_rows() -> serde_json::Value {
    json!({"Clip": 0, "Folder": 0, "Tag": 0})
}

#[test]
fn a_file_imports_in_one_save() {
    let env = Env::with_data();
    assert_eq!(env.rows(), json!({"Clip": 4, "Folder": 2, "Tag": 2}));
}

#[test]
fn author_and_context_names_are_accepted() {
    let env = Env::with_store();
    let file = env.write("one.jsonl", "{\"entity\":\"Tag\",\"values\":{\"name\":\"x\"}}\n\n");
    let out = env.import(&file, &["--author", "importer", "--context", "nightly"]).ok();
    assert_eq!(out, "imported 1 objects (1 saves)\n");
}

#[test]
fn bad_lines_stop_the_import_with_their_number_and_change_nothing() {
    let folder = r#"{"entity":"Folder","ref":"f1","values":{"name":"A"}}"#;
    let cases = [
        (
            format!("{folder}\n{{\"entity\":\"Clip\",\"values\":{{\"title\":\"x\"}}}}\nnot json"),
            "line 3: not JSON",
        ),
        (
            format!("{folder}\n{{\"entity\":\"Clip\",\"values\":{{\"titel\":\"x\"}}}}"),
            "line 2: entity Clip has no attribute \"titel\" (did you mean \"title\"?)",
        ),
        (
            format!("{folder}\n{{\"entity\":\"Clip\",\"values\":{{\"title\":\"x\",\"score\":\"high\"}}}}"),
            "line 2: Clip.score: expected a double value, found a JSON string",
        ),
        (
            format!(
                "{folder}\n{{\"entity\":\"Clip\",\"values\":{{\"title\":\"x\"}},\"relationships\":{{\"folder\":\"f9\"}}}}"
            ),
            "line 2: relationship \"folder\" names ref \"f9\", which no line defines",
        ),
        (
            format!("{folder}\n{{\"entity\":\"Clips\"}}"),
            "line 2: the store's model has no entity \"Clips\" (did you mean \"Clip\"?)",
        ),
        (
            format!(
                "{folder}\n{{\"entity\":\"Clip\",\"values\":{{\"title\":\"x\"}},\"relationships\":{{\"tags\":[\"f1\"]}}}}"
            ),
            "line 2: Clip.tags holds Tag objects, but ref \"f1\" (line 1) is a Folder",
        ),
        (
            format!("{folder}\n{{\"entity\":\"Tag\",\"relationships\":{{\"clips\":\"f1\"}}}}"),
            "line 2: Tag.clips is a to-many",
        ),
    ];
    let env = Env::with_store();
    for (i, (text, message)) in cases.iter().enumerate() {
        let file = env.write(&format!("bad{i}.jsonl"), text);
        let error = env.import(&file, &["--save-every", "1"]).fails();
        assert!(error.starts_with(&format!("error: {message}")), "{error:?} should start with {message:?}");
        assert!(error.contains("nothing was imported: the store is unchanged"), "{error}");
        assert_eq!(env.rows(), empty_rows(), "case {i} left the store unchanged");
    }
    let missing = env.path("missing.jsonl");
    let error = env.import(missing.to_str().unwrap_or_default(), &[]).fails();
    assert!(error.contains("cannot read") && error.contains("missing.jsonl"), "{error}");
}

#[test]
fn a_refused_save_lists_every_violation_by_line() {
    let env = Env::with_store();
    let text = r#"{"entity":"Clip","ref":"c1","values":{"score":1}}
{"entity":"Folder","values":{}}
{"entity":"Tag","values":{"name":"a"}}
{"entity":"Tag","values":{"name":"a"}}
"#;
    let error = env.import(&env.write("invalid.jsonl", text), &[]).fails();
    let lines: Vec<&str> = error.lines().collect();
    assert_eq!(
        lines,
        [
            "error: 3 validation error(s):",
            "  line 1 (Clip \"c1\"): title is required",
            "  line 2 (Folder): name is required",
            "  line 4 (Tag): name duplicates line 3 on the uniqueness constraint (name)",
            "nothing was imported: the store is unchanged",
        ]
    );
    assert_eq!(env.rows(), empty_rows());
}

#[test]
fn save_every_resolves_refs_across_batches() {
    let env = Env::with_store();
    // Clips come first: their folder and tags are inserted by later batches.
    let out = env.import(&env.write("data.jsonl", DATA), &["--save-every", "3"]).ok();
    assert_eq!(out, "imported 8 objects (3 saves)\n");
    let clips = json_lines(&env.fetch("Clip", &["--format", "json"]).ok());
    assert_eq!(
        clips[0]["relationships"],
        json!({"folder": env.uri("Folder/p1"), "tags": [env.uri("Tag/p1"), env.uri("Tag/p2")]})
    );
    assert_eq!(clips[2]["relationships"], json!({"folder": env.uri("Folder/p2"), "tags": []}));
    let folders = json_lines(&env.fetch("Folder", &["--format", "json"]).ok());
    assert_eq!(folders[0]["relationships"]["clips"], json!([env.uri("Clip/p1"), env.uri("Clip/p2")]));
    let tags = json_lines(&env.fetch("Tag", &["--format", "json"]).ok());
    assert_eq!(tags[1]["relationships"]["clips"], json!([env.uri("Clip/p1"), env.uri("Clip/p2")]));

    let single = Env::with_store();
    let out = single.import(&single.write("data.jsonl", DATA), &["--save-every", "1"]).ok();
    assert_eq!(out, "imported 8 objects (8 saves)\n");
    let same = json_lines(&single.fetch("Clip", &["--format", "json"]).ok());
    assert_eq!(same[0]["relationships"]["tags"].as_array().map(Vec::len), Some(2));
}

#[test]
fn a_failed_batch_keeps_earlier_batches_and_says_so() {
    let env = Env::with_store();
    let text = r#"{"entity":"Tag","values":{"name":"a"}}
{"entity":"Tag","values":{"name":"b"}}
{"entity":"Tag","values":{"name":"c"}}
{"entity":"Tag","values":{"name":"a"}}
"#;
    let error = env.import(&env.write("dup.jsonl", text), &["--save-every", "2"]).fails();
    assert!(
        error.starts_with(
            "error: line 4: Tag objects must be unique by name, and the store already has strata://"
        ),
        "{error}"
    );
    assert!(
        error.contains(
            "nothing after line 2 was saved; the 2 object(s) of lines 1-2 were saved by 1 earlier save(s)"
        ),
        "{error}"
    );
    assert_eq!(env.rows(), json!({"Clip": 0, "Folder": 0, "Tag": 2}));
}

#[test]
fn save_every_must_be_positive() {
    let env = Env::with_store();
    let file = env.write("data.jsonl", DATA);
    let error = env.import(&file, &["--save-every", "0"]).fails();
    assert!(error.contains("--save-every"), "{error}");
}
