//! The REST store over the ready client and the fixture server: answers from the cache,
//! fills in from the network, HTTP caching, failures, concurrency, deletes and saves.

use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::json;
use strata_core::store::{StoreFetchRequest, StoreFetchResult, StoreResultType};
use strata_core::{Context, Coordinator, FetchRequest, FetchResult, ObjectId, Store};
use strata_rest::fixture::{PalettesOptions, PalettesServer};
use strata_rest::{
    ConventionalClient, RemoteKind, RestChanges, RestError, RestEvent, RestOptions, RestStore,
};

use crate::support::{client, model, server};

/// Every wait on the store or its events gives up after this.
const WAIT: Duration = Duration::from_secs(10);

/// A REST store over a fixture server, its cache in a temporary directory, in a coordinator.
struct Harness {
    store: Arc<RestStore>,
    coordinator: Arc<Coordinator>,
    events: Receiver<RestEvent>,
    _dir: tempfile::TempDir,
}

fn options(synchronous: bool) -> RestOptions {
    RestOptions::default()
        .with_synchronous(synchronous)
        .with_timeout(Duration::from_secs(3))
        .with_retries(0)
        .with_backoff(Duration::from_millis(10), Duration::from_millis(50))
}

fn open_with(client: ConventionalClient, options: RestOptions) -> Harness {
    let model = model();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store =
        RestStore::open(dir.path().join("cache.sqlite"), Arc::clone(&model), Arc::new(client), options)
            .expect("the REST store opens");
    let store = Arc::new(store);
    let events = store.subscribe();
    let coordinator = Coordinator::new(model);
    coordinator.add_store("Default", store.clone()).expect("the store fits the model");
    Harness { store, coordinator, events, _dir: dir }
}

fn open(server: &PalettesServer, synchronous: bool) -> Harness {
    let model = model();
    open_with(client(&model, server, 20), options(synchronous))
}

impl Harness {
    fn context(&self) -> Context {
        Context::new(Arc::clone(&self.coordinator))
    }

    /// The palettes a fresh context fetches, sorted by title.
    fn titles(&self) -> Vec<String> {
        let mut context = self.context();
        let ids = fetch_ids(&mut context);
        let mut titles: Vec<String> =
            ids.iter().map(|&id| context.get::<String>(id, "title").expect("a title")).collect();
        titles.sort();
        titles
    }

    /// The next event matching `wanted`, skipping others; panics after [`WAIT`].
    fn event(&self, wanted: impl Fn(&RestEvent) -> bool) -> RestEvent {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) if wanted(&event) => return event,
                Ok(_) => {}
                Err(error) => panic!("no matching event within {WAIT:?}: {error}"),
            }
        }
    }

    /// The next finished or failed list fetch.
    fn fetch_outcome(&self) -> RestEvent {
        self.event(|e| {
            matches!(
                e,
                RestEvent::FetchFinished { kind: RemoteKind::Fetch, .. }
                    | RestEvent::FetchFailed { kind: RemoteKind::Fetch, .. }
            )
        })
    }
}

fn fetch_ids(context: &mut Context) -> Vec<ObjectId> {
    match context.fetch(&FetchRequest::new("Palette")).expect("the fetch answers") {
        FetchResult::Objects(ids) => ids,
        other => panic!("expected objects, got {other:?}"),
    }
}

fn finished(event: RestEvent) -> (RestChanges, bool) {
    match event {
        RestEvent::FetchFinished { changes, not_modified, .. } => (changes, not_modified),
        other => panic!("expected a finished fetch, got {other:?}"),
    }
}

fn failed(event: RestEvent) -> RestError {
    match event {
        RestEvent::FetchFailed { error, .. } => error,
        other => panic!("expected a failed fetch, got {other:?}"),
    }
}

