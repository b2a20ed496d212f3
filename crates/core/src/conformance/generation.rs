//! Conformance checks of query generations ([`Store::open_generation`](crate::Store::open_generation)):
//! a generation keeps answering from the state it was opened on while the store saves.
//! Stores that answer `Unsupported` skip them.

use strata_model::Value;

use super::{Fixture, StoreFactory};
use crate::StoreError;
use crate::store::{
    DeletedRow, GenerationHandle, SaveRequest, StoreFetchResult, StoreResultType, ToManyChange, UpdatedRow,
};

/// The store's generation, or `None` if it does not support them (any other error fails).
fn open(f: &Fixture) -> Option<GenerationHandle> {
    match f.store.open_generation() {
        Ok(handle) => Some(handle),
        Err(StoreError::Unsupported { .. }) => None,
        Err(e) => panic!("open_generation fails: {e}"),
    }
}

pub(super) fn generations_are_frozen(factory: StoreFactory<'_>) {
    let f = Fixture::new(factory);
    let title = f.attribute("Note", "title");
    let tags = f.relationship("Note", "tags");
    let ids = f.insert(vec![
        f.row("Note", &[("title", "a".into())]),
        f.row("Note", &[("title", "b".into())]),
        f.row("Tag", &[("name", "t".into())]),
    ]);
    let (a, b, tag) = (ids[0], ids[1], ids[2]);
    let Some(generation) = open(&f) else { return };
    f.store
        .save(&SaveRequest {
            inserted: vec![f.row("Note", &[("title", "c".into())]), f.row("Note", &[("title", "d".into())])],
            updated: vec![UpdatedRow {
                id: a,
                expected_version: 1,
                values: vec![(title, "A".into())],
                to_one: vec![],
            }],
            deleted: vec![DeletedRow { id: b, expected_version: 1 }],
            to_many: vec![ToManyChange { source: a, relationship: tags, added: vec![tag], removed: vec![] }],
            ..Default::default()
        })
        .expect("a save while a generation is open");

    let mut count = f.request("Note", "", "");
    count.result = StoreResultType::Count;
    let mut rows = f.request("Note", "", "title");
    rows.result = StoreResultType::Snapshots;
    assert!(
        matches!(generation.fetch(&count), Ok(StoreFetchResult::Count(2))),
        "the generation counts the rows it was opened on"
    );
    match generation.fetch(&rows).expect("fetch at the generation") {
        StoreFetchResult::Snapshots(rows) => {
            let seen: Vec<(Value, u64)> =
                rows.iter().map(|r| (r.values()[title].clone(), r.version())).collect();
            assert_eq!(seen, vec![("a".into(), 1), ("b".into(), 1)], "old values, old versions, old row set");
        }
        other => panic!("asked for snapshots, got {other:?}"),
    }
    let old = generation.snapshots(&[a, b]).expect("snapshots at the generation");
    assert_eq!(old[0].as_ref().map(|s| s.version()), Some(1), "an updated row reads at its old version");
    assert!(old[1].is_some(), "a row deleted since still reads at the generation");
    assert_eq!(
        generation.related(&[a], tags).expect("related"),
        vec![vec![]],
        "links added since are not seen"
    );

    assert!(matches!(f.store.fetch(&count), Ok(StoreFetchResult::Count(3))), "the store itself is current");
    assert_eq!(f.snapshot(a).version(), 2);
    let clone = generation.clone();
    drop(generation);
    assert_eq!(
        clone.snapshots(&[a]).expect("a clone keeps the view")[0].as_ref().map(|s| s.version()),
        Some(1)
    );
    drop(clone);
    let current = open(&f).expect("the store opened a generation before");
    assert_eq!(current.snapshots(&[a, b]).expect("snapshots")[0].as_ref().map(|s| s.version()), Some(2));
    assert_eq!(
        current.related(&[a], tags).expect("related"),
        vec![vec![tag]],
        "a new generation sees the save"
    );
}
