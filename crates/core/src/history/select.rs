//! Reading history: the [`HistoryRequest`] and [`HistoryDeleteRequest`] builders, the check
//! of a request's token against the store and its deleted history, and the filter every
//! store applies to a transaction it read.

use strata_model::{Date, Model, Uuid};

use crate::store::{
    ChangeKind, HistoryDeleteRequest, HistoryRequest, HistoryToken, HistoryTransaction, StoreError,
};

impl HistoryRequest {
    /// Every kept transaction.
    pub fn all() -> HistoryRequest {
        HistoryRequest::default()
    }

    /// Transactions after `token`.
    pub fn after(token: HistoryToken) -> HistoryRequest {
        HistoryRequest { after: Some(token), ..HistoryRequest::default() }
    }

    /// Transactions after `transaction`.
    pub fn after_transaction(transaction: &HistoryTransaction) -> HistoryRequest {
        HistoryRequest::after(transaction.token)
    }

    /// This request, only transactions committed strictly after `date`.
    pub fn with_after_date(mut self, date: Date) -> HistoryRequest {
        self.after_date = Some(date);
        self
    }

    /// This request, at most `limit` transactions.
    pub fn with_limit(mut self, limit: usize) -> HistoryRequest {
        self.limit = Some(limit);
        self
    }

    /// This request, only transactions of `author` (and of any other author added so).
    pub fn with_author(mut self, author: impl Into<String>) -> HistoryRequest {
        self.authors.push(author.into());
        self
    }

    /// This request, only transactions of contexts named `name`.
    pub fn with_context_name(mut self, name: impl Into<String>) -> HistoryRequest {
        self.context_name = Some(name.into());
        self
    }

    /// This request, only changes to objects of `entity` (or its sub-entities).
    pub fn with_entity(mut self, entity: impl Into<String>) -> HistoryRequest {
        self.entity = Some(entity.into());
        self
    }

    /// This request, only changes of `kind` (and of any other kind added so).
    pub fn with_kind(mut self, kind: ChangeKind) -> HistoryRequest {
        self.kinds.push(kind);
        self
    }
}

impl HistoryRequest {
    /// Whether the transaction-level filters (token, date, authors, context) keep
    /// `transaction`; its changes are not looked at, so a store may call this before
    /// loading them.
    pub fn selects_transaction(&self, transaction: &HistoryTransaction) -> bool {
        self.after.is_none_or(|t| transaction.token.sequence > t.sequence)
            && self.after_date.is_none_or(|d| transaction.timestamp > d)
            && (self.authors.is_empty()
                || transaction.author.as_deref().is_some_and(|a| self.authors.iter().any(|x| x == a)))
            && self.context_name.as_ref().is_none_or(|n| transaction.context_name.as_ref() == Some(n))
    }
}

impl HistoryDeleteRequest {
    /// Deletes every transaction up to and including `token`.
    pub fn through(token: HistoryToken) -> HistoryDeleteRequest {
        HistoryDeleteRequest { through: Some(token), ..HistoryDeleteRequest::default() }
    }

    /// Deletes every transaction up to and including `transaction`.
    pub fn through_transaction(transaction: &HistoryTransaction) -> HistoryDeleteRequest {
        HistoryDeleteRequest::through(transaction.token)
    }

    /// Deletes every transaction committed strictly before `date`.
    pub fn before_date(date: Date) -> HistoryDeleteRequest {
        HistoryDeleteRequest { before_date: Some(date), ..HistoryDeleteRequest::default() }
    }

    /// This request, only transactions of `author` (and of any other author added so).
    pub fn with_author(mut self, author: impl Into<String>) -> HistoryDeleteRequest {
        self.authors.push(author.into());
        self
    }

    /// Whether `transaction` is one this request deletes. A request with neither bound
    /// deletes nothing (a deletion of everything must say so with a token or a date).
    pub fn selects(&self, sequence: u64, timestamp: Date, author: Option<&str>) -> bool {
        let bounded = self.through.is_some() || self.before_date.is_some();
        bounded
            && self.through.is_none_or(|t| sequence <= t.sequence)
            && self.before_date.is_none_or(|d| timestamp < d)
            && (self.authors.is_empty() || author.is_some_and(|a| self.authors.iter().any(|x| x == a)))
    }
}

/// Checks a token given to the store `store`: it must be the store's own
/// ([`StoreError::ForeignHistoryToken`]).
pub fn check_token(token: HistoryToken, store: Uuid) -> Result<(), StoreError> {
    if token.store != store {
        return Err(StoreError::ForeignHistoryToken { token, store });
    }
    Ok(())
}

/// Checks `request.after` against the store `store`, whose history has been deleted up to
/// sequence `deleted_through` (0: never): a token of another store is
/// [`StoreError::ForeignHistoryToken`], an older token than the deleted history
/// [`StoreError::HistoryExpired`].
pub fn check_after(request: &HistoryRequest, store: Uuid, deleted_through: u64) -> Result<(), StoreError> {
    if let Some(after) = request.after {
        check_token(after, store)?;
        if after.sequence < deleted_through {
            return Err(StoreError::HistoryExpired { after, deleted_through });
        }
    }
    Ok(())
}

/// `transaction` as `request` selects it: `None` if a transaction-level filter (token,
/// date, author, context) refuses it or no change is left after the entity and kind
/// filters; otherwise the transaction with only the selected changes. An unknown entity
/// name selects nothing.
pub fn select_transaction(
    model: &Model,
    request: &HistoryRequest,
    mut transaction: HistoryTransaction,
) -> Option<HistoryTransaction> {
    if !request.selects_transaction(&transaction) {
        return None;
    }
    if request.entity.is_none() && request.kinds.is_empty() {
        return Some(transaction);
    }
    let entity = match &request.entity {
        Some(name) => Some(model.entity(name)?.index()),
        None => None,
    };
    transaction.changes.retain(|c| {
        entity.is_none_or(|e| model.is_kind_of(c.id.entity(), e))
            && (request.kinds.is_empty() || request.kinds.contains(&c.kind))
    });
    (!transaction.changes.is_empty()).then_some(transaction)
}
