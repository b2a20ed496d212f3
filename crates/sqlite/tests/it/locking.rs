//! Locks inside one process: reads never wait for a writer, saves wait for another
//! connection's write lock within their budget (and only then fail, with a clear error),
//! threads share a store and never see half of a save.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use strata_core::store::SaveRequest;
use strata_core::{Store, StoreError};
use strata_model::Value;
use strata_sqlite::{SqliteOptions, SqliteStore};

use crate::support::{LIBRARY, create_lib, model};

#[test]
fn reads_never_wait_and_saves_wait_for_the_write_lock() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (lib, _, path) = create_lib(dir.path(), "locks.sqlite");
    let shelf_code = lib.entity("Shelf").0;
    // Another connection (as another process would) takes the write lock and holds it.
    let other = rusqlite::Connection::open(&path).expect("second connection");
    other
        .execute_batch(&format!(
            "BEGIN IMMEDIATE; \
             INSERT INTO Shelf (Z_PK, Z_ENT, Z_OPT, name) VALUES (1000, {shelf_code}, 1, 'raw');"
        ))
        .expect("hold the write lock");

    let start = Instant::now();
    assert_eq!(lib.count("Shelf", ""), 0, "a read sees the last commit, not the open transaction");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "reads do not wait for the writer: {:?}",
        start.elapsed()
    );

    let budget = Duration::from_millis(300);
    let impatient =
        SqliteStore::open(&path, model(LIBRARY), SqliteOptions::default().with_busy_timeout(budget))
            .expect("open a second store on the file");
    let start = Instant::now();
    let refused = impatient
        .save(&SaveRequest { inserted: vec![lib.row_linked("Shelf", &[], &[])], ..Default::default() });
    let waited = start.elapsed();
    match refused {
        Err(StoreError::Backend { message, .. }) => assert!(message.contains("locked"), "{message}"),
        other => panic!("a save that cannot get the lock within its budget must fail, got {other:?}"),
    }
    assert!(waited >= budget && waited < budget * 10, "the save waited its budget, not more: {waited:?}");

    let store = lib.store.clone();
    let row = lib.row_linked("Shelf", &[("name", Value::from("patient"))], &[]);
    let patient = std::thread::spawn(move || {
        let start = Instant::now();
        let result = store.save(&SaveRequest { inserted: vec![row], ..Default::default() });
        (result, start.elapsed())
    });
    std::thread::sleep(Duration::from_millis(200));
    other.execute_batch("COMMIT").expect("release the lock");
    let (result, waited) = patient.join().expect("saving thread");
    result.expect("a save waiting for the lock succeeds once it is released");
    assert!(waited >= Duration::from_millis(150), "the save waited for the lock: {waited:?}");
    assert_eq!(lib.count("Shelf", ""), 2);
}

#[test]
fn threads_share_a_store_and_never_see_half_a_save() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (lib, _, _) = create_lib(dir.path(), "threads.sqlite");
    let lib = Arc::new(lib);
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (lib, done) = (Arc::clone(&lib), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let deadline = Instant::now() + Duration::from_secs(20);
                while !done.load(Ordering::Relaxed) && Instant::now() < deadline {
                    seen.push(lib.count("Book", ""));
                }
                seen
            })
        })
        .collect();
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let lib = Arc::clone(&lib);
            std::thread::spawn(move || {
                for s in 0..25 {
                    let rows = (0..10)
                        .map(|i| {
                            lib.row_linked("Book", &[("rank", Value::Int64(t * 1000 + s * 10 + i))], &[])
                        })
                        .collect();
                    lib.insert(rows);
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("writer thread");
    }
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        let seen = reader.join().expect("reader thread");
        assert!(!seen.is_empty());
        assert!(seen.iter().all(|n| n.is_multiple_of(10)), "every read sees whole saves: {seen:?}");
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "reads never go back in time: {seen:?}");
    }
    assert_eq!(lib.count("Book", ""), 1000);
}
