//! Fetches and look-ups beyond the conformance suite: a differential comparison with the
//! reference `MemoryStore` on predicates and sorts SQL cannot fully express (decimals,
//! polymorphic and one-to-one relationships), query plans, and batched look-ups.

use std::sync::Arc;

use strata_core::memory_store::MemoryStore;
use strata_core::store::{DeletedRow, SaveRequest, StoreFetchResult, StoreResultType, ToManyChange};
use strata_core::{ObjectId, StoreError};
use strata_model::{Decimal, Value};

use crate::support::{LIBRARY, Lib, create_lib, keys, model};

fn dec(text: &str) -> Value {
    Value::Decimal(text.parse::<Decimal>().expect("decimal"))
}

/// Fills a library store; the same saves give the same keys in every store.
fn fill(lib: &Lib) -> Vec<ObjectId> {
    let shelves = lib.insert(
        ["A", "B", "C"].iter().map(|n| lib.row_linked("Shelf", &[("name", Value::from(*n))], &[])).collect(),
    );
    let labels = lib.insert(
        ["new", "old", "rare"]
            .iter()
            .map(|n| lib.row_linked("Label", &[("name", Value::from(*n))], &[]))
            .collect(),
    );
    let items = [
        ("Book", "The Hobbit", "h1", dec("12.50"), Value::Int64(3), Some(0)),
        ("Book", "the road", "r1", Value::Null, Value::Int64(5), Some(1)),
        ("Book", "Atlas", "a1", dec("7.25"), Value::Int64(2), None),
        ("Book", "Zen", "z1", dec("12.5"), Value::Int64(4), Some(0)),
        ("Disc", "Dark Side", "d1", dec("9.99"), Value::Int64(1), Some(0)),
        ("Disc", "Blue", "b1", dec("25"), Value::Null, Some(1)),
        ("Disc", "Echoes", "e1", dec("-3"), Value::Int64(6), Some(1)),
    ];
    let rows = items
        .iter()
        .map(|(entity, title, code, price, rank, shelf)| {
            let mut values =
                vec![("title", Value::from(*title)), ("code", Value::from(*code)), ("price", price.clone())];
            values.push(("rank", rank.clone()));
            if *entity == "Book" {
                values.push(("pages", Value::Int32(title.len() as i32 * 40)));
            } else {
                values.push(("minutes", Value::Double(title.len() as f64 * 1.5)));
            }
            let to_one: Vec<(&str, ObjectId)> = shelf.iter().map(|&s| ("shelf", shelves[s])).collect();
            lib.row_linked(entity, &values, &to_one)
        })
        .collect();
    let items = lib.insert(rows);
    let (item_labels, label_items) = (lib.relationship("Item", "labels"), lib.relationship("Label", "items"));
    let mut changes = Vec::new();
    for (i, l) in [(0, 0), (0, 2), (4, 1), (5, 2), (3, 0), (6, 1), (6, 2)] {
        changes.push(ToManyChange {
            source: items[i],
            relationship: item_labels,
            added: vec![labels[l]],
            removed: vec![],
        });
        changes.push(ToManyChange {
            source: labels[l],
            relationship: label_items,
            added: vec![items[i]],
            removed: vec![],
        });
    }
    lib.store.save(&SaveRequest { to_many: changes, ..Default::default() }).expect("links");
    let favourite = lib.relationship("Shelf", "favourite");
    let updates = [(0, 4), (1, 1)]
        .iter()
        .map(|&(s, i)| strata_core::store::UpdatedRow {
            id: shelves[s],
            expected_version: 1,
            values: vec![],
            to_one: vec![(favourite, Some(items[i]))],
        })
        .collect();
    lib.store.save(&SaveRequest { updated: updates, ..Default::default() }).expect("favourites");
    let badges = lib.insert(vec![
        lib.row_linked("Badge", &[("number", Value::Int64(7))], &[]),
        lib.row_linked("Badge", &[("number", Value::Int64(8))], &[]),
    ]);
    let ada = lib.row_linked("Person", &[("name", Value::from("Ada"))], &[("badge", badges[0])]);
    let bob = lib.row_linked("Person", &[("name", Value::from("Bob"))], &[]);
    let mut badge = lib.row_linked("Badge", &[("number", Value::Int64(9))], &[]);
    badge.to_one[lib.relationship("Badge", "holder")] = Some(bob.id);
    let mut bob = bob;
    bob.to_one[lib.relationship("Person", "badge")] = Some(badge.id);
    // Both sides of each one-to-one link, as a context sends them.
    let holder = lib.relationship("Badge", "holder");
    let link_ada = strata_core::store::UpdatedRow {
        id: badges[0],
        expected_version: 1,
        values: vec![],
        to_one: vec![(holder, Some(ada.id))],
    };
    let saved = lib
        .store
        .save(&SaveRequest { inserted: vec![ada, bob, badge], updated: vec![link_ada], ..Default::default() })
        .expect("people and badges");
    let people: Vec<ObjectId> = saved.permanent_ids.iter().map(|(_, p)| *p).collect();
    let mut all = shelves;
    all.extend(labels);
    all.extend(items);
    all.extend(people);
    all
}

