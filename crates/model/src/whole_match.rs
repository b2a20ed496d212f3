//! Regular expressions that must match a whole string: attribute `regex` validation rules
//! and the predicate language's `MATCHES` share this one definition.

use regex::{Regex, RegexBuilder};

/// Compiled-size limit for user patterns, so a hostile pattern cannot demand unbounded memory.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Compiles `pattern` so that `is_match` succeeds only when the pattern matches the whole
/// text (not a prefix: `a|ab` matches `ab`).
///
/// The pattern is first compiled alone, so one that only parses once wrapped (`a)|(b`) is
/// refused instead of silently changing meaning; a verbose-mode pattern ending in a `#`
/// comment is wrapped after a newline so the comment cannot swallow the closing group.
///
/// ```
/// let re = strata_model::whole_string_regex("a|ab", false).unwrap();
/// assert!(re.is_match("ab") && !re.is_match("abc"));
/// assert!(strata_model::whole_string_regex("a)|(b", false).is_err());
/// ```
pub fn whole_string_regex(pattern: &str, case_insensitive: bool) -> Result<Regex, regex::Error> {
    let build = |p: &str| {
        RegexBuilder::new(p).case_insensitive(case_insensitive).size_limit(REGEX_SIZE_LIMIT).build()
    };
    build(pattern)?;
    build(&format!("{PREFIX}{pattern}{SUFFIX}"))
        .or_else(|e| build(&format!("{PREFIX}{pattern}{VERBOSE_SUFFIX}")).map_err(|_| e))
}

const PREFIX: &str = r"\A(?:";
const SUFFIX: &str = r")\z";
/// Ends the verbose-mode comment with a newline; the empty group makes this suffix one that
/// no plainly wrapped (and therefore balanced) pattern can end with, so unwrapping is exact.
const VERBOSE_SUFFIX: &str = "\n)(?:)\\z";

/// The pattern a regex from [`whole_string_regex`] was compiled from, without the anchors.
pub fn whole_string_pattern(regex: &Regex) -> &str {
    let anchored = regex.as_str();
    anchored
        .strip_prefix(PREFIX)
        .and_then(|s| s.strip_suffix(VERBOSE_SUFFIX).or_else(|| s.strip_suffix(SUFFIX)))
        .unwrap_or(anchored)
}
