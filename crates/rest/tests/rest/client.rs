//! The ready client against the fixture server, without a store: paging, ETags, saves,
//! and every failure the fixture can inject.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::json;
use strata_model::Value;
use strata_rest::fixture::PalettesServer;
use strata_rest::{HttpRequest, Representation, RestClient, RestError};

use crate::support::{client, model, server};

const TIMEOUT: Duration = Duration::from_secs(5);

/// The first page of palettes, as the client's `fetch_request` builds it (a `RemoteFetch`
/// cannot be built outside the crate; the unit tests check that URL).
fn first_page(server: &PalettesServer) -> HttpRequest {
    let mut request = HttpRequest::get(format!("{}/palettes?page=1&per_page=20", server.url()));
    request.headers.push(("Accept".to_owned(), "application/json".to_owned()));
    request
}

#[test]
fn paging_walks_every_page_once() {
    let model = model();
    let server = server(45, 20);
    let client = client(&model, &server, 20);
    let palette = model.entity("Palette").expect("Palette");
    let mut next = Some(first_page(&server));
    let mut ids = BTreeSet::new();
    let mut pages = 0;
    while let Some(request) = next.take() {
        let response = client.send(&request, TIMEOUT).expect("the fixture answers");
        assert_eq!(response.status, 200);
        let page = client.parse_page(palette, &request, &response).expect("a page of palettes");
        for r in &page.representations {
            assert!(ids.insert(r.resource_id.clone()), "palette {} came twice", r.resource_id);
        }
        next = page.next;
        pages += 1;
        assert!(pages <= 3, "paging does not stop");
    }
    assert_eq!(pages, 3);
    let expected: BTreeSet<String> = (1..=45).map(|i| i.to_string()).collect();
    assert_eq!(ids, expected);
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        ["/palettes?page=1&per_page=20", "/palettes?page=2&per_page=20", "/palettes?page=3&per_page=20"]
    );
}

#[test]
fn representations_carry_converted_values_and_etags() {
    let model = model();
    let server = server(3, 20);
    let client = client(&model, &server, 20);
    let palette = model.entity("Palette").expect("Palette");
    let request = client.object_request(palette, "2").expect("request").expect("objects are readable");
    let response = client.send(&request, TIMEOUT).expect("the fixture answers");
    let r = client.parse_object(palette, &request, &response).expect("a palette").expect("a body");
    assert_eq!(r.resource_id, "2");
    assert_eq!(r.etag.as_deref(), Some("\"p2-v1\""));
    let value = |name: &str| r.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(value("title"), Some(Value::from("Palette 2")));
    assert_eq!(value("colorWidths"), Some(Value::Json(json!([0.19, 0.19, 0.08, 0.08, 0.46]))));
    let created = "2015-01-02T12:00:00Z".parse().expect("a date");
    assert_eq!(value("created"), Some(Value::Date(created)));
}

#[test]
fn etags_answer_304_until_the_server_changes() {
    let model = model();
    let server = server(3, 20);
    let client = client(&model, &server, 20);
    let request = first_page(&server);
    let first = client.send(&request, TIMEOUT).expect("the fixture answers");
    let etag = first.header("ETag").expect("lists carry an ETag").to_owned();
    let mut conditional = request.clone();
    conditional.headers.push(("If-None-Match".to_owned(), etag.clone()));
    let again = client.send(&conditional, TIMEOUT).expect("the fixture answers");
    assert_eq!((again.status, again.body.len()), (304, 0));

    assert!(server.set_field(2, "title", json!("Renamed")));
    let changed = client.send(&conditional, TIMEOUT).expect("the fixture answers");
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("ETag"), Some(etag.as_str()));
    let logged: Vec<Option<String>> = server.requests().into_iter().map(|r| r.if_none_match).collect();
    assert_eq!(logged, [None, Some(etag.clone()), Some(etag)]);
}

