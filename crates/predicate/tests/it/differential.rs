//! The differential property test: random predicates and sort descriptors over random
//! Clip/Folder/Tag data give identical answers evaluated in memory and compiled to SQL on a
//! real SQLite database (plus the residual, evaluated in memory on the fetched rows).
//!
//! Data sets have nulls, shared and empty relationships, Unicode text with case and accent
//! variants, dyadic doubles (k/4, so sums are exact in both back-ends), dates, bools,
//! decimals, UUIDs, JSON and bytes. Predicates cover every operator, modifier, quantifier,
//! collection operator, SUBQUERY, IN, BETWEEN, NOT/AND/OR nesting, nil constants and paths
//! through `folder` and `tags`. 256 cases by default; `PROPTEST_CASES` raises it.

use proptest::prelude::*;
use proptest::test_runner::Config;
use strata_model::{Date, Decimal, EntityIndex, Value};
use strata_predicate::{Predicate, SortDescriptor};

use crate::sql::db::{Db, memory_ids, memory_sorted_ids};
use crate::support::{TestGraph, TestObject, clips_model};

const CLIP: EntityIndex = EntityIndex(0);

const TEXTS: &[&str] = &[
    "",
    "a",
    "A",
    "á",
    "Á",
    "ab",
    "aB",
    "b",
    "straße",
    "STRASSE",
    "Straße",
    "café",
    "CAFÉ",
    "cafe",
    "ΣΊΣΥΦΟΣ",
    "σίσυφος",
    "x%y",
    "x_y",
    "a*b",
    "naïve",
    "NAIVE",
    "é",
    "e",
    "ǅ",
    "ǆ",
    "ﬁ",
    "FI",
];
const LIKE_PATTERNS: &[&str] = &["a*", "*a*", "?", "c?f*", "*é", "x%y", "x_y", "a\\*b", "*", "s*e", "?A*"];
const REGEXES: &[&str] = &["a.*", "[a-z]+", ".*é.*", "ca.*", "s.*e", "\\w", "(?:x|y).*"];
const URIS: &[&str] = &["https://a.test/", "https://A.test/x", "ftp://b.test/é"];
const DATES: &[&str] = &["2001-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "2024-06-01T12:30:00.000001Z"];
const UUIDS: &[&str] = &["6f1c9a52-3c1e-4b7e-9a43-0d5e8e0b7a11", "00000000-0000-0000-0000-000000000001"];

#[derive(Debug, Clone)]
struct ClipRow {
    title: Option<usize>,
    url: Option<usize>,
    created: Option<usize>,
    score: Option<i8>,
    visits: Option<i64>,
    rating: Option<i8>,
    pinned: Option<bool>,
    price: Option<i8>,
    uuid: Option<usize>,
    meta: Option<i8>,
    thumbnail: Option<u8>,
    folder: Option<usize>,
    tags: u8,
}

#[derive(Debug, Clone)]
struct DataSet {
    clips: Vec<ClipRow>,
    folders: Vec<Option<usize>>,
    tags: Vec<Option<usize>>,
}

fn text_index() -> impl Strategy<Value = Option<usize>> {
    proptest::option::weighted(0.8, 0..TEXTS.len())
}

fn some<S: Strategy>(probability: f64, values: S) -> impl Strategy<Value = Option<S::Value>> {
    proptest::option::weighted(probability, values)
}

/// Small counts, and integers just past 2^53 where a float comparison must stay exact.
fn visits() -> impl Strategy<Value = i64> {
    prop_oneof![8 => -3i64..25, 1 => Just(9_007_199_254_740_993), 1 => Just(-9_007_199_254_740_993)]
}

fn clip_row() -> impl Strategy<Value = ClipRow> {
    (
        (text_index(), some(0.7, 0..URIS.len()), some(0.7, 0..DATES.len()), some(0.8, -8i8..8)),
        (some(0.8, visits()), some(0.7, 0i8..6), some(0.7, any::<bool>()), some(0.6, -4i8..12)),
        (some(0.5, 0..UUIDS.len()), some(0.4, -2i8..3), some(0.4, 0u8..3), some(0.8, 0usize..4), any::<u8>()),
    )
        .prop_map(
            |(
                (title, url, created, score),
                (visits, rating, pinned, price),
                (uuid, meta, thumbnail, folder, tags),
            )| {
                ClipRow {
                    title,
                    url,
                    created,
                    score,
                    visits,
                    rating,
                    pinned,
                    price,
                    uuid,
                    meta,
                    thumbnail,
                    folder,
                    tags,
                }
            },
        )
}

fn data_set() -> impl Strategy<Value = DataSet> {
    (
        proptest::collection::vec(clip_row(), 0..12),
        proptest::collection::vec(text_index(), 0..4),
        proptest::collection::vec(text_index(), 0..5),
    )
        .prop_map(|(clips, folders, tags)| DataSet { clips, folders, tags })
}

impl DataSet {
    fn graph(&self) -> (TestGraph, Vec<TestObject>) {
        let g = TestGraph::clips();
        let clips: Vec<TestObject> = self
            .clips
            .iter()
            .map(|row| {
                let clip = g.insert("Clip", Vec::<(&str, Value)>::new());
                let set = |key: &str, value: Option<Value>| clip.set(key, value.unwrap_or(Value::Null));
                set("title", row.title.map(|i| Value::from(TEXTS[i])));
                set("url", row.url.map(|i| Value::Uri(URIS[i].to_owned())));
                set("created", row.created.map(|i| Value::Date(DATES[i].parse::<Date>().unwrap())));
                set("score", row.score.map(|k| Value::Double(f64::from(k) / 4.0)));
                set("visits", row.visits.map(Value::Int64));
                set("rating", row.rating.map(|v| Value::Int16(v.into())));
                set("pinned", row.pinned.map(Value::Bool));
                set("price", row.price.map(|k| Value::Decimal(Decimal::new(i64::from(k) * 25, 2))));
                set("uuid", row.uuid.map(|i| Value::Uuid(UUIDS[i].parse().unwrap())));
                set("meta", row.meta.map(|k| Value::Json(serde_json::json!({ "k": k }))));
                set("thumbnail", row.thumbnail.map(|n| Value::Binary(vec![7; usize::from(n)])));
                clip
            })
            .collect();
        let named = |entity: &str, name: &Option<usize>| {
            g.insert(entity, [("name", name.map_or(Value::Null, |i| Value::from(TEXTS[i])))])
        };
        let folders: Vec<TestObject> = self.folders.iter().map(|n| named("Folder", n)).collect();
        let tags: Vec<TestObject> = self.tags.iter().map(|n| named("Tag", n)).collect();
        for (row, clip) in self.clips.iter().zip(&clips) {
            if let Some(folder) = row.folder.and_then(|i| folders.get(i)) {
                clip.set_to_one("folder", Some(folder));
            }
            for (bit, tag) in tags.iter().enumerate() {
                if row.tags & (1 << bit) != 0 {
                    clip.add_to_many("tags", tag);
                }
            }
        }
        (g, clips)
    }
}

/// A predicate string literal, escaped for the predicate parser.
fn literal(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn pick(items: &'static [&'static str]) -> impl Strategy<Value = &'static str> + Clone {
    proptest::sample::select(items)
}

