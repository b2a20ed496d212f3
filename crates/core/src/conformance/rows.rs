//! Conformance checks of rows fetches (`StoreResultType::Rows`): grouping with `NULL` as a
//! group, every aggregate with its types and empty-group values, having, sorting by result
//! names, paging, distinct, grouping by a to-one relationship, decimals and overflow.
//! Expected answers are written out by hand from `store::dictionary`'s rules and the data
//! table in `fetch.rs`.

use strata_model::{Date, Decimal, Value};
use strata_predicate::{Predicate, SortDescriptor};

use super::fetch::data;
use super::{Fixture, StoreFactory};
use crate::ObjectId;
use crate::fetch_request::{AggregateFunction, PropertyValue};
use crate::store::{
    ColumnValue, RowColumn, RowsRequest, StoreError, StoreFetchRequest, StoreFetchResult, StoreKeyPath,
    StoreResultType,
};

fn path(dotted: &str, ends_on_relationship: bool) -> StoreKeyPath {
    StoreKeyPath { keys: dotted.split('.').map(str::to_owned).collect(), ends_on_relationship }
}

fn key(name: &str) -> RowColumn {
    RowColumn { name: name.to_owned(), value: ColumnValue::KeyPath(path(name, false)) }
}

fn aggregate(f: &Fixture, name: &str, function: AggregateFunction, attribute: Option<&str>) -> RowColumn {
    let attribute_type = attribute.map(|a| {
        let note = f.model.entity_at(f.entity("Note"));
        note.attribute(a).unwrap_or_else(|| panic!("no attribute {a}")).attribute_type()
    });
    RowColumn {
        name: name.to_owned(),
        value: ColumnValue::Aggregate {
            function,
            key_path: attribute.map(|a| path(a, false)),
            attribute_type,
        },
    }
}

fn rows(
    f: &Fixture,
    predicate: &str,
    rows: RowsRequest,
    sort: &str,
    page: (usize, Option<usize>),
) -> Result<Vec<Vec<PropertyValue>>, StoreError> {
    let mut request: StoreFetchRequest = f.request("Note", predicate, "");
    request.sort =
        if sort.is_empty() { Vec::new() } else { SortDescriptor::parse_list(sort).expect("sort parses") };
    (request.offset, request.limit) = page;
    request.result = StoreResultType::Rows(Box::new(rows));
    match f.store.fetch(&request)? {
        StoreFetchResult::Rows(rows) => Ok(rows),
        other => panic!("asked for rows, got {other:?}"),
    }
}

fn v(value: impl Into<Value>) -> PropertyValue {
    PropertyValue::Value(value.into())
}

fn null() -> PropertyValue {
    PropertyValue::Value(Value::Null)
}

fn year(y: i64) -> PropertyValue {
    v(Value::Date(Date::from_unix_micros((y - 1970) * 365 * 86_400_000_000)))
}

pub(super) fn grouping_and_aggregates(factory: StoreFactory<'_>) {
    let d = data(factory);
    let f = &d.f;
    let grouped = RowsRequest {
        columns: vec![
            key("folder.name"),
            aggregate(f, "n", AggregateFunction::Count, None),
            aggregate(f, "ranked", AggregateFunction::Count, Some("rank")),
            aggregate(f, "total", AggregateFunction::Sum, Some("rank")),
            aggregate(f, "mean", AggregateFunction::Avg, Some("weight")),
            aggregate(f, "first", AggregateFunction::Min, Some("title")),
            aggregate(f, "last", AggregateFunction::Max, Some("created")),
        ],
        group_by: vec![path("folder.name", false)],
        ..Default::default()
    };
    let all = rows(f, "", grouped.clone(), "", (0, None)).expect("grouped rows");
    let expected = vec![
        vec![null(), v(2_i64), v(2_i64), v(7_i64), v(-0.5), v("STRASSE"), year(2023)],
        vec![v("Garden"), v(1_i64), v(0_i64), v(0_i64), v(2.25), v("Banana"), null()],
        vec![v("Kitchen"), v(2_i64), v(2_i64), v(4_i64), v(1.5), v("Apple pie"), year(2021)],
    ];
    assert_eq!(
        all, expected,
        "groups by folder name, NULL a group of its own and first, aggregates skip NULL"
    );
    let having = RowsRequest { having: Some(Predicate::parse("n > 1").expect("parses")), ..grouped.clone() };
    assert_eq!(
        rows(f, "", having, "", (0, None)).expect("having"),
        vec![expected[0].clone(), expected[2].clone()],
        "having filters groups by an aggregate's name"
    );
    let sorted = rows(f, "", grouped.clone(), "total desc", (0, None)).expect("sorted");
    assert_eq!(
        sorted,
        vec![expected[0].clone(), expected[2].clone(), expected[1].clone()],
        "sorted by a result name"
    );
    let page = rows(f, "", grouped.clone(), "total desc", (1, Some(1))).expect("paged");
    assert_eq!(page, vec![expected[2].clone()], "offset and limit count rows");
    let filtered = rows(f, "rank != nil", grouped, "", (0, None)).expect("filtered");
    assert_eq!(filtered.len(), 2, "the predicate selects objects before grouping: {filtered:?}");

    let totals = RowsRequest {
        columns: vec![
            aggregate(f, "n", AggregateFunction::Count, None),
            aggregate(f, "total", AggregateFunction::Sum, Some("rank")),
            aggregate(f, "top", AggregateFunction::Max, Some("rank")),
            aggregate(f, "low", AggregateFunction::Min, Some("weight")),
            aggregate(f, "mean", AggregateFunction::Avg, Some("rank")),
            aggregate(f, "weights", AggregateFunction::Sum, Some("weight")),
        ],
        ..Default::default()
    };
    assert_eq!(
        rows(f, "", totals.clone(), "", (0, None)).expect("totals"),
        vec![vec![v(5_i64), v(11_i64), v(5_i64), v(-1.0), v(2.75), v(2.75)]],
        "without group-by, aggregates cover every object in one row"
    );
    assert_eq!(
        rows(f, "rank > 100", totals, "", (0, None)).expect("empty totals"),
        vec![vec![v(0_i64), v(0_i64), null(), null(), null(), v(0.0)]],
        "an ungrouped aggregate over nothing is one row: zero counts and sums, nil otherwise"
    );
}

