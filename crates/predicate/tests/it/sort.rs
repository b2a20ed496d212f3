//! Sort descriptors: `parse_list` and its errors, `check`, and the same order in memory
//! (`compare_objects`) and in SQLite (`compile_order_by`), nil placement, case-insensitive
//! and localized text included.

use proptest::prelude::*;
use strata_model::{EntityIndex, Value};
use strata_predicate::sql::{DefaultSchema, Dialect, compile_order_by};
use strata_predicate::{SortComparison, SortDescriptor, SortError, SortParseErrorKind};

use crate::sql::db::{Db, memory_sorted_ids, v};
use crate::support::{TestGraph, TestObject, clips_model};

const CLIP: EntityIndex = EntityIndex(0);

#[test]
fn parse_list_reads_keys_directions_and_options() {
    let sorts =
        SortDescriptor::parse_list("score desc, folder.name:ci, title:localized ASC,created:ci:localized")
            .unwrap();
    assert_eq!(
        sorts,
        [
            SortDescriptor::descending("score"),
            SortDescriptor::ascending("folder.name").case_insensitive(),
            SortDescriptor::ascending("title").localized(),
            SortDescriptor::ascending("created").case_insensitive().localized(),
        ]
    );
    assert_eq!(sorts[3].comparison, SortComparison::LocalizedCaseInsensitive);
    let text: Vec<String> = sorts.iter().map(ToString::to_string).collect();
    assert_eq!(text, ["score desc", "folder.name:ci asc", "title:localized asc", "created:localized:ci asc"]);
    assert_eq!(SortDescriptor::parse_list(&text.join(", ")).unwrap(), sorts, "Display round-trips");
}

#[test]
fn parse_list_errors_carry_offsets() {
    let cases: &[(&str, &str, usize)] = &[
        ("", "expected a sort key, found end of input at 0", 0),
        ("title,", "expected a sort key, found end of input at 6", 6),
        ("title desc,, score", "expected a sort key, found \",\" at 11", 11),
        ("1title", "expected a sort key, found \"1title\" at 0", 0),
        ("folder.", "empty key in sort key path at 7", 7),
        ("title:fast", "unknown sort option \"fast\" (expected ci or localized) at 6", 6),
        ("title downwards", "expected asc or desc, found \"downwards\" at 6", 6),
        ("title asc score", "expected ',' between sort keys, found \"score\" at 10", 10),
        ("title; DROP TABLE Clip", "expected ',' between sort keys, found \";\" at 5", 5),
    ];
    for &(text, message, offset) in cases {
        let e = SortDescriptor::parse_list(text).unwrap_err();
        assert_eq!((e.to_string().as_str(), e.offset), (message, offset), "{text:?}");
    }
    let e = SortDescriptor::parse_list("a:x").unwrap_err();
    assert_eq!(e.kind, SortParseErrorKind::UnknownOption { option: "x".into() });
}