fn text_constant() -> impl Strategy<Value = String> + Clone {
    prop_oneof![6 => pick(TEXTS).prop_map(literal), 1 => Just("nil".to_owned())]
}

fn number() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        4 => (-8i8..8).prop_map(|k| format!("{}", f64::from(k) / 4.0)),
        4 => (-3i8..25).prop_map(|k| k.to_string()),
        1 => Just("nil".to_owned()),
        1 => Just("YES".to_owned()),
        1 => pick(&["9007199254740992.0", "9007199254740993", "-9007199254740994.0"]).prop_map(str::to_owned),
    ]
}

fn date_constant() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        3 => pick(DATES).prop_map(literal),
        1 => (-1i32..800_000_000).prop_map(|s| format!("CAST({s}, \"NSDate\")")),
        1 => Just("nil".to_owned()),
    ]
}

fn ordering() -> impl Strategy<Value = &'static str> + Clone {
    pick(&["==", "!=", "<", "<=", ">", ">=", "=", "<>", "=<", "=>"])
}

fn options() -> impl Strategy<Value = &'static str> + Clone {
    pick(&["", "", "[c]", "[d]", "[cd]"])
}

fn text_path() -> impl Strategy<Value = &'static str> + Clone {
    pick(&["title", "url", "folder.name", "SELF.title"])
}

