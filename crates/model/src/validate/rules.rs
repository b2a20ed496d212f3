//! Attribute defaults and validation rules: where each rule may appear, fitting `min`,
//! `max` and defaults to the attribute's type, compiling `regex`, and what it means for a
//! value to break a rule ([`AttributeValidation::check`], shared by model validation and
//! by contexts when they save). Nothing here knows about entities beyond their names.

use std::fmt;

use crate::builder::{AttributeBuilder, Literal};
use crate::error::RangeRules;
use crate::whole_match::{whole_string_pattern, whole_string_regex};
use crate::{AttributeType, AttributeValidation, ModelError, Value, ValueError};

/// How a value breaks an attribute's validation rules.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RuleViolation {
    /// Less than `min` (or not ordered against it, as NaN is not).
    BelowMin {
        /// The attribute's `min`.
        min: Value,
    },
    /// Greater than `max` (or not ordered against it).
    AboveMax {
        /// The attribute's `max`.
        max: Value,
    },
    /// Fewer characters (or bytes) than `minLength`.
    TooShort {
        /// The attribute's `minLength`.
        min_length: u64,
        /// The value's length.
        length: u64,
    },
    /// More characters (or bytes) than `maxLength`.
    TooLong {
        /// The attribute's `maxLength`.
        max_length: u64,
        /// The value's length.
        length: u64,
    },
    /// The string does not match the attribute's `regex` as a whole.
    NoMatch {
        /// The pattern as written in the model.
        pattern: String,
    },
}

impl fmt::Display for RuleViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleViolation::BelowMin { min } => write!(f, "must be at least {}", show(min)),
            RuleViolation::AboveMax { max } => write!(f, "must be at most {}", show(max)),
            RuleViolation::TooShort { min_length, length } => {
                write!(f, "has length {length}, less than minLength {min_length}")
            }
            RuleViolation::TooLong { max_length, length } => {
                write!(f, "has length {length}, more than maxLength {max_length}")
            }
            RuleViolation::NoMatch { pattern } => write!(f, "does not match regex {pattern:?}"),
        }
    }
}

impl AttributeValidation {
    /// Checks `value` (already of the attribute's type) against every rule, in the order
    /// min, max, minLength, maxLength, regex. `Null` passes: optionality is checked apart.
    ///
    /// Lengths count characters (Unicode scalar values) for strings and URIs and bytes for
    /// binary; `regex` must match the whole string.
    pub fn check(&self, value: &Value) -> Result<(), RuleViolation> {
        use std::cmp::Ordering::{Greater, Less};
        if value.is_null() {
            return Ok(());
        }
        if let Some(min) = &self.min
            && matches!(value.compare(min), None | Some(Less))
        {
            return Err(RuleViolation::BelowMin { min: min.clone() });
        }
        if let Some(max) = &self.max
            && matches!(value.compare(max), None | Some(Greater))
        {
            return Err(RuleViolation::AboveMax { max: max.clone() });
        }
        let length = match value {
            Value::String(s) | Value::Uri(s) => Some(s.chars().count()),
            Value::Binary(b) => Some(b.len()),
            _ => None,
        };
        if let Some(length) = length.map(|l| u64::try_from(l).unwrap_or(u64::MAX)) {
            if let Some(min_length) = self.min_length
                && length < min_length
            {
                return Err(RuleViolation::TooShort { min_length, length });
            }
            if let Some(max_length) = self.max_length
                && length > max_length
            {
                return Err(RuleViolation::TooLong { max_length, length });
            }
        }
        if let (Some(re), Value::String(s)) = (&self.regex, value)
            && !re.is_match(s)
        {
            return Err(RuleViolation::NoMatch {
                pattern: self.regex_source().unwrap_or_default().to_owned(),
            });
        }
        Ok(())
    }

    /// The `regex` rule as written in the model. ([`regex`](Self::regex) holds it compiled
    /// with whole-string anchors, so that `is_match` tests the whole string.)
    pub fn regex_source(&self) -> Option<&str> {
        self.regex.as_ref().map(whole_string_pattern)
    }
}

/// Checks an attribute's rules and default; returns the compiled rules and the default
/// fitted to the attribute's type.
pub(super) fn attribute_rules(
    entity: &str,
    spec: &AttributeBuilder,
) -> Result<(AttributeValidation, Value), ModelError> {
    use AttributeType as T;
    let ty = spec.ty;
    let bounded = ty.is_integer() || matches!(ty, T::Double | T::Float | T::Decimal | T::Date);
    let measured = matches!(ty, T::String | T::Uri | T::Binary);
    for (rule, present, applies) in [
        ("min", !spec.min.is_null(), bounded),
        ("max", !spec.max.is_null(), bounded),
        ("minLength", spec.min_length.is_some(), measured),
        ("maxLength", spec.max_length.is_some(), measured),
        ("regex", spec.regex.is_some(), ty == T::String),
    ] {
        if present && !applies {
            return Err(ModelError::MisplacedRule {
                entity: entity.to_owned(),
                attribute: spec.name.clone(),
                rule,
                ty,
            });
        }
    }
    let bound = |rule: &'static str, literal: &Literal| {
        fit(literal, ty).map_err(|(value, source)| ModelError::BadRuleValue {
            entity: entity.to_owned(),
            attribute: spec.name.clone(),
            rule,
            ty,
            value,
            source: Box::new(source),
        })
    };
    let min = Some(bound("min", &spec.min)?).filter(|v| !v.is_null());
    let max = Some(bound("max", &spec.max)?).filter(|v| !v.is_null());
    let inverted = |rules, min: String, max: String| ModelError::InvertedRange {
        entity: entity.to_owned(),
        property: spec.name.clone(),
        rules,
        min,
        max,
    };
    if let (Some(lo), Some(hi)) = (&min, &max)
        && lo.compare(hi) == Some(std::cmp::Ordering::Greater)
    {
        return Err(inverted(RangeRules::Value, show(lo), show(hi)));
    }
    if let (Some(lo), Some(hi)) = (spec.min_length, spec.max_length)
        && lo > hi
    {
        return Err(inverted(RangeRules::Length, lo.to_string(), hi.to_string()));
    }
    let regex = match &spec.regex {
        Some(pattern) => {
            Some(whole_string_regex(pattern, false).map_err(|source| ModelError::InvalidRegex {
                entity: entity.to_owned(),
                attribute: spec.name.clone(),
                pattern: pattern.clone(),
                source,
            })?)
        }
        None => None,
    };
    let validation =
        AttributeValidation { min, max, min_length: spec.min_length, max_length: spec.max_length, regex };
    let default = fit(&spec.default, ty).map_err(|(value, source)| ModelError::BadDefault {
        entity: entity.to_owned(),
        attribute: spec.name.clone(),
        ty,
        value,
        source: Box::new(source),
    })?;
    validation.check(&default).map_err(|violation| ModelError::DefaultViolatesRule {
        entity: entity.to_owned(),
        attribute: spec.name.clone(),
        value: show(&default),
        violation,
    })?;
    Ok((validation, default))
}

