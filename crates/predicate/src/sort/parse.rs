//! [`SortDescriptor::parse_list`](super::SortDescriptor::parse_list): the `--sort` syntax,
//! `key[:ci|:localized] [asc|desc], …`, and its errors with byte offsets.
//!
//! Parsing never consults a model: [`SortDescriptor::check`](super::SortDescriptor::check)
//! does that.

use std::fmt;

use super::SortDescriptor;

/// Why a sort list did not parse. `Display` is one line ending in ` at <byte offset>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at {offset}")]
pub struct SortParseError {
    /// What went wrong.
    pub kind: SortParseErrorKind,
    /// Byte offset of the fault in the text.
    pub offset: usize,
}

/// What went wrong in a sort list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SortParseErrorKind {
    /// Something other than a key where a key must be (also an empty list or a trailing
    /// comma).
    ExpectedKey {
        /// What was found; `None` at the end of the input.
        found: Option<String>,
    },
    /// A key path with an empty key (`folder..name`, `name.`).
    EmptyKey,
    /// An option other than `ci` or `localized` after `:`.
    UnknownOption {
        /// The option given.
        option: String,
    },
    /// A word other than `asc`/`desc` after a key.
    ExpectedDirection {
        /// The word given.
        found: String,
    },
    /// More text after a sort key's direction, without a comma.
    ExpectedComma {
        /// What was found.
        found: String,
    },
}

impl fmt::Display for SortParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SortParseErrorKind::ExpectedKey { found: Some(found) } => {
                write!(f, "expected a sort key, found {found:?}")
            }
            SortParseErrorKind::ExpectedKey { found: None } => {
                f.write_str("expected a sort key, found end of input")
            }
            SortParseErrorKind::EmptyKey => f.write_str("empty key in sort key path"),
            SortParseErrorKind::UnknownOption { option } => {
                write!(f, "unknown sort option {option:?} (expected ci or localized)")
            }
            SortParseErrorKind::ExpectedDirection { found } => {
                write!(f, "expected asc or desc, found {found:?}")
            }
            SortParseErrorKind::ExpectedComma { found } => {
                write!(f, "expected ',' between sort keys, found {found:?}")
            }
        }
    }
}

struct Cursor<'t> {
    text: &'t str,
    pos: usize,
}

impl<'t> Cursor<'t> {
    fn skip_spaces(&mut self) {
        let rest = &self.text[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    /// A run of characters that may appear in a key (letters, digits, `_`).
    fn word(&mut self) -> &'t str {
        let start = self.pos;
        let rest = &self.text[start..];
        let len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
        self.pos += len;
        &self.text[start..start + len]
    }

    /// The text from here to the next separator (at least one character), for error
    /// messages; `None` at the end of the input.
    fn found(&self) -> Option<String> {
        let rest = &self.text[self.pos..];
        let first = rest.chars().next()?;
        let word = rest.split([',', ' ', '\t', '\n']).next().unwrap_or_default();
        Some(if word.is_empty() { first.to_string() } else { word.to_owned() })
    }

    fn error(&self, kind: SortParseErrorKind) -> SortParseError {
        SortParseError { kind, offset: self.pos }
    }
}

pub(super) fn parse_list(text: &str) -> Result<Vec<SortDescriptor>, SortParseError> {
    let mut cursor = Cursor { text, pos: 0 };
    let mut sorts = Vec::new();
    loop {
        cursor.skip_spaces();
        sorts.push(parse_one(&mut cursor)?);
        cursor.skip_spaces();
        match cursor.peek() {
            None => return Ok(sorts),
            Some(',') => cursor.pos += 1,
            Some(_) => {
                let found = cursor.found().unwrap_or_default();
                return Err(cursor.error(SortParseErrorKind::ExpectedComma { found }));
            }
        }
    }
}

fn parse_one(cursor: &mut Cursor<'_>) -> Result<SortDescriptor, SortParseError> {
    let start = cursor.pos;
    let first = cursor.word();
    if first.is_empty() || first.starts_with(|c: char| c.is_ascii_digit()) {
        cursor.pos = start;
        return Err(cursor.error(SortParseErrorKind::ExpectedKey { found: cursor.found() }));
    }
    while cursor.peek() == Some('.') {
        cursor.pos += 1;
        if cursor.word().is_empty() {
            return Err(cursor.error(SortParseErrorKind::EmptyKey));
        }
    }
    let mut sort = SortDescriptor::ascending(&cursor.text[start..cursor.pos]);
    while cursor.peek() == Some(':') {
        cursor.pos += 1;
        let at = cursor.pos;
        let option = cursor.word();
        sort = match option.to_ascii_lowercase().as_str() {
            "ci" => sort.case_insensitive(),
            "localized" => sort.localized(),
            _ => {
                return Err(SortParseError {
                    kind: SortParseErrorKind::UnknownOption { option: option.to_owned() },
                    offset: at,
                });
            }
        };
    }
    let before_direction = cursor.pos;
    cursor.skip_spaces();
    if cursor.pos == before_direction || matches!(cursor.peek(), None | Some(',')) {
        // No space after the key: the next thing must be a comma or the end.
        return Ok(sort);
    }
    let at = cursor.pos;
    let word = cursor.word();
    match word.to_ascii_lowercase().as_str() {
        "asc" | "ascending" => sort.ascending = true,
        "desc" | "descending" => sort.ascending = false,
        _ => {
            cursor.pos = at;
            let found = if word.is_empty() { cursor.found().unwrap_or_default() } else { word.to_owned() };
            return Err(cursor.error(SortParseErrorKind::ExpectedDirection { found }));
        }
    }
    Ok(sort)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> (SortParseErrorKind, usize) {
        let e = parse_list(text).unwrap_err();
        (e.kind, e.offset)
    }

    #[test]
    fn errors_point_at_the_fault() {
        assert_eq!(error(""), (SortParseErrorKind::ExpectedKey { found: None }, 0));
        assert_eq!(error("a,"), (SortParseErrorKind::ExpectedKey { found: None }, 2));
        assert_eq!(error("a, ,b"), (SortParseErrorKind::ExpectedKey { found: Some(",".into()) }, 3));
        assert_eq!(error("folder..name"), (SortParseErrorKind::EmptyKey, 7));
        assert_eq!(error("title:xx"), (SortParseErrorKind::UnknownOption { option: "xx".into() }, 6));
        assert_eq!(
            error("title sideways"),
            (SortParseErrorKind::ExpectedDirection { found: "sideways".into() }, 6)
        );
        assert_eq!(
            error("title asc score"),
            (SortParseErrorKind::ExpectedComma { found: "score".into() }, 10)
        );
        assert_eq!(error("title;drop"), (SortParseErrorKind::ExpectedComma { found: ";drop".into() }, 5));
    }

    #[test]
    fn accepts_spacing_and_case_variants() {
        let sorts = parse_list("  a.b:LOCALIZED:ci   DESC ,c,d Ascending ").unwrap();
        assert_eq!(
            sorts,
            vec![
                SortDescriptor::descending("a.b").localized().case_insensitive(),
                SortDescriptor::ascending("c"),
                SortDescriptor::ascending("d"),
            ]
        );
    }
}
