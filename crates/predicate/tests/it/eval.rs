//! In-memory evaluation over the Clips test graph: every operator and modifier, nil
//! semantics, quantifiers over empty collections, collection operators, SUBQUERY, IN and
//! BETWEEN, paths through missing relationships, and evaluation errors. Check errors are in
//! the `check` submodule.

mod check;
mod robust;

use strata_model::{Date, Decimal, EntityIndex, Model, Uuid, Value};
use strata_predicate::{EvalError, Operand, Predicate, evaluate_expr};

use crate::support::{TestGraph, TestObject, clips_model, matching_ids};

const U1: &str = "6f1c9a52-3c1e-4b7e-9a43-0d5e8e0b7a11";

/// The fixture: clips 1–4 (ids 1–4), then folders (5: "Work", 6: nameless, 7: "Empty"),
/// then tags (8: "rust", 9: "ΣΊΣΥΦΟΣ", 10: nameless, 11: "unused").
///
/// | clip | title    | score | visits | rating | pinned | price | folder | tags      |
/// |------|----------|-------|--------|--------|--------|-------|--------|-----------|
/// | 1    | Straße   | 1.5   | 10     | 3      | YES    | 1.25  | 5      | 8, 9      |
/// | 2    | café     | 2.5   | 20     | 5      | NO     | 2.50  | 5      | 8         |
/// | 3    | CAFE     | nil   | nil    | nil    | nil    | nil   | none   | none      |
/// | 4    | nil      | nil   | nil    | 1      | nil    | nil   | 6      | 10        |
struct Fixture {
    model: Model,
    graph: TestGraph,
    clip: EntityIndex,
    clips: Vec<TestObject>,
    folders: Vec<TestObject>,
}

fn fixture() -> Fixture {
    let model = clips_model();
    let clip = model.entity("Clip").map(|e| e.index()).expect("Clip entity");
    let g = TestGraph::clips();
    let c1 = g.insert(
        "Clip",
        [
            ("title", Value::from("Straße")),
            ("url", Value::Uri("https://a.test/x".into())),
            ("created", Value::Date("2024-01-01T00:00:00Z".parse().unwrap())),
            ("score", Value::Double(1.5)),
            ("visits", Value::Int64(10)),
            ("rating", Value::Int16(3)),
            ("pinned", Value::Bool(true)),
            ("price", Value::Decimal("1.25".parse().unwrap())),
            ("uuid", Value::Uuid(U1.parse().unwrap())),
            ("meta", Value::Json(serde_json::json!({"a": 1}))),
            ("thumbnail", Value::Binary(vec![1, 2, 3])),
        ],
    );
    let c2 = g.insert(
        "Clip",
        [
            ("title", Value::from("café")),
            ("url", Value::Uri("ftp://b.test/".into())),
            ("created", Value::Date("2024-06-01T12:00:00Z".parse().unwrap())),
            ("score", Value::Double(2.5)),
            ("visits", Value::Int64(20)),
            ("rating", Value::Int16(5)),
            ("pinned", Value::Bool(false)),
            ("price", Value::Decimal("2.50".parse().unwrap())),
        ],
    );
    let c3 = g.insert("Clip", [("title", Value::from("CAFE"))]);
    let c4 = g.insert("Clip", [("rating", Value::Int16(1))]);
    let work = g.insert("Folder", [("name", Value::from("Work"))]);
    let nameless = g.insert("Folder", Vec::<(&str, Value)>::new());
    let empty = g.insert("Folder", [("name", Value::from("Empty"))]);
    let rust = g.insert("Tag", [("name", Value::from("rust"))]);
    let sisyphus = g.insert("Tag", [("name", Value::from("ΣΊΣΥΦΟΣ"))]);
    let untagged = g.insert("Tag", Vec::<(&str, Value)>::new());
    g.insert("Tag", [("name", Value::from("unused"))]);
    c1.set_to_one("folder", Some(&work));
    c2.set_to_one("folder", Some(&work));
    c4.set_to_one("folder", Some(&nameless));
    c1.add_to_many("tags", &rust);
    c1.add_to_many("tags", &sisyphus);
    c2.add_to_many("tags", &rust);
    c4.add_to_many("tags", &untagged);
    Fixture { model, graph: g, clip, clips: vec![c1, c2, c3, c4], folders: vec![work, nameless, empty] }
}

