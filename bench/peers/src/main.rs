//! Diesel running `strata bench`'s `insert` and `fetch_all` workloads, for `strata bench
//! --peers`: the same rows, the same table shape and the same SQLite settings as the bench's
//! raw-rusqlite baseline (WAL, `synchronous=NORMAL`, default page and cache sizes, one index
//! on `created`).
//!
//! ```text
//! diesel-peer --n N --repeats R --dir DIR [--only insert|fetch_all]
//! ```
//!
//! prints one JSON line per workload: `{"peer", "label", "sqlite", "workload", "n",
//! "median_s", "runs", "checksum"}`. `checksum` is the row count after `insert`, and for
//! `fetch_all` the sum of the bench's per-row checksum over every field read, which
//! `strata bench` recomputes from its own rows: a peer that made other rows, or skipped a
//! field, is refused there. Nothing here judges the times.
//!
//! The rows come from the formula in `crates/cli/src/commands/bench/data.rs` (`rows_in`),
//! repeated in `rows` below and in `bench/peers/sqlalchemy_peer.py`; change all three
//! together (the checksum check catches a drift).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

diesel::table! {
    clip (id) {
        id -> BigInt,
        title -> Text,
        url -> Text,
        created -> BigInt,
        score -> Double,
        visits -> BigInt,
        pinned -> Bool,
        uuid -> Binary,
    }
}

/// What a Diesel user reads rows into.
#[derive(Queryable, Selectable)]
#[diesel(table_name = clip)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite))]
struct Clip {
    id: i64,
    title: String,
    url: String,
    created: i64,
    score: f64,
    visits: i64,
    pinned: bool,
    uuid: Vec<u8>,
}

/// What a Diesel user inserts, borrowing the row's text.
#[derive(Insertable)]
#[diesel(table_name = clip)]
struct NewClip<'a> {
    title: &'a str,
    url: &'a str,
    created: i64,
    score: f64,
    visits: i64,
    pinned: bool,
    uuid: &'a [u8],
}

/// One generated row (the bench's `Row`).
struct Row {
    title: String,
    url: String,
    created: i64,
    score: f64,
    visits: i64,
    pinned: bool,
    uuid: [u8; 16],
}

const STEP_MICROS: i64 = 60_000_000;
const ORIGIN_MICROS: i64 = 1_704_067_200_000_000;

