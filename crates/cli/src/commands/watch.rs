//! `strata watch`: waits for changes committed to a store by other processes and prints one
//! line per remote-change notification — the store's latest token, and when the store keeps
//! history, the transactions since the previous line. Exits after `--count` lines or when
//! `--timeout` passes (successfully in both cases); without either it runs until killed.
//!
//! It never writes to the store. `watching <uuid>` goes to stderr once the subscription is
//! in place, so a script can start writers only after it appears and miss nothing.

use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use strata::Store;
use strata::core::store::{HistoryRequest, HistoryToken, HistoryTransaction, RemoteChange};

use super::Format;
use crate::output::JsonObject;
use crate::store::OpenStore;

/// Flags of `strata watch`.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// The store file.
    #[arg(long)]
    pub store: PathBuf,
    /// Exit after this many lines.
    #[arg(long)]
    pub count: Option<u64>,
    /// Exit after this many seconds (fractions allowed), whatever was seen.
    #[arg(long)]
    pub timeout: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// How long one wait lasts when there is no deadline (the loop simply waits again).
const NO_DEADLINE_WAIT: Duration = Duration::from_secs(3600);

/// Watches the store until the count or the timeout is reached.
pub fn run(args: &WatchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let timeout = match args.timeout {
        Some(seconds) if !(seconds.is_finite() && seconds >= 0.0) => {
            anyhow::bail!("--timeout must be a number of seconds, 0 or more (got {seconds})")
        }
        Some(seconds) => Some(Duration::try_from_secs_f64(seconds)?),
        None => None,
    };
    let open = OpenStore::open(&args.store)?;
    let metadata = open.store.metadata();
    let changes = open.coordinator.subscribe_remote_changes()?;
    // Read after subscribing: a change between the two is then both after this token and
    // announced, never neither.
    let mut previous = if metadata.history { open.store.current_history_token().ok() } else { None };
    eprintln!("watching {}", metadata.uuid);
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut printed = 0u64;
    while args.count.is_none_or(|count| printed < count) {
        let wait = match deadline {
            Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => left,
                _ => break,
            },
            None => NO_DEADLINE_WAIT,
        };
        let change = match changes.receiver().recv_timeout(wait) {
            Ok(change) => change,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => {
                anyhow::bail!("the store stopped sending change notifications")
            }
        };
        let transactions = match previous {
            Some(after) => since(open.store.as_ref(), after),
            None => None,
        };
        if metadata.history {
            previous = Some(change.token);
        }
        writeln!(out, "{}", line(&change, transactions.as_deref(), args.format))?;
        out.flush()?;
        printed += 1;
    }
    Ok(())
}

/// The history transactions after `after`, when the store can answer.
fn since(store: &dyn Store, after: HistoryToken) -> Option<Vec<HistoryTransaction>> {
    let mut request = HistoryRequest::default();
    request.after = Some(after);
    store.history(&request).ok()
}

/// One output line.
fn line(change: &RemoteChange, transactions: Option<&[HistoryTransaction]>, format: Format) -> String {
    match format {
        Format::Json => {
            let mut object = JsonObject::new()
                .field("store", change.store.to_string().as_str())
                .field("token", change.token.to_string().as_str())
                .field("sequence", serde_json::Value::from(change.token.sequence));
            if let Some(transactions) = transactions {
                let list = transactions
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "token": t.token.to_string(),
                            "author": t.author,
                            "context": t.context_name,
                            "changes": t.changes.len(),
                        })
                    })
                    .collect();
                object = object.field("transactions", serde_json::Value::Array(list));
            }
            object.finish()
        }
        Format::Table => match transactions {
            Some(transactions) => {
                let changes: usize = transactions.iter().map(|t| t.changes.len()).sum();
                format!("{}  {} transactions, {changes} changes", change.token, transactions.len())
            }
            None => change.token.to_string(),
        },
    }
}
