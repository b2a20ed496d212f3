//! Every operator, modifier, quantifier and collection operator on a real SQLite database:
//! each predicate must select the expected clips in SQL (plus residual) and in memory.

use strata_model::{Date, Value};
use strata_predicate::Predicate;

use super::db::{Db, memory_ids, v};
use crate::support::{TestGraph, TestObject, clips_model};

const U1: &str = "6f1c9a52-3c1e-4b7e-9a43-0d5e8e0b7a11";

/// Clips 1–5, folders 6 "Work", 7 (nameless), 8 "Empty", 9 "Archive", tags 10 "rust",
/// 11 "ΣΊΣΥΦΟΣ", 12 (nameless), 13 "unused".
///
/// | clip | title            | score | visits | rating | pinned | price | folder | tags   |
/// |------|------------------|-------|--------|--------|--------|-------|--------|--------|
/// | 1    | Straße           | 1.5   | 10     | 3      | YES    | 1.25  | 6      | 10, 11 |
/// | 2    | café             | 2.5   | 20     | 5      | NO     | 2.50  | 6      | 10     |
/// | 3    | CAFE             | nil   | nil    | nil    | nil    | nil   | none   | none   |
/// | 4    | nil              | nil   | nil    | 1      | nil    | nil   | 7      | 12     |
/// | 5    | 50% off_sale*?   | -0.25 | 0      | nil    | YES    | nil   | 9      | none   |
pub fn fixture() -> (TestGraph, Vec<TestObject>) {
    let g = TestGraph::clips();
    let date = |s: &str| Value::Date(s.parse::<Date>().unwrap());
    let c1 = g.insert(
        "Clip",
        [
            ("title", v("Straße")),
            ("url", Value::Uri("https://a.test/x".into())),
            ("created", date("2024-01-01T00:00:00Z")),
            ("score", v(1.5)),
            ("visits", v(10_i64)),
            ("rating", v(3_i16)),
            ("pinned", v(true)),
            ("price", Value::Decimal("1.25".parse().unwrap())),
            ("uuid", Value::Uuid(U1.parse().unwrap())),
            ("meta", Value::Json(serde_json::json!({"a": 1}))),
            ("thumbnail", Value::Binary(vec![1, 2, 3])),
        ],
    );
    let c2 = g.insert(
        "Clip",
        [
            ("title", v("café")),
            ("url", Value::Uri("ftp://b.test/".into())),
            ("created", date("2024-06-01T12:00:00Z")),
            ("score", v(2.5)),
            ("visits", v(20_i64)),
            ("rating", v(5_i16)),
            ("pinned", v(false)),
            ("price", Value::Decimal("2.50".parse().unwrap())),
        ],
    );
    let c3 = g.insert("Clip", [("title", v("CAFE"))]);
    let c4 = g.insert("Clip", [("rating", v(1_i16))]);
    let c5 = g.insert(
        "Clip",
        [("title", v("50% off_sale*?")), ("score", v(-0.25)), ("visits", v(0_i64)), ("pinned", v(true))],
    );
    let work = g.insert("Folder", [("name", v("Work"))]);
    let nameless = g.insert("Folder", Vec::<(&str, Value)>::new());
    g.insert("Folder", [("name", v("Empty"))]);
    let archive = g.insert("Folder", [("name", v("Archive"))]);
    let rust = g.insert("Tag", [("name", v("rust"))]);
    let sisyphus = g.insert("Tag", [("name", v("ΣΊΣΥΦΟΣ"))]);
    let untagged = g.insert("Tag", Vec::<(&str, Value)>::new());
    g.insert("Tag", [("name", v("unused"))]);
    c1.set_to_one("folder", Some(&work));
    c2.set_to_one("folder", Some(&work));
    c4.set_to_one("folder", Some(&nameless));
    c5.set_to_one("folder", Some(&archive));
    c1.add_to_many("tags", &rust);
    c1.add_to_many("tags", &sisyphus);
    c2.add_to_many("tags", &rust);
    c4.add_to_many("tags", &untagged);
    let clips = vec![c1, c2, c3, c4, c5];
    (g, clips)
}

