//! Rows fetches (grouped, aggregated, distinct) on SQLite: a differential test against
//! `MemoryStore` on generated data and requests, and a check that SQL computes what it can
//! (a constant number of statements) while decimals fall back to memory.

use std::sync::Arc;

use strata_core::conformance::{Fixture, conformance_model};
use strata_core::memory_store::MemoryStore;
use strata_core::store::{
    ColumnValue, InsertedRow, RowColumn, RowsRequest, SaveRequest, StoreError, StoreFetchResult,
    StoreKeyPath, StoreResultType,
};
use strata_core::{AggregateFunction, PropertyValue, Store};
use strata_model::{AttributeType, Date, Decimal, Value};
use strata_predicate::{Predicate, SortDescriptor};
use strata_sqlite::{SqliteOptions, SqliteStore};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn path(dotted: &str, ends_on_relationship: bool) -> StoreKeyPath {
    StoreKeyPath { keys: dotted.split('.').map(str::to_owned).collect(), ends_on_relationship }
}

/// Notes and folders with repeated values, nils, signed zeros, decimals and dates.
fn rows(rng: &mut Rng, f: &Fixture) -> Vec<InsertedRow> {
    let folders: Vec<InsertedRow> =
        ["Kitchen", "Garden", "kitchen"].iter().map(|n| f.row("Folder", &[("name", (*n).into())])).collect();
    let folder = f.relationship("Note", "folder");
    let mut out = Vec::new();
    for _ in 0..80 {
        let title = *rng.pick(&["a", "B", "b", "é", "ab"]);
        let rank = match rng.below(5) {
            0 => Value::Null,
            _ => Value::Int64(rng.below(7) as i64 - 3),
        };
        let weight = rng
            .pick(&[
                Value::Null,
                Value::Double(0.0),
                Value::Double(-0.0),
                Value::Double(1.5),
                Value::Double(-2.25),
                Value::Double(1e-3),
            ])
            .clone();
        let price = match rng.below(3) {
            0 => Value::Null,
            _ => Value::Decimal(Decimal::new(rng.below(2000) as i64 - 1000, 2)),
        };
        let flag = rng.pick(&[Value::Null, Value::Bool(true), Value::Bool(false)]).clone();
        let created = match rng.below(4) {
            0 => Value::Null,
            _ => Value::Date(Date::from_unix_micros(rng.below(5) as i64 * 86_400_000_000)),
        };
        let mut row = f.row(
            "Note",
            &[
                ("title", title.into()),
                ("rank", rank),
                ("weight", weight),
                ("price", price),
                ("flag", flag),
                ("created", created),
            ],
        );
        row.to_one[folder] = match rng.below(4) {
            3 => None,
            i => Some(folders[i as usize].id),
        };
        out.push(row);
    }
    out.extend(folders);
    out
}

fn aggregate(name: &str, function: AggregateFunction, attribute: Option<(&str, AttributeType)>) -> RowColumn {
    RowColumn {
        name: name.to_owned(),
        value: ColumnValue::Aggregate {
            function,
            key_path: attribute.map(|(a, _)| path(a, false)),
            attribute_type: attribute.map(|(_, t)| t),
        },
    }
}

/// A random rows request: group-by keys, the same keys as columns, and aggregates.
fn request(rng: &mut Rng) -> (RowsRequest, String) {
    let keys: &[(&str, bool)] = &[
        ("title", false),
        ("rank", false),
        ("flag", false),
        ("folder.name", false),
        ("folder", true),
        ("created", false),
    ];
    let attributes: &[(&str, AttributeType)] = &[
        ("rank", AttributeType::Int64),
        ("weight", AttributeType::Double),
        ("price", AttributeType::Decimal),
        ("title", AttributeType::String),
        ("created", AttributeType::Date),
        ("flag", AttributeType::Bool),
        ("folder.name", AttributeType::String),
    ];
    let mut group_by = Vec::new();
    for _ in 0..rng.below(3) {
        let (key, object) = *rng.pick(keys);
        if !group_by.iter().any(|p: &StoreKeyPath| p.dotted() == key) {
            group_by.push(path(key, object));
        }
    }
    let mut columns: Vec<RowColumn> = group_by
        .iter()
        .map(|p| RowColumn { name: p.dotted(), value: ColumnValue::KeyPath(p.clone()) })
        .collect();
    let mut sort = String::new();
    let distinct = group_by.is_empty() && rng.below(3) == 0;
    if distinct {
        let (key, object) = *rng.pick(keys);
        columns.push(RowColumn { name: key.to_owned(), value: ColumnValue::KeyPath(path(key, object)) });
    } else {
        columns.push(aggregate("n", AggregateFunction::Count, None));
        for i in 0..1 + rng.below(4) {
            let (attribute, ty) = *rng.pick(attributes);
            let numeric = matches!(ty, AttributeType::Int64 | AttributeType::Double | AttributeType::Decimal);
            let function = match rng.below(5) {
                0 => AggregateFunction::Count,
                1 if numeric => AggregateFunction::Sum,
                2 if numeric => AggregateFunction::Avg,
                3 => AggregateFunction::Min,
                _ => AggregateFunction::Max,
            };
            columns.push(aggregate(&format!("a{i}"), function, Some((attribute, ty))));
        }
        if rng.below(2) == 0 {
            sort = "n desc".to_owned();
        }
    }
    let having = (!distinct && rng.below(3) == 0).then(|| Predicate::parse("n > 1").expect("parses"));
    (RowsRequest { columns, group_by, having, distinct }, sort)
}

