//! The cleaner: deletes persistent history every registered actor has merged, so the
//! history does not grow forever.
//!
//! Rules (each tested): it deletes only up to the oldest bookmark among the registered
//! actors of the store (so no registered actor ever meets
//! [`StoreError::HistoryExpired`](strata_core::StoreError::HistoryExpired)); only
//! transactions authored by group members (others' history is not ours to delete); nothing
//! at all while a registered actor has never merged (its bookmark is empty, it will read
//! from the beginning) — except that an actor not heard of for longer than the silent-actor
//! cap (default 7 days; an actor that never ran counts from its registration) no longer
//! holds the history back, and meets the expiry recovery when it comes back.
//!
//! This module decides what to delete from the actor records alone ([`plan`]); the tracker
//! runs the deletion. It never deletes past a bookmark it has not read in the same call.

use std::time::Duration;

use strata_core::store::HistoryToken;
use strata_model::Date;

use crate::bookmark::ActorRecord;

/// The default silent-actor cap: 7 days.
pub const DEFAULT_SILENT_ACTOR_CAP: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// When a tracker cleans history by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CleanStrategy {
    /// Never by itself ([`HistoryTracker::clean_now`](crate::HistoryTracker::clean_now)
    /// still cleans).
    #[default]
    None,
    /// After every `n`-th pass started by a change notification (n ≥ 1).
    EveryNotifications(u32),
    /// After a pass, if the last clean was at least this long ago (or never).
    AtMostEvery(Duration),
    /// Only when the application calls
    /// [`HistoryTracker::clean_now`](crate::HistoryTracker::clean_now).
    Manual,
}

/// What one clean did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CleanReport {
    /// How many transactions were deleted.
    pub deleted: usize,
    /// The bound used: transactions up to and including it, by group members, were
    /// deleted; `None` if nothing could be deleted.
    pub through: Option<HistoryToken>,
    /// Registered actors that have never merged and are not silent: while any is listed,
    /// nothing is deleted.
    pub waiting_for: Vec<String>,
    /// Registered actors silent for longer than the cap, which did not hold the history
    /// back.
    pub silent: Vec<String>,
}

/// What may be deleted given every registered actor's record, at `now`, with `cap`: the
/// report's `through`, `waiting_for` and `silent` (`deleted` is 0).
pub fn plan(records: &[(String, ActorRecord)], now: Date, cap: Duration) -> CleanReport {
    let cap = i64::try_from(cap.as_micros()).unwrap_or(i64::MAX);
    let mut report = CleanReport::default();
    let mut through: Option<HistoryToken> = None;
    for (actor, record) in records {
        if now.unix_micros().saturating_sub(record.last_heard().unix_micros()) > cap {
            report.silent.push(actor.clone());
            continue;
        }
        match record.bookmark {
            None => report.waiting_for.push(actor.clone()),
            Some(token) => {
                through = Some(match through {
                    Some(t) if t.store == token.store && t.sequence <= token.sequence => t,
                    _ => token,
                });
            }
        }
    }
    if report.waiting_for.is_empty() {
        report.through = through.filter(|t| t.sequence > 0);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_model::Uuid;

    const DAY: i64 = 24 * 60 * 60 * 1_000_000;

    fn record(bookmark: Option<u64>, last_seen: Option<i64>, registered: i64) -> ActorRecord {
        ActorRecord {
            bookmark: bookmark.map(|s| HistoryToken::new(Uuid::from_u128(1), s)),
            last_seen: last_seen.map(Date::from_unix_micros),
            registered: Date::from_unix_micros(registered),
        }
    }

    fn run(records: &[(&str, ActorRecord)]) -> CleanReport {
        let records: Vec<(String, ActorRecord)> = records.iter().map(|(a, r)| (a.to_string(), *r)).collect();
        plan(&records, Date::from_unix_micros(30 * DAY), DEFAULT_SILENT_ACTOR_CAP)
    }

    #[test]
    fn deletes_up_to_the_oldest_bookmark() {
        let now = 30 * DAY;
        let report = run(&[("a", record(Some(9), Some(now), 0)), ("b", record(Some(4), Some(now - DAY), 0))]);
        assert_eq!(report.through.map(|t| t.sequence), Some(4));
        assert!(report.waiting_for.is_empty() && report.silent.is_empty());
    }

    #[test]
    fn an_actor_that_never_merged_holds_everything_back() {
        let now = 30 * DAY;
        let report = run(&[("a", record(Some(9), Some(now), 0)), ("late", record(None, None, now - DAY))]);
        assert_eq!(report.through, None);
        assert_eq!(report.waiting_for, vec!["late".to_owned()]);
    }

    #[test]
    fn a_silent_actor_no_longer_holds_history_back() {
        let now = 30 * DAY;
        // Seen 8 days ago with an old bookmark; never seen and registered 8 days ago.
        let report = run(&[
            ("a", record(Some(9), Some(now), 0)),
            ("gone", record(Some(2), Some(now - 8 * DAY), 0)),
            ("never", record(None, None, now - 8 * DAY)),
        ]);
        assert_eq!(report.through.map(|t| t.sequence), Some(9));
        assert_eq!(report.silent, vec!["gone".to_owned(), "never".to_owned()]);
        // Six days of silence is within the cap.
        let report =
            run(&[("a", record(Some(9), Some(now), 0)), ("quiet", record(Some(2), Some(now - 6 * DAY), 0))]);
        assert_eq!(report.through.map(|t| t.sequence), Some(2));
    }

    #[test]
    fn nothing_to_delete_at_the_start_of_history() {
        let now = 30 * DAY;
        assert_eq!(run(&[("a", record(Some(0), Some(now), 0))]).through, None);
        assert_eq!(run(&[]).through, None);
    }
}
