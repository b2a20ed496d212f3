//! Batch requests through a coordinator: [`Coordinator::execute_batch`] routes a
//! [`BatchRequest`] to the store holding its entity and keeps the row cache current for the
//! objects it changed; [`BatchRequest::merge_request`] turns a batch's IDs into the
//! [`MergeRequest`] contexts merge (`Context::merge_changes`), as Core Data applications
//! merge a batch result's object IDs. A batch never touches a context by itself.

use crate::context::MergeRequest;
use crate::store::{BatchOptions, BatchRequest, BatchResult};
use crate::{Coordinator, ObjectId, Result};

impl BatchRequest {
    /// The entity the request changes.
    pub fn entity(&self) -> strata_model::EntityIndex {
        match self {
            BatchRequest::Insert { entity, .. }
            | BatchRequest::Update { entity, .. }
            | BatchRequest::Delete { entity, .. } => *entity,
        }
    }

    /// The changes of this request, given the IDs its [`BatchResult::ObjectIds`] answered,
    /// for contexts to merge: inserted, updated or deleted by kind.
    pub fn merge_request(&self, ids: Vec<ObjectId>) -> MergeRequest {
        match self {
            BatchRequest::Insert { .. } => MergeRequest::new(ids, Vec::new(), Vec::new()),
            BatchRequest::Update { .. } => MergeRequest::new(Vec::new(), ids, Vec::new()),
            BatchRequest::Delete { .. } => MergeRequest::new(Vec::new(), Vec::new(), ids),
        }
    }
}

impl Coordinator {
    /// Runs `request` on the store holding its entity ([`Store::execute_batch`](crate::Store::execute_batch)),
    /// then reloads the changed objects' cached rows (and drops the deleted ones), so faults
    /// fired afterwards see the batch. Contexts holding the objects keep their snapshots
    /// until they merge [`BatchRequest::merge_request`] of the IDs (ask for them with
    /// [`BatchOptions::return_ids`]); their next save of an updated object conflicts, as the
    /// batch bumped its version. Rows whose foreign keys a batch delete cleared (nullify
    /// rules) are not among the IDs: they refresh when stale or merged.
    pub fn execute_batch(&self, request: &BatchRequest, options: &BatchOptions) -> Result<BatchResult> {
        let store_id = self.route(request.entity())?;
        let Some(store) = self.store(store_id) else {
            return Err(crate::CoordinatorError::UnknownStore { store: store_id.uuid() }.into());
        };
        let asked = BatchOptions { return_ids: true, ..options.clone() };
        let result = store.execute_batch(request, &asked)?;
        let ids = match result {
            BatchResult::ObjectIds(ids) => ids,
            other => return Ok(other),
        };
        if !ids.is_empty() {
            self.refresh_snapshots(&ids)?;
        }
        Ok(if options.return_ids {
            BatchResult::ObjectIds(ids)
        } else {
            BatchResult::Count(ids.len() as u64)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use strata_model::{Model, Value};

    use super::*;
    use crate::Context;
    use crate::memory_store::MemoryStore;

    const MODEL: &str = r#"{ "name": "M", "version": 1, "entities": [
      { "name": "Item", "attributes": [ { "name": "title", "type": "string" } ] } ] }"#;

    #[test]
    fn batches_through_the_coordinator_reach_contexts_that_merge_them() {
        let model = Arc::new(Model::from_json(MODEL).unwrap());
        let coordinator = Coordinator::new(model.clone());
        coordinator.add_store("Default", Arc::new(MemoryStore::new(model.clone()))).unwrap();
        let item = model.entity("Item").unwrap().index();
        let ids = BatchOptions { return_ids: true, ..BatchOptions::default() };
        let insert = BatchRequest::Insert { entity: item, rows: vec![vec!["a".into()], vec!["b".into()]] };
        let BatchResult::ObjectIds(inserted) = coordinator.execute_batch(&insert, &ids).unwrap() else {
            panic!("asked for IDs")
        };
        let mut context = Context::new(coordinator.clone());
        assert_eq!(context.value(inserted[0], "title").unwrap(), Value::from("a"));
        let update = BatchRequest::Update {
            entity: item,
            include_subentities: true,
            predicate: None,
            values: vec![(0, "z".into())],
        };
        let BatchResult::ObjectIds(updated) = coordinator.execute_batch(&update, &ids).unwrap() else {
            panic!("asked for IDs")
        };
        assert_eq!(updated, inserted);
        context.merge_changes(update.merge_request(updated)).unwrap();
        assert_eq!(
            context.value(inserted[0], "title").unwrap(),
            Value::from("z"),
            "the merged batch is seen"
        );
        let mut fresh = Context::new(coordinator.clone());
        assert_eq!(
            fresh.value(inserted[1], "title").unwrap(),
            Value::from("z"),
            "the row cache was refreshed"
        );
        let delete = BatchRequest::Delete { entity: item, include_subentities: true, predicate: None };
        assert_eq!(
            coordinator.execute_batch(&delete, &BatchOptions::default()).unwrap(),
            BatchResult::Count(2)
        );
        assert!(
            Context::new(coordinator).value(inserted[0], "title").is_err(),
            "deleted rows left the cache"
        );
    }
}