const CASES: &[(&str, &str, &str)] = &[
    ("Item", "price > 10", ""),
    ("Item", "price == nil", "title asc"),
    ("Item", "rank > 1 AND price < 20", "rank desc"),
    ("Item", "price > 5 OR rank == 1", "price asc"),
    ("Item", "NOT (price BETWEEN {5, 15})", "price desc, title asc"),
    ("Item", "shelf.name == 'A' AND price >= 9.99", ""),
    ("Item", "ANY labels.name == 'rare'", "shelf.name asc, price desc"),
    ("Item", "labels.@count >= 1 AND price != nil", "title:ci asc"),
    ("Item", "SUBQUERY(labels, $l, $l.name BEGINSWITH 'n').@count > 0", ""),
    ("Item", "shelf.items.@count > 2", "price asc"),
    ("Item", "title CONTAINS[c] 'the'", "rank asc"),
    ("Item", "", "price desc"),
    ("Item", "", "shelf.name desc, rank asc"),
    ("Book", "pages > 100 AND price > 1", "price asc"),
    ("Disc", "minutes < 8", "title desc"),
    ("Shelf", "favourite.price > 1", ""),
    ("Shelf", "ANY items.price > 20", "name desc"),
    ("Shelf", "items.@sum.price > 30", ""),
    ("Shelf", "favourite.title BEGINSWITH 'D' OR favourite == nil", "favourite.title asc"),
    ("Shelf", "", "favourite.price desc"),
    ("Person", "badge.number == 7", ""),
    ("Person", "badge == nil", ""),
    ("Person", "", "badge.number desc"),
    ("Badge", "holder.name == 'Ada' OR holder == nil", "number desc"),
];

#[test]
fn fetches_agree_with_the_memory_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (sqlite, _, _) = create_lib(dir.path(), "library.sqlite");
    let memory_model = model(LIBRARY);
    let memory = Lib { store: Arc::new(MemoryStore::new(memory_model.clone())), model: memory_model };
    assert_eq!(keys(&fill(&sqlite)), keys(&fill(&memory)), "the same saves give the same keys");
    for &(entity, predicate, sort) in CASES {
        for (offset, limit) in [(0, None), (1, Some(2)), (3, None), (0, Some(0)), (10, Some(5))] {
            for result in [StoreResultType::Ids, StoreResultType::Count, StoreResultType::Snapshots] {
                let answer = |lib: &Lib| {
                    let mut request = lib.request(entity, predicate, sort);
                    (request.offset, request.limit, request.result) = (offset, limit, result.clone());
                    match lib.store.fetch(&request).expect("fetch") {
                        StoreFetchResult::Ids(ids) => format!("{:?}", keys(&ids)),
                        StoreFetchResult::Count(n) => n.to_string(),
                        StoreFetchResult::Rows(rows) => format!("{rows:?}"),
                        StoreFetchResult::Snapshots(rows) => rows
                            .iter()
                            .map(|s| {
                                let to_one: Vec<_> =
                                    s.to_one().iter().map(|d| d.map(|d| keys(&[d]))).collect();
                                // Stores keep decimals normalized (`12.50` reads back as `12.5`).
                                let values: Vec<Value> = s
                                    .values()
                                    .iter()
                                    .map(|v| match v {
                                        Value::Decimal(d) => Value::Decimal(d.normalize()),
                                        other => other.clone(),
                                    })
                                    .collect();
                                format!("{:?} v{} {values:?} {to_one:?}", keys(&[s.id()]), s.version())
                            })
                            .collect::<Vec<_>>()
                            .join("\n"),
                    }
                };
                assert_eq!(
                    answer(&sqlite),
                    answer(&memory),
                    "{entity} where {predicate:?} sorted by {sort:?}, offset {offset}, limit {limit:?}, \
                     {result:?}"
                );
            }
        }
    }
    // A sample answer spelled out, so agreement is not agreement on nothing.
    let pricey = sqlite.fetch("Item", "price > 10", "price desc, title asc");
    let titles: Vec<Value> = pricey
        .iter()
        .map(|&id| sqlite.snapshot(id).values()[sqlite.attribute("Item", "title")].clone())
        .collect();
    assert_eq!(titles, ["Blue", "The Hobbit", "Zen"].map(Value::from));
}

#[test]
fn indexed_predicates_use_their_index() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (lib, sqlite, _) = create_lib(dir.path(), "plan.sqlite");
    fill(&lib);
    // Without statistics SQLite prefers a scan in key order to a range search plus a sort,
    // so the range case sorts by the indexed key.
    for (predicate, sort) in [("rank == 5", ""), ("rank BETWEEN {2, 3}", ""), ("rank > 5", "rank asc")] {
        let plan = sqlite.query_plan(&lib.request("Item", predicate, sort)).expect("plan").join("\n");
        assert!(
            plan.contains("USING INDEX Z_INDEX_Item_rank"),
            "{predicate} searches the rank index:\n{plan}"
        );
    }
    let plan = sqlite.query_plan(&lib.request("Book", "code == 'h1'", "")).expect("plan").join("\n");
    assert!(plan.contains("USING INDEX Z_UNIQUE_Item_code"), "code == searches its unique index:\n{plan}");
    let plan = sqlite.query_plan(&lib.request("Item", "title == 'x'", "")).expect("plan").join("\n");
    assert!(plan.contains("SCAN"), "an unindexed attribute scans:\n{plan}");
}

