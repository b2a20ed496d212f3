//! Saves beyond the conformance suite: one-to-one links sent for one side, uniqueness
//! errors naming constraint and colliding row, values fitted to their attributes, and
//! refused saves leaving nothing behind.

use std::time::Instant;

use strata_core::store::{DeletedRow, SaveRequest, ToManyChange, UpdatedRow};
use strata_core::{ObjectId, StoreError};
use strata_model::{Decimal, Value};

use crate::support::create_lib;

fn update(
    id: ObjectId,
    version: u64,
    values: Vec<(usize, Value)>,
    to_one: Vec<(usize, Option<ObjectId>)>,
) -> UpdatedRow {
    UpdatedRow { id, expected_version: version, values, to_one }
}

#[test]
fn one_to_one_links_sent_for_the_non_owner_side_reach_the_owner() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (lib, _, _) = create_lib(dir.path(), "partners.sqlite");
    let (badge, holder) = (lib.relationship("Person", "badge"), lib.relationship("Badge", "holder"));
    let badges = lib.insert(vec![lib.row_linked("Badge", &[], &[]), lib.row_linked("Badge", &[], &[])]);
    let person = lib.insert(vec![lib.row_linked("Person", &[("name", Value::from("Ada"))], &[])])[0];
    let save = |request: SaveRequest| lib.store.save(&request).expect("save");

    let result = save(SaveRequest {
        updated: vec![update(person, 1, vec![], vec![(badge, Some(badges[0]))])],
        ..Default::default()
    });
    assert_eq!(lib.snapshot(badges[0]).to_one()[holder], Some(person), "the owner's column was written");
    assert_eq!(lib.snapshot(person).to_one()[badge], Some(badges[0]));
    assert_eq!(
        result.versions,
        vec![(person, 2), (badges[0], 2)],
        "the partner row's new version is reported"
    );

    save(SaveRequest {
        updated: vec![update(person, 2, vec![], vec![(badge, Some(badges[1]))])],
        ..Default::default()
    });
    assert_eq!(lib.snapshot(badges[0]).to_one()[holder], None, "the old partner let go");
    assert_eq!(lib.snapshot(badges[0]).version(), 3);
    assert_eq!(lib.snapshot(badges[1]).to_one()[holder], Some(person));

    let newcomer = lib.row_linked("Person", &[("name", Value::from("Bob"))], &[("badge", badges[1])]);
    let bob = lib.insert(vec![newcomer])[0];
    assert_eq!(lib.snapshot(badges[1]).to_one()[holder], Some(bob), "an inserted partner takes the badge");
    assert_eq!(lib.snapshot(person).to_one()[badge], None, "and the former holder reads as having none");

    // Both sides sent, as a context does: the owner's side decides, each row moves once.
    let both = SaveRequest {
        updated: vec![
            update(bob, 1, vec![], vec![(badge, None)]),
            update(badges[1], 3, vec![], vec![(holder, None)]),
        ],
        ..Default::default()
    };
    let result = save(both);
    assert_eq!(result.versions, vec![(bob, 2), (badges[1], 4)]);
    assert_eq!(lib.snapshot(badges[1]).to_one()[holder], None);
}

fn uniqueness(
    result: Result<strata_core::store::SaveResult, StoreError>,
) -> (String, Vec<String>, ObjectId, Option<ObjectId>) {
    match result {
        Err(StoreError::Uniqueness { entity, properties, id, existing }) => {
            (entity, properties, id, existing)
        }
        other => panic!("expected a uniqueness error, got {other:?}"),
    }
}