impl Fixture {
    fn checked(&self, text: &str) -> Predicate {
        let parsed = Predicate::parse(text).unwrap_or_else(|e| panic!("{text}: {}", e.render()));
        parsed.check(&self.model, self.clip).unwrap_or_else(|e| panic!("{text}: {}", e.render(text)))
    }

    /// The ids of the clips matching `text`, checked. When the check changed nothing, the
    /// unchecked predicate must agree.
    fn ids(&self, text: &str) -> Vec<i64> {
        let parsed = Predicate::parse(text).unwrap();
        let checked = self.checked(text);
        let ids = matching_ids(&checked, &self.clips);
        if checked == parsed {
            assert_eq!(ids, matching_ids(&parsed, &self.clips), "{text}: checked and unchecked disagree");
        }
        ids
    }

    fn eval_error(&self, text: &str) -> EvalError {
        let p = Predicate::parse(text).unwrap_or_else(|e| panic!("{text}: {}", e.render()));
        for clip in &self.clips {
            if let Err(e) = p.evaluate(clip) {
                return e;
            }
        }
        panic!("{text} evaluated without error on every clip")
    }
}

fn value<'p>(operand: Operand<'p, TestObject>) -> Value {
    match operand {
        Operand::Value(v) => v.into_owned(),
        other => panic!("expected a value, got {other:?}"),
    }
}

fn dec(s: &str) -> Value {
    Value::Decimal(s.parse::<Decimal>().unwrap())
}

#[test]
fn numeric_comparisons_across_types() {
    let f = fixture();
    assert_eq!(f.ids("score > 2"), [2]);
    assert_eq!(f.ids("score >= 1.5"), [1, 2]);
    assert_eq!(f.ids("score => 1.5 AND score =< 2.5"), [1, 2]);
    assert_eq!(f.ids("visits == 10"), [1]);
    assert_eq!(f.ids("visits = 10.0"), [1]);
    assert_eq!(f.ids("rating < 4"), [1, 4]);
    assert_eq!(f.ids("rating <= 3"), [1, 4]);
    assert_eq!(f.ids("3 < rating"), [2], "a constant on the left mirrors the comparison");
    assert_eq!(f.ids("3 >= rating"), [1, 4]);
    assert_eq!(f.ids("pinned == YES"), [1]);
    assert_eq!(f.ids("pinned == 1"), [1], "bool compares as 0/1");
    assert_eq!(f.ids("pinned == 0"), [2]);
    assert_eq!(f.ids("pinned < 1"), [2]);
    assert_eq!(f.ids("price > 2"), [2]);
    assert_eq!(f.ids("price == 2.5"), [2]);
    assert_eq!(f.ids("price == '2.5'"), [2], "text fitted to a decimal");
    assert_eq!(f.ids("price < score"), [1]);
}

#[test]
fn not_equal_is_exactly_not_equal() {
    let f = fixture();
    assert_eq!(f.ids("visits != 10"), [2, 3, 4]);
    assert_eq!(f.ids("visits <> 10"), [2, 3, 4]);
    assert_eq!(f.ids("NOT visits == 10"), [2, 3, 4]);
    assert_eq!(f.ids("title != 'café'"), [1, 3, 4]);
    assert_eq!(f.ids("title !=[cd] 'CAFE'"), [1, 4]);
}

