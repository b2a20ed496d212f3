//! Properties over random predicates on the fixture: checking and evaluating never panic,
//! a predicate that passes the check evaluates without error (the check promises the
//! evaluator everything it needs), `NOT` is exact negation, and the SQL back-end selects the
//! same clips. The generator differs from the differential test's on purpose: it reaches
//! paths through empty to-one relationships, mirrored collections, duplicate-producing
//! paths and ill-typed predicates. 256 cases by default; `PROPTEST_CASES` raises it.

use proptest::prelude::*;
use proptest::test_runner::Config;
use strata_predicate::Predicate;

use super::fixture;
use crate::sql::db::{Db, memory_ids};

const PATHS: &[&str] = &[
    "title",
    "url",
    "created",
    "score",
    "visits",
    "rating",
    "pinned",
    "price",
    "uuid",
    "meta",
    "thumbnail",
    "folder",
    "folder.name",
    "folder.clips.title",
    "tags",
    "tags.name",
    "tags.clips.title",
    "tags.@count",
    "tags.clips.@count",
    "folder.clips.@count",
    "folder.clips.@sum.visits",
    "folder.clips.@sum.price",
    "folder.clips.@avg.score",
    "folder.clips.@min.title",
    "folder.clips.@max.created",
    "tags.@max.name",
    "tags.@sum.name",
    "SELF",
    "SELF.title",
    "$x",
    "nosuch",
    "title.length",
    "SUBQUERY(tags, $t, $t.name ==[c] 'RUST').@count",
    "SUBQUERY(folder.clips, $c, $c.score > score).@count",
    "SUBQUERY(folder.clips, $c, $c.visits > 0).@sum.visits",
];

const VALUES: &[&str] = &[
    "nil",
    "0",
    "1",
    "2.5",
    "-3",
    "YES",
    "NO",
    "'café'",
    "'CAFE'",
    "'straße'",
    "'('",
    "'S*'",
    "'c?f?'",
    "'2024-01-01T00:00:00Z'",
    "'6f1c9a52-3c1e-4b7e-9a43-0d5e8e0b7a11'",
    "'1.25'",
    "CAST(0, \"NSDate\")",
    "{1, 'a', nil}",
    "{1, 2.5}",
    "{'café', 'rust'}",
    "{}",
    "title",
    "score",
    "tags.name",
    "folder",
];

const OPERATORS: &[&str] = &[
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "BEGINSWITH",
    "ENDSWITH",
    "CONTAINS",
    "LIKE",
    "MATCHES",
    "IN",
    "BETWEEN",
];

/// Any comparison from the tables above: mostly ill-typed, to exercise the check's errors
/// and the evaluator on predicates the check would refuse.
fn random_comparison() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["", "ANY ", "ALL ", "NONE "]),
        prop::sample::select(PATHS.to_vec()),
        prop::sample::select(OPERATORS.to_vec()),
        prop::sample::select(OPTIONS.to_vec()),
        prop::sample::select(VALUES.to_vec()),
        any::<bool>(),
    )
        .prop_map(|(q, path, op, options, value, swap)| {
            if swap {
                format!("{q}{value} {op}{options} {path}")
            } else {
                format!("{q}{path} {op}{options} {value}")
            }
        })
}

const OPTIONS: &[&str] = &["", "[c]", "[d]", "[cd]"];

/// A type class: single-valued paths, to-many paths, constants, and whether ordering and
/// string operators apply.
struct Class {
    single: &'static [&'static str],
    many: &'static [&'static str],
    constants: &'static [&'static str],
    ordered: bool,
    text: bool,
}

