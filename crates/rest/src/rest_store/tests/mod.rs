//! RestStore against an in-process fake API (`fake`): cached answers and background
//! fills, synchronous mode, validators and 304s, paging, coalescing and no duplicates,
//! placeholders, removals, failures and retries, saves and their failures, and a context
//! on a coordinator over the store.

mod fake;
mod links;

use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::json;
use strata_core::store::{
    InsertedRow, SaveRequest, StoreFetchRequest, StoreFetchResult, StoreResultType, UpdatedRow,
};
use strata_core::{Context, Coordinator, FetchRequest, ObjectId, Snapshot, Store, StoreError};
use strata_model::{
    AttributeBuilder, AttributeType, EntityBuilder, EntityIndex, Model, RelationshipBuilder, Value,
};
use strata_predicate::Predicate;

use super::{RestEvent, RestOptions, RestStore};
use crate::{HttpResponse, RestError};
use fake::FakeApi;

const WAIT: Duration = Duration::from_secs(10);

fn model() -> Arc<Model> {
    Arc::new(
        Model::builder("Palettes", 1)
            .entity(
                EntityBuilder::new("Palette")
                    .attribute(AttributeBuilder::new("title", AttributeType::String).required())
                    .attribute(AttributeBuilder::new("rank", AttributeType::Int64))
                    .relationship(RelationshipBuilder::to_one("owner", "Person").inverse("palettes"))
                    .relationship(RelationshipBuilder::to_many("tags", "Tag").inverse("palettes")),
            )
            .entity(
                EntityBuilder::new("Tag")
                    .attribute(AttributeBuilder::new("label", AttributeType::String))
                    .relationship(RelationshipBuilder::to_many("palettes", "Palette").inverse("tags")),
            )
            .entity(
                EntityBuilder::new("Shape").attribute(AttributeBuilder::new("name", AttributeType::String)),
            )
            .entity(
                EntityBuilder::new("Circle")
                    .parent("Shape")
                    .attribute(AttributeBuilder::new("radius", AttributeType::Double)),
            )
            .entity(
                EntityBuilder::new("Drawing")
                    .attribute(AttributeBuilder::new("title", AttributeType::String))
                    .relationship(RelationshipBuilder::to_one("shape", "Shape")),
            )
            .entity(
                EntityBuilder::new("Person")
                    .attribute(AttributeBuilder::new("name", AttributeType::String))
                    .relationship(RelationshipBuilder::to_many("palettes", "Palette").inverse("owner")),
            )
            .build()
            .expect("the test model builds"),
    )
}

struct Setup {
    _dir: tempfile::TempDir,
    api: Arc<FakeApi>,
    store: Arc<RestStore>,
    events: Receiver<RestEvent>,
}

fn options() -> RestOptions {
    RestOptions::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)).with_workers(2)
}

fn setup(options: RestOptions) -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = model();
    let api = FakeApi::new(model.clone());
    let store = Arc::new(
        RestStore::open(dir.path().join("cache.sqlite"), model, api.clone(), options)
            .expect("the store opens"),
    );
    let events = store.subscribe();
    Setup { _dir: dir, api, store, events }
}

fn entity(name: &str) -> EntityIndex {
    model().entity(name).expect("entity").index()
}

fn request(name: &str, predicate: Option<&str>) -> StoreFetchRequest {
    StoreFetchRequest {
        entity: entity(name),
        include_subentities: true,
        predicate: predicate.map(|p| Predicate::parse(p).unwrap().check(&model(), entity(name)).unwrap()),
        sort: Vec::new(),
        offset: 0,
        limit: None,
        result: StoreResultType::Snapshots,
    }
}

fn rows(store: &RestStore, name: &str) -> Vec<Arc<Snapshot>> {
    match store.fetch(&request(name, None)).expect("fetch") {
        StoreFetchResult::Snapshots(rows) => rows,
        other => panic!("not snapshots: {other:?}"),
    }
}

/// The first event matching `wanted`, waiting at most [`WAIT`].
fn next_event(events: &Receiver<RestEvent>, wanted: impl Fn(&RestEvent) -> bool) -> RestEvent {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.checked_duration_since(Instant::now()).expect("the event came in time");
        let event = events.recv_timeout(left).expect("the event came in time");
        if wanted(&event) {
            return event;
        }
    }
}

fn finished(event: &RestEvent) -> bool {
    matches!(event, RestEvent::FetchFinished { kind: super::RemoteKind::Fetch, .. })
}