#[test]
fn nil_semantics_for_every_operator() {
    let f = fixture();
    assert_eq!(f.ids("title == nil"), [4]);
    assert_eq!(f.ids("title == NULL"), [4]);
    assert_eq!(f.ids("title != nil"), [1, 2, 3]);
    assert_eq!(f.ids("nil == title"), [4]);
    assert_eq!(f.ids("nil == nil"), [1, 2, 3, 4]);
    assert_eq!(f.ids("nil != nil"), Vec::<i64>::new());
    // Ordering against nil, or of a nil value, is false; NOT of it is true.
    for op in ["<", "<=", ">", ">="] {
        assert_eq!(f.ids(&format!("score {op} nil")), Vec::<i64>::new(), "score {op} nil");
        assert_eq!(f.ids(&format!("nil {op} score")), Vec::<i64>::new(), "nil {op} score");
        assert_eq!(f.ids(&format!("NOT score {op} nil")), [1, 2, 3, 4], "NOT score {op} nil");
    }
    assert_eq!(f.ids("score < 100"), [1, 2], "a nil score is not less than anything");
    assert_eq!(f.ids("NOT score < 100"), [3, 4]);
    assert_eq!(f.ids("score < 2 OR NOT score < 2"), [1, 2, 3, 4], "logic is two-valued");
    // String operators on a nil value are false; NOT makes them true.
    for op in ["BEGINSWITH", "ENDSWITH", "CONTAINS", "LIKE", "MATCHES"] {
        assert_eq!(f.ids(&format!("title {op}[cd] 'x'")), Vec::<i64>::new(), "title {op}[cd] 'x'");
        assert_eq!(f.ids(&format!("NOT title {op} 'zzz'")), [1, 2, 3, 4], "NOT title {op}");
    }
    assert_eq!(f.ids("score BETWEEN {0, 100}"), [1, 2]);
    assert_eq!(f.ids("NOT score BETWEEN {0, 100}"), [3, 4]);
    assert_eq!(f.ids("title IN {nil, 'café'}"), [2, 4]);
    assert_eq!(f.ids("nil IN {nil, 1}"), [1, 2, 3, 4]);
    assert_eq!(f.ids("nil IN {1, 2}"), Vec::<i64>::new());
    assert_eq!(f.ids("title ==[c] nil"), [4]);
}

#[test]
fn equality_and_ordering_with_modifiers() {
    let f = fixture();
    assert_eq!(f.ids("title == 'café'"), [2]);
    assert_eq!(f.ids("title ==[c] 'STRASSE'"), [1], "ß folds to ss");
    assert_eq!(f.ids("title ==[c] 'strasse'"), [1]);
    assert_eq!(f.ids("title == 'strasse'"), Vec::<i64>::new());
    assert_eq!(f.ids("title ==[c] 'cafe'"), [3], "[c] keeps accents");
    assert_eq!(f.ids("title ==[d] 'cafe'"), [2], "[d] keeps case");
    assert_eq!(f.ids("title ==[cd] 'Cafe'"), [2, 3]);
    assert_eq!(f.ids("title ==[dc] 'CAFÉ'"), [2, 3]);
    // Text orders by UTF-8 bytes without options, by folded text with them.
    assert_eq!(f.ids("title < 'd'"), [1, 2, 3]);
    assert_eq!(f.ids("title < 'D'"), [3]);
    assert_eq!(f.ids("title <[c] 'd'"), [2, 3]);
    assert_eq!(f.ids("title >[c] 'd'"), [1]);
    assert_eq!(f.ids("title >=[cd] 'cafe'"), [1, 2, 3]);
    assert_eq!(f.ids("'d' >[c] title"), [2, 3]);
}

