//! Conformance checks of fetching: predicate semantics, sorting, paging, counting and
//! sub-entities. Expected answers are written out by hand from `docs/predicates.md`.

use strata_model::{Date, Value};

use super::{Fixture, StoreFactory};
use crate::ObjectId;
use crate::store::{SaveRequest, StoreFetchResult, StoreResultType, ToManyChange};

/// Five notes, two folders, two tags:
///
/// | note | title | rank | weight | flag | created | folder | tags |
/// |---|---|---|---|---|---|---|---|
/// | 0 | "Apple pie" | 3 | 1.5 | true | 2020 | Kitchen | sweet |
/// | 1 | "apple Crème" | 1 | nil | false | 2021 | Kitchen | sweet, french |
/// | 2 | "Banana" | nil | 2.25 | nil | nil | Garden | — |
/// | 3 | "STRASSE" | 2 | -1 | true | 2022 | — | french |
/// | 4 | "cherry" | 5 | 0 | false | 2023 | — | — |
pub(super) struct Data {
    pub(super) f: Fixture,
    pub(super) notes: Vec<ObjectId>,
}

pub(super) fn data(factory: StoreFactory<'_>) -> Data {
    let f = Fixture::new(factory);
    let year = |y: i64| Value::Date(Date::from_unix_micros((y - 1970) * 365 * 86_400_000_000));
    let rows = [
        ("Apple pie", Value::Int64(3), Value::Double(1.5), Value::Bool(true), year(2020)),
        ("apple Crème", Value::Int64(1), Value::Null, Value::Bool(false), year(2021)),
        ("Banana", Value::Null, Value::Double(2.25), Value::Null, Value::Null),
        ("STRASSE", Value::Int64(2), Value::Double(-1.0), Value::Bool(true), year(2022)),
        ("cherry", Value::Int64(5), Value::Double(0.0), Value::Bool(false), year(2023)),
    ];
    let kitchen = f.row("Folder", &[("name", "Kitchen".into())]);
    let garden = f.row("Folder", &[("name", "Garden".into())]);
    let folder = f.relationship("Note", "folder");
    let mut inserted = Vec::new();
    for (i, (title, rank, weight, flag, created)) in rows.into_iter().enumerate() {
        let mut row = f.row(
            "Note",
            &[
                ("title", title.into()),
                ("rank", rank),
                ("weight", weight),
                ("flag", flag),
                ("created", created),
            ],
        );
        row.to_one[folder] = match i {
            0 | 1 => Some(kitchen.id),
            2 => Some(garden.id),
            _ => None,
        };
        inserted.push(row);
    }
    inserted.push(kitchen);
    inserted.push(garden);
    let mut ids = f.insert(inserted);
    ids.truncate(5);
    let tags =
        f.insert(vec![f.row("Tag", &[("name", "sweet".into())]), f.row("Tag", &[("name", "french".into())])]);
    let (note_tags, tag_notes) = (f.relationship("Note", "tags"), f.relationship("Tag", "notes"));
    let links = [(0, 0), (1, 0), (1, 1), (3, 1)];
    let mut changes = Vec::new();
    for (n, t) in links {
        changes.push(ToManyChange {
            source: ids[n],
            relationship: note_tags,
            added: vec![tags[t]],
            removed: vec![],
        });
        changes.push(ToManyChange {
            source: tags[t],
            relationship: tag_notes,
            added: vec![ids[n]],
            removed: vec![],
        });
    }
    f.store.save(&SaveRequest { to_many: changes, ..Default::default() }).expect("links save");
    Data { f, notes: ids }
}

impl Data {
    fn expect(&self, predicate: &str, expected: &[usize]) {
        let mut got = self.f.fetch("Note", predicate, "");
        got.sort();
        let mut want: Vec<ObjectId> = expected.iter().map(|&i| self.notes[i]).collect();
        want.sort();
        let index = |ids: &[ObjectId]| {
            ids.iter().map(|id| self.notes.iter().position(|n| n == id)).collect::<Vec<_>>()
        };
        assert_eq!(index(&got), index(&want), "notes matching {predicate:?}");
    }

    fn expect_sorted(&self, sort: &str, expected: &[usize]) {
        let got = self.f.fetch("Note", "", sort);
        let want: Vec<ObjectId> = expected.iter().map(|&i| self.notes[i]).collect();
        assert_eq!(got, want, "notes sorted by {sort:?}");
    }
}

