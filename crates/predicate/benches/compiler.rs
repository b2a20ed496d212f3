//! Micro-benchmarks of the predicate compiler: parsing, checking against a model and
//! compiling to an SQL `WHERE` clause, separately and end to end, on a few predicates shaped
//! like what applications write (a comparison, a date range with arguments, string
//! operators with options, to-many and to-one paths, a subquery). Every fetch with a
//! predicate pays the end-to-end figure before SQLite sees a statement.
//!
//! `cargo bench -p strata-predicate --bench compiler` (add `-- --quick` for a short run).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use strata_model::{Date, EntityIndex, Model, Value};
use strata_predicate::sql::{DefaultSchema, Dialect, compile_where};
use strata_predicate::{Argument, Predicate};

const MODEL: &str = r#"{ "name": "Clips", "version": 1, "entities": [
  { "name": "Clip",
    "attributes": [
      { "name": "title", "type": "string" }, { "name": "url", "type": "uri" },
      { "name": "created", "type": "date", "indexed": true }, { "name": "score", "type": "double" },
      { "name": "visits", "type": "int64" }, { "name": "pinned", "type": "bool" } ],
    "relationships": [
      { "name": "folder", "destination": "Folder", "toMany": false, "inverse": "clips", "deleteRule": "nullify" },
      { "name": "tags", "destination": "Tag", "toMany": true, "inverse": "clips", "deleteRule": "nullify" } ] },
  { "name": "Folder", "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [
      { "name": "clips", "destination": "Clip", "toMany": true, "inverse": "folder", "deleteRule": "nullify" } ] },
  { "name": "Tag", "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [
      { "name": "clips", "destination": "Clip", "toMany": true, "inverse": "tags", "deleteRule": "nullify" } ] } ] }"#;

const CLIP: EntityIndex = EntityIndex(0);

/// (name, format string, whether it takes the two date arguments).
const PREDICATES: [(&str, &str, bool); 5] = [
    ("comparison", "score > 2.5", false),
    ("date_range", "created >= %@ AND created < %@", true),
    ("strings", "title BEGINSWITH[cd] 'rust' OR url CONTAINS[c] 'example' OR title LIKE '*notes?'", false),
    ("paths", "folder.name == 'inbox' AND ANY tags.name IN {'a', 'b', 'c'} AND NOT (pinned == YES)", false),
    ("subquery", "SUBQUERY(tags, $t, $t.name BEGINSWITH 'r').@count > 1 AND visits BETWEEN {10, 100}", false),
];

fn arguments(with_dates: bool) -> Vec<Argument> {
    if !with_dates {
        return Vec::new();
    }
    let from = 1_704_067_200_000_000;
    [from, from + 3_600_000_000]
        .into_iter()
        .map(|micros| Argument::Value(Value::Date(Date::from_unix_micros(micros))))
        .collect()
}

fn compiler(c: &mut Criterion) {
    let model = Model::from_json(MODEL).expect("the bench model loads");
    let schema = DefaultSchema::new(&model);
    for (name, text, with_dates) in PREDICATES {
        let args = arguments(with_dates);
        let parsed = Predicate::parse_with(text, &args).unwrap_or_else(|e| panic!("{name}: {e}"));
        let checked = parsed.check(&model, CLIP).unwrap_or_else(|e| panic!("{name}: {e}"));
        // A predicate that compiled to nothing, or left a residual, would time less work.
        let compiled = compile_where(&checked, &model, CLIP, &schema, Dialect::Sqlite, "t0")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(compiled.sql.is_some() && compiled.residual.is_none(), "{name} compiles wholly to SQL");

        let mut group = c.benchmark_group(format!("predicate/{name}"));
        group.bench_function("parse", |b| b.iter(|| Predicate::parse_with(black_box(text), &args)));
        group.bench_function("check", |b| b.iter(|| black_box(&parsed).check(&model, CLIP)));
        group.bench_function("compile_where", |b| {
            b.iter(|| compile_where(black_box(&checked), &model, CLIP, &schema, Dialect::Sqlite, "t0"))
        });
        group.bench_function("all", |b| {
            b.iter(|| {
                let parsed = Predicate::parse_with(black_box(text), &args).ok()?;
                let checked = parsed.check(&model, CLIP).ok()?;
                compile_where(&checked, &model, CLIP, &schema, Dialect::Sqlite, "t0").ok()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, compiler);
criterion_main!(benches);