#[test]
fn string_operators_with_every_modifier() {
    let f = fixture();
    assert_eq!(f.ids("title BEGINSWITH 'St'"), [1]);
    assert_eq!(f.ids("title BEGINSWITH 'st'"), Vec::<i64>::new());
    assert_eq!(f.ids("title BEGINSWITH[c] 'STRASS'"), [1], "case folding is full Unicode folding");
    assert_eq!(f.ids("title ENDSWITH 'é'"), [2]);
    assert_eq!(f.ids("title ENDSWITH[d] 'e'"), [1, 2]);
    assert_eq!(f.ids("title ENDSWITH[c] 'e'"), [1, 3]);
    assert_eq!(f.ids("title ENDSWITH[cd] 'E'"), [1, 2, 3]);
    assert_eq!(f.ids("title CONTAINS 'af'"), [2]);
    assert_eq!(f.ids("title CONTAINS[c] 'AF'"), [2, 3]);
    assert_eq!(f.ids("title CONTAINS[c] 'sS'"), [1]);
    assert_eq!(f.ids("title LIKE 'caf?'"), [2]);
    assert_eq!(f.ids("title LIKE 'c*'"), [2]);
    assert_eq!(f.ids("title LIKE[c] 'c*'"), [2, 3]);
    assert_eq!(f.ids("title LIKE[cd] '*E'"), [1, 2, 3]);
    assert_eq!(f.ids("title LIKE '*'"), [1, 2, 3]);
    assert_eq!(f.ids("title LIKE 'ca'"), Vec::<i64>::new(), "LIKE matches the whole text");
    assert_eq!(f.ids("title MATCHES 'caf.'"), [2]);
    assert_eq!(f.ids("title MATCHES 'af'"), Vec::<i64>::new(), "MATCHES matches the whole text");
    assert_eq!(f.ids("title MATCHES[c] 'CAF.'"), [2, 3]);
    assert_eq!(f.ids("title MATCHES[d] 'cafe'"), [2]);
    assert_eq!(f.ids("title MATCHES[cd] 'cafe'"), [2, 3]);
    assert_eq!(f.ids("url BEGINSWITH 'https:'"), [1], "uri attributes are text");
    assert_eq!(f.ids("url CONTAINS[c] 'B.TEST'"), [2]);
    // The roles stay as written: the left side is the text, the right the operand.
    assert_eq!(f.ids("'Straße und café' CONTAINS title"), [1, 2]);
    assert_eq!(f.ids("'CAFÉS' BEGINSWITH[cd] title"), [2, 3]);
    assert_eq!(f.ids("'café' MATCHES title"), [2], "the right side is the pattern");
}

#[test]
fn greek_sigma_folds_in_every_position() {
    let f = fixture();
    assert_eq!(f.ids("ANY tags.name ==[c] 'σίσυφος'"), [1], "final sigma folds to sigma");
    assert_eq!(f.ids("ANY tags.name ==[c] 'ΣΊΣΥΦΟΣ'"), [1]);
    assert_eq!(f.ids("ANY tags.name ==[cd] 'σισυφοσ'"), [1]);
    assert_eq!(f.ids("ANY tags.name == 'σίσυφος'"), Vec::<i64>::new());
    assert_eq!(f.ids("ANY tags.name BEGINSWITH[c] 'σί'"), [1]);
    assert_eq!(f.ids("ANY tags.name ENDSWITH[c] 'ς'"), [1]);
}

#[test]
fn quantifiers_including_empty_collections() {
    let f = fixture();
    assert_eq!(f.ids("ANY tags.name == 'rust'"), [1, 2]);
    assert_eq!(f.ids("SOME tags.name == 'rust'"), [1, 2]);
    assert_eq!(f.ids("tags.name == 'rust'"), [1, 2], "a to-many path without quantifier is ANY");
    assert_eq!(f.ids("ALL tags.name == 'rust'"), [2, 3], "ALL is true for an empty collection");
    assert_eq!(f.ids("NONE tags.name == 'rust'"), [3, 4], "NONE is true for an empty collection");
    assert_eq!(f.ids("NOT ANY tags.name == 'rust'"), [3, 4]);
    assert_eq!(f.ids("ANY tags.name == nil"), [4], "null elements are kept");
    assert_eq!(f.ids("ALL tags.name != nil"), [1, 2, 3]);
    assert_eq!(f.ids("ANY tags.name != 'rust'"), [1, 4]);
    assert_eq!(f.ids("ALL tags.name BEGINSWITH[c] 'r'"), [2, 3]);
    assert_eq!(f.ids("NONE tags.name BEGINSWITH[c] 'r'"), [3, 4]);
    assert_eq!(f.ids("ANY tags.name IN {'rust', 'go'}"), [1, 2]);
    assert_eq!(f.ids("ALL tags.name IN {'rust', 'ΣΊΣΥΦΟΣ'}"), [1, 2, 3]);
    assert_eq!(f.ids("ANY tags.name BETWEEN {'a', 'z'}"), [1, 2]);
    // Through two to-many keys: the clips sharing a tag with clip 2.
    assert_eq!(f.ids("ANY tags.clips.title == 'café'"), [1, 2]);
    assert_eq!(f.ids("ANY tags.clips.folder.name == 'Work'"), [1, 2]);
    assert_eq!(
        f.ids("ANY tags.clips.folder.name == nil"),
        [4],
        "a missing to-one inside a collection is nil"
    );
}

