//! The demo's bookkeeping: which clips arrived when, matched with their commit times from the
//! tracker's events (which may come just before or just after the merge that shows them), and
//! the latency figures of the summary.

use std::collections::HashMap;
use std::time::Duration;

use strata::ObjectId;
use strata::model::Date;
use strata::tracker::MergedTransaction;

/// Clips seen by the observer, waiting for (or matched with) their commit time.
#[derive(Default)]
pub struct Arrivals {
    /// Observer inserts not printed yet: (object, row, merged at), in arrival order.
    waiting: Vec<(ObjectId, usize, Date)>,
    /// Commit times of inserted objects, from the tracker's events.
    committed: HashMap<ObjectId, Date>,
    /// Latencies of the clips printed so far.
    latencies: Latencies,
}

impl Arrivals {
    /// The observer reported `id` inserted at `row` after a merge finished at `merged_at`.
    pub fn arrived(&mut self, id: ObjectId, row: usize, merged_at: Date) {
        self.waiting.push((id, row, merged_at));
    }

    /// The tracker merged these transactions.
    pub fn committed(&mut self, transactions: &[MergedTransaction]) {
        for transaction in transactions {
            for &id in &transaction.inserted {
                self.committed.insert(id, transaction.timestamp);
            }
        }
    }

    /// The arrivals whose commit time is known, in arrival order, with their latency;
    /// they count as printed from now on.
    pub fn ready(&mut self) -> Vec<(ObjectId, usize, Duration)> {
        let mut ready = Vec::new();
        self.waiting.retain(|&(id, row, merged_at)| match self.committed.get(&id) {
            Some(&commit) => {
                let micros = merged_at.unix_micros().saturating_sub(commit.unix_micros()).max(0);
                let latency = Duration::from_micros(micros as u64);
                self.latencies.add(latency);
                ready.push((id, row, latency));
                false
            }
            None => true,
        });
        ready
    }

    /// How many clips were printed.
    pub fn printed(&self) -> usize {
        self.latencies.samples.len()
    }

    /// The latencies measured.
    pub fn latencies(self) -> Latencies {
        self.latencies
    }
}

/// Commit → merge latencies.
#[derive(Default)]
pub struct Latencies {
    samples: Vec<Duration>,
}

impl Latencies {
    fn add(&mut self, latency: Duration) {
        self.samples.push(latency);
    }

    /// The `p`th percentile (nearest rank), zero without samples.
    pub fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    /// The largest latency, zero without samples.
    pub fn max(&self) -> Duration {
        self.samples.iter().copied().max().unwrap_or_default()
    }
}

/// A duration in milliseconds with two decimals (`"1.27 ms"`).
pub fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut latencies = Latencies::default();
        assert_eq!(latencies.percentile(50.0), Duration::ZERO);
        for ms in [5, 1, 4, 2, 3] {
            latencies.add(Duration::from_millis(ms));
        }
        assert_eq!(latencies.percentile(50.0), Duration::from_millis(3));
        assert_eq!(latencies.percentile(99.0), Duration::from_millis(5));
        assert_eq!(latencies.percentile(0.0), Duration::from_millis(1));
        assert_eq!(latencies.max(), Duration::from_millis(5));
    }
}
