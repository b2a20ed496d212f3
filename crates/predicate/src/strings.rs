//! String semantics shared by both back-ends: folding for `[c]`/`[d]`, `LIKE` wildcards,
//! `MATCHES` regular expressions and the other string operators.
//!
//! The in-memory evaluator calls these functions directly, and the SQLite dialect calls the
//! very same functions through registered SQL functions, so the two can never disagree on
//! what `BEGINSWITH[cd]` means. Nothing here may depend on a model or a store.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::ast::{Operator, StringOptions};

/// Folds `text` as `options` ask: diacritics first (canonical decomposition, combining
/// marks removed, recomposed), then Unicode full case folding. Borrows when nothing
/// changes.
///
/// ```
/// use strata_predicate::{StringOptions, strings::fold};
/// let cd = StringOptions { case_insensitive: true, diacritic_insensitive: true };
/// assert_eq!(fold("Crème BRÛLÉE", cd), "creme brulee");
/// assert_eq!(fold("Straße", StringOptions { case_insensitive: true, ..StringOptions::NONE }), "strasse");
/// ```
pub fn fold(text: &str, options: StringOptions) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    if options.diacritic_insensitive && !text.is_ascii() {
        out = Cow::Owned(out.nfd().filter(|&c| !is_combining_mark(c)).nfc().collect());
    }
    if options.case_insensitive {
        let needs_folding = out
            .chars()
            .any(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c.is_ascii_punctuation() || c == ' '));
        if needs_folding {
            out = Cow::Owned(caseless::default_case_fold_str(&out));
        }
    }
    out
}

/// `LIKE`: `*` matches any run of characters (including none), `?` exactly one character,
/// `\` makes the next character literal; everything else matches itself. The whole text must
/// match. Both arguments are taken as given (fold them first for `[c]`/`[d]`).
///
/// ```
/// use strata_predicate::strings::like;
/// assert!(like("report-2024.pdf", "report-*.pdf"));
/// assert!(like("ab", "a?"));
/// assert!(!like("abc", "a?"));
/// assert!(like("a*b", r"a\*b") && !like("axb", r"a\*b"));
/// ```
pub fn like(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '*' => Token::Star,
            '?' => Token::One,
            '\\' => Token::Literal(chars.next().unwrap_or('\\')),
            c => Token::Literal(c),
        });
    }
    // Iterative wildcard matching with one backtrack point: O(text × pattern) worst case,
    // never exponential.
    let (mut t, mut p) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::Star) => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(Token::One) => {
                t += 1;
                p += 1;
            }
            Some(Token::Literal(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match backtrack {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    backtrack = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(|tok| matches!(tok, Token::Star))
}

enum Token {
    Star,
    One,
    Literal(char),
}

/// Why a `MATCHES` pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid regular expression {pattern:?}: {reason}")]
pub struct RegexError {
    /// The pattern.
    pub pattern: String,
    /// The regex engine's complaint.
    pub reason: String,
}

const REGEX_CACHE_LIMIT: usize = 64;

thread_local! {
    static REGEX_CACHE: RefCell<HashMap<(String, bool), Arc<Regex>>> = RefCell::new(HashMap::new());
}

/// The compiled whole-string regular expression for a `MATCHES` pattern, from a small
/// per-thread cache. `case_insensitive` is `[c]`; `[d]` is applied by folding the text and
/// the pattern before calling this.
pub fn compile_regex(pattern: &str, case_insensitive: bool) -> Result<Arc<Regex>, RegexError> {
    let key = (pattern.to_owned(), case_insensitive);
    if let Some(re) = REGEX_CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(re);
    }
    let re = strata_model::whole_string_regex(pattern, case_insensitive)
        .map(Arc::new)
        .map_err(|e| RegexError { pattern: pattern.to_owned(), reason: e.to_string() })?;
    REGEX_CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= REGEX_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, re.clone());
    });
    Ok(re)
}