/// Runs each `(predicate, expected clip ids)` in SQL and in memory.
fn expect(cases: &[(&str, &[i64])]) {
    let (graph, clips) = fixture();
    let db = Db::with_graph(clips_model(), &graph);
    let clip = db.entity("Clip");
    let mut failures = Vec::new();
    for &(text, expected) in cases {
        let checked = Predicate::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .check(&db.model, clip)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        let sql = db.ids(clip, &checked);
        let memory = memory_ids(&checked, &clips);
        if sql.as_deref() != Ok(expected) || memory.as_deref() != Ok(expected) {
            failures.push(format!("{text}: expected {expected:?}, SQL {sql:?}, memory {memory:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn equality_and_nil() {
    expect(&[
        ("title == 'café'", &[2]),
        ("title == nil", &[4]),
        ("title != nil", &[1, 2, 3, 5]),
        ("title != 'café'", &[1, 3, 4, 5]),
        ("pinned == YES", &[1, 5]),
        ("pinned == 1", &[1, 5]),
        ("NOT (pinned == YES)", &[2, 3, 4]),
        ("visits == 10.0", &[1]),
        ("score == visits", &[3, 4]),
        ("title == url", &[4]),
        ("uuid == '6f1c9a52-3c1e-4b7e-9a43-0d5e8e0b7a11'", &[1]),
        ("thumbnail == nil", &[2, 3, 4, 5]),
        ("meta != nil", &[1]),
        ("SELF.title == 'CAFE'", &[3]),
        ("TRUEPREDICATE", &[1, 2, 3, 4, 5]),
        ("FALSEPREDICATE", &[]),
    ]);
}

#[test]
fn orderings_between_and_in() {
    expect(&[
        ("score > 1.5", &[2]),
        ("score >= 1.5", &[1, 2]),
        ("score < 0", &[5]),
        ("score <= nil", &[]),
        ("2 > score", &[1, 5]),
        ("score BETWEEN {0, 2}", &[1]),
        ("rating > 2 AND pinned == YES", &[1]),
        ("title < 'c'", &[1, 3, 5]),
        ("title < url", &[1, 2]),
        ("created > '2024-03-01T00:00:00Z'", &[2]),
        ("created < CAST(0, 'NSDate')", &[]),
        ("visits IN {0, 20, nil}", &[2, 3, 4, 5]),
        ("visits IN {0, 20}", &[2, 5]),
        ("NOT (visits IN {0, 20})", &[1, 3, 4]),
        ("title IN {'café', 'CAFE'}", &[2, 3]),
        ("nil IN {nil, 1}", &[1, 2, 3, 4, 5]),
    ]);
}

#[test]
fn string_operators_and_modifiers() {
    expect(&[
        ("title ==[c] 'CAFÉ'", &[2]),
        ("title ==[cd] 'cafe'", &[2, 3]),
        ("title !=[cd] 'cafe'", &[1, 4, 5]),
        ("title <[c] 'c'", &[5]),
        ("title IN[c] {'CAFÉ'}", &[2]),
        ("url BEGINSWITH 'https'", &[1]),
        ("title BEGINSWITH 'ca'", &[2]),
        ("title BEGINSWITH ''", &[1, 2, 3, 5]),
        ("title BEGINSWITH[c] 'ca'", &[2, 3]),
        ("title BEGINSWITH[c] 'STRASS'", &[1]),
        ("title ENDSWITH[d] 'e'", &[1, 2]),
        ("title CONTAINS '%'", &[5]),
        ("title CONTAINS '_'", &[5]),
        ("title CONTAINS[cd] 'FÉ'", &[2, 3]),
        ("title LIKE '50% off_sale*'", &[5]),
        ("title LIKE 'c?f*'", &[2]),
        ("title LIKE[c] 'c?f*'", &[2, 3]),
        ("title MATCHES '[A-Z]+'", &[3]),
        ("title MATCHES[c] 'caf.'", &[2, 3]),
        ("'Straße und café' CONTAINS title", &[1, 2]),
        ("NOT (title LIKE '*a*')", &[3, 4]),
    ]);
}

#[test]
fn relationships_quantifiers_and_collections() {
    expect(&[
        ("folder.name == 'Work'", &[1, 2]),
        ("folder.name == nil", &[3, 4]),
        ("folder == nil", &[3]),
        ("folder != nil", &[1, 2, 4, 5]),
        ("ANY tags.name == 'rust'", &[1, 2]),
        ("tags.name ==[c] 'σίσυφος'", &[1]),
        ("ALL tags.name == 'rust'", &[2, 3, 5]),
        ("NONE tags.name == 'rust'", &[3, 4, 5]),
        ("ANY tags.name == nil", &[4]),
        ("'rust' IN tags.name", &[1, 2]),
        ("title IN folder.clips.title", &[1, 2, 4, 5]),
        ("ANY folder.clips.visits > 15", &[1, 2]),
        ("ALL folder.clips.visits > 15", &[3]),
    ]);
}

#[test]
fn collection_operators_and_subqueries() {
    expect(&[
        ("tags.@count == 0", &[3, 5]),
        ("tags.@count >= 2", &[1]),
        ("folder.clips.@count == 2", &[1, 2]),
        ("folder.clips.@sum.visits == 30", &[1, 2]),
        ("folder.clips.@sum.visits == 0", &[3, 4, 5]),
        ("folder.clips.@avg.score == 2.0", &[1, 2]),
        ("folder.clips.@avg.score == nil", &[3, 4]),
        ("folder.clips.@min.score < 0", &[5]),
        ("folder.clips.@max.title == 'café'", &[1, 2]),
        ("folder.clips.@max.created > '2024-03-01T00:00:00Z'", &[1, 2]),
        ("SUBQUERY(tags, $t, $t.name BEGINSWITH[c] 'r').@count > 0", &[1, 2]),
        ("SUBQUERY(tags, $t, $t.name == title).@count == 0", &[1, 2, 3, 5]),
        ("SUBQUERY(folder.clips, $c, $c.score > score).@count > 0", &[1]),
        ("SUBQUERY(tags, $t, ANY $t.clips.visits == 20).@count == 1", &[1, 2]),
        ("SUBQUERY(folder.clips, $c, $c.visits > 5).@sum.visits > 20", &[1, 2]),
    ]);
}

#[test]
fn residual_predicates_keep_their_meaning() {
    expect(&[
        ("price > 1", &[1, 2]),
        ("price > 1 OR title == nil", &[1, 2, 4]),
        ("title == 'café' AND price == 2.5", &[2]),
        ("price == nil", &[3, 4, 5]),
        ("folder.clips.@sum.price > 3", &[1, 2]),
        ("ANY folder.clips.price < 2 AND visits > 5", &[1, 2]),
    ]);
}

#[test]
fn an_invalid_pattern_in_the_data_is_an_error_in_both_back_ends() {
    let (graph, clips) = fixture();
    clips[2].set("title", "(");
    let db = Db::with_graph(clips_model(), &graph);
    let clip = db.entity("Clip");
    let p = Predicate::parse("'x' MATCHES title").unwrap().check(&db.model, clip).unwrap();
    let sql = db.ids(clip, &p).unwrap_err();
    assert!(sql.contains("invalid regular expression"), "{sql}");
    assert!(memory_ids(&p, &clips).unwrap_err().contains("invalid regular expression"));
}

#[test]
fn the_functions_refuse_bad_calls_without_panicking() {
    let db = Db::new(clips_model());
    let one = |sql: &str| db.conn.query_row(sql, [], |r| r.get::<_, i64>(0));
    assert_eq!(one("SELECT strata_string_op(0, NULL, NULL, 1)").unwrap(), 1);
    assert_eq!(one("SELECT strata_string_op(1, NULL, 'a', 1)").unwrap(), 1);
    assert_eq!(one("SELECT strata_string_op(6, NULL, 'a', 0)").unwrap(), 0);
    assert_eq!(one("SELECT strata_string_op(6, 5, '5', 0)").unwrap(), 0, "numbers are not text");
    assert!(one("SELECT strata_string_op(99, 'a', 'a', 0)").is_err());
    assert!(one("SELECT strata_string_op(10, 'a', '(', 0)").is_err());
    assert!(one("SELECT strata_string_op('x', 'a', 'a', 0)").is_err());
}