fn titles(rows: &[Arc<Snapshot>]) -> Vec<Value> {
    let mut titles: Vec<Value> = rows.iter().map(|r| r.values()[0].clone()).collect();
    titles.sort_by(|a, b| a.sort_cmp(b));
    titles
}

fn text(s: &str) -> Value {
    Value::String(s.into())
}

#[test]
fn a_fetch_answers_from_the_cache_before_the_server_and_fills_in_after() {
    let s = setup(options());
    s.api.put("Palette", "1", json!({"title": "Sea", "rank": 1}));
    s.api.put("Palette", "2", json!({"title": "Sand", "rank": 2}));
    s.api.hold();
    assert!(rows(&s.store, "Palette").is_empty(), "the empty cache answers at once");
    assert!(s.api.wait_held(1), "the request is in flight on a worker, not on this thread");
    s.api.release();
    let event = next_event(&s.events, finished);
    let merge = event.merge_request().expect("the fetch changed the cache");
    assert_eq!(merge.inserted.len(), 2);
    let cached = rows(&s.store, "Palette");
    assert_eq!(titles(&cached), vec![text("Sand"), text("Sea")]);
    let mut ids: Vec<ObjectId> = cached.iter().map(|r| r.id()).collect();
    ids.sort();
    let mut inserted = merge.inserted.clone();
    inserted.sort();
    assert_eq!(ids, inserted, "the event names the objects the fetch answers with");
    assert!(s.store.wait_idle(WAIT));
}

#[test]
fn synchronous_mode_waits_and_a_refetch_sends_validators_and_takes_a_304() {
    let s = setup(options().with_synchronous(true));
    s.api.put("Palette", "1", json!({"title": "Sea"}));
    assert_eq!(titles(&rows(&s.store, "Palette")), vec![text("Sea")]);
    let first = rows(&s.store, "Palette");
    let again = next_event(&s.events, finished);
    let RestEvent::FetchFinished { not_modified, changes, .. } = next_event(&s.events, finished) else {
        unreachable!()
    };
    let _ = again;
    assert!(not_modified && changes.is_empty(), "the second fetch was a 304");
    let log = s.api.log();
    assert_eq!(log[1].header("If-None-Match"), Some("\"v1-0\""), "the validator went with the refetch");
    assert_eq!(first[0].version(), rows(&s.store, "Palette")[0].version(), "a 304 changes nothing");
}

#[test]
fn pages_are_followed_and_a_304_page_keeps_its_objects() {
    let s = setup(options().with_synchronous(true));
    s.api.set_page_size(2);
    for i in 0..5 {
        s.api.put("Palette", &i.to_string(), json!({"title": format!("p{i}")}));
    }
    assert_eq!(rows(&s.store, "Palette").len(), 5);
    assert_eq!(s.api.log().len(), 3, "three pages of two");
    // Every page answers 304 now: nothing may be removed for lack of a body.
    assert_eq!(rows(&s.store, "Palette").len(), 5);
    assert!(s.api.log()[3..].iter().all(|r| r.header("If-None-Match").is_some()));
}

#[test]
fn concurrent_fetches_are_coalesced_and_never_duplicate_a_resource() {
    let s = setup(options().with_workers(4));
    for i in 0..20 {
        s.api.put("Palette", &i.to_string(), json!({"title": format!("p{i}"), "rank": i}));
    }
    s.api.hold();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let store = s.store.clone();
            std::thread::spawn(move || {
                let predicate = (i % 2 == 1).then_some("rank >= 0");
                store.fetch(&request("Palette", predicate)).map(|_| ())
            })
        })
        .collect();
    for t in threads {
        t.join().expect("no panic").expect("the fetch answers");
    }
    assert!(s.api.wait_held(2), "one request per distinct URL");
    s.api.release();
    assert!(s.store.wait_idle(WAIT));
    assert_eq!(s.api.log().len(), 2, "identical fetches were coalesced");
    assert_eq!(rows(&s.store, "Palette").len(), 20, "two responses naming the same objects made one each");
}

#[test]
fn a_delete_on_the_server_is_reflected_after_a_refetch() {
    let s = setup(options().with_synchronous(true));
    s.api.put("Palette", "1", json!({"title": "Sea"}));
    s.api.put("Palette", "2", json!({"title": "Sand"}));
    let before = rows(&s.store, "Palette");
    let gone = before.iter().find(|r| r.values()[0] == text("Sand")).expect("Sand").id();
    s.api.remove("Palette", "2");
    // A filtered fetch never removes anything.
    let _ = s.store.fetch(&request("Palette", Some("rank == nil")));
    assert_eq!(rows(&s.store, "Palette").len(), 1);
    let deleted: Vec<RestEvent> = std::iter::from_fn(|| s.events.try_recv().ok()).collect();
    assert!(
        deleted
            .iter()
            .any(|e| matches!(e, RestEvent::FetchFinished { changes, .. } if changes.deleted == vec![gone]))
    );
}

