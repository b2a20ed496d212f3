//! Conformance checks of persistent history ([`Store::history`](crate::Store::history) and
//! friends): what a save records, every filter, paging, deletion and expiry, tokens bound to
//! their store, and failed saves recording nothing. Stores that answer `Unsupported` (or
//! were made without history) skip them; run them with a factory of stores that record
//! history ([`run_history`](super::run_history)).

use strata_model::{Date, Uuid, Value};

use super::{Fixture, StoreFactory};
use crate::StoreError;
use crate::store::{
    ChangeKind, DeletedRow, HistoryDeleteRequest, HistoryRequest, HistoryToken, HistoryTransaction, SaveInfo,
    SaveRequest, UpdatedRow,
};

/// The store's current token, or `None` if it keeps no history (any other error fails).
fn current(f: &Fixture) -> Option<HistoryToken> {
    match f.store.current_history_token() {
        Ok(token) => Some(token),
        Err(StoreError::Unsupported { .. }) => None,
        Err(e) => panic!("current_history_token fails: {e}"),
    }
}

fn read(f: &Fixture, request: &HistoryRequest) -> Vec<HistoryTransaction> {
    f.store.history(request).unwrap_or_else(|e| panic!("history({request:?}) fails: {e}"))
}

fn info(author: &str, context: &str) -> SaveInfo {
    SaveInfo { author: Some(author.to_owned()), context_name: Some(context.to_owned()) }
}

fn update(id: crate::ObjectId, version: u64, attribute: usize, value: Value) -> UpdatedRow {
    UpdatedRow { id, expected_version: version, values: vec![(attribute, value)], to_one: vec![] }
}

/// Inserts, updates and deletes by several authors; returns the fixture and the tokens of
/// the three transactions (insert by "app", update by "sync", delete by "app").
fn three_saves(factory: StoreFactory<'_>) -> Option<(Fixture, [HistoryToken; 3], [crate::ObjectId; 3])> {
    let f = Fixture::new(factory);
    let start = current(&f)?;
    let title = f.attribute("Note", "title");
    let saved = f
        .store
        .save(&SaveRequest {
            inserted: vec![f.row("Note", &[("title", "a".into())]), f.row("Folder", &[("name", "f".into())])],
            info: info("app", "main"),
            ..Default::default()
        })
        .expect("insert saves");
    let (note, folder) = (saved.permanent_ids[0].1, saved.permanent_ids[1].1);
    let first = f.store.current_history_token().expect("token");
    f.store
        .save(&SaveRequest {
            updated: vec![update(note, 1, title, "b".into())],
            info: info("sync", "background"),
            ..Default::default()
        })
        .expect("update saves");
    let second = f.store.current_history_token().expect("token");
    f.store
        .save(&SaveRequest {
            deleted: vec![DeletedRow { id: folder, expected_version: 1 }],
            info: info("app", "main"),
            ..Default::default()
        })
        .expect("delete saves");
    let third = f.store.current_history_token().expect("token");
    assert!(start < first && first < second && second < third, "tokens grow with every save");
    Some((f, [first, second, third], [note, folder, note]))
}

pub(super) fn saves_are_recorded(factory: StoreFactory<'_>) {
    let Some((f, tokens, [note, folder, _])) = three_saves(factory) else { return };
    let all = read(&f, &HistoryRequest::all());
    assert_eq!(all.iter().map(|t| t.token).collect::<Vec<_>>(), tokens, "one transaction per save, in order");
    let kinds: Vec<Vec<(ChangeKind, crate::ObjectId)>> =
        all.iter().map(|t| t.changes.iter().map(|c| (c.kind, c.id)).collect()).collect();
    assert_eq!(
        kinds,
        vec![
            vec![(ChangeKind::Insert, note), (ChangeKind::Insert, folder)],
            vec![(ChangeKind::Update, note)],
            vec![(ChangeKind::Delete, folder)],
        ],
        "one change per object, with its kind"
    );
    assert_eq!(all[1].changes[0].updated, vec!["title".to_owned()], "updated property names");
    assert_eq!(
        (all[0].author.as_deref(), all[0].context_name.as_deref(), all[0].process_id),
        (Some("app"), Some("main"), std::process::id()),
        "author, context and process are recorded"
    );
    assert!(all.iter().all(|t| t.token.store == f.store.metadata().uuid), "tokens name their store");
    let merge = all[2].object_id_notification();
    assert_eq!(merge.deleted, vec![folder], "a transaction converts into a merge request");
}