/// The [`RestError`] somewhere in `error`'s source chain.
fn rest_error<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e RestError> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<RestError>() {
            return Some(found);
        }
        // `StoreError::Backend` holds its source in an `Arc`, which is what `source()`
        // yields (and `Arc`'s own `source()` skips the error inside).
        type Shared = Arc<dyn std::error::Error + Send + Sync>;
        if let Some(found) = e.downcast_ref::<Shared>().and_then(|shared| shared.downcast_ref::<RestError>())
        {
            return Some(found);
        }
        current = e.source();
    }
    None
}

#[test]
fn first_fetch_answers_from_the_empty_cache_then_fills_in() {
    let server = server(5, 20);
    let h = open(&server, false);
    let mut context = h.context();
    server.hold();
    let started = Instant::now();
    assert_eq!(fetch_ids(&mut context), Vec::<ObjectId>::new(), "the empty cache answers");
    assert!(started.elapsed() < Duration::from_secs(2), "the fetch waited for the server");
    assert!(matches!(h.event(|_| true), RestEvent::FetchStarted { kind: RemoteKind::Fetch, .. }));
    server.release();
    let (changes, not_modified) = finished(h.fetch_outcome());
    assert_eq!((changes.inserted.len(), not_modified), (5, false));
    context.merge_changes(changes.merge_request()).expect("the context merges");
    let ids = fetch_ids(&mut context);
    assert_eq!(ids.len(), 5);
    assert_eq!(context.get::<String>(ids[0], "title").expect("a title"), "Palette 1");
}

#[test]
fn paging_reads_every_page() {
    let server = server(45, 20);
    let h = open(&server, true);
    assert_eq!(h.titles().len(), 45);
    let lists = server.requests().into_iter().filter(|r| r.target.starts_with("/palettes?")).count();
    assert_eq!(lists, 3);
}

#[test]
fn a_refetch_is_conditional_and_a_304_changes_nothing() {
    let server = server(5, 20);
    let h = open(&server, true);
    assert_eq!(h.titles().len(), 5);
    let (changes, _) = finished(h.fetch_outcome());
    assert_eq!(changes.inserted.len(), 5);
    assert_eq!(h.titles().len(), 5);
    let (changes, not_modified) = finished(h.fetch_outcome());
    assert!(not_modified && changes.is_empty(), "{changes:?}");
    let last = server.requests().pop().expect("a request");
    assert_eq!(last.status, Some(304));
    assert!(last.if_none_match.is_some());
}

#[test]
fn without_etags_a_refetch_revalidates_with_last_modified() {
    let server = PalettesServer::start(PalettesOptions::default().with_palettes(5).with_etags(false))
        .expect("the fixture server starts on 127.0.0.1");
    let h = open(&server, true);
    assert_eq!(h.titles().len(), 5);
    finished(h.fetch_outcome());
    assert_eq!(h.titles().len(), 5);
    let (changes, not_modified) = finished(h.fetch_outcome());
    assert!(not_modified && changes.is_empty(), "{changes:?}");
    let last = server.requests().pop().expect("a request");
    assert_eq!((last.if_none_match, last.status), (None, Some(304)));
    assert_eq!(last.if_modified_since.as_deref(), Some("Thu, 01 Jan 2015 12:00:05 GMT"));
}

#[test]
fn server_errors_and_dropped_connections_leave_the_cache_intact() {
    let server = server(5, 20);
    let h = open(&server, true);
    assert_eq!(h.titles().len(), 5);
    finished(h.fetch_outcome());

    server.fail_next(1);
    assert_eq!(h.titles().len(), 5, "the cache answers");
    match failed(h.fetch_outcome()) {
        RestError::Http { status: 500, body_excerpt, .. } => {
            assert!(body_excerpt.contains("injected failure"))
        }
        other => panic!("expected HTTP 500, got {other:?}"),
    }
    server.drop_next(1);
    assert_eq!(h.titles().len(), 5, "the cache answers");
    let error = failed(h.fetch_outcome());
    assert!(matches!(error, RestError::Network { .. }), "{error:?}");
}