/// The bench's rows `0..n` (see the module docs for where the formula lives).
fn rows(n: usize) -> Vec<Row> {
    let n64 = n as u64;
    let mut multiplier = ((n64 as f64 * 0.618_033_988_75) as u64) | 1;
    while gcd(multiplier, n64.max(1)) != 1 {
        multiplier += 2;
    }
    (0..n)
        .map(|i| {
            let k = (i as u64 * multiplier) % n64.max(1);
            Row {
                title: format!("Clip {i:05}: notes on topic {}", i % 97),
                url: format!("https://example.com/clips/{i}"),
                created: ORIGIN_MICROS + k as i64 * STEP_MICROS,
                score: (i % 40) as f64 / 4.0,
                visits: (i % 1000) as i64,
                pinned: i % 3 == 0,
                uuid: (0x5eed_0000_0000_0000_0000_0000_0000_0000_u128 | i as u128).to_be_bytes(),
            }
        })
        .collect()
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The bench's per-row checksum (`ReadBack::checksum`).
fn checksum(c: &Clip) -> i64 {
    c.id + c.title.len() as i64
        + c.url.len() as i64
        + c.created % 997
        + (c.score * 4.0) as i64
        + c.visits
        + i64::from(c.pinned)
        + i64::from(c.uuid.last().copied().unwrap_or(0))
}

type Error = Box<dyn std::error::Error>;

/// A new database at `path` with the baseline's table and index.
fn create(path: &Path) -> Result<SqliteConnection, Error> {
    let url = path.to_str().ok_or_else(|| format!("{} is not UTF-8", path.display()))?;
    let mut conn = SqliteConnection::establish(url)?;
    conn.batch_execute(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         CREATE TABLE clip (id INTEGER PRIMARY KEY, title TEXT, url TEXT, created INTEGER, \
         score REAL, visits INTEGER, pinned INTEGER, uuid BLOB);
         CREATE INDEX clip_created ON clip(created);",
    )?;
    Ok(conn)
}

/// One `INSERT` per row through Diesel's query builder (its statement cache prepares it
/// once), in one transaction: what the raw baseline does, the Diesel way.
fn insert(conn: &mut SqliteConnection, rows: &[Row]) -> Result<(), Error> {
    conn.transaction(|conn| {
        for r in rows {
            diesel::insert_into(clip::table)
                .values(NewClip {
                    title: &r.title,
                    url: &r.url,
                    created: r.created,
                    score: r.score,
                    visits: r.visits,
                    pinned: r.pinned,
                    uuid: &r.uuid,
                })
                .execute(conn)?;
        }
        diesel::QueryResult::Ok(())
    })?;
    Ok(())
}

/// Every row into a `Vec<Clip>`, then every field read into the checksum.
fn fetch_all(conn: &mut SqliteConnection) -> Result<i64, Error> {
    let clips: Vec<Clip> = clip::table.select(Clip::as_select()).load(conn)?;
    Ok(clips.iter().map(checksum).sum())
}

fn count(conn: &mut SqliteConnection) -> Result<i64, Error> {
    Ok(clip::table.count().get_result(conn)?)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

struct Args {
    n: usize,
    repeats: usize,
    dir: PathBuf,
    only: Option<String>,
}

fn parse_args() -> Result<Args, Error> {
    let mut args = std::env::args().skip(1);
    let (mut n, mut repeats, mut dir, mut only) = (None, None, None, None);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--n" => n = Some(value()?.parse::<usize>()?),
            "--repeats" => repeats = Some(value()?.parse::<usize>()?),
            "--dir" => dir = Some(PathBuf::from(value()?)),
            "--only" => only = Some(value()?),
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let usage = "usage: diesel-peer --n N --repeats R --dir DIR [--only insert|fetch_all]";
    match (n, repeats, dir) {
        (Some(n), Some(repeats), Some(dir)) if n > 0 && repeats > 0 => Ok(Args { n, repeats, dir, only }),
        _ => Err(usage.into()),
    }
}

fn report(sqlite: &str, workload: &str, args: &Args, median: Duration, checksum: i64) {
    println!(
        "{{\"peer\":\"diesel\",\"label\":\"Diesel 2.3\",\"sqlite\":\"{sqlite}\",\"workload\":\"{workload}\",\
         \"n\":{},\"median_s\":{},\"runs\":{},\"checksum\":{checksum}}}",
        args.n,
        median.as_secs_f64(),
        args.repeats
    );
}

fn run() -> Result<(), Error> {
    let args = parse_args()?;
    if let Some(only) = &args.only
        && only != "insert"
        && only != "fetch_all"
    {
        return Err(format!("no workload {only:?}: the peers run insert and fetch_all").into());
    }
    let wants = |w: &str| args.only.as_deref().is_none_or(|o| o == w);
    let rows = rows(args.n);
    let mut fetch_db = create(&args.dir.join("diesel-fetch.sqlite"))?;
    let sqlite: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("sqlite_version()"))
        .get_result(&mut fetch_db)?;
    if wants("insert") {
        let mut times = Vec::with_capacity(args.repeats);
        let mut stored = 0;
        for run in 0..args.repeats {
            let mut conn = create(&args.dir.join(format!("diesel-insert-{run}.sqlite")))?;
            let start = Instant::now();
            insert(&mut conn, &rows)?;
            times.push(start.elapsed());
            stored = count(&mut conn)?;
        }
        report(&sqlite, "insert", &args, median(times), stored);
    }
    if wants("fetch_all") {
        insert(&mut fetch_db, &rows)?;
        let mut times = Vec::with_capacity(args.repeats);
        let mut total = 0;
        for _ in 0..args.repeats {
            let start = Instant::now();
            total = fetch_all(&mut fetch_db)?;
            times.push(start.elapsed());
        }
        report(&sqlite, "fetch_all", &args, median(times), total);
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("diesel-peer: {e}");
            ExitCode::FAILURE
        }
    }
}
