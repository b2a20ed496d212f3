//! The string form of a [`HistoryToken`], `<store-uuid>:<sequence>`, which the CLI prints
//! and accepts, and its `serde` form (that same string). Parsing never panics.

use std::fmt;
use std::str::FromStr;

use strata_model::Uuid;

use crate::store::HistoryToken;

/// Why a string is not a history token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a history token (<store-uuid>:<sequence>): {reason}")]
#[non_exhaustive]
pub struct TokenParseError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for HistoryToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.store, self.sequence)
    }
}

impl FromStr for HistoryToken {
    type Err = TokenParseError;

    fn from_str(text: &str) -> Result<HistoryToken, TokenParseError> {
        let bad = |reason| TokenParseError { text: text.to_owned(), reason };
        let (store, sequence) = text.rsplit_once(':').ok_or_else(|| bad("it has no ':'"))?;
        let store = Uuid::parse_str(store).map_err(|_| bad("the part before ':' is not a UUID"))?;
        if sequence.is_empty() || !sequence.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("the part after ':' is not a sequence number"));
        }
        let sequence = sequence.parse().map_err(|_| bad("the sequence number is too large"))?;
        Ok(HistoryToken { store, sequence })
    }
}

impl HistoryToken {
    /// A token of `store` at `sequence`.
    pub fn new(store: Uuid, sequence: u64) -> HistoryToken {
        HistoryToken { store, sequence }
    }
}

impl serde::Serialize for HistoryToken {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for HistoryToken {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<HistoryToken, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_and_serde_forms_round_trip() {
        let token = HistoryToken::new(Uuid::from_u128(0x1234), 42);
        let text = token.to_string();
        assert_eq!(text, "00000000-0000-0000-0000-000000001234:42");
        assert_eq!(text.parse::<HistoryToken>(), Ok(token));
        let json = serde_json::to_string(&token).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<HistoryToken>(&json).unwrap(), token);
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for text in [
            "",
            "42",
            "not-a-uuid:1",
            "00000000-0000-0000-0000-000000001234:",
            "00000000-0000-0000-0000-000000001234:-1",
            "00000000-0000-0000-0000-000000001234:99999999999999999999999",
        ] {
            assert!(text.parse::<HistoryToken>().is_err(), "{text}");
        }
        assert!(serde_json::from_str::<HistoryToken>("\"x:1\"").is_err());
    }

    #[test]
    fn tokens_of_one_store_order_by_sequence() {
        let store = Uuid::from_u128(7);
        assert!(HistoryToken::new(store, 2) < HistoryToken::new(store, 10));
    }
}