/// Fits a declared literal to `ty`; on failure, returns the literal as text for the message.
/// A value JSON cannot hold (NaN, say) is refused too, since the model must be writable
/// back to a model file.
fn fit(literal: &Literal, ty: AttributeType) -> Result<Value, (String, ValueError)> {
    let (shown, fitted) = match literal {
        Literal::Json(json) => (shorten(json.to_string()), Value::from_json(json, ty)),
        Literal::Value(value) => (show(value), value.clone().coerce(ty)),
    };
    fitted.and_then(|v| v.to_json().map(|_| v)).map_err(|e| (shown, e))
}

/// A value as a message shows it: its JSON form (dates as RFC 3339 text), shortened.
pub(crate) fn show(value: &Value) -> String {
    shorten(value.to_json().map_or_else(|_| value.to_string(), |j| j.to_string()))
}

fn shorten(text: String) -> String {
    match text.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    fn whole_string_regex_for_test(p: &str) -> Result<regex::Regex, regex::Error> {
        super::whole_string_regex(p, false)
    }
    use super::*;

    #[test]
    fn anchored_regexes_match_whole_strings_and_keep_their_source() {
        let re = whole_string_regex_for_test("a|ab").unwrap();
        assert!(re.is_match("ab"));
        assert!(!re.is_match("abc"));
        let rules = AttributeValidation { regex: Some(re), ..Default::default() };
        assert_eq!(rules.regex_source(), Some("a|ab"));
    }

    #[test]
    fn a_stray_parenthesis_cannot_escape_the_anchors() {
        assert!(whole_string_regex_for_test("a)|(b").is_err());
        assert!(whole_string_regex_for_test("(").is_err());
    }

    #[test]
    fn verbose_patterns_ending_in_a_comment_still_compile() {
        let re = whole_string_regex_for_test("(?x) a b # letters").unwrap();
        assert!(re.is_match("ab"));
        assert!(!re.is_match("ab\n"));
        let rules = AttributeValidation { regex: Some(re), ..Default::default() };
        assert_eq!(rules.regex_source(), Some("(?x) a b # letters"));
        // A literal trailing newline outside verbose mode is kept as written.
        let re = whole_string_regex_for_test("a\n").unwrap();
        assert!(re.is_match("a\n"));
        let rules = AttributeValidation { regex: Some(re), ..Default::default() };
        assert_eq!(rules.regex_source(), Some("a\n"));
    }

    #[test]
    fn multiline_flags_stay_inside_the_group() {
        let re = whole_string_regex_for_test("(?m)a$").unwrap();
        assert!(!re.is_match("a\nb"));
        assert!(re.is_match("a"));
    }

    #[test]
    fn check_each_rule() {
        let rules = AttributeValidation {
            min: Some(Value::Int64(1)),
            max: Some(Value::Int64(9)),
            ..Default::default()
        };
        assert_eq!(rules.check(&Value::Int64(5)), Ok(()));
        assert_eq!(rules.check(&Value::Null), Ok(()));
        assert_eq!(rules.check(&Value::Int64(0)), Err(RuleViolation::BelowMin { min: Value::Int64(1) }));
        assert_eq!(rules.check(&Value::Int64(10)), Err(RuleViolation::AboveMax { max: Value::Int64(9) }));
        assert!(rules.check(&Value::Double(f64::NAN)).is_err());
        let rules = AttributeValidation { min_length: Some(2), max_length: Some(3), ..Default::default() };
        assert_eq!(rules.check(&Value::from("éé")), Ok(()));
        assert_eq!(rules.check(&Value::from("é")), Err(RuleViolation::TooShort { min_length: 2, length: 1 }));
        assert_eq!(
            rules.check(&Value::Binary(vec![0; 4])),
            Err(RuleViolation::TooLong { max_length: 3, length: 4 })
        );
        let rules =
            AttributeValidation { regex: whole_string_regex_for_test("[a-z]+").ok(), ..Default::default() };
        assert_eq!(rules.check(&Value::from("abc")), Ok(()));
        assert_eq!(
            rules.check(&Value::from("abc1")),
            Err(RuleViolation::NoMatch { pattern: "[a-z]+".into() })
        );
    }
}
