//! The baselines: what a user would write with rusqlite alone, on the same rows and with the
//! same SQLite settings as the SQLite store (WAL, `synchronous=NORMAL`, default page and
//! cache sizes, one index on `created`). Each baseline does the same logical work as its
//! Strata workload and returns a checksum both sides must agree on, so neither side can skip
//! work unnoticed.

use std::path::Path;

use anyhow::Context as _;
use rusqlite::{Connection, params};

use super::data::{ReadBack, Row};

/// A baseline database: one table shaped like the clips entity.
pub struct RawDb {
    conn: Connection,
}

/// One row read back, into plain Rust fields (what "a Vec of structs" means).
#[derive(Debug)]
pub struct RawClip {
    /// Primary key.
    pub id: i64,
    /// Title.
    pub title: String,
    /// URL.
    pub url: String,
    /// Microseconds since the epoch.
    pub created: i64,
    /// Score.
    pub score: f64,
    /// Visits.
    pub visits: i64,
    /// Pinned.
    pub pinned: bool,
    /// UUID bytes.
    pub uuid: Vec<u8>,
}

impl RawDb {
    /// Creates the table in a new file at `path`.
    pub fn create(path: &Path) -> anyhow::Result<RawDb> {
        let conn = Connection::open(path).with_context(|| format!("open {}", path.display()))?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(
            "CREATE TABLE clip (id INTEGER PRIMARY KEY, title TEXT, url TEXT, created INTEGER, \
             score REAL, visits INTEGER, pinned INTEGER, uuid BLOB);
             CREATE INDEX clip_created ON clip(created);",
        )?;
        Ok(RawDb { conn })
    }

    /// Prepared INSERTs in one transaction.
    pub fn insert(&mut self, rows: &[Row]) -> anyhow::Result<u64> {
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO clip (title, url, created, score, visits, pinned, uuid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for r in rows {
                insert.execute(params![
                    r.title,
                    r.url,
                    r.created,
                    r.score,
                    r.visits,
                    r.pinned,
                    r.uuid.as_bytes()
                ])?;
            }
        }
        tx.commit()?;
        Ok(rows.len() as u64)
    }

    /// `UPDATE clip SET visits = ?` on every row, in one transaction; the number of rows.
    pub fn update_visits(&self, visits: i64) -> anyhow::Result<u64> {
        let tx = self.conn.unchecked_transaction()?;
        let changed = tx.execute("UPDATE clip SET visits = ?1", [visits])?;
        tx.commit()?;
        Ok(changed as u64)
    }

    /// Every row into a Vec of structs; the rows' checksum. The rows are dropped before it
    /// returns, inside the caller's timer, as Strata's side drops its context.
    pub fn fetch_all(&self) -> anyhow::Result<i64> {
        let mut select = self
            .conn
            .prepare_cached("SELECT id, title, url, created, score, visits, pinned, uuid FROM clip")?;
        let rows = select.query_map([], read_clip)?.collect::<Result<Vec<_>, _>>()?;
        Ok(sum(&rows))
    }

    /// `created` in `[from, to)`, sorted by `created`, first `limit` rows; their checksum
    /// (the rows dropped before it returns, as in `fetch_all`).
    pub fn fetch_range(&self, from: i64, to: i64, limit: usize) -> anyhow::Result<i64> {
        let mut select = self.conn.prepare_cached(
            "SELECT id, title, url, created, score, visits, pinned, uuid FROM clip \
             WHERE created >= ?1 AND created < ?2 ORDER BY created, id LIMIT ?3",
        )?;
        let rows =
            select.query_map(params![from, to, limit as i64], read_clip)?.collect::<Result<Vec<_>, _>>()?;
        Ok(sum(&rows))
    }

    /// One SELECT by primary key per id; the checksum sums title lengths (as a fault reads
    /// one attribute).
    pub fn fetch_by_key(&self, ids: &[i64]) -> anyhow::Result<i64> {
        let mut select = self.conn.prepare_cached("SELECT title FROM clip WHERE id = ?1")?;
        let mut sum = 0;
        for id in ids {
            let title: String = select.query_row([id], |r| r.get(0))?;
            sum += title.len() as i64;
        }
        Ok(sum)
    }
}

fn sum(rows: &[RawClip]) -> i64 {
    rows.iter()
        .map(|r| {
            let read = ReadBack {
                id: r.id,
                title: &r.title,
                url: &r.url,
                created: r.created,
                score: r.score,
                visits: r.visits,
                pinned: r.pinned,
                uuid: &r.uuid,
            };
            read.checksum()
        })
        .sum()
}

fn read_clip(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawClip> {
    Ok(RawClip {
        id: r.get(0)?,
        title: r.get(1)?,
        url: r.get(2)?,
        created: r.get(3)?,
        score: r.get(4)?,
        visits: r.get(5)?,
        pinned: r.get(6)?,
        uuid: r.get(7)?,
    })
}