/// Values with objects reduced to (entity, key), so the two stores' IDs compare, and
/// doubles rounded to 12 significant digits (a float sum's last bits depend on the order
/// the rows were scanned in, which an index may change).
fn normalized(rows: Vec<Vec<PropertyValue>>) -> Vec<Vec<String>> {
    rows.into_iter()
        .map(|row| {
            row.into_iter()
                .map(|v| match v {
                    PropertyValue::Object(id) => {
                        format!("{:?}", id.map(|id| (id.entity(), id.primary_key())))
                    }
                    PropertyValue::Value(Value::Double(x)) => format!("{:.12e}", x + 0.0),
                    PropertyValue::Value(Value::Decimal(d)) => format!("{}", d.normalize()),
                    PropertyValue::Value(other) => format!("{other:?}"),
                })
                .collect()
        })
        .collect()
}

fn fetch(
    f: &Fixture,
    predicate: &str,
    rows: &RowsRequest,
    sort: &str,
    page: (usize, Option<usize>),
) -> Result<Vec<Vec<PropertyValue>>, StoreError> {
    let mut request = f.request("Note", predicate, "");
    request.sort = if sort.is_empty() { Vec::new() } else { SortDescriptor::parse_list(sort).expect("sort") };
    (request.offset, request.limit) = page;
    request.result = StoreResultType::Rows(Box::new(rows.clone()));
    match f.store.fetch(&request)? {
        StoreFetchResult::Rows(rows) => Ok(rows),
        other => panic!("asked for rows, got {other:?}"),
    }
}

fn stores() -> (Fixture, Fixture, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rows.sqlite");
    let sqlite = Fixture::new(&|model| {
        Arc::new(SqliteStore::create(&path, model, SqliteOptions::default()).expect("store"))
            as Arc<dyn Store>
    });
    let memory = Fixture::new(&|model| Arc::new(MemoryStore::new(model)) as Arc<dyn Store>);
    (sqlite, memory, dir)
}

#[test]
fn sqlite_and_memory_rows_agree() {
    let cases: u64 = std::env::var("STRATA_ROWS_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(150);
    let (sqlite, memory, _dir) = stores();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let data = rows(&mut rng, &sqlite);
    for f in [&sqlite, &memory] {
        f.store.save(&SaveRequest { inserted: data.clone(), ..Default::default() }).expect("save");
    }
    let predicates =
        ["", "rank > 0", "title BEGINSWITH[c] 'a'", "price > 0", "folder.name == 'Kitchen'", "flag == nil"];
    for case in 0..cases {
        let (rows, sort) = request(&mut rng);
        let predicate = *rng.pick(&predicates);
        let page = match rng.below(4) {
            0 => (1, Some(2)),
            _ => (0, None),
        };
        let a = fetch(&sqlite, predicate, &rows, &sort, page).map(normalized);
        let b = fetch(&memory, predicate, &rows, &sort, page).map(normalized);
        match (a, b) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b, "case {case}: {rows:?} where {predicate:?} sorted {sort:?} {page:?}")
            }
            (a, b) => panic!("case {case}: {rows:?}: sqlite {a:?}, memory {b:?}"),
        }
    }
}

#[test]
fn sql_computes_groups_in_one_statement_and_decimals_fall_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(
        SqliteStore::create(dir.path().join("s.sqlite"), conformance_model(), SqliteOptions::default())
            .expect("store"),
    );
    let shared = store.clone();
    let f = Fixture::new(&move |_| shared.clone() as Arc<dyn Store>);
    let mut rng = Rng(7);
    f.store.save(&SaveRequest { inserted: rows(&mut rng, &f), ..Default::default() }).expect("save");
    let by_folder = RowsRequest {
        columns: vec![
            RowColumn { name: "folder.name".into(), value: ColumnValue::KeyPath(path("folder.name", false)) },
            aggregate("n", AggregateFunction::Count, None),
            aggregate("w", AggregateFunction::Sum, Some(("weight", AttributeType::Double))),
        ],
        group_by: vec![path("folder.name", false)],
        ..Default::default()
    };
    let before = store.statement_count();
    let groups = fetch(&f, "rank > 0", &by_folder, "", (0, None)).expect("rows");
    assert_eq!(groups.len(), 4, "no folder, Garden, Kitchen and kitchen: {groups:?}");
    assert_eq!(store.statement_count() - before, 3, "BEGIN, one grouped SELECT, ROLLBACK");
    let decimals = RowsRequest {
        columns: vec![aggregate("p", AggregateFunction::Sum, Some(("price", AttributeType::Decimal)))],
        ..Default::default()
    };
    let before = store.statement_count();
    let total = fetch(&f, "", &decimals, "", (0, None)).expect("decimal sum");
    assert!(matches!(total[0][0], PropertyValue::Value(Value::Decimal(_))), "{total:?}");
    assert!(store.statement_count() - before >= 3, "decimal sums are computed in memory from the rows");
}