fn many_text_path() -> impl Strategy<Value = &'static str> + Clone {
    pick(&["tags.name", "folder.clips.title", "tags.clips.title", "folder.clips.tags.name", "tags.clips.url"])
}

fn many_number_path() -> impl Strategy<Value = &'static str> + Clone {
    pick(&["folder.clips.score", "folder.clips.visits", "tags.clips.rating", "tags.clips.pinned"])
}

fn quantifier() -> impl Strategy<Value = &'static str> + Clone {
    pick(&["", "ANY ", "SOME ", "ALL ", "NONE "])
}

fn string_test(path: impl Strategy<Value = &'static str> + Clone) -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        (path.clone(), ordering(), options(), text_constant())
            .prop_map(|(p, op, o, c)| format!("{p} {op}{o} {c}")),
        (
            path.clone(),
            pick(&["BEGINSWITH", "ENDSWITH", "CONTAINS"]),
            options(),
            pick(TEXTS).prop_map(literal)
        )
            .prop_map(|(p, op, o, c)| format!("{p} {op}{o} {c}")),
        (path.clone(), options(), pick(LIKE_PATTERNS))
            .prop_map(|(p, o, c)| format!("{p} LIKE{o} {}", literal(c))),
        (path, options(), pick(REGEXES)).prop_map(|(p, o, c)| format!("{p} MATCHES{o} {}", literal(c))),
    ]
}

fn number_path() -> impl Strategy<Value = &'static str> + Clone {
    pick(&["score", "visits", "rating", "pinned"])
}

fn aggregate() -> impl Strategy<Value = (&'static str, bool)> + Clone {
    // (path, is it text)
    pick(&[
        "tags.@count",
        "folder.clips.@count",
        "folder.clips.@sum.visits",
        "folder.clips.@sum.score",
        "folder.clips.@sum.pinned",
        "folder.clips.@avg.score",
        "folder.clips.@avg.rating",
        "folder.clips.@min.score",
        "folder.clips.@max.visits",
        "tags.@max.name",
        "tags.@min.name",
        "folder.clips.@max.title",
        "folder.clips.@min.created",
        "folder.clips.@sum.price",
    ])
    .prop_map(|p| (p, p.ends_with("name") || p.ends_with("title") || p.ends_with("created")))
}