/// Applies a string operator (`BEGINSWITH`, `ENDSWITH`, `CONTAINS`, `LIKE`, `MATCHES`) to
/// two strings under `options`. `MATCHES` fails only for an invalid pattern; for any other
/// operator the result is always `Ok`.
///
/// ```
/// use strata_predicate::{Operator, StringOptions, strings::string_op};
/// let c = StringOptions { case_insensitive: true, ..StringOptions::NONE };
/// assert!(string_op(Operator::BeginsWith, "Hello", "he", c).unwrap());
/// assert!(string_op(Operator::Matches, "abc123", "[a-z]+[0-9]+", StringOptions::NONE).unwrap());
/// assert!(!string_op(Operator::Matches, "abc123x", "[a-z]+[0-9]+", StringOptions::NONE).unwrap());
/// ```
pub fn string_op(
    op: Operator,
    text: &str,
    operand: &str,
    options: StringOptions,
) -> Result<bool, RegexError> {
    if op == Operator::Matches {
        // The regex engine folds case itself (simple folding, so a pattern's classes and
        // escapes keep their meaning); diacritics are folded on both sides first.
        let d =
            StringOptions { diacritic_insensitive: options.diacritic_insensitive, case_insensitive: false };
        let re = compile_regex(&fold(operand, d), options.case_insensitive)?;
        return Ok(re.is_match(&fold(text, d)));
    }
    let text = fold(text, options);
    let operand = fold(operand, options);
    Ok(match op {
        Operator::BeginsWith => text.starts_with(&*operand),
        Operator::EndsWith => text.ends_with(&*operand),
        Operator::Contains => text.contains(&*operand),
        Operator::Like => like(&text, &operand),
        Operator::Equal => text == operand,
        Operator::NotEqual => text != operand,
        Operator::Less => text < operand,
        Operator::LessOrEqual => text <= operand,
        Operator::Greater => text > operand,
        Operator::GreaterOrEqual => text >= operand,
        Operator::Between | Operator::In | Operator::Matches => false,
    })
}

/// Operator codes used when a string operator is passed to SQL as a number
/// (`strata_string_op(code, text, operand, flags)`); stable, because compiled SQL embeds them.
pub fn operator_code(op: Operator) -> i64 {
    match op {
        Operator::Equal => 0,
        Operator::NotEqual => 1,
        Operator::Less => 2,
        Operator::LessOrEqual => 3,
        Operator::Greater => 4,
        Operator::GreaterOrEqual => 5,
        Operator::BeginsWith => 6,
        Operator::EndsWith => 7,
        Operator::Contains => 8,
        Operator::Like => 9,
        Operator::Matches => 10,
        Operator::Between => 11,
        Operator::In => 12,
    }
}

/// The inverse of [`operator_code`].
pub fn operator_from_code(code: i64) -> Option<Operator> {
    const ALL: [Operator; 13] = [
        Operator::Equal,
        Operator::NotEqual,
        Operator::Less,
        Operator::LessOrEqual,
        Operator::Greater,
        Operator::GreaterOrEqual,
        Operator::BeginsWith,
        Operator::EndsWith,
        Operator::Contains,
        Operator::Like,
        Operator::Matches,
        Operator::Between,
        Operator::In,
    ];
    usize::try_from(code).ok().and_then(|i| ALL.get(i).copied())
}

/// `[c]`/`[d]` as SQL flags: bit 0 case-insensitive, bit 1 diacritic-insensitive.
pub fn options_code(options: StringOptions) -> i64 {
    i64::from(options.case_insensitive) | (i64::from(options.diacritic_insensitive) << 1)
}

/// The inverse of [`options_code`].
pub fn options_from_code(code: i64) -> StringOptions {
    StringOptions { case_insensitive: code & 1 != 0, diacritic_insensitive: code & 2 != 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: StringOptions = StringOptions { case_insensitive: true, diacritic_insensitive: false };
    const D: StringOptions = StringOptions { case_insensitive: false, diacritic_insensitive: true };

    #[test]
    fn unicode_folding_is_not_ascii_only() {
        assert_eq!(fold("ΣΊΣΥΦΟΣ", C), fold("σίσυφος", C));
        assert_eq!(fold("Ǆ", C), fold("ǆ", C));
        assert_eq!(fold("naïve café", D), "naive cafe");
        assert_eq!(fold("Å", D), "A");
        assert!(matches!(fold("plain", C), Cow::Borrowed(_)));
    }

    #[test]
    fn like_handles_pathological_patterns_quickly() {
        let text = "a".repeat(2000);
        assert!(!like(&text, &format!("{}b", "*a".repeat(50))));
        assert!(like("", "*"));
        assert!(!like("", "?"));
        assert!(like("abc", "a*c*"));
    }

    #[test]
    fn matches_is_whole_string_and_rejects_bad_patterns() {
        assert!(!string_op(Operator::Matches, "xabc", "abc", StringOptions::NONE).unwrap());
        assert!(
            string_op(
                Operator::Matches,
                "ÉTÉ",
                "été",
                StringOptions { case_insensitive: true, diacritic_insensitive: true }
            )
            .unwrap()
        );
        assert!(string_op(Operator::Matches, "x", "(", StringOptions::NONE).is_err());
        // Refused rather than re-read as `^(?:a)|(b)$` once wrapped.
        assert!(string_op(Operator::Matches, "a", "a)|(b", StringOptions::NONE).is_err());
        assert!(string_op(Operator::Matches, "ab", "a|ab", StringOptions::NONE).unwrap());
    }

    #[test]
    fn codes_round_trip() {
        for code in 0..13 {
            assert_eq!(operator_code(operator_from_code(code).unwrap()), code);
        }
        for code in 0..4 {
            assert_eq!(options_code(options_from_code(code)), code);
        }
    }
}
