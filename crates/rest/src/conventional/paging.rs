//! URLs and pages: building list, object and relationship URLs, reading and rewriting query
//! parameters, the `Link: <…>; rel="next"` header, and remembering how many objects a
//! limited fetch still wants so that its last page stops the paging. No I/O.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Percent-encodes one path segment or query value (RFC 3986 unreserved characters stay).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `base` and `path` joined by exactly one slash.
pub(crate) fn join(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    let path = path.trim_start_matches('/');
    if path.is_empty() { base.to_owned() } else { format!("{base}/{path}") }
}

/// The value of query parameter `name` in `url`, if present.
pub(crate) fn query_param<'u>(url: &'u str, name: &str) -> Option<&'u str> {
    let (_, query) = url.split_once('?')?;
    let query = query.split('#').next().unwrap_or_default();
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then_some(value)
    })
}

/// `url` with the query parameters in `params` set (replaced where present, appended
/// otherwise); names and values are used as given (callers encode them).
pub(crate) fn with_params(url: &str, params: &[(&str, String)]) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    for (name, value) in params {
        match pairs.iter_mut().find(|(k, _)| k == name) {
            Some(pair) => pair.1.clone_from(value),
            None => pairs.push(((*name).to_owned(), value.clone())),
        }
    }
    if pairs.is_empty() {
        return path.to_owned();
    }
    let query: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{path}?{}", query.join("&"))
}

/// The target of the `rel="next"` link of a `Link` header, if any.
pub(crate) fn link_next(header: &str) -> Option<&str> {
    header.split(',').find_map(|link| {
        let mut parts = link.split(';');
        let target = parts.next()?.trim();
        let target = target.strip_prefix('<')?.strip_suffix('>')?;
        let is_next = parts.any(|param| {
            let Some((key, value)) = param.split_once('=') else { return false };
            key.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
        });
        is_next.then_some(target)
    })
}

/// `reference` (absolute, origin-relative `/…` or query-only `?…`) resolved against `url`.
pub(crate) fn resolve(url: &str, reference: &str) -> String {
    if reference.starts_with("http://") || reference.starts_with("https://") {
        return reference.to_owned();
    }
    if let Some(query) = reference.strip_prefix('?') {
        let path = url.split('?').next().unwrap_or(url);
        return format!("{path}?{query}");
    }
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let origin_end = url[scheme_end..].find('/').map_or(url.len(), |i| scheme_end + i);
    let origin = &url[..origin_end];
    if reference.starts_with('/') {
        format!("{origin}{reference}")
    } else {
        let path = url.split('?').next().unwrap_or(url);
        let directory = path.rfind('/').filter(|&i| i >= origin_end).map_or(origin, |i| &path[..i]);
        format!("{directory}/{reference}")
    }
}

/// How many objects limited fetches still want from the page at a URL, so that paging stops
/// once a fetch's `limit` is reached. Bounded: the oldest entries are forgotten (a forgotten
/// window pages on to the end of the list, which wastes requests but loses nothing).
#[derive(Debug, Default)]
pub(crate) struct Windows {
    inner: Mutex<WindowsInner>,
}

#[derive(Debug, Default)]
struct WindowsInner {
    remaining: HashMap<String, usize>,
    order: VecDeque<String>,
}

const MAX_WINDOWS: usize = 1024;

impl Windows {
    /// Records that the page at `url` starts a window of `remaining` wanted objects, or (with
    /// `None`) that it pages to the end.
    pub(crate) fn set(&self, url: &str, remaining: Option<usize>) {
        let mut inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match remaining {
            None => {
                inner.remaining.remove(url);
            }
            Some(n) => {
                if inner.remaining.insert(url.to_owned(), n).is_none() {
                    inner.order.push_back(url.to_owned());
                }
                while inner.order.len() > MAX_WINDOWS {
                    if let Some(old) = inner.order.pop_front() {
                        inner.remaining.remove(&old);
                    }
                }
            }
        }
    }

    /// How many objects the page at `url` and its successors are still wanted for.
    pub(crate) fn get(&self, url: &str) -> Option<usize> {
        let inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.remaining.get(url).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_joined_encoded_and_rewritten() {
        assert_eq!(join("http://h/api/", "/palettes"), "http://h/api/palettes");
        assert_eq!(encode("a b/ç"), "a%20b%2F%C3%A7");
        let url = with_params("http://h/p?x=1&page=2", &[("page", "3".into()), ("per_page", "20".into())]);
        assert_eq!(url, "http://h/p?x=1&page=3&per_page=20");
        assert_eq!(query_param(&url, "page"), Some("3"));
        assert_eq!(query_param(&url, "nope"), None);
    }

    #[test]
    fn link_headers_and_relative_references() {
        let header = r#"<http://h/p?page=1>; rel="prev", <http://h/p?page=3>; rel="next last""#;
        assert_eq!(link_next(header), Some("http://h/p?page=3"));
        assert_eq!(link_next(r#"<http://h/p?page=1>; rel="prev""#), None);
        assert_eq!(resolve("http://h:1/api/p?page=1", "/api/p?page=2"), "http://h:1/api/p?page=2");
        assert_eq!(resolve("http://h:1/api/p?page=1", "?page=2"), "http://h:1/api/p?page=2");
        assert_eq!(resolve("http://h:1/api/p?page=1", "q?page=2"), "http://h:1/api/q?page=2");
    }

    #[test]
    fn windows_are_bounded() {
        let windows = Windows::default();
        for i in 0..MAX_WINDOWS + 10 {
            windows.set(&format!("u{i}"), Some(i));
        }
        assert_eq!(windows.get("u0"), None);
        assert_eq!(windows.get(&format!("u{}", MAX_WINDOWS + 9)), Some(MAX_WINDOWS + 9));
        windows.set("u1030", None);
        assert_eq!(windows.get("u1030"), None);
    }
}