const CLASSES: &[Class] = &[
    Class {
        single: &["title", "url", "folder.name", "SELF.title", "folder.clips.@min.title", "tags.@max.name"],
        many: &["tags.name", "tags.clips.title", "folder.clips.title"],
        constants: &[
            "nil",
            "'café'",
            "'CAFE'",
            "'straße'",
            "'S*'",
            "'c?f?'",
            "'.*é'",
            "'ΣΊΣΥΦΟΣ'",
            "'rust'",
            "''",
        ],
        ordered: true,
        text: true,
    },
    Class {
        single: &[
            "score",
            "visits",
            "rating",
            "pinned",
            "price",
            "tags.@count",
            "tags.clips.@count",
            "folder.clips.@count",
            "folder.clips.@sum.visits",
            "folder.clips.@sum.price",
            "folder.clips.@avg.score",
            "folder.clips.@avg.price",
            "SUBQUERY(tags, $t, $t.name ==[c] 'RUST').@count",
            "SUBQUERY(folder.clips, $c, $c.score > score).@count",
            "SUBQUERY(folder.clips, $c, $c.visits > 0).@sum.visits",
        ],
        many: &["tags.clips.score", "folder.clips.visits"],
        constants: &["nil", "0", "1", "2", "2.5", "-3", "YES", "NO", "10", "20"],
        ordered: true,
        text: false,
    },
    Class {
        single: &["created", "folder.clips.@max.created"],
        many: &["tags.clips.created"],
        constants: &["nil", "'2024-01-01T00:00:00Z'", "CAST(0, \"NSDate\")", "'2024-06-01T12:00:00Z'"],
        ordered: true,
        text: false,
    },
    Class {
        single: &["uuid"],
        many: &["tags.clips.uuid"],
        constants: &[
            "nil",
            "'6f1c9a52-3c1e-4b7e-9a43-0d5e8e0b7a11'",
            "'00000000-0000-0000-0000-000000000000'",
        ],
        ordered: true,
        text: false,
    },
    Class {
        single: &["folder", "SELF", "meta", "thumbnail"],
        many: &[],
        constants: &["nil"],
        ordered: false,
        text: false,
    },
];

/// A comparison the check accepts: operands of one class, operators that class supports.
fn typed_comparison() -> impl Strategy<Value = String> {
    (0..CLASSES.len(), any::<prop::sample::Index>(), prop::collection::vec(any::<prop::sample::Index>(), 6))
        .prop_map(|(class, pick, picks)| {
            let c = &CLASSES[class];
            let choose = |list: &[&'static str], i: usize| list[picks[i].index(list.len())];
            let mut operators = vec!["==", "!="];
            if c.ordered {
                operators.extend(["<", "<=", ">", ">=", "IN", "BETWEEN"]);
            }
            if c.text {
                operators.extend(["BEGINSWITH", "ENDSWITH", "CONTAINS", "LIKE", "MATCHES"]);
            }
            let op = choose(&operators, 0);
            let options = if c.text { choose(OPTIONS, 1) } else { "" };
            let scalar = |i: usize| {
                let pool: Vec<&str> = c.single.iter().chain(c.constants).copied().collect();
                choose(&pool, i)
            };
            let many = !c.many.is_empty() && pick.index(3) == 0;
            let left = if many { choose(c.many, 2) } else { choose(c.single, 2) };
            let quantifier = if many { choose(&["", "ANY ", "ALL ", "NONE "], 3) } else { "" };
            let right = match op {
                "IN" => format!("{{{}, {}}}", scalar(4), scalar(5)),
                "BETWEEN" => format!("{{{}, {}}}", scalar(4), scalar(5)),
                // String operators need text: no nil.
                _ if op.chars().all(char::is_alphabetic) => {
                    let text: Vec<&str> = c.single.iter().chain(&c.constants[1..]).copied().collect();
                    choose(&text, 4).to_owned()
                }
                _ => scalar(4).to_owned(),
            };
            format!("{quantifier}{left} {op}{options} {right}")
        })
}

fn comparison() -> impl Strategy<Value = String> {
    prop_oneof![4 => typed_comparison(), 1 => random_comparison()]
}

fn predicate() -> impl Strategy<Value = String> {
    comparison().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) AND ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) OR ({b})")),
            inner.prop_map(|a| format!("NOT ({a})")),
        ]
    })
}

proptest! {
    #![proptest_config(Config { failure_persistence: None, ..Config::default() })]

    #[test]
    fn checked_predicates_evaluate_without_error(text in predicate()) {
        let f = fixture();
        let Ok(parsed) = Predicate::parse(&text) else { return Ok(()) };
        for clip in &f.clips {
            // Unchecked evaluation may fail, but never panics.
            let _ = parsed.evaluate(clip);
        }
        let Ok(checked) = parsed.check(&f.model, f.clip) else { return Ok(()) };
        let negated = Predicate::Not(Box::new(checked.clone()));
        for clip in &f.clips {
            let holds = checked.evaluate(clip);
            prop_assert!(holds.is_ok(), "{} on {:?}: {:?}", checked, clip, holds);
            prop_assert_eq!(negated.evaluate(clip).ok(), holds.ok().map(|b| !b), "{}", checked);
        }
        let db = Db::with_graph(f.model.clone(), &f.graph);
        prop_assert_eq!(db.ids(f.clip, &checked), memory_ids(&checked, &f.clips), "{}", checked);
    }
}