#[test]
fn a_collection_on_the_right_is_compared_as_any() {
    let f = fixture();
    assert_eq!(f.ids("'rust' == tags.name"), [1, 2]);
    assert_eq!(f.ids("'rust' IN tags.name"), [1, 2]);
    assert_eq!(f.ids("nil IN tags.name"), [4]);
    assert_eq!(f.ids("'a' < tags.name"), [1, 2]);
    let checked = f.checked("'a' < tags.name");
    assert_eq!(checked.to_string(), r#"ANY tags.name > "a""#);
    assert_eq!(f.checked("tags.name == 'x'").to_string(), r#"ANY tags.name == "x""#);
}

#[test]
fn to_one_paths_through_missing_relationships() {
    let f = fixture();
    assert_eq!(f.ids("folder.name == 'Work'"), [1, 2]);
    assert_eq!(f.ids("folder.name == nil"), [3, 4], "no folder and a nameless folder both give nil");
    assert_eq!(f.ids("folder.name != nil"), [1, 2]);
    assert_eq!(f.ids("folder.name BEGINSWITH 'W'"), [1, 2]);
    assert_eq!(f.ids("NOT folder.name BEGINSWITH 'W'"), [3, 4]);
    assert_eq!(f.ids("folder == nil"), [3]);
    assert_eq!(f.ids("folder != nil"), [1, 2, 4]);
    assert_eq!(f.ids("nil == folder"), [3]);
    assert_eq!(f.ids("folder.clips.@count == 0"), [3]);
}

#[test]
fn a_to_many_path_through_an_empty_to_one_is_empty() {
    let f = fixture();
    // Clip 3 has no folder: `folder.clips.title` is an empty collection for it, so ANY is
    // false and ALL / NONE are true; clip 4's folder holds only clip 4, whose title is nil.
    assert_eq!(matching_ids(&f.checked("folder.clips.title == nil"), &f.clips), [4]);
    assert_eq!(matching_ids(&f.checked("ALL folder.clips.title == nil"), &f.clips), [3, 4]);
    assert_eq!(matching_ids(&f.checked("NONE folder.clips.title == nil"), &f.clips), [1, 2, 3]);
    assert_eq!(matching_ids(&f.checked("nil IN folder.clips.title"), &f.clips), [4]);
    // Unchecked, the evaluator cannot know `clips` is to-many and reads nothing as nil.
    let unchecked = Predicate::parse("folder.clips.title == nil").unwrap();
    assert_eq!(matching_ids(&unchecked, &f.clips), [3, 4]);
}

#[test]
fn count_sum_avg_min_max() {
    let f = fixture();
    assert_eq!(f.ids("tags.@count == 2"), [1]);
    assert_eq!(f.ids("tags.@count == 0"), [3]);
    assert_eq!(f.ids("tags.@count >= 1"), [1, 2, 4]);
    assert_eq!(f.ids("1 < tags.@count"), [1]);
    assert_eq!(f.ids("folder.clips.@count == 2"), [1, 2]);
    // Keys after a to-many key flatten without removing duplicates: clip 1 reaches itself
    // through both of its tags.
    assert_eq!(f.ids("tags.clips.@count == 3"), [1]);
    assert_eq!(f.ids("tags.clips.@count == 1"), [4]);
    assert_eq!(f.ids("SUBQUERY(tags.clips, $c, $c.pinned == YES).@count == 2"), [1]);
    assert_eq!(f.ids("folder.clips.@sum.visits == 30"), [1, 2]);
    assert_eq!(f.ids("folder.clips.@sum.visits == 0"), [3, 4], "empty and all-null sums are 0");
    assert_eq!(f.ids("folder.clips.@sum.score == 4"), [1, 2]);
    assert_eq!(f.ids("folder.clips.@sum.price == 3.75"), [1, 2]);
    assert_eq!(f.ids("folder.clips.@sum.pinned == 1"), [1, 2]);
    assert_eq!(f.ids("folder.clips.@avg.score == 2"), [1, 2]);
    assert_eq!(f.ids("folder.clips.@avg.score == nil"), [3, 4], "an empty average is nil");
    assert_eq!(f.ids("folder.clips.@avg.visits == 15"), [1, 2]);
    assert_eq!(f.ids("folder.clips.@min.score == 1.5"), [1, 2]);
    assert_eq!(f.ids("folder.clips.@max.score == 2.5"), [1, 2]);
    assert_eq!(f.ids("folder.clips.@max.score == nil"), [3, 4]);
    assert_eq!(f.ids("folder.clips.@min.rating == 1"), [4]);
    assert_eq!(f.ids("folder.clips.@max.title == 'café'"), [1, 2], "text orders by bytes: S < c");
    assert_eq!(f.ids("folder.clips.@min.title BEGINSWITH 'S'"), [1, 2]);
    assert_eq!(f.ids("folder.clips.@min.created < '2024-02-01T00:00:00Z'"), [1, 2]);
    assert_eq!(f.ids("score == folder.clips.@max.score"), [2, 3, 4], "nil equals nil");
    assert_eq!(f.ids("tags.@max.name == 'ΣΊΣΥΦΟΣ'"), [1]);
    assert_eq!(f.ids("tags.@min.name == nil"), [3, 4], "nulls are skipped, so all-null is nil");
}

#[test]
fn collection_operator_result_types() {
    let f = fixture();
    let [work, nameless, empty] = [&f.folders[0], &f.folders[1], &f.folders[2]];
    let at = |text: &str, folder: &TestObject| {
        let p = Predicate::parse(&format!("{text} == nil")).unwrap();
        let Predicate::Comparison(c) = p else { panic!("not a comparison") };
        value(evaluate_expr(&c.left, folder).unwrap_or_else(|e| panic!("{text}: {e}")))
    };
    assert_eq!(at("clips.@count", work), Value::Int64(2));
    assert_eq!(at("clips.@count", empty), Value::Int64(0));
    assert_eq!(at("clips.@sum.visits", work), Value::Int64(30));
    assert_eq!(at("clips.@sum.rating", work), Value::Int64(8), "integer sums are int64");
    assert_eq!(at("clips.@sum.pinned", work), Value::Int64(1), "bools sum as integers");
    assert_eq!(at("clips.@sum.score", work), Value::Double(4.0));
    assert_eq!(at("clips.@sum.score", empty), Value::Int64(0));
    assert_eq!(at("clips.@sum.score", nameless), Value::Int64(0), "only nulls sum to Int64(0)");
    assert_eq!(at("clips.@sum.price", work), dec("3.75"), "decimals sum exactly");
    assert_eq!(at("clips.@avg.price", work), dec("1.875"));
    assert_eq!(at("clips.@avg.visits", work), Value::Double(15.0));
    assert_eq!(at("clips.@avg.score", empty), Value::Null);
    assert_eq!(at("clips.@min.rating", work), Value::Int16(3), "min and max keep the attribute type");
    assert_eq!(at("clips.@max.created", work), Value::Date("2024-06-01T12:00:00Z".parse::<Date>().unwrap()));
    assert_eq!(at("clips.@min.title", nameless), Value::Null);
}

#[test]
fn integer_sum_overflow_is_an_error() {
    let g = TestGraph::clips();
    let folder = g.insert("Folder", Vec::<(&str, Value)>::new());
    for visits in [i64::MAX, 1] {
        g.insert("Clip", [("visits", Value::Int64(visits))]).set_to_one("folder", Some(&folder));
    }
    let p = Predicate::parse("clips.@sum.visits > 0").unwrap();
    assert!(matches!(p.evaluate(&folder), Err(EvalError::IntegerOverflow { operator: "@sum", .. })));
    // An average totals without overflowing.
    let p = Predicate::parse("clips.@avg.visits > 0").unwrap();
    assert_eq!(p.evaluate(&folder), Ok(true));
}

#[test]
fn float_sums_are_compensated_like_sqlite() {
    let g = TestGraph::clips();
    let folder = g.insert("Folder", Vec::<(&str, Value)>::new());
    for score in [1e16, 1.0, -1e16] {
        g.insert("Clip", [("score", Value::Double(score))]).set_to_one("folder", Some(&folder));
    }
    // Naive left-to-right summation loses the 1.0; SQLite's sum() does not.
    let p = Predicate::parse("clips.@sum.score == 1").unwrap();
    assert_eq!(p.evaluate(&folder), Ok(true));
}

#[test]
fn subqueries_with_outer_references() {
    let f = fixture();
    assert_eq!(f.ids("SUBQUERY(tags, $t, $t.name BEGINSWITH 'r').@count > 0"), [1, 2]);
    assert_eq!(f.ids("SUBQUERY(tags, $t, $t.name BEGINSWITH 'r').@count == 0"), [3, 4]);
    // Plain keys inside the subquery refer to the evaluated clip: clips whose folder holds
    // a clip with a higher score than their own.
    assert_eq!(f.ids("SUBQUERY(folder.clips, $c, $c.score > score).@count == 1"), [1]);
    assert_eq!(f.ids("SUBQUERY(folder.clips, $c, $c == nil).@count == 0"), [1, 2, 3, 4]);
    assert_eq!(f.ids("SUBQUERY(folder.clips, $c, $c.title == nil).@count > 0"), [4]);
    // Nested: clips with a tag that is also on a pinned clip.
    assert_eq!(
        f.ids("SUBQUERY(tags, $t, SUBQUERY($t.clips, $c, $c.pinned == YES).@count > 0).@count > 0"),
        [1, 2]
    );
    // An inner variable of the same name shadows the outer one.
    assert_eq!(
        f.ids("SUBQUERY(tags, $x, SUBQUERY($x.clips, $x, $x.visits == 20).@count > 0).@count > 0"),
        [1, 2]
    );
    assert_eq!(f.ids("SUBQUERY(folder.clips, $c, $c.visits > 0).@sum.visits == 30"), [1, 2]);
    assert_eq!(f.ids("SUBQUERY(folder.clips, $c, $c.visits > 10).@min.title == 'café'"), [1, 2]);
}

#[test]
fn in_lists_and_between() {
    let f = fixture();
    assert_eq!(f.ids("title IN {'café', 'CAFE'}"), [2, 3]);
    assert_eq!(f.ids("title IN[c] {'cafe'}"), [3]);
    assert_eq!(f.ids("title IN[cd] {'cafe', 'x'}"), [2, 3]);
    assert_eq!(f.ids("visits IN {10, 20.0}"), [1, 2]);
    assert_eq!(f.ids("visits IN {}"), Vec::<i64>::new());
    assert_eq!(f.ids("NOT visits IN {10}"), [2, 3, 4]);
    assert_eq!(f.ids("rating IN {visits, 5}"), [2, 3], "nil equals nil");
    assert_eq!(f.ids("score BETWEEN {1.5, 2.5}"), [1, 2], "BETWEEN is inclusive");
    assert_eq!(f.ids("score BETWEEN {1.6, 2.5}"), [2]);
    assert_eq!(f.ids("score BETWEEN {2.5, 1.5}"), Vec::<i64>::new());
    assert_eq!(f.ids("rating BETWEEN {visits, 100}"), Vec::<i64>::new());
    assert_eq!(f.ids("created BETWEEN {'2023-12-31T00:00:00Z', '2024-01-02T00:00:00Z'}"), [1]);
    assert_eq!(f.ids("title BETWEEN[c] {'c', 'd'}"), [2, 3]);
    assert_eq!(f.ids("2 BETWEEN {rating, 4}"), [4]);
    let p = Predicate::parse_with("visits IN %@", &[strata_predicate::Argument::List(vec![20_i64.into()])])
        .unwrap();
    assert_eq!(matching_ids(&p.check(&f.model, f.clip).unwrap(), &f.clips), [2]);
}

#[test]
fn other_attribute_types() {
    let f = fixture();
    assert_eq!(f.ids(&format!("uuid == '{U1}'")), [1]);
    assert_eq!(f.ids(&format!("uuid != '{}'", Uuid::nil())), [1, 2, 3, 4]);
    assert_eq!(f.ids("created > '2024-03-01T00:00:00Z'"), [2]);
    assert_eq!(
        f.ids("created < CAST(757382400, \"NSDate\")"),
        [1, 2],
        "2025-01-01 is 757382400 s after 2001"
    );
    assert_eq!(f.ids("created < CAST(725846400, \"NSDate\")"), [1], "2024-01-02");
    assert_eq!(f.ids("meta == nil"), [2, 3, 4]);
    assert_eq!(f.ids("meta != nil"), [1]);
    assert_eq!(f.ids("thumbnail != nil"), [1]);
    let bytes = strata_predicate::Argument::Value(Value::Binary(vec![1, 2, 3]));
    let p = Predicate::parse_with("thumbnail == %@", &[bytes]).unwrap();
    assert_eq!(matching_ids(&p.check(&f.model, f.clip).unwrap(), &f.clips), [1]);
}

#[test]
fn self_logic_and_constants() {
    let f = fixture();
    assert_eq!(f.ids("SELF.title == 'café'"), [2]);
    assert_eq!(f.ids("SELF != nil"), [1, 2, 3, 4]);
    assert_eq!(f.ids("SELF == nil"), Vec::<i64>::new());
    assert_eq!(f.ids("TRUEPREDICATE"), [1, 2, 3, 4]);
    assert_eq!(f.ids("FALSEPREDICATE"), Vec::<i64>::new());
    assert_eq!(f.ids("NOT FALSEPREDICATE && !(title == nil)"), [1, 2, 3]);
    assert_eq!(f.ids("visits == 10 || visits == 20 AND pinned == NO"), [1, 2]);
    assert_eq!(f.ids("(visits == 10 OR visits == 20) AND pinned == NO"), [2]);
    assert_eq!(f.ids("1 < 2"), [1, 2, 3, 4]);
    assert_eq!(f.ids("'a' > 'b'"), Vec::<i64>::new());
}

#[test]
fn evaluation_errors_are_errors_not_panics() {
    let f = fixture();
    assert_eq!(f.eval_error("nosuch == 1"), EvalError::UnknownKey { key: "nosuch".into() });
    assert_eq!(f.eval_error("nosuch == 1").to_string(), r#"object has no key "nosuch""#);
    assert!(matches!(f.eval_error("$x == 1"), EvalError::UnboundVariable { ref name, .. } if name == "x"));
    assert_eq!(f.eval_error("$x == 1").to_string(), "variable $x is not bound at 0");
    assert!(matches!(f.eval_error("title.length == 1"), EvalError::KeyAfterValue { .. }));
    assert!(matches!(f.eval_error("folder == 'x'"), EvalError::ObjectComparison { .. }));
    assert!(matches!(
        f.eval_error("title.@count == 1"),
        EvalError::NotACollection { needed_by: "@count", .. }
    ));
    assert!(matches!(f.eval_error("title IN 'abc'"), EvalError::NotACollection { needed_by: "IN", .. }));
    assert!(matches!(f.eval_error("tags.@sum.name == 1"), EvalError::NotNumeric { found: "string", .. }));
    assert!(matches!(f.eval_error("tags.@sum == 1"), EvalError::InvalidAggregateKey { .. }));
    assert!(matches!(f.eval_error("tags.@sum.clips == 1"), EvalError::InvalidAggregateKey { .. }));
    // A MATCHES pattern read from the data is only known when evaluating.
    let g = TestGraph::clips();
    let clip = g.insert("Clip", [("title", Value::from("(unclosed"))]);
    let p = Predicate::parse("'abc' MATCHES title").unwrap().check(&fixture().model, f.clip).unwrap();
    let e = p.evaluate(&clip).unwrap_err();
    assert!(matches!(&e, EvalError::InvalidRegex { pattern, .. } if pattern == "(unclosed"), "{e}");
    assert!(e.to_string().starts_with("invalid regular expression \"(unclosed\": "), "{e}");
}
