//! [`PredicateError`], the umbrella every fallible function of this crate converts into,
//! and the caret rendering all predicate errors share.

use crate::ast::Span;
use crate::check::CheckError;
use crate::eval::EvalError;
use crate::parse_error::ParseError;
use crate::sort::{SortError, SortParseError};
use crate::sql::CompileError;

/// Any error of the predicate language.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PredicateError {
    /// The text is not a well-formed predicate.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The predicate does not fit the entity (unknown key, type mismatch, …).
    #[error(transparent)]
    Check(#[from] CheckError),
    /// In-memory evaluation failed.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// Compilation to SQL failed.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// A sort descriptor does not parse.
    #[error(transparent)]
    SortParse(#[from] SortParseError),
    /// A sort descriptor does not fit the entity, or could not be applied.
    #[error(transparent)]
    Sort(#[from] SortError),
}

/// Renders `source` with a caret line under `span` (at least one `^`), for messages such as
///
/// ```text
/// title BEGINSWITH
///                 ^
/// ```
///
/// Columns count characters, not bytes, so the caret sits under the right character in
/// non-ASCII text; a multi-line source shows only the line holding the span's start.
pub fn render_caret(source: &str, span: Span) -> String {
    let start = floor_char_boundary(source, span.start.min(source.len()));
    let end = floor_char_boundary(source, span.end.clamp(start, source.len()));
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..].find('\n').map_or(source.len(), |i| start + i);
    let line = &source[line_start..line_end];
    let column = source[line_start..start].chars().count();
    let width = source[start..end.min(line_end)].chars().count().max(1);
    format!("{line}\n{}{}", " ".repeat(column), "^".repeat(width))
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_under_the_fault() {
        assert_eq!(
            render_caret("title BEGINSWITH", Span::new(16, 16)),
            "title BEGINSWITH\n                ^"
        );
        assert_eq!(render_caret("é = x", Span::new(5, 6)), "é = x\n    ^");
        assert_eq!(render_caret("a\nbc d", Span::new(5, 6)), "bc d\n   ^");
        assert_eq!(render_caret("ab", Span::new(99, 120)), "ab\n  ^");
    }
}
