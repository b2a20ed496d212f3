use serde_json::json;
use strata_model::{Date, Value};

use super::*;
use crate::RelationshipValue;

const MODEL: &str = r#"{ "name": "Art", "version": 1, "entities": [
  { "name": "Palette",
    "attributes": [
      { "name": "title", "type": "string" },
      { "name": "colorWidths", "type": "json" },
      { "name": "created", "type": "date" } ],
    "relationships": [
      { "name": "author", "destination": "Artist", "toMany": false, "inverse": "palettes" } ] },
  { "name": "Artist",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [
      { "name": "palettes", "destination": "Palette", "toMany": true, "inverse": "author" } ] } ] }"#;

fn model() -> Model {
    Model::from_json(MODEL).unwrap()
}

fn client(model: &Model, paging: Paging) -> ConventionalClient {
    ConventionalClient::builder("http://api.test/v1/")
        .entity(
            EntityMapping::new("Palette", "/palettes").key("colorWidths", "color_widths").numeric_ids(true),
        )
        .entity(
            EntityMapping::new("Artist", "artists").id_key("slug").relationship_path("palettes", "palettes"),
        )
        .paging(paging)
        .header("Authorization", "Bearer t")
        .build(model)
        .unwrap()
}

fn ok(body: &str, headers: &[(&str, &str)]) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        body: body.as_bytes().to_vec(),
    }
}

fn fetch<'a>(model: &'a Model, offset: usize, limit: Option<usize>) -> RemoteFetch<'a> {
    let entity = model.entity("Palette").unwrap();
    RemoteFetch { model, entity, predicate: None, sort: &[], offset, limit }
}

#[test]
fn configuration_errors_are_caught_at_build() {
    let model = model();
    let bad = |builder: ConventionalClientBuilder| match builder.build(&model) {
        Err(RestError::Configuration { reason }) => reason,
        other => panic!("expected a configuration error, got {other:?}"),
    };
    let reason = bad(ConventionalClient::builder("http://h").entity(EntityMapping::new("Palete", "/p")));
    assert!(reason.contains("did you mean Palette"), "{reason}");
    let reason =
        bad(ConventionalClient::builder("http://h")
            .entity(EntityMapping::new("Palette", "/p").key("titel", "t")));
    assert!(reason.contains("did you mean title"), "{reason}");
    let reason = bad(ConventionalClient::builder("http://h")
        .entity(EntityMapping::new("Palette", "/p").key("title", "id")));
    assert!(reason.contains("\"id\""), "{reason}");
    assert!(bad(ConventionalClient::builder("ftp://h")).contains("base URL"));
    assert!(bad(ConventionalClient::builder("http://")).contains("base URL"));
    assert!(
        bad(ConventionalClient::builder("http://h").paging(Paging::page_number("p", "n", 0))).contains("0")
    );
}

#[test]
fn requests_carry_paths_paging_and_headers() {
    let model = model();
    let c = client(&model, Paging::page_number("page", "per_page", 20));
    let first = c.fetch_request(&fetch(&model, 0, None)).unwrap().unwrap();
    assert_eq!(first.url, "http://api.test/v1/palettes?page=1&per_page=20");
    assert_eq!(first.header("authorization"), Some("Bearer t"));
    let third = c.fetch_request(&fetch(&model, 45, Some(5))).unwrap().unwrap();
    assert_eq!(third.url, "http://api.test/v1/palettes?page=3&per_page=20");
    let palette = model.entity("Palette").unwrap();
    let one = c.object_request(palette, "a b").unwrap().unwrap();
    assert_eq!(one.url, "http://api.test/v1/palettes/a%20b");
    let artist = model.entity("Artist").unwrap();
    let rel =
        c.relationship_request(artist, "van", artist.relationship("palettes").unwrap()).unwrap().unwrap();
    assert_eq!(rel.url, "http://api.test/v1/artists/van/palettes");
    assert!(c.relationship_request(palette, "1", palette.relationship("author").unwrap()).unwrap().is_none());
    let delete = c.delete_request(palette, "7").unwrap().unwrap();
    assert_eq!((delete.method, delete.url.as_str()), (HttpMethod::Delete, "http://api.test/v1/palettes/7"));

    let c = client(&model, Paging::offset_limit("offset", "limit", 50));
    let window = c.fetch_request(&fetch(&model, 10, Some(5))).unwrap().unwrap();
    assert_eq!(window.url, "http://api.test/v1/palettes?offset=10&limit=5");
}