pub(super) fn filters(factory: StoreFactory<'_>) {
    let Some((f, tokens, [note, ..])) = three_saves(factory) else { return };
    let seqs = |request: HistoryRequest| read(&f, &request).iter().map(|t| t.token).collect::<Vec<_>>();
    assert_eq!(seqs(HistoryRequest::after(tokens[0])), tokens[1..], "after a token");
    assert_eq!(seqs(HistoryRequest::all().with_author("sync")), [tokens[1]], "by author");
    assert_eq!(seqs(HistoryRequest::all().with_author("sync").with_author("app")), tokens, "several authors");
    assert_eq!(seqs(HistoryRequest::all().with_context_name("main")), [tokens[0], tokens[2]], "by context");
    assert_eq!(seqs(HistoryRequest::all().with_kind(ChangeKind::Delete)), [tokens[2]], "by change kind");
    let notes = read(&f, &HistoryRequest::all().with_entity("Note"));
    assert_eq!(notes.iter().map(|t| t.token).collect::<Vec<_>>(), tokens[..2], "by entity");
    assert!(notes.iter().all(|t| t.changes.iter().all(|c| c.id == note)), "entity narrows the changes");
    assert!(
        seqs(HistoryRequest::all().with_entity("NoSuchEntity")).is_empty(),
        "an unknown entity selects nothing"
    );
    assert!(
        seqs(
            HistoryRequest::all()
                .with_after_date(Date::from_unix_micros(Date::now().unix_micros() + 60_000_000))
        )
        .is_empty(),
        "nothing after a future date"
    );
    assert_eq!(
        seqs(HistoryRequest::all().with_after_date(Date::from_unix_micros(0))),
        tokens,
        "everything after the epoch"
    );
}

pub(super) fn paging(factory: StoreFactory<'_>) {
    let Some((f, tokens, _)) = three_saves(factory) else { return };
    let mut seen = Vec::new();
    let mut request = HistoryRequest::all().with_limit(2);
    loop {
        let page = read(&f, &request);
        assert!(page.len() <= 2, "a page holds at most its limit");
        let Some(last) = page.last() else { break };
        request = HistoryRequest::after(last.token).with_limit(2);
        seen.extend(page.iter().map(|t| t.token));
    }
    assert_eq!(seen, tokens, "pages cover the history once, in order");
}

pub(super) fn deletion_and_expiry(factory: StoreFactory<'_>) {
    let Some((f, tokens, _)) = three_saves(factory) else { return };
    let deleted = f.store.delete_history(&HistoryDeleteRequest::through(tokens[1])).expect("delete_history");
    assert_eq!(deleted, 2, "deletes up to and including the token");
    assert_eq!(read(&f, &HistoryRequest::all()).iter().map(|t| t.token).collect::<Vec<_>>(), [tokens[2]]);
    assert_eq!(read(&f, &HistoryRequest::after(tokens[1])).len(), 1, "reading after the deleted edge works");
    match f.store.history(&HistoryRequest::after(tokens[0])) {
        Err(StoreError::HistoryExpired { after, deleted_through }) => {
            assert_eq!((after, deleted_through), (tokens[0], tokens[1].sequence));
        }
        other => panic!("reading after a deleted token must fail as expired, got {other:?}"),
    }
    assert_eq!(
        f.store.current_history_token().expect("token"),
        tokens[2],
        "deletion keeps the current token"
    );
    let foreign = HistoryToken::new(Uuid::from_u128(1), 1);
    assert!(
        matches!(
            f.store.history(&HistoryRequest::after(foreign)),
            Err(StoreError::ForeignHistoryToken { .. })
        ),
        "a token of another store is refused"
    );
    assert!(matches!(
        f.store.delete_history(&HistoryDeleteRequest::through(foreign)),
        Err(StoreError::ForeignHistoryToken { .. })
    ));
    let by_author = HistoryDeleteRequest::through(tokens[2]).with_author("nobody");
    assert_eq!(f.store.delete_history(&by_author).expect("delete_history"), 0, "author-limited deletion");
}

pub(super) fn failed_saves_record_nothing(factory: StoreFactory<'_>) {
    let Some((f, tokens, [note, ..])) = three_saves(factory) else { return };
    let title = f.attribute("Note", "title");
    let conflict = f.store.save(&SaveRequest {
        inserted: vec![f.row("Note", &[("title", "x".into())])],
        updated: vec![update(note, 1, title, "stale".into())],
        ..Default::default()
    });
    assert!(matches!(conflict, Err(StoreError::Conflict { .. })), "a stale update conflicts");
    assert_eq!(f.store.current_history_token().expect("token"), tokens[2], "a failed save records nothing");
    assert_eq!(read(&f, &HistoryRequest::after(tokens[2])), Vec::new());
}
