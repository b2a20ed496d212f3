//! Unit tests of the fetched-results observer: the sorted list, the change reports of an
//! incremental pass and of a re-fetch diff, and the refused requests. The observer against
//! real contexts is tested in `tests/it/context/fetched_results*.rs`.

use strata_model::{EntityIndex, Value};
use strata_predicate::SortDescriptor;

use super::list::SortedList;
use super::{FetchedResults, FetchedResultsError, IndexPath, ResultChange, apply_incrementally, diff_lists};
use crate::object_id::IdMap;
use crate::{FetchRequest, ObjectId, StoreId};

fn id(key: i64) -> ObjectId {
    ObjectId::permanent(StoreId::from_uuid(strata_model::Uuid::from_u128(7)), EntityIndex(0), key)
        .unwrap_or_else(|| panic!("key {key} > 0"))
}

fn path(section: usize, row: usize) -> IndexPath {
    IndexPath { section, row }
}

/// Sorted by group ascending (the section key), then score descending.
fn sort() -> Vec<SortDescriptor> {
    vec![SortDescriptor::ascending("group"), SortDescriptor::descending("score")]
}

fn values(group: &str, score: i64) -> Vec<Value> {
    vec![Value::from(group), Value::Int64(score)]
}

fn layout(list: &SortedList) -> Vec<(Value, Vec<ObjectId>)> {
    list.sections().iter().map(|s| (s.name().clone(), s.objects().to_vec())).collect()
}

#[test]
fn the_list_sorts_sections_rows_and_ties_by_primary_key() {
    let members = vec![
        (id(3), values("b", 1)),
        (id(1), values("a", 1)),
        (id(2), values("b", 1)),
        (id(4), values("a", 9)),
    ];
    let list = SortedList::build(sort(), true, members);
    assert_eq!(
        layout(&list),
        vec![(Value::from("a"), vec![id(4), id(1)]), (Value::from("b"), vec![id(2), id(3)])]
    );
    assert_eq!(list.path_of(id(3)), Some(path(1, 1)));
    assert_eq!(list.path_of(id(9)), None);

    let flat = SortedList::build(sort(), false, vec![(id(3), values("b", 1)), (id(1), values("a", 1))]);
    assert_eq!(layout(&flat), vec![(Value::Null, vec![id(1), id(3)])]);
    let empty = SortedList::build(sort(), false, Vec::new());
    assert_eq!(
        layout(&empty),
        vec![(Value::Null, vec![])],
        "unsectioned results always have their one section"
    );
}

#[test]
fn inserting_and_removing_keep_sections_contiguous() {
    let mut list = SortedList::build(sort(), true, vec![(id(1), values("a", 1))]);
    list.insert(id(2), values("c", 5));
    list.insert(id(3), values("b", 5));
    list.insert(id(1), values("c", 9));
    assert_eq!(
        layout(&list),
        vec![(Value::from("b"), vec![id(3)]), (Value::from("c"), vec![id(1), id(2)])],
        "re-inserting a member moves it, and the emptied section goes"
    );
    list.remove(id(3));
    list.remove(id(3));
    assert_eq!(layout(&list), vec![(Value::from("c"), vec![id(1), id(2)])]);
    assert_eq!(list.len(), 2);
}

/// Applies `changes` to `old` as `ResultChange` documents.
fn apply(mut sections: Vec<(Value, Vec<ObjectId>)>, changes: &[ResultChange]) -> Vec<(Value, Vec<ObjectId>)> {
    let mut removals: Vec<IndexPath> = changes
        .iter()
        .filter_map(|c| match c {
            ResultChange::Delete { old, .. } | ResultChange::Move { old, .. } => Some(*old),
            _ => None,
        })
        .collect();
    removals.sort_by(|a, b| b.cmp(a));
    for p in removals {
        sections[p.section].1.remove(p.row);
    }
    let mut gone: Vec<usize> = changes
        .iter()
        .filter_map(
            |c| if let ResultChange::DeleteSection { section, .. } = c { Some(*section) } else { None },
        )
        .collect();
    gone.sort_by(|a, b| b.cmp(a));
    for s in gone {
        assert!(sections[s].1.is_empty(), "a deleted section is empty once its objects are removed");
        sections.remove(s);
    }
    for c in changes {
        if let ResultChange::InsertSection { section, name } = c {
            sections.insert(*section, (name.clone(), Vec::new()));
        }
    }
    let mut insertions: Vec<(IndexPath, ObjectId)> = changes
        .iter()
        .filter_map(|c| match c {
            ResultChange::Insert { object, new } | ResultChange::Move { object, new, .. } => {
                Some((*new, *object))
            }
            _ => None,
        })
        .collect();
    insertions.sort();
    for (p, object) in insertions {
        sections[p.section].1.insert(p.row, object);
    }
    sections
}

