//! The JSON form of values: what the CLI prints and imports, and what JSON model files and
//! JSON stores hold. Dates are RFC 3339 text, binary is standard base64, decimals are text
//! (so no digit is lost), UUIDs are hyphenated text.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value as Json;

use super::{Value, ValueError};
use crate::AttributeType;

impl Value {
    /// The JSON form of this value.
    ///
    /// Fails only for values JSON cannot hold: a NaN or infinite float, or a date outside
    /// the years RFC 3339 can write.
    ///
    /// ```
    /// use strata_model::{Date, Value};
    /// let d = Value::Date("2024-05-01T00:00:00Z".parse::<Date>().unwrap());
    /// assert_eq!(d.to_json().unwrap(), serde_json::json!("2024-05-01T00:00:00Z"));
    /// assert_eq!(Value::Binary(vec![1, 2]).to_json().unwrap(), serde_json::json!("AQI="));
    /// ```
    pub fn to_json(&self) -> Result<Json, ValueError> {
        let not_storable = |reason| ValueError::NotStorable { value: self.to_string(), reason };
        Ok(match self {
            Value::Null => Json::Null,
            Value::Int16(v) => Json::from(*v),
            Value::Int32(v) => Json::from(*v),
            Value::Int64(v) => Json::from(*v),
            Value::Double(v) => serde_json::Number::from_f64(*v)
                .map(Json::Number)
                .ok_or_else(|| not_storable("JSON has no NaN or infinity"))?,
            Value::Float(v) => serde_json::Number::from_f64(f64::from(*v))
                .map(Json::Number)
                .ok_or_else(|| not_storable("JSON has no NaN or infinity"))?,
            Value::Decimal(d) => Json::String(d.normalize().to_string()),
            Value::Bool(b) => Json::Bool(*b),
            Value::String(s) | Value::Uri(s) => Json::String(s.clone()),
            Value::Date(d) => Json::String(
                d.to_rfc3339().ok_or_else(|| not_storable("outside the years RFC 3339 can write"))?,
            ),
            Value::Binary(b) => Json::String(BASE64.encode(b)),
            Value::Uuid(u) => Json::String(u.to_string()),
            Value::Json(j) => j.clone(),
        })
    }

    /// Reads the JSON form of a value of type `ty`. JSON `null` is `Null` for every type.
    ///
    /// Numbers are accepted for every numeric type when they fit (`3.0` for an `int16`),
    /// decimals also from text, dates from RFC 3339 text, binary from base64 text.
    ///
    /// ```
    /// use strata_model::{AttributeType, Value};
    /// let v = Value::from_json(&serde_json::json!(7), AttributeType::Int16).unwrap();
    /// assert_eq!(v, Value::Int16(7));
    /// assert!(Value::from_json(&serde_json::json!("7"), AttributeType::Int16).is_err());
    /// ```
    pub fn from_json(json: &Json, ty: AttributeType) -> Result<Value, ValueError> {
        use AttributeType as T;
        let mismatch = || ValueError::TypeMismatch { expected: ty, found: json_kind(json).to_owned() };
        if json.is_null() {
            return Ok(Value::Null);
        }
        if ty == T::Json {
            return Ok(Value::Json(json.clone()));
        }
        let literal = match json {
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Value::Int64(i),
                (None, Some(f)) => Value::Double(f),
                (None, None) => return Err(ValueError::OutOfRange { target: ty, value: n.to_string() }),
            },
            Json::String(s) => match ty {
                T::Binary => {
                    let bytes = BASE64.decode(s).map_err(|e| ValueError::InvalidText {
                        expected: T::Binary,
                        text: truncate(s),
                        reason: format!("not base64: {e}"),
                    })?;
                    return Ok(Value::Binary(bytes));
                }
                T::String | T::Uri | T::Date | T::Uuid | T::Decimal => Value::String(s.clone()),
                _ => return Err(mismatch()),
            },
            Json::Array(_) | Json::Object(_) => return Err(mismatch()),
            Json::Null => unreachable!("handled above"),
        };
        // Text is only for text-like targets: a number is no string and vice versa.
        match (&literal, ty) {
            (Value::Bool(_), T::Bool) | (Value::String(_), _) => {}
            (Value::Bool(_), _) | (_, T::Bool | T::String | T::Uri | T::Date | T::Uuid | T::Binary) => {
                return Err(mismatch());
            }
            _ => {}
        }
        literal.coerce(ty)
    }
}

fn json_kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a JSON boolean",
        Json::Number(_) => "a JSON number",
        Json::String(_) => "a JSON string",
        Json::Array(_) => "a JSON array",
        Json::Object(_) => "a JSON object",
    }
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_type_round_trips() {
        let samples = [
            Value::Int16(-3),
            Value::Int32(1 << 20),
            Value::Int64(i64::MIN),
            Value::Double(2.5),
            Value::Float(0.5),
            Value::Decimal("12.340".parse().unwrap()),
            Value::Bool(true),
            Value::from("naïve"),
            Value::Date("1999-12-31T23:59:59.123456Z".parse().unwrap()),
            Value::Binary(vec![0, 255, 7]),
            Value::Uuid(uuid::Uuid::from_u128(42)),
            Value::Uri("https://example.com/?q=1".into()),
            Value::Json(json!({"a": [1, 2]})),
        ];
        for v in samples {
            let ty = v.attribute_type().unwrap();
            let back = Value::from_json(&v.to_json().unwrap(), ty).unwrap();
            assert!(back.equals(&v), "{v:?} came back as {back:?}");
            assert_eq!(back.attribute_type(), Some(ty));
        }
    }

    #[test]
    fn rejects_wrong_kinds() {
        assert!(Value::from_json(&json!(1), AttributeType::String).is_err());
        assert!(Value::from_json(&json!("x"), AttributeType::Double).is_err());
        assert!(Value::from_json(&json!(true), AttributeType::Int64).is_err());
        assert!(Value::from_json(&json!("!!"), AttributeType::Binary).is_err());
        assert!(Value::from_json(&json!(70000), AttributeType::Int16).is_err());
        assert!(Value::from_json(&json!([1]), AttributeType::Int16).is_err());
        assert!(Value::Double(f64::NAN).to_json().is_err());
    }
}
