//! User text can never alter SQL: quotes, semicolons, comments, `) OR 1=1 --`, NUL bytes
//! and the wildcards of SQL `LIKE` (`%`, `_`) and of the predicate `LIKE` (`*`, `?`) are
//! bound as parameters and matched literally, the SQL text never contains them, and the
//! database is intact afterwards.

use strata_model::Value;
use strata_predicate::{Argument, Predicate};

use crate::sql::db::{Db, memory_ids};
use crate::support::{TestGraph, TestObject, clips_model};

const NASTY: &[&str] = &[
    "x'; DROP TABLE \"Clip\"; --",
    "a\" OR 1=1 --",
    "') OR 1=1 --",
    "/* comment */ title",
    "semi;colon",
    "nul\0byte",
    "100%",
    "under_score",
    "star*",
    "question?",
    "back\\slash",
    "O'Brien",
];

fn graph() -> (TestGraph, Vec<TestObject>) {
    let g = TestGraph::clips();
    let mut clips: Vec<TestObject> =
        NASTY.iter().map(|t| g.insert("Clip", [("title", Value::from(*t))])).collect();
    // Near misses a wildcard would match.
    for t in ["1000", "underXscore", "starry", "questions", "x"] {
        clips.push(g.insert("Clip", [("title", Value::from(t))]));
    }
    let folder = g.insert("Folder", [("name", Value::from("') OR 1=1 --"))]);
    clips[0].set_to_one("folder", Some(&folder));
    (g, clips)
}

/// A predicate string literal for `text`, escaped for the predicate parser.
fn literal(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn assert_intact(db: &Db, clips: usize) {
    let count: i64 = db.conn.query_row("SELECT count(*) FROM \"Clip\"", [], |r| r.get(0)).unwrap();
    assert_eq!(count, i64::try_from(clips).unwrap());
    let tables: i64 = db
        .conn
        .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 4);
}

#[test]
fn arguments_and_literals_are_matched_literally_in_both_back_ends() {
    let (g, clips) = graph();
    let db = Db::with_graph(clips_model(), &g);
    let clip = db.entity("Clip");
    let mut checked = 0;
    for (i, text) in NASTY.iter().enumerate() {
        let id = clips[i].id();
        for operator in
            ["==", "BEGINSWITH", "ENDSWITH", "CONTAINS", "LIKE", "==[c]", "CONTAINS[cd]", "LIKE[c]"]
        {
            let from_argument =
                Predicate::parse_with(&format!("title {operator} %@"), &[Argument::from(*text)]).unwrap();
            let from_literal = Predicate::parse(&format!("title {operator} {}", literal(text)))
                .unwrap_or_else(|e| panic!("{}", e.render()));
            assert_eq!(from_argument.without_spans(), from_literal.without_spans());
            let p = from_argument.check(&db.model, clip).unwrap();
            let compiled = db.compile(clip, &p);
            let sql = compiled.sql.clone().unwrap();
            assert!(!sql.contains(text), "{operator} {text:?}: user text in SQL: {sql}");
            let sql_ids = db.ids(clip, &p).unwrap();
            assert_eq!(Ok(sql_ids.clone()), memory_ids(&p, &clips), "{operator} {text:?}");
            if operator == "==" || !text.contains(['*', '?', '\\']) || !operator.starts_with("LIKE") {
                assert!(
                    sql_ids.contains(&id),
                    "{operator} {text:?} does not match its own clip: {sql_ids:?}"
                );
            }
            if operator == "==" {
                assert_eq!(sql_ids, [id], "{text:?} is matched exactly");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, NASTY.len() * 8);
    assert_intact(&db, clips.len());
}

#[test]
fn sql_wildcards_are_not_wildcards() {
    let (g, clips) = graph();
    let db = Db::with_graph(clips_model(), &g);
    let clip = db.entity("Clip");
    let ids = |text: &str| {
        let p = Predicate::parse(text).unwrap().check(&db.model, clip).unwrap();
        let sql = db.ids(clip, &p).unwrap();
        assert_eq!(Ok(sql.clone()), memory_ids(&p, &clips), "{text}");
        sql.iter().map(|id| clips.iter().position(|c| c.id() == *id).unwrap()).collect::<Vec<_>>()
    };
    assert_eq!(ids("title LIKE '100%'"), [6]);
    assert_eq!(ids("title LIKE 'under_score'"), [7]);
    assert_eq!(ids("title BEGINSWITH '100%'"), [6]);
    assert_eq!(ids("title CONTAINS '_'"), [7]);
    // The predicate language's own wildcards, escaped, are literal too.
    assert_eq!(ids(r"title LIKE 'star\\*'"), [8]);
    assert_eq!(ids("title LIKE 'star*'"), [8, 14]);
    assert_eq!(ids(r"title LIKE 'question\\?'"), [9]);
    assert_eq!(ids("title LIKE 'question?'"), [9, 15]);
    assert_eq!(ids("title CONTAINS '\\0'"), [5]);
    assert_eq!(ids("title BEGINSWITH 'nul\\0'"), [5]);
    assert_eq!(ids("title MATCHES '.*\\\\*'"), [8]);
    assert_eq!(ids("folder.name == \"') OR 1=1 --\""), [0]);
    assert_intact(&db, clips.len());
}

#[test]
fn hostile_keys_never_reach_sql() {
    let model = clips_model();
    let clip = model.entity("Clip").unwrap().index();
    for key in ["title; DROP TABLE Clip", "title\" OR 1=1 --", "title) OR (1=1", "ti\0tle"] {
        let outcome = Predicate::parse_with("%K == 1", &[Argument::KeyPath(key.to_owned())])
            .map_err(|e| e.to_string())
            .and_then(|p| p.check(&model, clip).map_err(|e| e.to_string()));
        assert!(outcome.is_err(), "{key:?} was accepted as a key");
    }
}