#[test]
fn relationship_destinations_are_placeholders_that_fill_in() {
    let s = setup(options());
    s.api.put("Person", "p1", json!({"name": "Ada"}));
    s.api.put("Palette", "1", json!({"title": "Sea", "owner": "p1"}));
    s.store.refresh(&request("Palette", None)).expect("the fetch works");
    let palette = rows(&s.store, "Palette").remove(0);
    let owner = palette.to_one()[0].expect("the owner is linked");
    // The placeholder's object request was started by the fetch; wait for it.
    assert!(s.store.wait_idle(WAIT));
    let person = s.store.snapshots(&[owner]).expect("snapshots").remove(0).expect("the person is cached");
    assert_eq!(person.values()[0], text("Ada"));
    assert_eq!(s.store.related(&[owner], 0).expect("related"), vec![vec![palette.id()]]);
    // The server forgets the person: its object request answers 404 and removes it, and
    // the palette's link goes with it.
    s.api.remove("Person", "p1");
    s.api.put("Person", "p2", json!({"name": "Bob"}));
    s.api.put("Palette", "1", json!({"title": "Sea", "owner": "p2"}));
    s.store.refresh(&request("Palette", None)).expect("the fetch works");
    assert!(s.store.wait_idle(WAIT));
    let bob = rows(&s.store, "Palette")[0].to_one()[0].expect("linked to the new owner");
    assert_ne!(bob, owner);
}

#[test]
fn an_object_request_answered_404_removes_the_object() {
    let s = setup(options());
    s.api.put("Palette", "1", json!({"title": "Sea", "owner": "ghost"}));
    s.api.hold();
    let _ = s.store.fetch(&request("Palette", None));
    assert!(s.api.wait_held(1));
    s.api.release();
    // The list and the placeholder's object request finish in either order.
    let (mut changes, mut removal) = (None, None);
    while changes.is_none() || removal.is_none() {
        match next_event(&s.events, |e| matches!(e, RestEvent::FetchFinished { .. })) {
            RestEvent::FetchFinished { kind: super::RemoteKind::Fetch, changes: c, .. } => changes = Some(c),
            RestEvent::FetchFinished { changes: c, .. } => removal = Some(c),
            _ => {}
        }
    }
    let (Some(changes), Some(removal)) = (changes, removal) else { unreachable!() };
    assert_eq!(changes.inserted.len(), 2, "the palette and a placeholder for its unknown owner");
    // The placeholder's object request answered 404: the object went, and the link to it.
    assert_eq!(removal.deleted.len(), 1);
    let ghost = removal.deleted[0];
    assert!(changes.inserted.contains(&ghost));
    assert!(s.store.wait_idle(WAIT));
    assert_eq!(s.store.snapshots(&[ghost]).expect("snapshots"), vec![None]);
    s.api.hold();
    let palette = rows(&s.store, "Palette").remove(0);
    s.api.release();
    assert_eq!(palette.to_one()[0], None, "the link to the removed object is cleared");
    assert_eq!(removal.updated, vec![palette.id()]);
    assert!(s.store.wait_idle(WAIT));
}

#[test]
fn server_errors_are_retried_reported_and_leave_the_cache_intact() {
    let s = setup(options().with_synchronous(true).with_retries(2));
    s.api.put("Palette", "1", json!({"title": "Sea"}));
    assert_eq!(rows(&s.store, "Palette").len(), 1);
    s.api.put("Palette", "2", json!({"title": "Sand"}));
    let status = |code: u16| Ok(HttpResponse { status: code, headers: Vec::new(), body: b"boom".to_vec() });
    for _ in 0..3 {
        s.api.fail_next("Palette", status(500));
    }
    let before = s.api.log().len();
    assert_eq!(rows(&s.store, "Palette").len(), 1, "the cache answers, intact");
    assert_eq!(s.api.log().len() - before, 3, "a 5xx is retried twice");
    let RestEvent::FetchFailed { error, .. } =
        next_event(&s.events, |e| matches!(e, RestEvent::FetchFailed { .. }))
    else {
        unreachable!()
    };
    assert!(matches!(error, RestError::Http { status: 500, ref body_excerpt, .. } if body_excerpt == "boom"));

    s.api.fail_next("Palette", status(403));
    let before = s.api.log().len();
    let error = s.store.refresh(&request("Palette", None)).unwrap_err();
    assert!(matches!(error, RestError::Http { status: 403, .. }));
    assert_eq!(s.api.log().len() - before, 1, "a 4xx is not retried");

    s.api.fail_next(
        "Palette",
        Err(RestError::Network { method: "GET", url: "u".into(), message: "reset".into() }),
    );
    assert_eq!(s.store.refresh(&request("Palette", None)).expect("the retry succeeds").inserted.len(), 1);
}

