//! [`HistoryLog`]: a store's history kept in memory, as the
//! [`MemoryStore`](crate::memory_store::MemoryStore) keeps it. The owner appends to it while
//! holding the lock under which it applies the save, so the log never disagrees with the data.

use strata_model::{Date, Model, Uuid};

use super::record::{HistoryCapture, changes_of_save, current_process};
use super::select::{check_after, check_token, select_transaction};
use crate::store::{
    HistoryDeleteRequest, HistoryRequest, HistoryToken, HistoryTransaction, SaveRequest, SaveResult,
    StoreError,
};

/// The transactions of one store, oldest first, with the bookkeeping that makes reads after
/// deleted history fail instead of returning a short list.
#[derive(Debug, Clone)]
pub struct HistoryLog {
    store: Uuid,
    values: bool,
    transactions: Vec<HistoryTransaction>,
    /// The sequence of the latest transaction ever recorded (0 before the first).
    last: u64,
    /// The sequence of the latest deleted transaction (0: none deleted).
    deleted_through: u64,
}

impl HistoryLog {
    /// An empty log of the store `store`; `values` records old and new values of updated
    /// attributes.
    pub fn new(store: Uuid, values: bool) -> HistoryLog {
        HistoryLog { store, values, transactions: Vec::new(), last: 0, deleted_through: 0 }
    }

    /// Whether the log records old and new values.
    pub fn records_values(&self) -> bool {
        self.values
    }

    /// Records one successful save (see [`changes_of_save`]) and returns its token.
    pub fn append(
        &mut self,
        model: &Model,
        request: &SaveRequest,
        result: &SaveResult,
        before: &HistoryCapture,
    ) -> HistoryToken {
        self.last += 1;
        let token = HistoryToken::new(self.store, self.last);
        let (process_id, application) = current_process();
        let mut transaction = HistoryTransaction::new(
            token,
            Date::now(),
            request.info.author.clone(),
            request.info.context_name.clone(),
            process_id,
            application,
        );
        transaction.changes = changes_of_save(model, request, result, before, self.values);
        self.transactions.push(transaction);
        token
    }

    /// The token of the latest transaction (sequence 0 before the first).
    pub fn current(&self) -> HistoryToken {
        HistoryToken::new(self.store, self.last)
    }

    /// The transactions `request` selects, oldest first.
    pub fn read(
        &self,
        model: &Model,
        request: &HistoryRequest,
    ) -> Result<Vec<HistoryTransaction>, StoreError> {
        check_after(request, self.store, self.deleted_through)?;
        let start = request
            .after
            .map_or(0, |t| self.transactions.partition_point(|x| x.token.sequence <= t.sequence));
        let limit = request.limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        for transaction in &self.transactions[start..] {
            if out.len() >= limit {
                break;
            }
            if let Some(t) = select_transaction(model, request, transaction.clone()) {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// Deletes the transactions `request` selects; returns how many.
    pub fn delete(&mut self, request: &HistoryDeleteRequest) -> Result<usize, StoreError> {
        if let Some(token) = request.through {
            check_token(token, self.store)?;
        }
        let before = self.transactions.len();
        let mut deleted_through = self.deleted_through;
        self.transactions.retain(|t| {
            let delete = request.selects(t.token.sequence, t.timestamp, t.author.as_deref());
            if delete {
                deleted_through = deleted_through.max(t.token.sequence);
            }
            !delete
        });
        self.deleted_through = deleted_through;
        Ok(before - self.transactions.len())
    }
}
