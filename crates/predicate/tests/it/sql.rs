//! The SQL back-end: the default table layout and its DDL, the SQL text and parameters the
//! compiler produces (values bound, identifiers quoted, nil handled), and every operator run
//! on a real SQLite database against the in-memory evaluator.

pub mod db;
mod hierarchy;
mod operators;

use strata_model::{EntityIndex, SqlValue};
use strata_predicate::sql::{
    CompileError, CompiledPredicate, DefaultSchema, Dialect, compile_where, entity_filter, quote_identifier,
};
use strata_predicate::{Predicate, SortDescriptor, SortError};

use self::db::text;
use crate::support::clips_model;

const CLIP: EntityIndex = EntityIndex(0);

fn compiled(text: &str) -> CompiledPredicate {
    let model = clips_model();
    let checked = Predicate::parse(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .check(&model, CLIP)
        .unwrap_or_else(|e| panic!("{text}: {e}"));
    compile_where(&checked, &model, CLIP, &DefaultSchema::new(&model), Dialect::Sqlite, "t0")
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn sql(text: &str) -> String {
    let c = compiled(text);
    assert!(c.residual.is_none(), "{text}: unexpected residual {:?}", c.residual);
    c.sql.unwrap_or_else(|| panic!("{text}: no SQL"))
}

#[test]
fn default_ddl_for_the_clips_model() {
    let model = clips_model();
    let ddl = DefaultSchema::new(&model).create_statements(Dialect::Sqlite);
    assert_eq!(
        ddl,
        [
            r#"CREATE TABLE "Clip" ("Z_PK" INTEGER PRIMARY KEY, "Z_ENT" INTEGER NOT NULL, "Z_OPT" INTEGER NOT NULL, "title" TEXT, "url" TEXT, "created" INTEGER, "score" REAL, "visits" INTEGER, "rating" INTEGER, "pinned" INTEGER, "price" TEXT, "uuid" BLOB, "meta" TEXT, "thumbnail" BLOB, "folder" INTEGER)"#,
            r#"CREATE TABLE "Folder" ("Z_PK" INTEGER PRIMARY KEY, "Z_ENT" INTEGER NOT NULL, "Z_OPT" INTEGER NOT NULL, "name" TEXT)"#,
            r#"CREATE TABLE "Tag" ("Z_PK" INTEGER PRIMARY KEY, "Z_ENT" INTEGER NOT NULL, "Z_OPT" INTEGER NOT NULL, "name" TEXT)"#,
            r#"CREATE TABLE "Z_Clip_tags" ("Z_SOURCE" INTEGER NOT NULL, "Z_TARGET" INTEGER NOT NULL, PRIMARY KEY ("Z_SOURCE", "Z_TARGET")) WITHOUT ROWID"#,
            r#"CREATE INDEX "Z_INDEX_Clip_folder" ON "Clip" ("folder")"#,
            r#"CREATE INDEX "Z_INDEX_Z_Clip_tags_Z_TARGET_Z_SOURCE" ON "Z_Clip_tags" ("Z_TARGET", "Z_SOURCE")"#,
        ]
    );
    // And it runs.
    let db = db::Db::new(model);
    let tables: i64 = db
        .conn
        .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 4);
}

#[test]
fn postgres_ddl_uses_postgres_types() {
    let model = clips_model();
    let ddl = DefaultSchema::new(&model).create_statements(Dialect::Postgres);
    assert_eq!(
        ddl[1],
        r#"CREATE TABLE "Folder" ("Z_PK" BIGINT PRIMARY KEY, "Z_ENT" BIGINT NOT NULL, "Z_OPT" BIGINT NOT NULL, "name" TEXT)"#
    );
    assert!(
        ddl[0].contains(r#""score" DOUBLE PRECISION"#) && ddl[0].contains(r#""uuid" BYTEA"#),
        "{}",
        ddl[0]
    );
    assert!(ddl[3].ends_with("PRIMARY KEY (\"Z_SOURCE\", \"Z_TARGET\"))"), "{}", ddl[3]);
}

#[test]
fn identifiers_are_quoted_with_embedded_quotes_doubled() {
    assert_eq!(quote_identifier("Clip"), "\"Clip\"");
    assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    assert_eq!(quote_identifier(""), "\"\"");
}

#[test]
fn equality_binds_values_and_uses_is() {
    let c = compiled("title == 'x'");
    assert_eq!(c.sql.as_deref(), Some(r#""t0"."title" IS ?1"#));
    assert_eq!(c.params, [text("x")]);
    assert_eq!(sql("title != 'x'"), r#"NOT ("t0"."title" IS ?1)"#);
    let c = compiled("visits == 3 AND pinned == YES");
    assert_eq!(c.sql.as_deref(), Some(r#""t0"."visits" IS ?1 AND "t0"."pinned" IS ?2"#));
    assert_eq!(c.params, [SqlValue::Integer(3), SqlValue::Integer(1)]);
}

#[test]
fn nil_needs_no_parameter() {
    let c = compiled("title == nil OR title != nil");
    assert_eq!(c.sql.as_deref(), Some(r#"("t0"."title" IS NULL OR NOT ("t0"."title" IS NULL))"#));
    assert!(c.params.is_empty());
    assert_eq!(sql("score < nil"), "0", "ordering against nil is false");
    assert_eq!(sql("nil IN {nil, 1}"), "(1 OR 0)");
}

#[test]
fn orderings_are_never_null() {
    assert_eq!(sql("score > 3"), r#"("t0"."score" IS NOT NULL AND "t0"."score" > ?1)"#);
    assert_eq!(sql("3 < score"), r#"("t0"."score" IS NOT NULL AND "t0"."score" > ?1)"#, "mirrored");
    assert_eq!(
        sql("score <= visits"),
        r#"("t0"."score" IS NOT NULL AND "t0"."visits" IS NOT NULL AND "t0"."score" <= "t0"."visits")"#
    );
    assert_eq!(
        sql("folder.name < 'm'"),
        r#"COALESCE((SELECT "t0_1"."name" FROM "Folder" "t0_1" WHERE "t0_1"."Z_PK" = "t0"."folder") < ?1, 0)"#
    );
    assert_eq!(
        sql("score BETWEEN {1, 2}"),
        r#"(("t0"."score" IS NOT NULL AND "t0"."score" >= ?1) AND ("t0"."score" IS NOT NULL AND "t0"."score" <= ?2))"#
    );
}

#[test]
fn string_operators_call_the_shared_function() {
    let c = compiled("title CONTAINS[cd] 'é'");
    assert_eq!(c.sql.as_deref(), Some(r#"strata_string_op(8, "t0"."title", ?1, 3)"#));
    assert_eq!(c.params, [text("é")]);
    assert_eq!(sql("title LIKE 'a*'"), r#"strata_string_op(9, "t0"."title", ?1, 0)"#);
    assert_eq!(sql("title MATCHES[c] 'a.*'"), r#"strata_string_op(10, "t0"."title", ?1, 1)"#);
    assert_eq!(sql("title ==[c] 'A'"), r#"strata_string_op(0, "t0"."title", ?1, 1)"#);
    assert_eq!(sql("'abc' CONTAINS title"), r#"strata_string_op(8, ?1, "t0"."title", 0)"#, "roles kept");
    // BEGINSWITH without options is an index-friendly range.
    let c = compiled("title BEGINSWITH 'ab'");
    assert_eq!(
        c.sql.as_deref(),
        Some(r#"("t0"."title" IS NOT NULL AND "t0"."title" >= ?1 AND "t0"."title" < ?2)"#)
    );
    assert_eq!(c.params, [text("ab"), text("ac")]);
}

#[test]
fn relationships_compile_to_correlated_subqueries() {
    assert_eq!(sql("folder == nil"), r#""t0"."folder" IS NULL"#);
    assert_eq!(sql("folder != nil"), r#""t0"."folder" IS NOT NULL"#);
    assert_eq!(
        sql("ANY tags.name == 'a'"),
        r#"EXISTS (SELECT 1 FROM "Z_Clip_tags" "t0_1" JOIN "Tag" "t0_2" ON "t0_2"."Z_PK" = "t0_1"."Z_TARGET" WHERE "t0_1"."Z_SOURCE" = "t0"."Z_PK" AND "t0_2"."name" IS ?1)"#
    );
    assert!(sql("ALL tags.name == 'a'").starts_with("NOT EXISTS (SELECT 1 FROM"), "ALL as NOT EXISTS … NOT");
    assert!(sql("ALL tags.name == 'a'").ends_with(r#"AND NOT ("t0_2"."name" IS ?1))"#));
    assert_eq!(
        sql("tags.@count > 1"),
        r#"(SELECT count(*) FROM "Z_Clip_tags" "t0_1" JOIN "Tag" "t0_2" ON "t0_2"."Z_PK" = "t0_1"."Z_TARGET" WHERE "t0_1"."Z_SOURCE" = "t0"."Z_PK") > ?1"#
    );
    assert_eq!(
        sql("folder.clips.@sum.visits == 0"),
        r#"(SELECT COALESCE(sum("t0_2"."visits"), 0) FROM "Folder" "t0_1" JOIN "Clip" "t0_2" ON "t0_2"."folder" = "t0_1"."Z_PK" WHERE "t0_1"."Z_PK" = "t0"."folder") IS ?1"#
    );
    assert_eq!(
        sql("SUBQUERY(tags, $t, $t.name == title).@count == 0"),
        r#"(SELECT count(*) FROM "Z_Clip_tags" "t0_1" JOIN "Tag" "t0_2" ON "t0_2"."Z_PK" = "t0_1"."Z_TARGET" WHERE "t0_1"."Z_SOURCE" = "t0"."Z_PK" AND "t0_2"."name" IS "t0"."title") IS ?1"#
    );
}

#[test]
fn decimals_go_to_the_residual() {
    let c = compiled("price > 1");
    assert_eq!((c.sql, c.params.len()), (None, 0));
    assert!(c.residual.is_some());
    let c = compiled("title == 'a' AND price > 1 AND visits == 2");
    assert_eq!(c.sql.as_deref(), Some(r#""t0"."title" IS ?1 AND "t0"."visits" IS ?2"#));
    assert_eq!(c.params, [text("a"), SqlValue::Integer(2)], "the residual's parameters are dropped");
    assert_eq!(c.residual.map(|p| p.to_string()).as_deref(), Some("price > 1"));
    // An OR or NOT holding a decimal goes whole.
    let c = compiled("title == 'a' OR price > 1");
    assert_eq!((c.sql, c.params.len()), (None, 0));
    let c = compiled("visits == 2 AND NOT (ANY folder.clips.price == 3)");
    assert_eq!(c.sql.as_deref(), Some(r#""t0"."visits" IS ?1"#));
    assert_eq!(c.residual.map(|p| p.to_string()).as_deref(), Some("NOT ANY folder.clips.price == 3"));
    // JSON compares only with nil in SQL.
    assert_eq!(sql("meta == nil"), r#""t0"."meta" IS NULL"#);
}

#[test]
fn incompatible_types_are_decided_at_compile_time() {
    // Unchecked predicates: SQLite's affinity would turn '5' into 5 against a number.
    let model = clips_model();
    let schema = DefaultSchema::new(&model);
    let compile = |text: &str| {
        let p = Predicate::parse(text).unwrap();
        compile_where(&p, &model, CLIP, &schema, Dialect::Sqlite, "t0").unwrap().sql.unwrap()
    };
    assert_eq!(compile("visits == '5'"), "0");
    assert_eq!(compile("visits != '5'"), "NOT (0)");
    assert_eq!(compile("title < 5"), "0");
    assert_eq!(compile("title BEGINSWITH 5"), "0");
    assert_eq!(compile("title == visits"), r#"("t0"."title" IS NULL AND "t0"."visits" IS NULL)"#);
}

#[test]
fn compile_errors_are_specific() {
    let model = clips_model();
    let schema = DefaultSchema::new(&model);
    let compile = |text: &str, dialect| {
        let p = Predicate::parse(text).unwrap();
        compile_where(&p, &model, CLIP, &schema, dialect, "t0").unwrap_err()
    };
    assert_eq!(
        compile("title == 'x'", Dialect::Postgres),
        CompileError::UnsupportedDialect { dialect: Dialect::Postgres }
    );
    let e = compile("titel == 'x'", Dialect::Sqlite);
    assert!(
        matches!(&e, CompileError::UnknownKey { entity, key, .. } if entity == "Clip" && key == "titel"),
        "{e:?}"
    );
    assert_eq!(e.to_string(), r#"entity Clip has no key "titel" at 0"#);
    let e = compile("title.length == 1", Dialect::Sqlite);
    assert!(matches!(e, CompileError::KeyAfterAttribute { .. }), "{e:?}");
    let e = compile("folder == 'x'", Dialect::Sqlite);
    assert!(matches!(e, CompileError::ObjectComparison { .. }), "{e:?}");
    let e = compile("ANY visits == 1", Dialect::Sqlite);
    assert!(matches!(e, CompileError::WrongShape { .. }), "{e:?}");
    let e = compile("$x.name == 1", Dialect::Sqlite);
    assert!(matches!(e, CompileError::UnboundVariable { .. }), "{e:?}");
    let e = compile("folder.@count == 1", Dialect::Sqlite);
    assert!(matches!(e, CompileError::MisplacedCollectionOperator { operator: "@count", .. }), "{e:?}");
    let p = Predicate::parse("title == 'x'").unwrap();
    let e = compile_where(&p, &model, EntityIndex(9), &schema, Dialect::Sqlite, "t0").unwrap_err();
    assert_eq!(e, CompileError::UnknownEntity { index: 9 });
    let sort = [SortDescriptor::ascending("tags.name")];
    let e = strata_predicate::sql::compile_order_by(&sort, &model, CLIP, &schema, Dialect::Sqlite, "t0")
        .unwrap_err();
    assert!(matches!(e, CompileError::Sort(SortError::ToManyKey { .. })), "{e:?}");
}

#[test]
fn entity_filter_only_when_the_table_is_shared() {
    let model = clips_model();
    let schema = DefaultSchema::new(&model);
    assert_eq!(entity_filter(&model, CLIP, &schema, "t0"), Ok(None));
}

#[test]
fn nan_constants_are_left_to_memory() {
    // SQL has no NaN; the evaluator decides (a NaN equals and orders against nothing).
    let model = clips_model();
    let p =
        Predicate::parse_with("score != %@ AND visits > 1", &[strata_predicate::Argument::from(f64::NAN)])
            .unwrap()
            .check(&model, CLIP)
            .unwrap();
    let c = compile_where(&p, &model, CLIP, &DefaultSchema::new(&model), Dialect::Sqlite, "t0").unwrap();
    assert_eq!(c.sql.as_deref(), Some(r#"("t0"."visits" IS NOT NULL AND "t0"."visits" > ?1)"#));
    assert_eq!(c.params, [SqlValue::Integer(1)]);
    assert!(c.residual.is_some_and(|r| r.to_string().starts_with("score != ")));
}