#[test]
fn pages_follow_link_headers_next_fields_and_short_pages() {
    let model = model();
    let palette = model.entity("Palette").unwrap();
    let c = client(&model, Paging::page_number("page", "per_page", 2));
    let first = c.fetch_request(&fetch(&model, 0, None)).unwrap().unwrap();
    let two = r#"[{"id": 1, "title": "a"}, {"id": 2, "title": "b"}]"#;

    let page = c.parse_page(palette, &first, &ok(two, &[])).unwrap();
    assert_eq!(page.representations.len(), 2);
    assert_eq!(page.next.unwrap().url, "http://api.test/v1/palettes?page=2&per_page=2");
    let short = c.parse_page(palette, &first, &ok(r#"[{"id": 3}]"#, &[])).unwrap();
    assert!(short.next.is_none());

    let link = [("Link", "</v1/palettes?page=9&per_page=2>; rel=\"next\"")];
    let page = c.parse_page(palette, &first, &ok(r#"[{"id": 1}]"#, &link)).unwrap();
    assert_eq!(page.next.unwrap().url, "http://api.test/v1/palettes?page=9&per_page=2");

    let envelope = r#"{"items": [{"id": "x"}, {"id": "y"}], "next": null}"#;
    assert!(c.parse_page(palette, &first, &ok(envelope, &[])).unwrap().next.is_none());
    let envelope = r#"{"items": [{"id": "x"}], "next": "?page=2&per_page=2"}"#;
    let page = c.parse_page(palette, &first, &ok(envelope, &[])).unwrap();
    assert_eq!(page.next.unwrap().url, "http://api.test/v1/palettes?page=2&per_page=2");
}

#[test]
fn a_limited_fetch_stops_paging_at_its_limit() {
    let model = model();
    let palette = model.entity("Palette").unwrap();
    let c = client(&model, Paging::offset_limit("offset", "limit", 2));
    let first = c.fetch_request(&fetch(&model, 0, Some(3))).unwrap().unwrap();
    assert_eq!(first.url, "http://api.test/v1/palettes?offset=0&limit=2");
    let two = r#"[{"id": 1}, {"id": 2}]"#;
    let second = c.parse_page(palette, &first, &ok(two, &[])).unwrap().next.unwrap();
    assert_eq!(second.url, "http://api.test/v1/palettes?offset=2&limit=1");
    assert!(c.parse_page(palette, &second, &ok(r#"[{"id": 3}]"#, &[])).unwrap().next.is_none());
    // The same first page without a limit pages on.
    let first = c.fetch_request(&fetch(&model, 0, None)).unwrap().unwrap();
    assert!(c.parse_page(palette, &first, &ok(two, &[])).unwrap().next.is_some());
}

#[test]
fn objects_convert_values_keys_and_references() {
    let model = model();
    let palette = model.entity("Palette").unwrap();
    let c = client(&model, Paging::Unpaged);
    let request = c.object_request(palette, "7").unwrap().unwrap();
    let body = r#"{"id": 7, "title": "Sea", "color_widths": [0.5, 0.5], "created": "2024-05-01T10:00:00Z",
                   "author": {"slug": "van", "name": "V"}, "unknown": 1}"#;
    let response = ok(body, &[("ETag", "\"v3\""), ("Last-Modified", "Wed, 01 May 2024 10:00:00 GMT")]);
    let r = c.parse_object(palette, &request, &response).unwrap().unwrap();
    assert_eq!(r.resource_id, "7");
    assert_eq!(r.etag.as_deref(), Some("\"v3\""));
    assert_eq!(r.last_modified.as_deref(), Some("Wed, 01 May 2024 10:00:00 GMT"));
    let created: Date = "2024-05-01T10:00:00Z".parse().unwrap();
    assert_eq!(
        r.attributes,
        vec![
            ("title".to_owned(), Value::from("Sea")),
            ("colorWidths".to_owned(), Value::Json(json!([0.5, 0.5]))),
            ("created".to_owned(), Value::Date(created)),
        ]
    );
    assert_eq!(
        r.relationships,
        vec![("author".to_owned(), RelationshipValue::ToOne(Some("van".to_owned())))]
    );
    let empty = HttpResponse { status: 204, headers: Vec::new(), body: Vec::new() };
    assert!(c.parse_object(palette, &request, &empty).unwrap().is_none());

    let artist = model.entity("Artist").unwrap();
    let list = c.fetch_request(&RemoteFetch { entity: artist, ..fetch(&model, 0, None) }).unwrap().unwrap();
    let page = c.parse_page(artist, &list, &ok(r#"[{"slug": "van", "palettes": [1, "2"]}]"#, &[])).unwrap();
    let expected = RelationshipValue::ToMany(vec!["1".to_owned(), "2".to_owned()]);
    assert_eq!(page.representations[0].relationships, vec![("palettes".to_owned(), expected)]);
}

#[test]
fn bodies_use_json_forms_and_mapped_keys() {
    let model = model();
    let palette = model.entity("Palette").unwrap();
    let artist = model.entity("Artist").unwrap();
    let c = client(&model, Paging::Unpaged);
    let created: Date = "2024-05-01T10:00:00Z".parse().unwrap();
    let representation = Representation {
        entity: "Palette".to_owned(),
        resource_id: String::new(),
        attributes: vec![
            ("colorWidths".to_owned(), Value::Json(json!([1.0]))),
            ("created".to_owned(), Value::Date(created)),
        ],
        relationships: vec![("author".to_owned(), RelationshipValue::ToOne(Some("van".to_owned())))],
        etag: None,
        last_modified: None,
    };
    let insert = c.insert_request(palette, &representation).unwrap().unwrap();
    assert_eq!((insert.method, insert.url.as_str()), (HttpMethod::Post, "http://api.test/v1/palettes"));
    assert_eq!(insert.header("content-type"), Some("application/json"));
    let sent: Json = serde_json::from_slice(insert.body.as_deref().unwrap()).unwrap();
    assert_eq!(sent, json!({"color_widths": [1.0], "created": "2024-05-01T10:00:00Z", "author": "van"}));

    let update = Representation {
        entity: "Artist".to_owned(),
        resource_id: "van".to_owned(),
        attributes: vec![],
        relationships: vec![(
            "palettes".to_owned(),
            RelationshipValue::ToMany(vec!["3".to_owned(), "x".to_owned()]),
        )],
        etag: None,
        last_modified: None,
    };
    let request = c.update_request(artist, &update).unwrap().unwrap();
    assert_eq!((request.method, request.url.as_str()), (HttpMethod::Patch, "http://api.test/v1/artists/van"));
    let sent: Json = serde_json::from_slice(request.body.as_deref().unwrap()).unwrap();
    assert_eq!(sent, json!({"palettes": [3, "x"]}));

    let nan =
        Representation { attributes: vec![("colorWidths".to_owned(), Value::Double(f64::NAN))], ..update };
    assert!(matches!(c.update_request(palette, &nan), Err(RestError::Store(_))));
}

#[test]
fn malformed_bodies_name_the_line_and_column_or_the_object() {
    let model = model();
    let palette = model.entity("Palette").unwrap();
    let c = client(&model, Paging::Unpaged);
    let request = c.fetch_request(&fetch(&model, 0, None)).unwrap().unwrap();
    match c.parse_page(palette, &request, &ok("[\n  {\"id\": 1,\n  \"title\" \"x\"}]", &[])) {
        Err(RestError::MalformedResponse { line: 3, column, url, .. }) => {
            assert!(column > 0);
            assert_eq!(url, request.url);
        }
        other => panic!("expected a malformed response, got {other:?}"),
    }
    match c.parse_page(palette, &request, &ok(r#"[{"id": 1}, {"id": 2, "title": 5}]"#, &[])) {
        Err(RestError::MalformedResponse { line: 0, message, .. }) => {
            assert!(message.contains("item 1") && message.contains("\"title\""), "{message}");
        }
        other => panic!("expected a shape error, got {other:?}"),
    }
    let no_id = c.parse_page(palette, &request, &ok(r#"[{"title": "x"}]"#, &[]));
    assert!(matches!(no_id, Err(RestError::MalformedResponse { line: 0, .. })), "{no_id:?}");
    let not_a_list = c.parse_page(palette, &request, &ok(r#"{"data": []}"#, &[]));
    assert!(matches!(not_a_list, Err(RestError::MalformedResponse { line: 0, .. })), "{not_a_list:?}");
}

#[test]
fn a_sort_parameter_is_sent_when_every_key_is_an_attribute() {
    use strata_predicate::SortDescriptor;
    let model = model();
    let palette = model.entity("Palette").unwrap();
    let c = ConventionalClient::builder("http://api.test")
        .entity(EntityMapping::new("Palette", "/palettes").key("colorWidths", "color widths"))
        .entity(EntityMapping::new("Artist", "/artists"))
        .paging(Paging::page_number("page", "per_page", 10))
        .sort_param("sort")
        .build(&model)
        .unwrap();
    let sort = [SortDescriptor::descending("created"), SortDescriptor::ascending("colorWidths")];
    let request = c.fetch_request(&RemoteFetch { sort: &sort, ..fetch(&model, 0, None) }).unwrap().unwrap();
    assert_eq!(request.url, "http://api.test/palettes?sort=-created,color%20widths&page=1&per_page=10");
    let next = c.parse_page(
        palette,
        &request,
        &ok(
            r#"[{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}, {"id": 5},
        {"id": 6}, {"id": 7}, {"id": 8}, {"id": 9}, {"id": 10}]"#,
            &[],
        ),
    );
    let next = next.unwrap().next.unwrap();
    assert_eq!(next.url, "http://api.test/palettes?sort=-created,color%20widths&page=2&per_page=10");
    let through = [SortDescriptor::ascending("author.name")];
    let request =
        c.fetch_request(&RemoteFetch { sort: &through, ..fetch(&model, 0, None) }).unwrap().unwrap();
    assert_eq!(request.url, "http://api.test/palettes?page=1&per_page=10");
}