#[test]
fn offline_and_malformed_answers_are_reported_and_the_cache_still_answers() {
    let s = setup(options().with_synchronous(true).with_retries(0));
    s.api.put("Palette", "1", json!({"title": "Sea"}));
    assert_eq!(rows(&s.store, "Palette").len(), 1);
    let offline = || Err(RestError::Network { method: "GET", url: "u".into(), message: "refused".into() });
    s.api.fail_next("Palette", offline());
    assert_eq!(rows(&s.store, "Palette").len(), 1, "offline, the cache answers");
    s.api.fail_next(
        "Palette",
        Ok(HttpResponse { status: 200, headers: Vec::new(), body: b"{\n  \"items\": [".to_vec() }),
    );
    let error = s.store.refresh(&request("Palette", None)).unwrap_err();
    assert!(matches!(error, RestError::MalformedResponse { line: 2, .. }), "{error}");
    assert_eq!(titles(&rows(&s.store, "Palette")), vec![text("Sea")]);
}

fn insert_row(title: &str) -> InsertedRow {
    InsertedRow {
        id: ObjectId::new_temporary(entity("Palette")),
        values: vec![text(title), Value::Null],
        to_one: vec![None, None],
    }
}

#[test]
fn saves_go_to_the_server_first_and_errors_leave_the_cache_untouched() {
    let s = setup(options().with_synchronous(true).with_retries(0));
    let insert = insert_row("New");
    let result = s
        .store
        .save(&SaveRequest { inserted: vec![insert.clone()], ..SaveRequest::default() })
        .expect("saved");
    let id = result.permanent_ids[0].1;
    assert_eq!(s.api.object("Palette", "n1").and_then(|o| o.get("title").cloned()), Some(json!("New")));
    assert_eq!(
        s.store.snapshots(&[id]).unwrap()[0].as_ref().map(|r| r.values()[0].clone()),
        Some(text("New"))
    );

    let update =
        UpdatedRow { id, expected_version: 1, values: vec![(1, Value::Int64(7))], to_one: Vec::new() };
    s.api
        .fail_next("Palette/n1", Ok(HttpResponse { status: 422, headers: Vec::new(), body: b"no".to_vec() }));
    let error =
        s.store.save(&SaveRequest { updated: vec![update.clone()], ..SaveRequest::default() }).unwrap_err();
    assert!(matches!(RestError::of(&error), Some(RestError::Http { status: 422, .. })), "{error}");
    assert_eq!(
        s.store.snapshots(&[id]).unwrap()[0].as_ref().map(|r| r.version()),
        Some(1),
        "cache untouched"
    );

    s.store.save(&SaveRequest { updated: vec![update.clone()], ..SaveRequest::default() }).expect("saved");
    assert_eq!(s.api.object("Palette", "n1").and_then(|o| o.get("rank").cloned()), Some(json!(7)));
    let stale = s.store.save(&SaveRequest { updated: vec![update], ..SaveRequest::default() }).unwrap_err();
    assert!(matches!(stale, StoreError::Conflict { .. }), "a stale version is refused before any request");

    // An insert answered without the new object's identifier cannot be cached.
    let a = insert_row("A");
    s.api.fail_next("Palette", Ok(HttpResponse { status: 200, headers: Vec::new(), body: Vec::new() }));
    let sent = s.api.log().len();
    let error = s.store.save(&SaveRequest { inserted: vec![a], ..SaveRequest::default() }).unwrap_err();
    assert!(matches!(RestError::of(&error), Some(RestError::MalformedResponse { .. })), "{error}");
    assert_eq!(s.api.log().len() - sent, 1);

    let delete = strata_core::store::DeletedRow { id, expected_version: 2 };
    s.store.save(&SaveRequest { deleted: vec![delete], ..SaveRequest::default() }).expect("deleted");
    assert_eq!(s.api.count("Palette"), 0);
    assert_eq!(s.store.snapshots(&[id]).unwrap(), vec![None]);
}