pub(super) fn predicates(factory: StoreFactory<'_>) {
    let d = data(factory);
    d.expect("TRUEPREDICATE", &[0, 1, 2, 3, 4]);
    d.expect("FALSEPREDICATE", &[]);
    d.expect("rank > 2", &[0, 4]);
    d.expect("NOT rank > 2", &[1, 2, 3]);
    d.expect("rank == nil", &[2]);
    d.expect("rank != 3", &[1, 2, 3, 4]);
    d.expect("weight BETWEEN {0, 2}", &[0, 4]);
    d.expect("rank IN {1, 5, 9}", &[1, 4]);
    d.expect("flag == YES", &[0, 3]);
    d.expect("flag == NO OR flag == nil", &[1, 2, 4]);
    d.expect("title BEGINSWITH 'apple'", &[1]);
    d.expect("title BEGINSWITH[c] 'apple'", &[0, 1]);
    d.expect("title CONTAINS[cd] 'creme'", &[1]);
    d.expect("title ==[c] 'strasse'", &[3]);
    d.expect("title ==[c] 'straße'", &[3]);
    d.expect("title LIKE '*an?na'", &[2]);
    d.expect("title MATCHES '[A-Z].*'", &[0, 2, 3]);
    d.expect("title ENDSWITH[c] 'E'", &[0, 1, 3]);
    d.expect("created > '2021-06-01T00:00:00Z'", &[3, 4]);
    d.expect("folder.name == 'Kitchen'", &[0, 1]);
    d.expect("folder == nil", &[3, 4]);
    d.expect("ANY tags.name == 'french'", &[1, 3]);
    d.expect("tags.@count == 0", &[2, 4]);
    d.expect("ALL tags.name == 'sweet'", &[0, 2, 4]);
    d.expect("NONE tags.name == 'sweet'", &[2, 3, 4]);
    d.expect("SUBQUERY(tags, $t, $t.name BEGINSWITH 'f').@count > 0 AND rank < 2", &[1]);
    d.expect("folder.notes.@count == 2", &[0, 1]);
    d.expect("folder.notes.@sum.rank == 4", &[0, 1]);
    d.expect("(rank > 1 AND flag == YES) OR title == 'cherry'", &[0, 3, 4]);
}

pub(super) fn sorting_and_paging(factory: StoreFactory<'_>) {
    let d = data(factory);
    d.expect_sorted("rank asc", &[2, 1, 3, 0, 4]);
    d.expect_sorted("rank desc", &[4, 0, 3, 1, 2]);
    d.expect_sorted("title asc", &[0, 2, 3, 1, 4]);
    // Folded: "apple crème" < "apple pie" < "banana" < "cherry" < "strasse".
    d.expect_sorted("title:ci asc", &[1, 0, 2, 4, 3]);
    d.expect_sorted("flag desc, rank asc", &[3, 0, 1, 4, 2]);
    d.expect_sorted("folder.name asc, rank desc", &[4, 3, 2, 0, 1]);
    let mut request = d.f.request("Note", "", "rank asc");
    request.offset = 1;
    request.limit = Some(2);
    assert_eq!(d.f.ids(&request), vec![d.notes[1], d.notes[3]], "offset and limit apply after sorting");
    request.result = StoreResultType::Count;
    assert_eq!(
        d.f.store.fetch(&request).expect("count"),
        StoreFetchResult::Count(2),
        "count honours the page"
    );
    let mut all = d.f.request("Note", "rank > 1", "");
    all.result = StoreResultType::Snapshots;
    match d.f.store.fetch(&all).expect("snapshots") {
        StoreFetchResult::Snapshots(rows) => {
            assert_eq!(rows.len(), 3);
            assert!(rows.windows(2).all(|w| w[0].id() < w[1].id()), "unsorted results come in key order");
        }
        other => panic!("asked for snapshots, got {other:?}"),
    }
}

pub(super) fn subentities(factory: StoreFactory<'_>) {
    let f = Fixture::new(factory);
    let ids = f.insert(vec![
        f.row("Circle", &[("name", "c1".into()), ("radius", Value::Double(1.0))]),
        f.row("Square", &[("name", "s1".into()), ("side", Value::Double(2.0))]),
        f.row("Circle", &[("name", "c2".into()), ("radius", Value::Double(3.0))]),
    ]);
    assert_eq!(
        f.fetch("Shape", "", "name asc"),
        vec![ids[0], ids[2], ids[1]],
        "fetching the abstract parent returns every sub-entity's objects"
    );
    assert_eq!(f.fetch("Shape", "", ""), ids, "unsorted results across a hierarchy come in key order");
    assert_eq!(f.fetch("Shape", "", "name:ci desc"), vec![ids[1], ids[2], ids[0]]);
    assert_eq!(f.fetch("Circle", "radius > 2", ""), vec![ids[2]]);
    let mut only = f.request("Shape", "name BEGINSWITH 's'", "");
    only.include_subentities = false;
    assert!(f.ids(&only).is_empty(), "without sub-entities an abstract entity has no objects");
    let distinct: std::collections::HashSet<i64> = ids.iter().filter_map(|id| id.primary_key()).collect();
    assert_eq!(distinct.len(), 3, "keys are unique across a hierarchy");
}