#[test]
fn an_incremental_pass_reports_every_kind_of_change() {
    let start = vec![
        (id(1), values("a", 5)),
        (id(2), values("a", 3)),
        (id(3), values("b", 7)),
        (id(4), values("c", 1)),
    ];
    let mut list = SortedList::build(sort(), true, start);
    let before = layout(&list);
    // 1 keeps its values (update), 2 moves to section c, 3 leaves (section b goes),
    // 5 joins in a new section d, 6 was never a member and still is not.
    let mut after: IdMap<Option<Vec<Value>>> = IdMap::default();
    after.insert(id(1), Some(values("a", 5)));
    after.insert(id(2), Some(values("c", 4)));
    after.insert(id(3), None);
    after.insert(id(5), Some(values("d", 0)));
    after.insert(id(6), None);
    let candidates = [id(1), id(2), id(3), id(5)];
    let changes = apply_incrementally(&mut list, &candidates, &mut after);
    assert_eq!(
        changes,
        vec![
            ResultChange::DeleteSection { section: 1, name: Value::from("b") },
            ResultChange::InsertSection { section: 2, name: Value::from("d") },
            ResultChange::Delete { object: id(3), old: path(1, 0) },
            ResultChange::Insert { object: id(5), new: path(2, 0) },
            ResultChange::Move { object: id(2), old: path(0, 1), new: path(1, 0) },
            ResultChange::Update { object: id(1), old: path(0, 0), new: path(0, 0) },
        ]
    );
    assert_eq!(apply(before, &changes), layout(&list));
}

#[test]
fn a_refetch_diff_reports_the_difference() {
    let old = SortedList::build(sort(), true, vec![(id(1), values("a", 5)), (id(2), values("b", 3))]);
    let new = SortedList::build(
        sort(),
        true,
        vec![(id(2), values("a", 1)), (id(1), values("a", 5)), (id(3), values("c", 0))],
    );
    let changes = diff_lists(&old, &new);
    assert_eq!(
        changes,
        vec![
            ResultChange::DeleteSection { section: 1, name: Value::from("b") },
            ResultChange::InsertSection { section: 1, name: Value::from("c") },
            ResultChange::Insert { object: id(3), new: path(1, 0) },
            ResultChange::Move { object: id(2), old: path(1, 0), new: path(0, 1) },
            ResultChange::Update { object: id(1), old: path(0, 0), new: path(0, 0) },
        ]
    );
    assert_eq!(apply(layout(&old), &changes), layout(&new));
}

#[test]
fn requests_the_observer_cannot_follow_are_refused() {
    let request = FetchRequest::new("Clip").sort([SortDescriptor::ascending("group")]);
    let paged = FetchedResults::new(request.clone().limit(10)).unwrap_err();
    assert_eq!(paged, FetchedResultsError::Paging { offset: 0, limit: Some(10) });
    assert!(paged.to_string().contains("limit (10)"), "{paged}");
    assert_eq!(
        FetchedResults::new(request.clone().offset(2)).unwrap_err(),
        FetchedResultsError::Paging { offset: 2, limit: None }
    );
    assert_eq!(FetchedResults::new(request.clone().distinct(true)).unwrap_err(), FetchedResultsError::Rows);
    let not_first = FetchedResults::sectioned(request.clone(), "score").unwrap_err();
    assert_eq!(
        not_first,
        FetchedResultsError::SectionKeyNotFirstSort {
            section_key_path: "score".into(),
            first_sort: Some("group".into())
        }
    );
    assert!(not_first.to_string().contains("first sort key is \"group\""), "{not_first}");
    let unsorted = FetchedResults::sectioned(FetchRequest::new("Clip"), "group").unwrap_err();
    assert!(unsorted.to_string().contains("has no sort key"), "{unsorted}");
    let folded = FetchRequest::new("Clip").sort([SortDescriptor::ascending("group").case_insensitive()]);
    assert!(matches!(
        FetchedResults::sectioned(folded, "group"),
        Err(FetchedResultsError::SectionSortTiesDistinctValues { .. })
    ));
    let localized = FetchRequest::new("Clip").sort([SortDescriptor::ascending("group").localized()]);
    let results = FetchedResults::sectioned(localized, "group").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(results.section_key_path(), Some("group"));
    assert!(!results.is_fetched());
    assert!(results.sections().is_empty());
}

#[test]
fn results_move_with_their_context_to_another_thread() {
    fn send<T: Send>() {}
    send::<FetchedResults>();
    send::<ResultChange>();
}