#[test]
fn a_partly_accepted_save_leaves_what_the_server_holds_in_the_cache() {
    let s = setup(options().with_synchronous(true).with_retries(0));
    let inserts = vec![insert_row("A"), insert_row("B")];
    let first = inserts[0].id;
    s.api.fail_after(
        1,
        "Palette",
        Ok(HttpResponse { status: 503, headers: Vec::new(), body: b"down".to_vec() }),
    );
    let error =
        s.store.save(&SaveRequest { inserted: inserts.clone(), ..SaveRequest::default() }).unwrap_err();
    assert!(matches!(RestError::of(&error), Some(RestError::Http { status: 503, .. })), "{error}");
    assert_eq!(s.api.count("Palette"), 1);
    let RestEvent::SaveFailed { .. } = next_event(&s.events, |e| matches!(e, RestEvent::SaveFailed { .. }))
    else {
        unreachable!()
    };
    let sent = s.api.log().len();
    let cached = rows(&s.store, "Palette");
    assert_eq!(titles(&cached), vec![text("A")], "the accepted insert is cached, the refused one is not");
    let RestEvent::FetchFinished { changes, .. } = next_event(&s.events, finished) else { unreachable!() };
    assert!(changes.is_empty(), "the cache already held what the server holds");
    assert_eq!(s.api.log().len() - sent, 1);

    // The context saves the same inserts again: the accepted one is not created twice.
    let result = s.store.save(&SaveRequest { inserted: inserts, ..SaveRequest::default() }).expect("saved");
    assert_eq!(s.api.count("Palette"), 2, "A was updated, B inserted");
    assert_eq!(result.permanent_ids.len(), 2);
    let a = result.permanent_ids.iter().find(|(t, _)| *t == first).map(|&(_, p)| p);
    assert_eq!(a, Some(cached[0].id()), "A's temporary ID maps to the object already cached");
    assert!(result.versions.iter().any(|&(id, v)| Some(id) == a && v == 2));
    assert_eq!(titles(&rows(&s.store, "Palette")), vec![text("A"), text("B")]);
}

#[test]
fn a_context_on_a_coordinator_fetches_edits_and_saves_through_the_store() {
    let s = setup(options().with_synchronous(true));
    s.api.put("Palette", "1", json!({"title": "Sea", "rank": 1}));
    let coordinator = Coordinator::new(model());
    coordinator.add_store("Default", s.store.clone()).expect("the store fits the model");
    let mut ctx = Context::new(coordinator.clone());
    let ids = ctx.fetch(&FetchRequest::new("Palette")).expect("fetch").ids();
    assert_eq!(ctx.get::<String>(ids[0], "title").unwrap(), "Sea");
    ctx.set(ids[0], "title", "Ocean").unwrap();
    let new = ctx.insert("Palette").unwrap();
    ctx.set(new, "title", "Dune").unwrap();
    ctx.save().expect("the server accepts");
    assert_eq!(s.api.object("Palette", "1").and_then(|o| o.get("title").cloned()), Some(json!("Ocean")));
    assert_eq!(s.api.count("Palette"), 2);

    // A change on the server reaches the context through the event's merge request.
    s.api.put("Palette", "1", json!({"title": "Tide", "rank": 1}));
    let changes = s.store.refresh(&request("Palette", None)).expect("refresh");
    assert_eq!(changes.updated, vec![ids[0]]);
    ctx.merge_changes(changes.merge_request()).expect("merge");
    assert_eq!(ctx.get::<String>(ids[0], "title").unwrap(), "Tide");
}

#[test]
fn validators_and_cached_objects_survive_reopening_the_store() {
    let s = setup(options().with_synchronous(true));
    s.api.put("Palette", "1", json!({"title": "Sea"}));
    assert_eq!(rows(&s.store, "Palette").len(), 1);
    assert!(s.store.wait_idle(WAIT));
    let path = s._dir.path().join("cache.sqlite");
    drop(s.store);
    let store =
        RestStore::open(&path, model(), s.api.clone(), options().with_synchronous(true)).expect("reopens");
    assert_eq!(titles(&rows(&store, "Palette")), vec![text("Sea")]);
    let last = s.api.log().pop().expect("a request");
    assert_eq!(last.header("If-None-Match"), Some("\"v1-0\""), "the validator was kept in the cache");
}
