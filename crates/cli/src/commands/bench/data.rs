//! The rows every workload uses, made deterministically so both sides of a comparison (and
//! two runs of the bench) see the same data: clips-like rows with a title, a url, a creation
//! date, a score, a visit count, a pinned flag and a UUID.
//!
//! The peers of `strata bench --peers` repeat the row formula ([`rows_in`]) in
//! `bench/peers/src/main.rs` (Diesel) and `bench/peers/sqlalchemy_peer.py` (SQLAlchemy):
//! change the three together. [`checksum_of`] is what their `fetch_all` must report, so a
//! drift is an error, not a quietly different workload.

use strata::model::{Date, Uuid, Value};

/// The bench model: one entity with the issue's seven attributes, `created` indexed.
pub const MODEL: &str = r#"{ "name": "Bench", "version": 1, "entities": [
  { "name": "Clip", "attributes": [
    { "name": "title", "type": "string" },
    { "name": "url", "type": "string" },
    { "name": "created", "type": "date", "indexed": true },
    { "name": "score", "type": "double" },
    { "name": "visits", "type": "int64" },
    { "name": "pinned", "type": "bool" },
    { "name": "uuid", "type": "uuid" } ] } ] }"#;

/// Microseconds between two consecutive rows' `created`.
pub const STEP_MICROS: i64 = 60_000_000;

/// Origin of `created`: 2024-01-01T00:00:00Z in microseconds.
pub const ORIGIN_MICROS: i64 = 1_704_067_200_000_000;

/// One row.
#[derive(Debug, Clone)]
pub struct Row {
    /// `Clip 00042: …`.
    pub title: String,
    /// `https://example.com/clips/42`.
    pub url: String,
    /// Microseconds since the epoch: one minute apart, shuffled so the index matters.
    pub created: i64,
    /// A dyadic fraction, exact in binary.
    pub score: f64,
    /// A small count.
    pub visits: i64,
    /// Every third row.
    pub pinned: bool,
    /// Deterministic from the row number.
    pub uuid: Uuid,
}

/// `n` rows. `created` is a permutation of `ORIGIN + k·STEP` for `k < n` (a multiplicative
/// scramble), so a date range selects a known share of the rows in no particular key order.
pub fn rows(n: usize) -> Vec<Row> {
    rows_in(0..n, n)
}

/// Rows `range` of the `n` rows [`rows`] makes, so a large set can be made a slice at a
/// time (`fetch_memory` fills a million rows without holding them all).
pub fn rows_in(range: std::ops::Range<usize>, n: usize) -> Vec<Row> {
    let n64 = n as u64;
    // An odd multiplier coprime with n permutes 0..n; pick one near n·φ that is coprime.
    let mut multiplier = ((n64 as f64 * 0.618_033_988_75) as u64) | 1;
    while gcd(multiplier, n64.max(1)) != 1 {
        multiplier += 2;
    }
    range
        .map(|i| {
            let k = (i as u64 * multiplier) % n64.max(1);
            Row {
                title: format!("Clip {i:05}: notes on topic {}", i % 97),
                url: format!("https://example.com/clips/{i}"),
                created: ORIGIN_MICROS + k as i64 * STEP_MICROS,
                score: score(i),
                visits: (i % 1000) as i64,
                pinned: i % 3 == 0,
                uuid: Uuid::from_u128(0x5eed_0000_0000_0000_0000_0000_0000_0000 | i as u128),
            }
        })
        .collect()
}

/// Row `i`'s score: a dyadic fraction, so sums of scores are exact.
pub fn score(i: usize) -> f64 {
    (i % 40) as f64 / 4.0
}

/// The row's values in the bench model's attribute order, for saves straight through the
/// store contract.
pub fn values(row: &Row) -> Vec<Value> {
    vec![
        Value::String(row.title.clone()),
        Value::String(row.url.clone()),
        Value::Date(Date::from_unix_micros(row.created)),
        Value::Double(row.score),
        Value::Int64(row.visits),
        Value::Bool(row.pinned),
        Value::Uuid(row.uuid),
    ]
}

/// The fields of one row as a side read them back.
pub struct ReadBack<'a> {
    /// Primary key.
    pub id: i64,
    /// Title.
    pub title: &'a str,
    /// URL.
    pub url: &'a str,
    /// Microseconds since the epoch.
    pub created: i64,
    /// Score.
    pub score: f64,
    /// Visits.
    pub visits: i64,
    /// Pinned.
    pub pinned: bool,
    /// UUID bytes.
    pub uuid: &'a [u8],
}

impl ReadBack<'_> {
    /// What both sides compute from every field they read, so neither can skip a field
    /// unnoticed.
    pub fn checksum(&self) -> i64 {
        ReadBack::checksum_of_parts(
            self.id,
            self.title.len(),
            self.url.len(),
            self.created,
            self.score,
            self.visits,
            self.pinned,
            self.uuid.last().copied().unwrap_or(0),
        )
    }

    /// [`ReadBack::checksum`] from what it uses of each field (the text lengths and the last
    /// byte of the UUID), for readers that borrow each value in turn.
    #[allow(clippy::too_many_arguments)]
    pub fn checksum_of_parts(
        id: i64,
        title_len: usize,
        url_len: usize,
        created: i64,
        score: f64,
        visits: i64,
        pinned: bool,
        uuid_last: u8,
    ) -> i64 {
        id + title_len as i64
            + url_len as i64
            + created % 997
            + (score * 4.0) as i64
            + visits
            + i64::from(pinned)
            + i64::from(uuid_last)
    }
}

/// The sum of [`ReadBack::checksum`] over the `n` rows [`rows`] makes, read back with keys
/// `1..=n` in row order (as every side inserts them): what a `fetch_all` of them must
/// report. The peers (`bench/peers`) repeat the row formula; this is how a drift shows.
pub fn checksum_of(n: usize) -> i64 {
    rows(n)
        .iter()
        .enumerate()
        .map(|(i, r)| {
            ReadBack {
                id: i as i64 + 1,
                title: &r.title,
                url: &r.url,
                created: r.created,
                score: r.score,
                visits: r.visits,
                pinned: r.pinned,
                uuid: r.uuid.as_bytes(),
            }
            .checksum()
        })
        .sum()
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_is_a_permutation() {
        let rows = rows(1000);
        let mut ks: Vec<i64> = rows.iter().map(|r| (r.created - ORIGIN_MICROS) / STEP_MICROS).collect();
        ks.sort_unstable();
        assert_eq!(ks, (0..1000).collect::<Vec<_>>());
        assert_ne!(rows[1].created - rows[0].created, STEP_MICROS, "shuffled");
    }

    #[test]
    fn the_fetch_checksum_is_what_the_raw_baseline_reads() {
        let dir = tempfile::tempdir().unwrap();
        let mut raw = super::super::raw::RawDb::create(&dir.path().join("raw.sqlite")).unwrap();
        raw.insert(&rows(1000)).unwrap();
        assert_eq!(raw.fetch_all().unwrap(), checksum_of(1000));
        // The figure the Diesel and SQLAlchemy peers printed for 10,000 rows.
        assert_eq!(checksum_of(10_000), 62_038_664);
    }

    #[test]
    fn a_slice_is_the_same_rows() {
        let (all, slice) = (rows(1000), rows_in(400..410, 1000));
        assert_eq!(slice.len(), 10);
        for (a, b) in all[400..410].iter().zip(&slice) {
            assert_eq!((&a.title, a.created, a.uuid), (&b.title, b.created, b.uuid));
        }
    }
}