fn list(item: impl Strategy<Value = String> + Clone) -> impl Strategy<Value = String> + Clone {
    proptest::collection::vec(item, 0..4).prop_map(|items| format!("{{{}}}", items.join(", ")))
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => string_test(text_path()),
        3 => (number_path(), ordering(), number()).prop_map(|(p, op, c)| format!("{p} {op} {c}")),
        1 => (number(), ordering(), number_path()).prop_map(|(c, op, p)| format!("{c} {op} {p}")),
        1 => (ordering(), date_constant()).prop_map(|(op, c)| format!("created {op} {c}")),
        1 => (ordering(), number()).prop_map(|(op, c)| format!("price {op} {c}")),
        1 => pick(&[
            "meta == nil", "meta != nil", "thumbnail == nil", "thumbnail != nil", "uuid == nil",
            "uuid == \"6f1c9a52-3c1e-4b7e-9a43-0d5e8e0b7a11\"", "uuid != \"00000000-0000-0000-0000-000000000001\"",
            "folder == nil", "folder != nil", "nil == folder", "SELF != nil", "TRUEPREDICATE", "FALSEPREDICATE",
        ])
        .prop_map(str::to_owned),
        3 => (quantifier(), string_test(many_text_path())).prop_map(|(q, t)| format!("{q}{t}")),
        2 => (quantifier(), many_number_path(), ordering(), number())
            .prop_map(|(q, p, op, c)| format!("{q}{p} {op} {c}")),
        2 => (aggregate(), ordering(), number(), text_constant(), date_constant()).prop_map(
            |((p, text), op, n, t, d)| {
                let constant = if p.ends_with("created") { d } else if text { t } else { n };
                format!("{p} {op} {constant}")
            }
        ),
        2 => (subquery_inner(), ordering(), 0i8..3)
            .prop_map(|((inner, _), op, n)| format!("{inner}.@count {op} {n}")),
        1 => (subquery_inner(), 0usize..4, ordering(), number(), text_constant()).prop_map(|((inner, clips), i, op, n, t)| {
            // Aggregates over the subquery's elements: clips or tags.
            let (aggregate, text) = if clips {
                [("@sum.visits", false), ("@avg.score", false), ("@max.title", true), ("@min.score", false)][i]
            } else {
                [("@max.name", true), ("@min.name", true), ("@max.name", true), ("@min.name", true)][i]
            };
            format!("{inner}.{aggregate} {op} {}", if text { t } else { n })
        }),
        2 => (text_path(), options(), list(text_constant())).prop_map(|(p, o, l)| format!("{p} IN{o} {l}")),
        1 => (number_path(), list(number())).prop_map(|(p, l)| format!("{p} IN {l}")),
        1 => (text_constant(), options(), many_text_path()).prop_map(|(c, o, p)| format!("{c} IN{o} {p}")),
        1 => (text_path(), options(), many_text_path()).prop_map(|(k, o, p)| format!("{k} IN{o} {p}")),
        1 => (number_path(), number(), number()).prop_map(|(p, a, b)| format!("{p} BETWEEN {{{a}, {b}}}")),
        1 => (text_path(), text_constant(), text_constant()).prop_map(|(p, a, b)| format!("{p} BETWEEN {{{a}, {b}}}")),
        1 => (date_constant(), date_constant()).prop_map(|(a, b)| format!("created BETWEEN {{{a}, {b}}}")),
        2 => (text_path(), ordering(), options(), text_path()).prop_map(|(a, op, o, b)| format!("{a} {op}{o} {b}")),
        1 => (number_path(), ordering(), number_path()).prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        1 => (number_path(), ordering(), aggregate()).prop_filter_map("numeric aggregates", |(a, op, (p, text))| {
            (!text).then(|| format!("{a} {op} {p}"))
        }),
    ]
}

/// A `SUBQUERY(…)` and whether its elements are clips (else tags).
fn subquery_inner() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![
        string_test(pick(&["$t.name"])).prop_map(|t| (format!("SUBQUERY(tags, $t, {t})"), false)),
        (ordering(), options())
            .prop_map(|(op, o)| (format!("SUBQUERY(tags, $t, $t.name {op}{o} title)"), false)),
        (ordering(), number())
            .prop_map(|(op, c)| (format!("SUBQUERY(tags, $t, ANY $t.clips.score {op} {c})"), false)),
        (ordering(), number_path())
            .prop_map(|(op, p)| (format!("SUBQUERY(folder.clips, $c, $c.{p} {op} {p})"), true)),
        (string_test(pick(&["$c.title"])), number())
            .prop_map(|(t, c)| (format!("SUBQUERY(folder.clips, $c, {t} OR $c.visits > {c})"), true)),
        string_test(pick(&["$c.title"]))
            .prop_map(|t| (format!("SUBQUERY(tags, $t, SUBQUERY($t.clips, $c, {t}).@count > 0)"), false)),
    ]
}

fn predicate() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|p| format!("NOT ({p})")),
            proptest::collection::vec(inner.clone(), 2..3).prop_map(|ps| format!("({})", ps.join(" AND "))),
            proptest::collection::vec(inner, 2..4).prop_map(|ps| format!("({})", ps.join(" OR "))),
        ]
    })
}

/// Predicates about folders: paths starting with the to-many `clips`.
fn folder_predicate() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        string_test(pick(&["name"])),
        (quantifier(), string_test(pick(&["clips.title", "clips.tags.name", "clips.url"])))
            .prop_map(|(q, t)| format!("{q}{t}")),
        (quantifier(), pick(&["clips.score", "clips.visits", "clips.rating"]), ordering(), number())
            .prop_map(|(q, p, op, c)| format!("{q}{p} {op} {c}")),
        (
            pick(&[
                "clips.@count",
                "clips.@sum.visits",
                "clips.@avg.score",
                "clips.@min.rating",
                "clips.@sum.pinned"
            ]),
            ordering(),
            number()
        )
            .prop_map(|(p, op, c)| format!("{p} {op} {c}")),
        (pick(&["clips.@max.title", "clips.@min.url"]), ordering(), text_constant())
            .prop_map(|(p, op, c)| format!("{p} {op} {c}")),
        (string_test(pick(&["$c.title"])), ordering(), 0i8..3)
            .prop_map(|(t, op, n)| format!("SUBQUERY(clips, $c, {t}).@count {op} {n}")),
        (options(), pick(&["clips.title", "clips.tags.name"])).prop_map(|(o, p)| format!("name IN{o} {p}")),
    ];
    combinations(leaf)
}