#[test]
fn insert_update_delete_round_trip() {
    let model = model();
    let server = server(1, 20);
    let client = client(&model, &server, 20);
    let palette = model.entity("Palette").expect("Palette");
    let new = Representation {
        entity: "Palette".to_owned(),
        resource_id: String::new(),
        attributes: vec![
            ("title".to_owned(), Value::from("Dusk")),
            ("colors".to_owned(), Value::Json(json!(["112233"]))),
        ],
        relationships: Vec::new(),
        etag: None,
        last_modified: None,
    };
    let insert = client.insert_request(palette, &new).expect("request").expect("inserts are supported");
    let created = client.send(&insert, TIMEOUT).expect("the fixture answers");
    assert_eq!(created.status, 201);
    let created = client.parse_object(palette, &insert, &created).expect("a palette").expect("a body");
    assert_eq!(created.resource_id, "2");
    assert_eq!(server.palette(2).expect("created")["title"], json!("Dusk"));

    let change = Representation {
        resource_id: "2".to_owned(),
        attributes: vec![("title".to_owned(), Value::from("Dawn"))],
        ..new
    };
    let update = client.update_request(palette, &change).expect("request").expect("updates are supported");
    let updated = client.send(&update, TIMEOUT).expect("the fixture answers");
    assert_eq!(updated.status, 200);
    let stored = server.palette(2).expect("still there");
    assert_eq!((&stored["title"], &stored["colors"]), (&json!("Dawn"), &json!(["112233"])));

    let delete = client.delete_request(palette, "2").expect("request").expect("deletes are supported");
    assert_eq!(client.send(&delete, TIMEOUT).expect("the fixture answers").status, 204);
    assert_eq!(server.palette_ids(), [1]);
    let read = client.object_request(palette, "2").expect("request").expect("objects are readable");
    assert_eq!(client.send(&read, TIMEOUT).expect("the fixture answers").status, 404);
}

#[test]
fn injected_failures_are_clean_errors_or_statuses() {
    let model = model();
    let mut server = server(3, 20);
    let client = client(&model, &server, 20);
    let palette = model.entity("Palette").expect("Palette");
    let request = first_page(&server);

    server.fail_next(1);
    let failed = client.send(&request, TIMEOUT).expect("a 500 is a response, not an error");
    assert_eq!(failed.status, 500);
    assert!(String::from_utf8_lossy(&failed.body).contains("injected failure"));

    server.drop_next(1);
    let dropped = client.send(&request, TIMEOUT);
    assert!(matches!(dropped, Err(RestError::Network { method: "GET", .. })), "{dropped:?}");

    server.malformed_next(1);
    let truncated = client.send(&request, TIMEOUT).expect("the fixture answers");
    match client.parse_page(palette, &request, &truncated) {
        Err(RestError::MalformedResponse { line: 1, column, .. }) => assert!(column > 20, "column {column}"),
        other => panic!("expected a malformed response at line 1, got {other:?}"),
    }

    server.set_delay(Duration::from_secs(3));
    let started = Instant::now();
    let slow = client.send(&request, Duration::from_millis(200));
    assert!(matches!(slow, Err(RestError::Timeout { .. })), "{slow:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "the timeout was not applied");
    server.set_delay(Duration::ZERO);
    assert_eq!(client.send(&request, TIMEOUT).expect("answers again").status, 200);

    server.stop();
    let offline = client.send(&request, TIMEOUT);
    assert!(matches!(offline, Err(RestError::Network { .. })), "{offline:?}");
}

#[test]
fn concurrent_requests_are_all_answered() {
    let model = model();
    let server = server(10, 20);
    let client = client(&model, &server, 20);
    let palette = model.entity("Palette").expect("Palette");
    server.set_delay(Duration::from_millis(100));
    let started = Instant::now();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..=10)
            .map(|id| {
                let client = &client;
                scope.spawn(move || {
                    let request =
                        client.object_request(palette, &id.to_string()).expect("request").expect("readable");
                    client.send(&request, TIMEOUT).map(|r| r.status)
                })
            })
            .collect();
        for handle in handles {
            assert_eq!(handle.join().expect("no panic").expect("answered"), 200);
        }
    });
    // Ten 100 ms responses on eight threads take two rounds (0.2 s), not ten (1 s).
    assert!(started.elapsed() < Duration::from_millis(800), "took {:?}", started.elapsed());
    assert_eq!(server.request_count(), 10);
}