#[test]
fn uniqueness_errors_name_the_constraint_and_the_stored_object() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (lib, _, _) = create_lib(dir.path(), "unique.sqlite");
    let code = lib.attribute("Item", "code");
    let books = lib.insert(vec![
        lib.row_linked("Book", &[("code", Value::from("x")), ("isbn", Value::from("978"))], &[]),
        lib.row_linked("Book", &[("code", Value::from("y"))], &[]),
    ]);
    let disc = lib.row_linked("Disc", &[("code", Value::from("x"))], &[]);
    let disc_id = disc.id;
    let shelf = lib.row_linked("Shelf", &[], &[]);
    let refused = lib.store.save(&SaveRequest { inserted: vec![shelf, disc], ..Default::default() });
    assert_eq!(
        uniqueness(refused),
        ("Item".into(), vec!["code".into()], disc_id, Some(books[0])),
        "inherited constraint"
    );
    let twin = lib.row_linked("Book", &[("isbn", Value::from("978"))], &[]);
    let twin_id = twin.id;
    let refused = lib.store.save(&SaveRequest { inserted: vec![twin], ..Default::default() });
    assert_eq!(uniqueness(refused), ("Book".into(), vec!["isbn".into()], twin_id, Some(books[0])));
    let clash = update(books[1], 1, vec![(code, Value::from("x"))], vec![]);
    let refused = lib.store.save(&SaveRequest { updated: vec![clash], ..Default::default() });
    assert_eq!(
        uniqueness(refused),
        ("Item".into(), vec!["code".into()], books[1], Some(books[0])),
        "an update"
    );
    let pair = vec![
        lib.row_linked("Disc", &[("code", Value::from("p"))], &[]),
        lib.row_linked("Book", &[("code", Value::from("p"))], &[]),
    ];
    let second = pair[1].id;
    let refused = lib.store.save(&SaveRequest { inserted: pair, ..Default::default() });
    let (_, _, id, existing) = uniqueness(refused);
    assert_eq!(
        (id, existing),
        (second, None),
        "two new rows collide: the second is named, nothing stored is"
    );
    assert_eq!(lib.count("Item", ""), 2, "refused saves stored nothing");
    assert_eq!(lib.count("Shelf", ""), 0);
    assert_eq!(lib.snapshot(books[1]).version(), 1);
}

#[test]
fn a_unique_value_can_move_to_a_new_row_in_one_save() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (lib, _, _) = create_lib(dir.path(), "move.sqlite");
    let code = lib.attribute("Item", "code");
    let old = lib.insert(vec![lib.row_linked("Book", &[("code", Value::from("x"))], &[])])[0];
    let request = SaveRequest {
        inserted: vec![lib.row_linked("Disc", &[("code", Value::from("x"))], &[])],
        updated: vec![update(old, 1, vec![(code, Value::from("retired"))], vec![])],
        ..Default::default()
    };
    lib.store.save(&request).expect("the update frees the value before the insert takes it");
    assert_eq!(
        lib.fetch("Item", "code == 'x'", "").iter().map(|id| id.entity()).collect::<Vec<_>>(),
        vec![lib.entity("Disc")]
    );
}

#[test]
fn values_are_fitted_to_their_attributes_or_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (lib, _, _) = create_lib(dir.path(), "values.sqlite");
    let book = lib.row_linked("Book", &[("pages", Value::Int64(300)), ("price", Value::Int64(3))], &[]);
    let id = lib.insert(vec![book])[0];
    let snapshot = lib.snapshot(id);
    assert_eq!(
        snapshot.values()[lib.attribute("Book", "pages")],
        Value::Int32(300),
        "an int64 fits an int32"
    );
    assert_eq!(snapshot.values()[lib.attribute("Book", "price")], Value::Decimal(Decimal::from(3)));
    for (attribute, value) in [
        ("pages", Value::Int64(1 << 40)),
        ("title", Value::Int64(7)),
        ("minutes", Value::Double(f64::NAN)),
        ("rank", Value::from("seven")),
    ] {
        let entity = if attribute == "minutes" { "Disc" } else { "Book" };
        let row = lib.row_linked(entity, &[(attribute, value.clone())], &[]);
        let result = lib.store.save(&SaveRequest {
            inserted: vec![lib.row_linked("Shelf", &[], &[]), row],
            ..Default::default()
        });
        match result {
            Err(StoreError::InvalidRequest { reason }) => assert!(reason.contains(attribute), "{reason}"),
            other => panic!("{entity}.{attribute} = {value:?} must be refused, got {other:?}"),
        }
    }
    let mut misshapen = lib.row_linked("Book", &[], &[]);
    misshapen.values.pop();
    assert!(matches!(
        lib.store.save(&SaveRequest { inserted: vec![misshapen], ..Default::default() }),
        Err(StoreError::InvalidRequest { .. })
    ));
    let wrong_kind = lib.row_linked("Book", &[], &[("shelf", id)]);
    assert!(
        matches!(
            lib.store.save(&SaveRequest { inserted: vec![wrong_kind], ..Default::default() }),
            Err(StoreError::InvalidRequest { .. })
        ),
        "a shelf relationship cannot point at a book"
    );
    assert_eq!((lib.count("Item", ""), lib.count("Shelf", "")), (1, 0), "nothing was stored");
}

