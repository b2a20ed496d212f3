//! `strata fetch`: every result type and format, the exact JSON shapes, sort, paging,
//! arguments and variables, and errors with carets.

use serde_json::json;

use super::support::{Env, json_lines};

#[test]
fn objects_print_in_the_documented_json_shape() {
    let env = Env::with_data();
    let out = env.fetch("Clip", &["--format", "json"]).ok();
    let first = out.lines().next().expect("a line");
    assert!(first.starts_with(r#"{"id":"strata://"#), "fields in the documented order: {first}");
    assert!(first.contains(r#","entity":"Clip","values":{"title":"Rust ownership","url":null,"#), "{first}");
    let objects = json_lines(&out);
    assert_eq!(objects.len(), 4);
    assert_eq!(
        objects[0],
        json!({
            "id": env.uri("Clip/p1"),
            "entity": "Clip",
            "values": {"title": "Rust ownership", "url": null, "created": "2024-09-01T09:00:00Z",
                       "score": 5.0, "pinned": true, "visits": 0, "uuid": null},
            "relationships": {"folder": env.uri("Folder/p1"), "tags": [env.uri("Tag/p1"), env.uri("Tag/p2")]},
        })
    );
    assert_eq!(objects[3]["relationships"], json!({"folder": null, "tags": []}));
    assert_eq!(objects[2]["values"]["visits"], 7);

    // Inverses were maintained by the import's context.
    let folders = json_lines(&env.fetch("Folder", &["--format", "json"]).ok());
    assert_eq!(folders[0]["relationships"]["clips"], json!([env.uri("Clip/p1"), env.uri("Clip/p2")]));
    assert_eq!(folders[1]["relationships"]["clips"], json!([env.uri("Clip/p3")]));
    let tags = json_lines(&env.fetch("Tag", &["--format", "json"]).ok());
    assert_eq!(
        tags[1],
        json!({"id": env.uri("Tag/p2"), "entity": "Tag", "values": {"name": "db"},
                               "relationships": {"clips": [env.uri("Clip/p1"), env.uri("Clip/p2")]}})
    );
}

#[test]
fn objects_print_as_a_table_for_people() {
    let env = Env::with_data();
    let out = env.fetch("Clip", &["--where", "folder.name == %@", "--arg", "Reading"]).ok();
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("id ") && lines[0].contains("title") && lines[0].ends_with("tags"), "{out}");
    assert!(lines[1].starts_with("Clip/p1  Rust ownership"), "{out}");
    assert!(lines[1].contains("Folder/p1") && lines[1].ends_with("Tag/p1 Tag/p2"), "{out}");
    assert_eq!(lines.last(), Some(&"2 object(s)"));
}

#[test]
fn ids_and_counts() {
    let env = Env::with_data();
    let ids = env.fetch("Clip", &["--result", "ids", "--where", "score >= 3"]).ok();
    assert_eq!(ids, format!("{}\n{}\n{}\n", env.uri("Clip/p1"), env.uri("Clip/p2"), env.uri("Clip/p3")));
    let json = env.fetch("Clip", &["--result", "ids", "--where", "score >= 3", "--format", "json"]).ok();
    assert_eq!(
        json_lines(&json),
        vec![
            json!({"id": env.uri("Clip/p1")}),
            json!({"id": env.uri("Clip/p2")}),
            json!({"id": env.uri("Clip/p3")})
        ]
    );
    for format in ["table", "json"] {
        assert_eq!(env.fetch("Clip", &["--result", "count", "--format", format]).ok(), "4\n");
        assert_eq!(
            env.fetch("Clip", &["--result", "count", "--where", "pinned == YES", "--format", format]).ok(),
            "1\n"
        );
    }
    assert_eq!(env.fetch("Clip", &["--result", "count", "--limit", "2"]).ok(), "2\n");
}

#[test]
fn sort_limit_and_offset() {
    let env = Env::with_data();
    let keys = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["--result", "ids"];
        args.extend_from_slice(extra);
        env.fetch("Clip", &args)
            .ok()
            .lines()
            .map(|l| l.rsplit('/').next().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(keys(&["--sort", "score desc"]), ["p1", "p2", "p3", "p4"]);
    assert_eq!(keys(&["--sort", "score asc"]), ["p4", "p3", "p2", "p1"]);
    assert_eq!(keys(&["--sort", "score desc", "--limit", "2", "--offset", "1"]), ["p2", "p3"]);
    assert_eq!(keys(&["--sort", "score desc", "--offset", "3"]), ["p4"]);
    // Byte order puts "loose note" after the capitals; :ci does not.
    assert_eq!(keys(&["--sort", "title"]), ["p3", "p1", "p2", "p4"]);
    assert_eq!(keys(&["--sort", "title:ci"]), ["p3", "p4", "p1", "p2"]);
    assert_eq!(keys(&["--sort", "folder.name desc, score"]), ["p2", "p1", "p3", "p4"]);
}

#[test]
fn dictionaries_with_key_paths() {
    let env = Env::with_data();
    let out = env
        .fetch(
            "Clip",
            &[
                "--properties",
                "title,folder.name,folder",
                "--sort",
                "score desc",
                "--limit",
                "3",
                "--format",
                "json",
            ],
        )
        .ok();
    assert!(out.starts_with(r#"{"title":"Rust ownership","folder.name":"Reading","folder":"#), "{out}");
    assert_eq!(
        json_lines(&out),
        vec![
            json!({"title": "Rust ownership", "folder.name": "Reading", "folder": env.uri("Folder/p1")}),
            json!({"title": "SQLite internals", "folder.name": "Reading", "folder": env.uri("Folder/p1")}),
            json!({"title": "Crème brûlée", "folder.name": "Kitchen", "folder": env.uri("Folder/p2")}),
        ]
    );
    let table = env
        .fetch(
            "Clip",
            &["--result", "dictionaries", "--properties", "title,folder.name", "--where", "folder == nil"],
        )
        .ok();
    assert_eq!(table, "title       folder.name\nloose note\n1 object(s)\n");
    let all = json_lines(&env.fetch("Tag", &["--result", "dictionaries", "--format", "json"]).ok());
    assert_eq!(all, vec![json!({"name": "rust"}), json!({"name": "db"})]);
}

#[test]
fn arguments_and_variables() {
    let env = Env::with_data();
    let count = |args: &[&str]| {
        let mut all = vec!["--result", "count"];
        all.extend_from_slice(args);
        env.fetch("Clip", &all).ok().trim().parse::<u64>().expect("a number")
    };
    assert_eq!(
        count(&[
            "--where",
            "title BEGINSWITH[c] %@ AND score >= $MIN",
            "--arg",
            "\"rust\"",
            "--var",
            "MIN=4"
        ]),
        1
    );
    assert_eq!(count(&["--where", "title CONTAINS[c] %@", "--arg", "sqlite"]), 1);
    assert_eq!(count(&["--where", "score > %@", "--arg", "3"]), 2);
    assert_eq!(count(&["--where", "title IN %@", "--arg", r#"["loose note", "Crème brûlée"]"#]), 2);
    assert_eq!(count(&["--where", "%K == $V", "--arg", "visits", "--var", "$V=7"]), 1);
    assert_eq!(count(&["--where", "created > %@", "--arg", "2024-08-01T00:00:00Z"]), 1);
    assert_eq!(count(&["--where", "ANY tags.name == 'db' AND NOT pinned == YES"]), 1);
}

#[test]
fn errors_point_at_the_fault() {
    let env = Env::with_data();
    let error = env.fetch("Clip", &["--where", "titel BEGINSWITH 'x'"]).fails();
    assert!(
        error.contains("did you mean \"title\"?") && error.contains("\ntitel BEGINSWITH 'x'\n^^^^^"),
        "{error}"
    );
    let error = env.fetch("Clip", &["--where", "title BEGINSWITH"]).fails();
    assert!(error.contains("title BEGINSWITH\n                ^"), "{error}");
    let error = env.fetch("Clip", &["--where", "score > %@"]).fails();
    assert!(error.contains("has no value") && error.contains("^^"), "{error}");
    let error = env.fetch("Clip", &["--where", "score > $MIN"]).fails();
    assert!(error.contains("$MIN") && error.contains("^^^^"), "{error}");
    let error = env.fetch("Clpi", &[]).fails();
    assert!(error.contains("no entity \"Clpi\" (did you mean \"Clip\"?)"), "{error}");
    let error = env.fetch("Clip", &["--sort", "score up"]).fails();
    assert!(error.contains("expected asc or desc") && error.contains("score up\n      ^"), "{error}");
    let error = env.fetch("Clip", &["--sort", "scroe"]).fails();
    assert!(error.contains("did you mean \"score\"?"), "{error}");
    let error = env.fetch("Clip", &["--properties", "titl"]).fails();
    assert!(error.contains("did you mean \"title\"?"), "{error}");
    let error = env.fetch("Clip", &["--properties", "tags"]).fails();
    assert!(error.contains("to-many"), "{error}");
    let error = env.fetch("Clip", &["--result", "ids", "--properties", "title"]).fails();
    assert!(error.contains("--properties applies to --result dictionaries"), "{error}");
    let error = env.fetch("Clip", &["--arg", "3"]).fails();
    assert!(error.contains("--where"), "{error}");
    let missing = env.path("missing.sqlite");
    let run = super::support::strata(&[
        "fetch",
        "--store",
        missing.to_str().unwrap_or_default(),
        "--entity",
        "Clip",
    ]);
    assert!(run.fails().contains("is not a Strata store: the file does not exist"));
}