/// Predicates about tags: to-many `clips`, then the to-one `folder` (elements with no folder
/// contribute nil).
fn tag_predicate() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        string_test(pick(&["name"])),
        (quantifier(), string_test(pick(&["clips.folder.name", "clips.title", "clips.tags.name"])))
            .prop_map(|(q, t)| format!("{q}{t}")),
        (pick(&["clips.@max.folder.name", "clips.@min.folder.name"]), ordering(), text_constant())
            .prop_map(|(p, op, c)| format!("{p} {op} {c}")),
        (pick(&["clips.@count", "clips.@sum.visits", "clips.@avg.score"]), ordering(), number())
            .prop_map(|(p, op, c)| format!("{p} {op} {c}")),
        (string_test(pick(&["$c.folder.name"])), ordering(), 0i8..3)
            .prop_map(|(t, op, n)| format!("SUBQUERY(clips, $c, {t} OR $c.folder == nil).@count {op} {n}")),
    ];
    combinations(leaf)
}

fn combinations(leaf: impl Strategy<Value = String> + 'static) -> impl Strategy<Value = String> {
    leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|p| format!("NOT ({p})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} AND {b})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("({a} OR {b})")),
        ]
    })
}

fn sort_list() -> impl Strategy<Value = String> {
    let key = pick(&[
        "title",
        "url",
        "created",
        "score",
        "visits",
        "rating",
        "pinned",
        "price",
        "uuid",
        "thumbnail",
        "meta",
        "folder.name",
    ]);
    let one = (key, pick(&["", ":ci", ":localized", ":localized:ci"]), pick(&["", " asc", " desc"]))
        .prop_map(|(k, o, d)| format!("{k}{o}{d}"));
    proptest::collection::vec(one, 1..4).prop_map(|sorts| sorts.join(", "))
}

fn config() -> Config {
    // `Config::default()` reads PROPTEST_CASES (256 when unset); no regression files are
    // written into the source tree.
    Config { failure_persistence: None, ..Config::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn memory_and_sql_agree(
        data in data_set(),
        clip_predicates in proptest::collection::vec(predicate(), 4),
        folder_predicate in folder_predicate(),
        tag_predicate in tag_predicate(),
        sorts in proptest::collection::vec(sort_list(), 2),
    ) {
        let (graph, clips) = data.graph();
        let db = Db::with_graph(clips_model(), &graph);
        let (folders, tags) = (graph.objects("Folder"), graph.objects("Tag"));
        let cases = clip_predicates
            .iter()
            .map(|p| ("Clip", p, &clips))
            .chain([("Folder", &folder_predicate, &folders), ("Tag", &tag_predicate, &tags)]);
        for (entity, text, objects) in cases {
            let index = db.entity(entity);
            let parsed = Predicate::parse(text).map_err(|e| TestCaseError::fail(format!("{text}: {}", e.render())))?;
            let checked = parsed.check(&db.model, index).map_err(|e| TestCaseError::fail(e.render(text)))?;
            let sql = db.ids(index, &checked);
            let memory = memory_ids(&checked, objects);
            prop_assert_eq!(&sql, &memory, "{} predicate {} (checked: {})", entity, text, checked);
            prop_assert!(sql.is_ok(), "{}: {:?}", text, sql);
        }
        for text in &sorts {
            let sorts = SortDescriptor::parse_list(text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            let sql = db.sorted_ids(CLIP, &sorts);
            let memory = memory_sorted_ids(&sorts, &clips);
            prop_assert_eq!(&sql, &memory, "sort {}", text);
            prop_assert!(sql.is_ok(), "{}: {:?}", text, sql);
        }
    }
}