#[test]
fn refused_saves_store_nothing_and_links_follow_their_objects() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (lib, _, _) = create_lib(dir.path(), "atomic.sqlite");
    let (code, labels) = (lib.attribute("Item", "code"), lib.relationship("Item", "labels"));
    let books = lib.insert(vec![
        lib.row_linked("Book", &[("code", Value::from("a"))], &[]),
        lib.row_linked("Book", &[("code", Value::from("b"))], &[]),
    ]);
    let tags = lib.insert(vec![lib.row_linked("Label", &[], &[]), lib.row_linked("Label", &[], &[])]);
    let link = |source, added: Vec<ObjectId>, removed: Vec<ObjectId>| ToManyChange {
        source,
        relationship: labels,
        added,
        removed,
    };
    lib.store
        .save(&SaveRequest { to_many: vec![link(books[0], vec![tags[0]], vec![])], ..Default::default() })
        .expect("link");
    // Everything at once, ending in a uniqueness violation: none of it may stay.
    let doomed = SaveRequest {
        inserted: vec![lib.row_linked("Disc", &[("code", Value::from("new"))], &[])],
        updated: vec![update(books[1], 1, vec![(code, Value::from("a"))], vec![])],
        deleted: vec![DeletedRow { id: tags[1], expected_version: 1 }],
        to_many: vec![link(books[0], vec![], vec![tags[0]])],
        ..Default::default()
    };
    assert!(matches!(lib.store.save(&doomed), Err(StoreError::Uniqueness { .. })));
    assert_eq!((lib.count("Item", ""), lib.count("Label", "")), (2, 2));
    assert_eq!(lib.store.related(&books[..1], labels).expect("related"), vec![vec![tags[0]]]);
    assert_eq!(lib.snapshot(books[1]).version(), 1);

    let missing = |request: SaveRequest| match lib.store.save(&request) {
        Err(StoreError::MissingObject { id }) => id,
        other => panic!("expected MissingObject, got {other:?}"),
    };
    let dying = SaveRequest {
        deleted: vec![DeletedRow { id: tags[1], expected_version: 1 }],
        to_many: vec![link(books[1], vec![tags[1]], vec![])],
        ..Default::default()
    };
    assert_eq!(missing(dying), tags[1], "no link to an object the same save deletes");
    let stray = ObjectId::new_temporary(lib.entity("Label"));
    assert_eq!(
        missing(SaveRequest { to_many: vec![link(books[1], vec![stray], vec![])], ..Default::default() }),
        stray
    );
    // Unlinking from an object the same save deletes is fine (a context nullifying).
    let farewell = SaveRequest {
        deleted: vec![DeletedRow { id: tags[0], expected_version: 1 }],
        to_many: vec![link(books[0], vec![], vec![tags[0]])],
        ..Default::default()
    };
    lib.store.save(&farewell).expect("unlink and delete");
    let confused = SaveRequest {
        updated: vec![update(books[0], 1, vec![(code, Value::from("c"))], vec![])],
        deleted: vec![DeletedRow { id: books[0], expected_version: 1 }],
        ..Default::default()
    };
    assert!(
        matches!(lib.store.save(&confused), Err(StoreError::InvalidRequest { .. })),
        "updated and deleted at once"
    );
    assert_eq!(lib.store.related(&books[..1], labels).expect("related"), vec![Vec::<ObjectId>::new()]);
}

#[test]
fn a_large_save_is_one_transaction() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (lib, _, _) = create_lib(dir.path(), "large.sqlite");
    let shelf = lib.insert(vec![lib.row_linked("Shelf", &[], &[])])[0];
    let rows: Vec<_> = (0..20_000)
        .map(|i| {
            lib.row_linked(
                "Book",
                &[("title", Value::from(format!("book {i}"))), ("rank", Value::Int64(i))],
                &[("shelf", shelf)],
            )
        })
        .collect();
    let start = Instant::now();
    let ids = lib.insert(rows);
    eprintln!("20,000 inserts in one save: {:?} (debug build)", start.elapsed());
    assert_eq!(ids.len(), 20_000);
    assert_eq!(lib.count("Book", "shelf == nil"), 0);
    assert_eq!(lib.count("Book", "rank >= 10000"), 10_000);
    assert_eq!(lib.store.related(&[shelf], lib.relationship("Shelf", "items")).expect("related")[0], ids);
}