#[test]
fn a_response_slower_than_the_timeout_fails_cleanly() {
    let server = server(5, 20);
    let model = model();
    let h = open_with(client(&model, &server, 20), options(true).with_timeout(Duration::from_millis(200)));
    assert_eq!(h.titles().len(), 5);
    finished(h.fetch_outcome());
    server.set_delay(Duration::from_secs(3));
    let started = Instant::now();
    assert_eq!(h.titles().len(), 5, "the cache answers");
    assert!(started.elapsed() < Duration::from_secs(2), "the timeout was not applied");
    let error = failed(h.fetch_outcome());
    assert!(matches!(error, RestError::Timeout { .. }), "{error:?}");
}

#[test]
fn retries_get_past_a_transient_failure() {
    let server = server(3, 20);
    let model = model();
    let h = open_with(client(&model, &server, 20), options(true).with_retries(2));
    server.fail_next(1);
    assert_eq!(h.titles().len(), 3);
    let statuses: Vec<Option<u16>> = server.requests().into_iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(500), Some(200)]);
}

#[test]
fn malformed_json_fails_the_fetch_with_its_position() {
    let server = server(5, 20);
    let h = open(&server, true);
    server.malformed_next(1);
    assert_eq!(h.titles().len(), 0);
    match failed(h.fetch_outcome()) {
        RestError::MalformedResponse { line: 1, column, .. } => assert!(column > 0),
        other => panic!("expected a malformed response, got {other:?}"),
    }
    assert_eq!(h.titles().len(), 5, "the next fetch works");
}

#[test]
fn concurrent_fetches_make_one_object_per_resource() {
    let server = server(12, 20);
    let model = model();
    // Offset paging gives overlapping fetches distinct URLs, so they are not coalesced.
    let client = ConventionalClient::builder(server.url())
        .entity(strata_rest::EntityMapping::new("Palette", "/palettes").numeric_ids(true))
        .paging(strata_rest::Paging::offset_limit("offset", "limit", 20))
        .build(&model)
        .expect("the client's configuration fits the model");
    let h = open_with(client, options(false));
    let entity = model.entity("Palette").expect("Palette").index();
    server.hold();
    std::thread::scope(|scope| {
        for offset in 0..6 {
            let store = &h.store;
            scope.spawn(move || {
                let request = StoreFetchRequest {
                    entity,
                    include_subentities: true,
                    predicate: None,
                    sort: Vec::new(),
                    offset,
                    limit: None,
                    result: StoreResultType::Ids,
                };
                store.fetch(&request).expect("the cache answers")
            });
        }
    });
    server.release();
    assert!(h.store.wait_idle(WAIT), "requests still in flight");
    assert!(server.request_count() >= 6, "{:?}", server.requests());
    let titles = h.titles();
    assert_eq!(titles.len(), 12, "{titles:?}");
    let mut unique = titles.clone();
    unique.dedup();
    assert_eq!(unique, titles, "a resource was cached twice");
}

#[test]
fn identical_concurrent_fetches_share_one_request() {
    let server = server(5, 20);
    let h = open(&server, false);
    server.hold();
    std::thread::scope(|scope| {
        for _ in 0..6 {
            let coordinator = &h.coordinator;
            scope.spawn(move || fetch_ids(&mut Context::new(Arc::clone(coordinator))));
        }
    });
    server.release();
    assert!(h.store.wait_idle(WAIT), "requests still in flight");
    let lists = server.requests().into_iter().filter(|r| r.target.starts_with("/palettes?")).count();
    assert_eq!(lists, 1, "{:?}", server.requests());
    assert_eq!(h.titles().len(), 5);
}

#[test]
fn a_delete_on_the_server_is_reflected_after_refetch() {
    let server = server(5, 20);
    let h = open(&server, true);
    assert_eq!(h.titles().len(), 5);
    assert!(server.delete_palette(3));
    assert!(server.set_field(4, "title", json!("Palette 4, renamed")));
    finished(h.fetch_outcome());
    // Synchronous: the refetch completes before the cache answers.
    assert_eq!(h.titles(), ["Palette 1", "Palette 2", "Palette 4, renamed", "Palette 5"]);
    let (changes, _) = finished(h.fetch_outcome());
    assert_eq!((changes.deleted.len(), changes.updated.len()), (1, 1), "{changes:?}");
}