pub(super) fn distinct_and_objects(factory: StoreFactory<'_>) {
    let d = data(factory);
    let f = &d.f;
    let flags = RowsRequest { columns: vec![key("flag")], distinct: true, ..Default::default() };
    assert_eq!(
        rows(f, "", flags.clone(), "", (0, None)).expect("distinct"),
        vec![vec![v(true)], vec![v(false)], vec![null()]],
        "distinct keeps the first of equal rows in primary-key order"
    );
    assert_eq!(
        rows(f, "", flags.clone(), "flag asc", (0, None)).expect("distinct sorted"),
        vec![vec![null()], vec![v(false)], vec![v(true)]],
        "distinct rows sorted by a result name"
    );
    let plain = RowsRequest { distinct: false, ..flags };
    assert_eq!(
        rows(f, "", plain, "", (0, None)).expect("per object").len(),
        5,
        "without distinct, one row per object"
    );
    let folder = f.relationship("Note", "folder");
    let kitchen = f.snapshot(d.notes[0]).to_one()[folder];
    let garden = f.snapshot(d.notes[2]).to_one()[folder];
    let by_folder = RowsRequest {
        columns: vec![
            RowColumn { name: "folder".into(), value: ColumnValue::KeyPath(path("folder", true)) },
            aggregate(f, "n", AggregateFunction::Count, None),
        ],
        group_by: vec![path("folder", true)],
        ..Default::default()
    };
    let objects = |id: Option<ObjectId>| PropertyValue::Object(id);
    assert_eq!(
        rows(f, "", by_folder, "", (0, None)).expect("by folder"),
        vec![
            vec![objects(None), v(2_i64)],
            vec![objects(kitchen), v(2_i64)],
            vec![objects(garden), v(1_i64)],
        ],
        "grouping by a to-one relationship: no folder first, then folders by primary key"
    );
}

pub(super) fn decimals_and_overflow(factory: StoreFactory<'_>) {
    let f = Fixture::new(factory);
    let price = |text: &str| Value::Decimal(text.parse::<Decimal>().expect("decimal"));
    f.insert(vec![
        f.row("Note", &[("title", "a".into()), ("price", price("1.10")), ("rank", Value::Int64(i64::MAX))]),
        f.row("Note", &[("title", "b".into()), ("price", price("2.205")), ("rank", Value::Int64(1))]),
        f.row("Note", &[("title", "b".into()), ("rank", Value::Int64(-5))]),
    ]);
    let prices = RowsRequest {
        columns: vec![
            key("title"),
            aggregate(&f, "sum", AggregateFunction::Sum, Some("price")),
            aggregate(&f, "avg", AggregateFunction::Avg, Some("price")),
            aggregate(&f, "min", AggregateFunction::Min, Some("price")),
            aggregate(&f, "count", AggregateFunction::Count, Some("price")),
        ],
        group_by: vec![path("title", false)],
        ..Default::default()
    };
    assert_eq!(
        rows(&f, "", prices, "", (0, None)).expect("decimals"),
        vec![
            vec![v("a"), v(price("1.1")), v(price("1.1")), v(price("1.1")), v(1_i64)],
            vec![v("b"), v(price("2.205")), v(price("2.205")), v(price("2.205")), v(1_i64)],
        ],
        "decimal aggregates are exact"
    );
    let overflow = RowsRequest {
        columns: vec![aggregate(&f, "sum", AggregateFunction::Sum, Some("rank"))],
        ..Default::default()
    };
    assert_eq!(
        rows(&f, "", overflow.clone(), "", (0, None)).expect("sum"),
        vec![vec![v(i64::MAX - 4)]],
        "an integer sum whose total fits is exact, whatever order the partial sums took"
    );
    let sum = rows(&f, "rank > 0", overflow, "", (0, None));
    assert!(
        matches!(sum, Err(StoreError::Predicate(_))),
        "an integer sum leaving the 64-bit range is an error, not a wrapped or rounded value: {sum:?}"
    );
    let average = RowsRequest {
        columns: vec![aggregate(&f, "avg", AggregateFunction::Avg, Some("rank"))],
        ..Default::default()
    };
    assert_eq!(
        rows(&f, "", average, "", (0, None)).expect("average"),
        vec![vec![v((i64::MAX - 4) as f64 / 3.0)]],
        "averages of integers do not overflow"
    );
    let ungrouped = RowsRequest {
        columns: vec![key("title"), aggregate(&f, "n", AggregateFunction::Count, None)],
        ..Default::default()
    };
    assert!(
        matches!(rows(&f, "", ungrouped, "", (0, None)), Err(StoreError::InvalidRequest { .. })),
        "a key-path column neither grouped by nor aggregated is refused"
    );
}
