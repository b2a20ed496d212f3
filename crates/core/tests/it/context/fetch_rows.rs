//! Grouped, aggregated and distinct dictionary fetches through a context: results by name,
//! saved data only (pending changes are not included, as in Core Data), and typed errors
//! for requests that cannot mean anything.

use strata_core::value::{AttributeType, Value};
use strata_core::{Aggregate, AggregateFunction, Error, FetchError, FetchRequest, ResultType};

use super::fetch_prefetch::library;
use super::support::{Env, clip};

fn grouped() -> FetchRequest {
    FetchRequest::new("Clip")
        .result_type(ResultType::Dictionaries)
        .properties(["folder.name"])
        .group_by(["folder.name"])
        .aggregate(Aggregate::count_all("n"))
        .aggregate(Aggregate::sum("total", "score"))
        .aggregate(Aggregate::max("top", "title"))
}

#[test]
fn groups_aggregate_filter_and_sort_by_result_names() {
    let env = Env::new();
    library(&env, 50);
    let mut ctx = env.context();
    let rows = ctx.fetch_rows(&grouped()).unwrap();
    assert_eq!(rows.len(), 5);
    // Folder f{k} holds clips i ≡ k (mod 5): ten clips scored i % 10.
    for (k, row) in rows.iter().enumerate() {
        assert_eq!(row.value("folder.name"), Some(&Value::from(format!("f{k}"))));
        assert_eq!(row.value("n"), Some(&Value::Int64(10)));
        let total: f64 = (0..50).filter(|i| i % 5 == k).map(|i| (i % 10) as f64).sum();
        assert_eq!(row.value("total"), Some(&Value::Double(total)));
        assert_eq!(total, 10.0 * k as f64 + 25.0);
    }
    let having = grouped().having_filter("total > 50", &[]).unwrap().sort_by("total desc").unwrap();
    let rows = ctx.fetch_rows(&having).unwrap();
    let names: Vec<&Value> = rows.iter().filter_map(|r| r.value("folder.name")).collect();
    assert_eq!(names, [&Value::from("f4"), &Value::from("f3")]);

    // Pending changes are not included: saved data only, as Core Data's dictionary results.
    clip(&mut ctx, "unsaved", 9.0);
    let totals =
        FetchRequest::new("Clip").result_type(ResultType::Dictionaries).aggregate(Aggregate::count_all("n"));
    assert_eq!(ctx.fetch_rows(&totals).unwrap()[0].value("n"), Some(&Value::Int64(50)));
    ctx.save().unwrap();
    assert_eq!(ctx.fetch_rows(&totals).unwrap()[0].value("n"), Some(&Value::Int64(51)));

    let distinct =
        FetchRequest::new("Clip").result_type(ResultType::Dictionaries).properties(["score"]).distinct(true);
    assert_eq!(ctx.fetch_rows(&distinct).unwrap().len(), 10);
    let plain = FetchRequest::new("Clip").result_type(ResultType::Dictionaries).properties(["title"]);
    assert_eq!(
        ctx.fetch_rows(&plain).unwrap().len(),
        51,
        "a plain dictionaries fetch gives one row per object"
    );
}

#[test]
fn requests_that_mean_nothing_are_refused() {
    let env = Env::new();
    let mut ctx = env.context();
    let fetch_error = |request: FetchRequest, ctx: &mut strata_core::Context| match ctx.fetch_rows(&request) {
        Err(Error::Fetch(e)) => e,
        other => panic!("expected a fetch error, got {other:?}"),
    };
    let base = FetchRequest::new("Clip").result_type(ResultType::Dictionaries);
    assert!(matches!(
        fetch_error(base.clone().aggregate(Aggregate::sum("s", "title")), &mut ctx),
        FetchError::AggregateType {
            attribute_type: AttributeType::String,
            function: AggregateFunction::Sum,
            ..
        }
    ));
    assert!(matches!(
        fetch_error(base.clone().aggregate(Aggregate::min("m", "folder")), &mut ctx),
        FetchError::AggregateNeedsAttribute { .. }
    ));
    assert!(matches!(
        fetch_error(base.clone().aggregate(Aggregate::new("a", AggregateFunction::Avg, None)), &mut ctx),
        FetchError::AggregateNeedsKeyPath { .. }
    ));
    assert!(matches!(
        fetch_error(base.clone().properties(["title"]).aggregate(Aggregate::count_all("n")), &mut ctx),
        FetchError::UngroupedProperty { .. }
    ));
    assert!(matches!(
        fetch_error(
            base.clone().aggregate(Aggregate::count_all("n")).aggregate(Aggregate::count_all("n")),
            &mut ctx
        ),
        FetchError::DuplicateResultName { .. }
    ));
    assert!(matches!(
        fetch_error(grouped().having_filter("totl > 1", &[]).unwrap(), &mut ctx),
        FetchError::UnknownResultName { name, .. } if name == "totl"
    ));
    assert!(matches!(
        fetch_error(grouped().sort_by("score").unwrap(), &mut ctx),
        FetchError::UnknownResultName { .. }
    ));
    assert!(matches!(ctx.fetch(&grouped()), Err(Error::Fetch(FetchError::UseFetchRows))));
    let objects = FetchRequest::new("Clip").distinct(true);
    assert!(matches!(ctx.fetch(&objects), Err(Error::Fetch(FetchError::NeedsDictionaries))));
}