#[test]
fn saves_round_trip_through_the_server() {
    let server = server(2, 20);
    let h = open(&server, true);
    let mut context = h.context();
    assert_eq!(fetch_ids(&mut context).len(), 2);

    let new = context.insert("Palette").expect("an insert");
    context.set(new, "title", "Dusk").expect("a title");
    context.set(new, "colors", json!(["112233", "445566"])).expect("colors");
    context.save().expect("the server accepts the insert");
    assert!(matches!(
        h.event(|e| matches!(e, RestEvent::SaveStarted { .. })),
        RestEvent::SaveStarted { objects: 1 }
    ));
    match h.event(|e| matches!(e, RestEvent::SaveFinished { .. } | RestEvent::SaveFailed { .. })) {
        RestEvent::SaveFinished { changes } => assert_eq!(changes.inserted.len(), 1, "{changes:?}"),
        other => panic!("expected the save to finish, got {other:?}"),
    }
    assert_eq!(server.palette_ids(), [1, 2, 3]);
    assert_eq!(server.palette(3).expect("created")["colors"], json!(["112233", "445566"]));

    let first = fetch_ids(&mut context)[0];
    context.set(first, "title", "Dawn").expect("a title");
    context.save().expect("the server accepts the update");
    assert_eq!(server.palette(1).expect("still there")["title"], json!("Dawn"));
    assert!(server.requests().iter().any(|r| r.method == "PATCH" && r.target == "/palettes/1"));

    context.delete(first).expect("a delete");
    context.save().expect("the server accepts the delete");
    assert_eq!(server.palette_ids(), [2, 3]);
    assert_eq!(h.titles(), ["Dusk", "Palette 2"]);
}

#[test]
fn a_refused_save_reports_status_and_body_and_changes_nothing() {
    let server = server(2, 20);
    let h = open(&server, true);
    let mut context = h.context();
    let first = fetch_ids(&mut context)[0];
    context.set(first, "title", "Refused").expect("a title");
    server.fail_next(1);
    let error = context.save().expect_err("the server refuses");
    match rest_error(&error) {
        Some(RestError::Http { status: 500, body_excerpt, method: "PATCH", .. }) => {
            assert!(body_excerpt.contains("injected failure"), "{body_excerpt}");
        }
        other => panic!("expected HTTP 500 from the PATCH, got {other:?} in {error}"),
    }
    match h.event(|e| matches!(e, RestEvent::SaveFinished { .. } | RestEvent::SaveFailed { .. })) {
        RestEvent::SaveFailed { error: RestError::Http { status: 500, .. } } => {}
        other => panic!("expected the save to fail with HTTP 500, got {other:?}"),
    }
    assert_eq!(server.palette(1).expect("still there")["title"], json!("Palette 1"));
    assert_eq!(h.titles(), ["Palette 1", "Palette 2"], "the cache is untouched");
}

#[test]
fn offline_the_cache_still_answers_and_the_failure_is_notified() {
    let mut server = server(5, 20);
    let h = open(&server, true);
    assert_eq!(h.titles().len(), 5);
    finished(h.fetch_outcome());
    server.stop();
    assert_eq!(h.titles().len(), 5);
    let error = failed(h.fetch_outcome());
    assert!(matches!(error, RestError::Network { .. }), "{error:?}");
    let result = h.store.fetch(&StoreFetchRequest {
        entity: model().entity("Palette").expect("Palette").index(),
        include_subentities: true,
        predicate: None,
        sort: Vec::new(),
        offset: 0,
        limit: None,
        result: StoreResultType::Count,
    });
    assert!(matches!(result, Ok(StoreFetchResult::Count(5))), "{result:?}");
}
