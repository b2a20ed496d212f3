//! Turning command-line text into values: `--arg` and `--var` take JSON when the text parses
//! as JSON and a plain string otherwise, so `--arg 3`, `--arg '"3"'` and `--arg hello` all do
//! what a person expects.

use strata::Value;
use strata::predicate::Argument;

/// Reads one `--arg` value: JSON when it parses, else the text as a string. Arrays become
/// lists (for `IN %@`), objects become JSON values.
pub fn argument(text: &str) -> Argument {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(items)) => Argument::List(items.iter().map(json_value).collect()),
        Ok(json) => Argument::Value(json_value(&json)),
        Err(_) => Argument::Value(Value::String(text.to_owned())),
    }
}

/// The untyped reading of a JSON value: numbers as `Int64` or `Double`, text as `String`,
/// arrays and objects as `Json`. Checking a predicate later fits it to the attribute's type.
pub fn json_value(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int64(i),
            None => n.as_f64().map_or_else(|| Value::String(n.to_string()), Value::Double),
        },
        serde_json::Value::String(s) => Value::String(s.clone()),
        other => Value::Json(other.clone()),
    }
}

/// Splits a `NAME=VALUE` pair for `--var`.
pub fn variable(text: &str) -> Result<(String, Argument), String> {
    let (name, value) =
        text.split_once('=').ok_or_else(|| format!("--var takes NAME=VALUE, got {text:?}"))?;
    let name = name.trim().trim_start_matches('$');
    if name.is_empty() {
        return Err(format!("--var needs a variable name before '=' in {text:?}"));
    }
    Ok((name.to_owned(), argument(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_json_when_they_parse() {
        assert_eq!(argument("3"), Argument::Value(Value::Int64(3)));
        assert_eq!(argument("\"3\""), Argument::Value(Value::String("3".into())));
        assert_eq!(argument("hello world"), Argument::Value(Value::String("hello world".into())));
        assert_eq!(argument("[1, \"a\"]"), Argument::List(vec![Value::Int64(1), Value::String("a".into())]));
        assert_eq!(argument("null"), Argument::Value(Value::Null));
    }

    #[test]
    fn variables_need_a_name() {
        assert_eq!(variable("$MIN=2").unwrap(), ("MIN".to_owned(), Argument::Value(Value::Int64(2))));
        assert!(variable("=2").is_err());
        assert!(variable("MIN").is_err());
    }
}