#[test]
fn check_resolves_keys_against_the_model() {
    let model = clips_model();
    let check = |key: &str| SortDescriptor::ascending(key).check(&model, CLIP);
    assert_eq!(check("title"), Ok(()));
    assert_eq!(check("folder.name"), Ok(()));
    assert_eq!(check("price"), Ok(()), "decimals sort (in memory)");
    let e = check("titel").unwrap_err();
    assert_eq!(e.to_string(), r#"entity Clip has no key "titel" (did you mean "title"?)"#);
    assert_eq!(
        check("folder.nmae"),
        Err(SortError::UnknownKey {
            entity: "Folder".into(),
            key: "nmae".into(),
            suggestion: Some("name".into())
        })
    );
    assert!(matches!(check("tags.name"), Err(SortError::ToManyKey { key, .. }) if key == "tags"));
    assert!(matches!(check("title.length"), Err(SortError::KeyAfterAttribute { .. })));
    assert!(matches!(check("folder"), Err(SortError::NotAnAttribute { .. })));
    assert!(matches!(check("folder..name"), Err(SortError::EmptyKey { .. })));
}

#[test]
fn order_by_text() {
    let model = clips_model();
    let schema = DefaultSchema::new(&model);
    let order = |sorts: &[SortDescriptor]| {
        compile_order_by(sorts, &model, CLIP, &schema, Dialect::Sqlite, "t0").unwrap()
    };
    let o = order(&[SortDescriptor::descending("score"), SortDescriptor::ascending("title").localized()]);
    assert_eq!(o.sql, r#""t0"."score" DESC, "t0"."title" COLLATE strata_localized ASC, "t0"."Z_PK""#);
    assert!(!o.in_memory);
    let o = order(&[SortDescriptor::ascending("folder.name").case_insensitive().localized()]);
    assert_eq!(
        o.sql,
        r#"(SELECT "t0_1"."name" FROM "Folder" "t0_1" WHERE "t0_1"."Z_PK" = "t0"."folder") COLLATE strata_localized_nocase ASC, "t0"."Z_PK""#
    );
    // Options only matter for text; a decimal key sorts in memory.
    assert_eq!(
        order(&[SortDescriptor::ascending("score").case_insensitive()]).sql,
        r#""t0"."score" ASC, "t0"."Z_PK""#
    );
    let o = order(&[SortDescriptor::ascending("title"), SortDescriptor::descending("price")]);
    assert!(o.in_memory);
    assert_eq!(o.sql, r#""t0"."Z_PK""#);
    assert_eq!(order(&[]).sql, r#""t0"."Z_PK""#);
}

/// Clips whose titles differ by case and accents, with ties and nils; folders for a to-one
/// sort key.
fn graph() -> (TestGraph, Vec<TestObject>) {
    let g = TestGraph::clips();
    let titles: &[Option<&str>] = &[
        Some("b"),
        Some("B"),
        Some("a"),
        Some("À"),
        None,
        Some("á"),
        Some("A"),
        Some("Straße"),
        Some("strasse"),
    ];
    let mut clips = Vec::new();
    for (i, title) in titles.iter().enumerate() {
        let clip = g.insert("Clip", Vec::<(&str, Value)>::new());
        if let Some(t) = title {
            clip.set("title", *t);
        }
        if i % 3 != 0 {
            clip.set("score", Value::Double(f64::from(u32::try_from(i % 4).unwrap()) / 4.0));
            clip.set("price", Value::Decimal(rust_decimal(i)));
        }
        clips.push(clip);
    }
    let work = g.insert("Folder", [("name", v("work"))]);
    let home = g.insert("Folder", [("name", v("Home"))]);
    for (i, clip) in clips.iter().enumerate() {
        match i % 3 {
            0 => clip.set_to_one("folder", Some(&work)),
            1 => clip.set_to_one("folder", Some(&home)),
            _ => {}
        }
    }
    (g, clips)
}

fn rust_decimal(i: usize) -> strata_model::Decimal {
    strata_model::Decimal::new(i64::try_from(10 - i).unwrap(), 1)
}

#[test]
fn memory_and_sql_order_alike() {
    let (g, clips) = graph();
    let db = Db::with_graph(clips_model(), &g);
    let cases: &[(&str, &[i64])] = &[
        ("title", &[5, 7, 2, 8, 3, 1, 9, 4, 6]),
        ("title desc", &[6, 4, 9, 1, 3, 8, 2, 7, 5]),
        ("title:ci", &[5, 3, 7, 1, 2, 8, 9, 4, 6]),
        ("title:localized", &[5, 7, 3, 4, 6, 2, 1, 8, 9]),
        ("title:localized:ci", &[5, 3, 7, 4, 6, 1, 2, 8, 9]),
        ("score", &[1, 4, 7, 5, 9, 2, 6, 3, 8]),
        ("score desc, title", &[8, 3, 2, 6, 5, 9, 7, 1, 4]),
        ("folder.name:ci, title:ci desc", &[6, 9, 3, 8, 2, 5, 4, 1, 7]),
        ("price", &[1, 4, 7, 9, 8, 6, 5, 3, 2]),
        ("price desc, title", &[2, 3, 5, 6, 8, 9, 7, 1, 4]),
    ];
    let mut failures = Vec::new();
    for &(text, expected) in cases {
        let sorts = SortDescriptor::parse_list(text).unwrap();
        for s in &sorts {
            s.check(&db.model, CLIP).unwrap();
        }
        let sql = db.sorted_ids(CLIP, &sorts);
        let memory = memory_sorted_ids(&sorts, &clips);
        if sql.as_deref() != Ok(expected) || memory.as_deref() != Ok(expected) {
            failures.push(format!("{text}: expected {expected:?}, SQL {sql:?}, memory {memory:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

proptest! {
    /// Any text either parses into descriptors that print back to the same list, or fails
    /// with an offset inside the text; it never panics.
    #[test]
    fn parse_list_never_panics(text in "[a-zA-Zé_.:, \\t;\"'-]{0,40}") {
        match SortDescriptor::parse_list(&text) {
            Ok(sorts) => {
                let printed: Vec<String> = sorts.iter().map(ToString::to_string).collect();
                prop_assert_eq!(SortDescriptor::parse_list(&printed.join(", ")).unwrap(), sorts);
            }
            Err(e) => prop_assert!(e.offset <= text.len() && text.is_char_boundary(e.offset)),
        }
    }
}
