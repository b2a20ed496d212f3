//! Query generations: a pinned context keeps reading the state of the moment it pinned
//! (values, row sets, to-many lists) while other contexts save, sees the new state once it
//! advances, and saves against the current state like any context.

use strata_core::{Context, ContextError, Error, FetchRequest, ObjectId, SharedContext, StoreError};

use super::support::{Env, clip, folder, save_all};

/// Three stored clips s0..s2 in one folder; returns (folder, clips).
fn seed(env: &Env) -> (ObjectId, Vec<ObjectId>) {
    let mut ctx = env.context();
    let f = folder(&mut ctx, "f");
    let clips: Vec<_> = (0..3).map(|i| clip(&mut ctx, &format!("s{i}"), 1.0)).collect();
    for &c in &clips {
        ctx.set_to_one(c, "folder", Some(f)).unwrap();
    }
    let mut all = vec![f];
    all.extend(clips);
    let saved = save_all(&mut ctx, &all);
    (saved[0], saved[1..].to_vec())
}

/// Another context retitles clip 0, deletes clip 1 and adds clip "s3" to the folder.
fn write_elsewhere(env: &Env, f: ObjectId, clips: &[ObjectId]) {
    let mut other = env.context();
    other.set(clips[0], "title", "changed").unwrap();
    other.delete(clips[1]).unwrap();
    let added = clip(&mut other, "s3", 1.0);
    other.set_to_one(added, "folder", Some(f)).unwrap();
    other.save().unwrap();
}

fn sorted_titles(ctx: &mut Context) -> Vec<String> {
    let request = FetchRequest::new("Clip").sort_by("title").unwrap();
    let ids = ctx.fetch(&request).unwrap().ids();
    ids.into_iter().map(|id| ctx.get::<String>(id, "title").unwrap()).collect()
}

#[test]
fn a_pinned_context_reads_the_state_it_pinned() {
    let env = Env::new();
    let (f, clips) = seed(&env);
    let mut pinned = env.context();
    pinned.pin_query_generation().unwrap();
    assert!(pinned.is_pinned());
    write_elsewhere(&env, f, &clips);

    let count = FetchRequest::new("Clip").result_type(strata_core::ResultType::Count);
    assert_eq!(pinned.count(&count).unwrap(), 3, "the old row set");
    assert_eq!(sorted_titles(&mut pinned), ["s0", "s1", "s2"], "old values, a row deleted since included");
    assert_eq!(pinned.to_many(f, "clips").unwrap().len(), 3, "the old to-many list");
    let cached = env.coordinator.row_cache().get(clips[0]).map(|s| s.version());
    assert_eq!(cached, Some(2), "reads at a generation leave the shared row cache alone");

    let mut current = env.context();
    assert_eq!(current.count(&count).unwrap(), 3 - 1 + 1);
    assert_eq!(
        sorted_titles(&mut current),
        ["changed", "s2", "s3"],
        "an unpinned context reads the current state"
    );

    pinned.advance_query_generation().unwrap();
    assert_eq!(pinned.get::<String>(clips[0], "title").unwrap(), "changed", "loaded objects are re-read");
    assert!(!pinned.is_registered(clips[1]), "an object deleted since is forgotten");
    assert_eq!(sorted_titles(&mut pinned), ["changed", "s2", "s3"]);
    assert_eq!(pinned.to_many(f, "clips").unwrap().len(), 3, "to-many lists reload at the new generation");
    assert_eq!(pinned.count(&count).unwrap(), 3);
}

#[test]
fn faults_fire_at_the_generation() {
    let env = Env::new();
    let (f, clips) = seed(&env);
    let mut pinned = env.context();
    let request = FetchRequest::new("Clip").returns_faults(true);
    let faults = pinned.fetch(&request).unwrap().ids();
    assert!(faults.iter().all(|&id| pinned.is_fault(id)));
    pinned.pin_query_generation().unwrap();
    write_elsewhere(&env, f, &clips);
    assert_eq!(pinned.get::<String>(clips[0], "title").unwrap(), "s0", "a fault fires on the pinned state");
    assert_eq!(pinned.get::<String>(clips[1], "title").unwrap(), "s1", "even for a row deleted since");

    pinned.unpin_query_generation().unwrap();
    assert!(!pinned.is_pinned());
    assert_eq!(
        pinned.get::<String>(clips[0], "title").unwrap(),
        "changed",
        "unpinning re-reads loaded objects"
    );
    assert!(!pinned.is_registered(clips[1]));
}

#[test]
fn a_pinned_context_saves_against_the_current_state() {
    let env = Env::new();
    let (f, clips) = seed(&env);
    let mut pinned = env.context();
    pinned.pin_query_generation().unwrap();
    write_elsewhere(&env, f, &clips);

    pinned.set(clips[0], "score", 5.0).unwrap();
    match pinned.save() {
        Err(Error::Conflict(conflict)) => {
            assert_eq!(
                conflict.conflicts.len(),
                1,
                "the row changed since the generation: a version conflict"
            )
        }
        other => panic!("expected a version conflict, got {other:?}"),
    }
    pinned.rollback();
    pinned.set(clips[2], "score", 6.0).unwrap();
    let added = clip(&mut pinned, "mine", 2.0);
    let added = save_all(&mut pinned, &[added])[0];
    assert!(pinned.is_pinned(), "a save keeps the context pinned");
    let titles = sorted_titles(&mut pinned);
    assert!(titles.contains(&"mine".to_owned()), "the generation advanced past the context's own save");
    assert!(titles.contains(&"s3".to_owned()) && !titles.contains(&"s1".to_owned()), "{titles:?}");
    let mut current = env.context();
    assert_eq!(current.get::<f64>(clips[2], "score").unwrap(), 6.0);
    assert_eq!(current.get::<String>(added, "title").unwrap(), "mine");
}

