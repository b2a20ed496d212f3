//! Sending one request with the store's policy: conditional headers from the validators
//! kept per URL (`If-None-Match`, `If-Modified-Since`), the response timeout, retries with
//! exponential backoff for network failures, timeouts and 5xx answers (never for 4xx), and
//! the conversion of an unsuccessful status into [`RestError::Http`].
//!
//! The validators live in memory and in the cache's user metadata (under a private key), so
//! a reopened store still sends conditional requests. Nothing here touches cached objects.

use std::collections::HashMap;

use serde_json::{Map, Value as Json, json};

use crate::{HttpMethod, HttpRequest, HttpResponse, RestClient, RestError};

use super::options::RestOptions;

/// The key of the validators in the cache's user metadata.
pub(crate) const VALIDATORS_KEY: &str = "strata.rest.validators";

/// What the server said about one URL the last time it answered `200`: its validators, and
/// what a `304` then stands for (the page's next request and its objects).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Validator {
    pub(crate) etag: Option<String>,
    pub(crate) last_modified: Option<String>,
    /// The next page's request, for list responses.
    pub(crate) next: Option<HttpRequest>,
    /// The (entity, resource identifier) of each object of the page.
    pub(crate) resources: Vec<(String, String)>,
}

impl Validator {
    pub(crate) fn from_response(response: &HttpResponse) -> Option<Validator> {
        let etag = response.header("ETag").map(str::to_owned);
        let last_modified = response.header("Last-Modified").map(str::to_owned);
        (etag.is_some() || last_modified.is_some()).then(|| Validator {
            etag,
            last_modified,
            ..Validator::default()
        })
    }

    /// `request` with the conditional headers of this validator.
    pub(crate) fn apply(
        etag: Option<&str>,
        last_modified: Option<&str>,
        request: &HttpRequest,
    ) -> HttpRequest {
        let mut request = request.clone();
        if let Some(etag) = etag {
            request.headers.push(("If-None-Match".into(), etag.to_owned()));
        }
        if let Some(date) = last_modified {
            request.headers.push(("If-Modified-Since".into(), date.to_owned()));
        }
        request
    }
}

/// Reads the validators kept in the cache's user metadata (anything unreadable is skipped:
/// losing a validator only costs a full response).
pub(crate) fn read_validators(user: &Map<String, Json>) -> HashMap<String, Validator> {
    let mut out = HashMap::new();
    let Some(Json::Object(entries)) = user.get(VALIDATORS_KEY) else { return out };
    for (url, entry) in entries {
        let text = |k: &str| entry.get(k).and_then(Json::as_str).map(str::to_owned);
        let resources = entry
            .get("resources")
            .and_then(Json::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|pair| {
                        Some((pair.get(0)?.as_str()?.to_owned(), pair.get(1)?.as_str()?.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let next = entry.get("next").and_then(request_from_json);
        out.insert(
            url.clone(),
            Validator { etag: text("etag"), last_modified: text("lastModified"), next, resources },
        );
    }
    out
}

/// The validators as JSON for the cache's user metadata.
pub(crate) fn validators_json(validators: &HashMap<String, Validator>) -> Json {
    let entries: Map<String, Json> = validators
        .iter()
        .map(|(url, v)| {
            let resources: Vec<Json> = v.resources.iter().map(|(e, r)| json!([e, r])).collect();
            let next = v.next.as_ref().map_or(Json::Null, request_json);
            (url.clone(), json!({ "etag": v.etag, "lastModified": v.last_modified, "next": next, "resources": resources }))
        })
        .collect();
    Json::Object(entries)
}

fn request_json(request: &HttpRequest) -> Json {
    json!({
        "method": request.method.as_str(),
        "url": request.url,
        "headers": request.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
        "body": request.body,
    })
}

fn request_from_json(json: &Json) -> Option<HttpRequest> {
    let method = match json.get("method")?.as_str()? {
        "GET" => HttpMethod::Get,
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        _ => return None,
    };
    let headers = json
        .get("headers")?
        .as_array()?
        .iter()
        .map(|pair| Some((pair.get(0)?.as_str()?.to_owned(), pair.get(1)?.as_str()?.to_owned())))
        .collect::<Option<Vec<_>>>()?;
    let body: Option<Vec<u8>> = serde_json::from_value(json.get("body")?.clone()).ok()?;
    Some(HttpRequest { method, url: json.get("url")?.as_str()?.to_owned(), headers, body })
}

/// The error for an unsuccessful answer, with the start of its body.
pub(crate) fn http_error(request: &HttpRequest, response: &HttpResponse) -> RestError {
    const EXCERPT: usize = 300;
    let body = String::from_utf8_lossy(&response.body);
    let mut end = body.len().min(EXCERPT);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    RestError::Http {
        method: request.method.as_str(),
        url: request.url.clone(),
        status: response.status,
        body_excerpt: body[..end].to_owned(),
    }
}

/// Sends `request`, retrying network failures, timeouts and 5xx answers with backoff. Any
/// other answer (2xx, 304, 4xx) is returned as it is; a 5xx still there after the last retry
/// is [`RestError::Http`].
pub(crate) fn send(
    client: &dyn RestClient,
    options: &RestOptions,
    request: &HttpRequest,
) -> Result<HttpResponse, RestError> {
    let mut attempt = 0;
    loop {
        let outcome = client.send(request, options.timeout);
        let retryable = match &outcome {
            Ok(response) => response.status >= 500,
            Err(RestError::Network { .. } | RestError::Timeout { .. }) => true,
            Err(_) => false,
        };
        if !retryable || attempt >= options.retries {
            return match outcome {
                Ok(response) if response.status >= 500 => Err(http_error(request, &response)),
                other => other,
            };
        }
        attempt += 1;
        let wait = options.backoff_before(attempt);
        tracing::debug!(url = %request.url, attempt, ?wait, "retrying a REST request");
        std::thread::sleep(wait);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators_survive_the_metadata_round_trip() {
        let mut validators = HashMap::new();
        let mut next = HttpRequest::get("http://h/p?page=2");
        next.headers.push(("Accept".into(), "application/json".into()));
        validators.insert(
            "http://h/p".to_owned(),
            Validator {
                etag: Some("\"v1\"".into()),
                last_modified: None,
                next: Some(next),
                resources: vec![("Palette".into(), "7".into())],
            },
        );
        let mut user = Map::new();
        user.insert(VALIDATORS_KEY.into(), validators_json(&validators));
        assert_eq!(read_validators(&user), validators);
    }

    #[test]
    fn http_errors_cut_the_body_on_a_character_boundary() {
        let response = HttpResponse { status: 500, headers: Vec::new(), body: "é".repeat(400).into_bytes() };
        let RestError::Http { status, body_excerpt, .. } =
            http_error(&HttpRequest::get("http://h/x"), &response)
        else {
            panic!("not an HTTP error")
        };
        assert_eq!((status, body_excerpt.chars().count()), (500, 150));
    }
}
