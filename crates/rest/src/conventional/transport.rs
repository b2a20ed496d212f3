//! Sending one [`HttpRequest`] with ureq: every status is a response (never an error),
//! transport failures are [`RestError::Network`], a response not complete within the
//! timeout is [`RestError::Timeout`]. It never retries (the store does).

use std::io::ErrorKind;
use std::time::Duration;

use ureq::Agent;
use ureq::http;

use crate::{HttpRequest, HttpResponse, RestError};

/// A ureq agent that reports statuses as responses.
pub(crate) fn agent(user_agent: &str) -> Agent {
    Agent::config_builder().http_status_as_error(false).user_agent(user_agent).build().new_agent()
}

/// Sends `request` and reads the whole response, at most `max_body` bytes of body, within
/// `timeout` end to end.
pub(crate) fn send(
    agent: &Agent,
    request: &HttpRequest,
    timeout: Duration,
    max_body: u64,
) -> Result<HttpResponse, RestError> {
    let method = request.method.as_str();
    let error = |e: ureq::Error| classify(method, &request.url, timeout, e);
    let mut builder = http::Request::builder().method(method).uri(&request.url);
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let invalid = |e: http::Error| RestError::Configuration {
        reason: format!("cannot send {method} {}: {e}", request.url),
    };
    let response = match &request.body {
        Some(body) => {
            let http_request = builder.body(body.clone()).map_err(invalid)?;
            agent.run(agent.configure_request(http_request).timeout_global(Some(timeout)).build())
        }
        None => {
            let http_request = builder.body(()).map_err(invalid)?;
            agent.run(agent.configure_request(http_request).timeout_global(Some(timeout)).build())
        }
    };
    let mut response = response.map_err(error)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned())
        })
        .collect();
    let body = response.body_mut().with_config().limit(max_body).read_to_vec().map_err(error)?;
    Ok(HttpResponse { status, headers, body })
}

fn classify(method: &'static str, url: &str, after: Duration, error: ureq::Error) -> RestError {
    let timed_out = match &error {
        ureq::Error::Timeout(_) => true,
        ureq::Error::Io(io) => matches!(io.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock),
        _ => false,
    };
    if timed_out {
        RestError::Timeout { method, url: url.to_owned(), after }
    } else {
        RestError::Network { method, url: url.to_owned(), message: error.to_string() }
    }
}
