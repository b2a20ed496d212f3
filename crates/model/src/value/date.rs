//! [`Date`]: a point in time with microsecond precision, the value of `date` attributes.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::ValueError;
use crate::AttributeType;

/// Microseconds between the Unix epoch and Apple's reference date, 2001-01-01T00:00:00Z.
const REFERENCE_DATE_MICROS: i64 = 978_307_200_000_000;

/// A point in time: microseconds since 1970-01-01T00:00:00Z (negative before it).
///
/// Integer microseconds make equality and ordering exact, in memory and in SQL alike
/// (stores keep dates as `INTEGER` microseconds). Text form is RFC 3339 in UTC.
///
/// ```
/// use strata_model::Date;
/// let d: Date = "2024-03-01T12:00:00Z".parse().unwrap();
/// assert_eq!(d.to_string(), "2024-03-01T12:00:00Z");
/// assert_eq!(Date::from_reference_seconds(0.0).to_string(), "2001-01-01T00:00:00Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    micros: i64,
}

impl Date {
    /// The date `micros` microseconds after the Unix epoch.
    pub const fn from_unix_micros(micros: i64) -> Date {
        Date { micros }
    }

    /// Microseconds since the Unix epoch.
    pub const fn unix_micros(self) -> i64 {
        self.micros
    }

    /// The date `seconds` after 2001-01-01T00:00:00Z (Apple's reference date, used by
    /// `CAST(n, "NSDate")`), rounded to the microsecond and saturated at the `i64` range.
    pub fn from_reference_seconds(seconds: f64) -> Date {
        let micros = (seconds * 1e6).round();
        // `as` saturates for out-of-range floats and maps NaN to 0.
        Date { micros: (micros as i64).saturating_add(REFERENCE_DATE_MICROS) }
    }

    /// Seconds since 2001-01-01T00:00:00Z.
    pub fn reference_seconds(self) -> f64 {
        (self.micros as f64 - REFERENCE_DATE_MICROS as f64) / 1e6
    }

    /// The current time.
    pub fn now() -> Date {
        Date::from(SystemTime::now())
    }

    fn timestamp(self) -> Option<jiff::Timestamp> {
        jiff::Timestamp::from_microsecond(self.micros).ok()
    }

    /// RFC 3339 text in UTC (`2024-03-01T12:00:00.25Z`), or `None` for a date outside
    /// the years -9999..=9999 that RFC 3339 can write.
    pub fn to_rfc3339(self) -> Option<String> {
        self.timestamp().map(|t| t.to_string())
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.timestamp() {
            Some(t) => write!(f, "{t}"),
            None => write!(f, "@{}us", self.micros),
        }
    }
}

impl FromStr for Date {
    type Err = ValueError;

    /// Parses RFC 3339 text with an offset (`Z` or `±hh:mm`); sub-microsecond digits are
    /// truncated.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t: jiff::Timestamp = s.parse().map_err(|e: jiff::Error| ValueError::InvalidText {
            expected: AttributeType::Date,
            text: s.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Date { micros: t.as_microsecond() })
    }
}

impl From<SystemTime> for Date {
    fn from(t: SystemTime) -> Date {
        let micros = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
            Err(e) => i64::try_from(e.duration().as_micros()).map_or(i64::MIN, |m| -m),
        };
        Date { micros }
    }
}

impl From<Date> for SystemTime {
    fn from(d: Date) -> SystemTime {
        let magnitude = Duration::from_micros(d.micros.unsigned_abs());
        if d.micros >= 0 { UNIX_EPOCH + magnitude } else { UNIX_EPOCH - magnitude }
    }
}

impl From<jiff::Timestamp> for Date {
    fn from(t: jiff::Timestamp) -> Date {
        Date { micros: t.as_microsecond() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_date_round_trips() {
        let d = Date::from_reference_seconds(86_400.5);
        assert_eq!(d.to_string(), "2001-01-02T00:00:00.5Z");
        assert_eq!(d.reference_seconds(), 86_400.5);
    }

    #[test]
    fn parses_offsets_and_rejects_garbage() {
        let d: Date = "2024-01-01T01:00:00+01:00".parse().unwrap();
        assert_eq!(d.to_string(), "2024-01-01T00:00:00Z");
        assert!("yesterday".parse::<Date>().is_err());
    }

    #[test]
    fn system_time_round_trips_before_epoch() {
        let d = Date::from_unix_micros(-1_500_000);
        assert_eq!(Date::from(SystemTime::from(d)), d);
    }
}