#[test]
fn snapshots_come_in_request_order_from_one_batch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (lib, _, _) = create_lib(dir.path(), "batch.sqlite");
    let rows = (0..1200).map(|i| lib.row_linked("Book", &[("rank", Value::Int64(i))], &[])).collect();
    let books = lib.insert(rows);
    let discs = lib.insert(vec![lib.row_linked("Disc", &[("title", Value::from("d"))], &[])]);
    let gone = books[7];
    lib.store
        .save(&SaveRequest {
            deleted: vec![DeletedRow { id: gone, expected_version: 1 }],
            ..Default::default()
        })
        .expect("delete");
    let mut ids: Vec<ObjectId> = books.iter().rev().copied().collect();
    ids.push(books[3]);
    ids.push(discs[0]);
    // The disc's key read as a book: the row exists, but not as that object.
    let disguised = ObjectId::permanent(
        books[0].store().expect("stored"),
        lib.entity("Book"),
        discs[0].primary_key().expect("key"),
    )
    .expect("positive key");
    ids.push(disguised);
    let found = lib.store.snapshots(&ids).expect("snapshots");
    assert_eq!(found.len(), ids.len());
    for (id, snapshot) in ids.iter().zip(&found) {
        match snapshot {
            Some(s) => assert_eq!(s.id(), *id),
            None => assert!(*id == gone || *id == disguised, "{id:?} exists"),
        }
    }
    assert!(found[ids.len() - 1].is_none() && found[ids.len() - 2].is_some());
    let rank = lib.attribute("Book", "rank");
    let mixed = lib.insert(vec![
        lib.row_linked("Disc", &[("rank", Value::Int64(-1))], &[]),
        lib.row_linked("Book", &[("rank", Value::Int64(-1))], &[]),
        lib.row_linked("Disc", &[("rank", Value::Int64(-1))], &[]),
    ]);
    assert_eq!(
        lib.fetch("Item", "rank == -1", ""),
        mixed,
        "unsorted results come in key order across entities"
    );
    assert_eq!(found[0].as_ref().expect("last book").values()[rank], Value::Int64(1199));
}

#[test]
fn related_objects_know_their_entities_and_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (lib, _, _) = create_lib(dir.path(), "related.sqlite");
    let all = fill(&lib);
    let (shelves, labels, items) = (&all[0..3], &all[3..6], &all[6..13]);
    let on_shelves = lib.store.related(shelves, lib.relationship("Shelf", "items")).expect("related");
    assert_eq!(
        on_shelves,
        vec![vec![items[0], items[3], items[4]], vec![items[1], items[5], items[6]], vec![]]
    );
    assert_eq!(on_shelves[0][2].entity(), lib.entity("Disc"), "a polymorphic destination keeps its entity");
    let labelled = lib.store.related(labels, lib.relationship("Label", "items")).expect("related");
    assert_eq!(
        labelled,
        vec![vec![items[0], items[3]], vec![items[4], items[6]], vec![items[0], items[5], items[6]]]
    );
    let item_labels =
        lib.store.related(&[items[0], items[4]], lib.relationship("Item", "labels")).expect("related");
    assert_eq!(item_labels, vec![vec![labels[0], labels[2]], vec![labels[1]]]);
    assert!(matches!(
        lib.store.related(shelves, lib.relationship("Shelf", "favourite")),
        Err(StoreError::Unsupported { .. })
    ));
    let favourite = lib.snapshot(shelves[1]).to_one()[lib.relationship("Shelf", "favourite")];
    assert_eq!(favourite, Some(items[1]));
    let badge = lib.snapshot(all[13]).to_one()[lib.relationship("Person", "badge")];
    assert_eq!(
        badge.map(|b| lib.snapshot(b).values()[0].clone()),
        Some(Value::Int64(7)),
        "the non-owner side reads the owner's column"
    );
}

#[test]
fn evaluation_errors_of_residuals_are_predicate_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (lib, _, _) = create_lib(dir.path(), "overflow.sqlite");
    let shelf = lib.insert(vec![lib.row_linked("Shelf", &[], &[])])[0];
    let huge = Value::Decimal(Decimal::MAX);
    lib.insert(
        (0..2).map(|_| lib.row_linked("Disc", &[("price", huge.clone())], &[("shelf", shelf)])).collect(),
    );
    let request = lib.request("Shelf", "items.@sum.price > 0", "");
    match lib.store.fetch(&request) {
        Err(StoreError::Predicate(e)) => assert!(e.to_string().contains("overflow"), "{e}"),
        other => panic!("a decimal sum beyond the range must fail as a predicate error, got {other:?}"),
    }
    assert_eq!(
        lib.fetch("Shelf", "items.@max.price > 0", ""),
        vec![shelf],
        "the residual path still answers"
    );
}
