//! Saves retried after a partial failure. When the server accepted some inserts of a save
//! that then failed, the cache records them under permanent IDs while the saving context
//! still holds them as temporary ones; if the context saves again, sending those inserts
//! again would create each object twice on the server. So the store remembers which
//! temporary ID became which cached object, and a later save naming the temporary ID
//! updates that object instead (with all the insert's values) and reports the pair as the
//! insert's permanent ID.
//!
//! Nothing here sends a request; it only rewrites a save before it is sent.

use std::borrow::Cow;

use strata_core::store::{SaveRequest, UpdatedRow};
use strata_core::{IdMap, ObjectId, Store, StoreError};

use super::Inner;

/// A save after adoption, and the (temporary, permanent) pairs it adopted.
pub(super) type Adopted<'r> = (Cow<'r, SaveRequest>, Vec<(ObjectId, ObjectId)>);

impl Inner {
    /// Remembers (temporary, permanent) pairs of inserts a failed save left in the cache.
    pub(super) fn remember_adopted(&self, pairs: &[(ObjectId, ObjectId)]) {
        self.adopted.lock().unwrap_or_else(|e| e.into_inner()).extend(pairs.iter().copied());
    }

    /// Forgets pairs a successful save reported.
    pub(super) fn forget_adopted(&self, pairs: &[(ObjectId, ObjectId)]) {
        let mut adopted = self.adopted.lock().unwrap_or_else(|e| e.into_inner());
        for (temporary, _) in pairs {
            adopted.remove(temporary);
        }
    }

    /// `request` with inserts of already-cached objects turned into updates of them (and
    /// every mention of their temporary IDs replaced), and the pairs to report.
    pub(super) fn adopt<'r>(&self, request: &'r SaveRequest) -> Result<Adopted<'r>, StoreError> {
        let found: Vec<(ObjectId, ObjectId)> = {
            let adopted = self.adopted.lock().unwrap_or_else(|e| e.into_inner());
            request.inserted.iter().filter_map(|row| Some((row.id, *adopted.get(&row.id)?))).collect()
        };
        if found.is_empty() {
            return Ok((Cow::Borrowed(request), Vec::new()));
        }
        let permanent: Vec<ObjectId> = found.iter().map(|&(_, p)| p).collect();
        let rows = self.cache.snapshots(&permanent)?;
        // An adopted object the cache no longer has (removed since) is inserted afresh.
        let map: IdMap<ObjectId> =
            found.iter().zip(&rows).filter(|(_, row)| row.is_some()).map(|(&(t, p), _)| (t, p)).collect();
        let swap = |id: ObjectId| map.get(&id).copied().unwrap_or(id);
        let mut out = request.clone();
        let mut inserted = Vec::with_capacity(out.inserted.len());
        for row in std::mem::take(&mut out.inserted) {
            let Some(&id) = map.get(&row.id) else {
                inserted.push(row);
                continue;
            };
            let version = rows
                .iter()
                .flatten()
                .find(|r| r.id() == id)
                .map(|r| r.version())
                .ok_or(StoreError::MissingObject { id })?;
            let relationships = self.map.user.entity_at(id.entity()).relationships();
            out.updated.push(UpdatedRow {
                id,
                expected_version: version,
                values: row.values.into_iter().enumerate().collect(),
                to_one: row
                    .to_one
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| relationships.get(*i).is_some_and(|r| !r.is_to_many()))
                    .collect(),
            });
        }
        out.inserted = inserted;
        for row in &mut out.inserted {
            row.to_one.iter_mut().for_each(|d| *d = d.map(swap));
        }
        for row in &mut out.updated {
            row.to_one.iter_mut().for_each(|(_, d)| *d = d.map(swap));
        }
        for change in &mut out.to_many {
            change.source = swap(change.source);
            change.added.iter_mut().for_each(|d| *d = swap(*d));
            change.removed.iter_mut().for_each(|d| *d = swap(*d));
        }
        Ok((Cow::Owned(out), map.into_iter().collect()))
    }
}