#[test]
fn pinning_keeps_pending_edits_and_refuses_children() {
    let env = Env::new();
    let (f, clips) = seed(&env);
    let mut ctx = env.context();
    ctx.set(clips[2], "score", 4.0).unwrap();
    write_elsewhere(&env, f, &clips);
    ctx.pin_query_generation().unwrap();
    assert_eq!(ctx.get::<f64>(clips[2], "score").unwrap(), 4.0, "the edit survives pinning");
    assert_eq!(ctx.get::<String>(clips[0], "title").unwrap(), "changed", "pinning takes the current state");

    let parent = SharedContext::new(env.context());
    let mut child = Context::new_child(&parent);
    match child.pin_query_generation() {
        Err(Error::Context(ContextError::GenerationOfChild)) => {}
        other => panic!("a child cannot pin, got {other:?}"),
    }
    assert!(!child.is_pinned());
}

#[test]
fn the_coordinator_reads_at_a_generation_and_unsupported_stores_say_so() {
    let env = Env::new();
    let (f, clips) = seed(&env);
    let generation = env.coordinator.open_generation().unwrap();
    write_elsewhere(&env, f, &clips);
    let old = env.coordinator.snapshots_at(&clips, &generation).unwrap();
    assert_eq!(old[0].as_ref().map(|s| s.version()), Some(1));
    assert!(old[1].is_some());
    let now = env.coordinator.snapshots(&clips).unwrap();
    assert_eq!(now[0].as_ref().map(|s| s.version()), Some(2));
    assert!(now[1].is_none());
    drop(generation);

    let bare = strata_core::Coordinator::new(env.model.clone());
    bare.add_store("Default", std::sync::Arc::new(NoGenerations(env.store.clone()))).unwrap();
    let mut ctx = Context::new(bare);
    match ctx.pin_query_generation() {
        Err(Error::Store(StoreError::Unsupported { .. })) => {}
        other => panic!("expected Unsupported, got {other:?}"),
    }
    assert!(!ctx.is_pinned());
}

/// A store forwarding everything but query generations.
struct NoGenerations(std::sync::Arc<super::support::CountingStore>);

impl strata_core::Store for NoGenerations {
    fn metadata(&self) -> strata_core::StoreMetadata {
        self.0.metadata()
    }
    fn model(&self) -> &std::sync::Arc<strata_model::Model> {
        self.0.model()
    }
    fn set_user_metadata(&self, user: serde_json::Map<String, serde_json::Value>) -> Result<(), StoreError> {
        self.0.set_user_metadata(user)
    }
    fn fetch(
        &self,
        request: &strata_core::store::StoreFetchRequest,
    ) -> Result<strata_core::store::StoreFetchResult, StoreError> {
        self.0.fetch(request)
    }
    fn snapshots(
        &self,
        ids: &[ObjectId],
    ) -> Result<Vec<Option<std::sync::Arc<strata_core::Snapshot>>>, StoreError> {
        self.0.snapshots(ids)
    }
    fn related(&self, sources: &[ObjectId], relationship: usize) -> Result<Vec<Vec<ObjectId>>, StoreError> {
        self.0.related(sources, relationship)
    }
    fn save(
        &self,
        request: &strata_core::store::SaveRequest,
    ) -> Result<strata_core::store::SaveResult, StoreError> {
        self.0.save(request)
    }
}

#[test]
fn async_fetches_and_grouped_rows_also_read_the_pinned_generation() {
    use strata_core::{Aggregate, CancelToken, ResultType, Value};

    let env = Env::new();
    let (f, clips) = seed(&env);
    let mut pinned = env.context();
    pinned.pin_query_generation().unwrap();
    write_elsewhere(&env, f, &clips);

    let fetch = pinned.fetch_async(&FetchRequest::new("Clip"), &CancelToken::new(), None).unwrap();
    let ids = pinned.finish_async(fetch).unwrap().ids();
    assert_eq!(ids.len(), 3, "the async worker read the generation, not the current rows");
    assert!(ids.contains(&clips[1]), "a clip deleted since is still there");

    let rows =
        FetchRequest::new("Clip").result_type(ResultType::Dictionaries).aggregate(Aggregate::count_all("n"));
    let counted = pinned.fetch_rows(&rows).unwrap();
    assert_eq!(counted[0].value("n"), Some(&Value::Int64(3)), "grouped rows at the generation");
    let mut current = env.context();
    assert_eq!(current.fetch_rows(&rows).unwrap()[0].value("n"), Some(&Value::Int64(3 - 1 + 1)));
}
