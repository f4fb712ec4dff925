//! SQLite-specific behaviour: bad files, corrupt rows, schema versions. The rules every store
//! shares are checked by the conformance suite (`tests/checkpoint_stores.rs`).

use std::sync::Arc;

use rusqlite::Connection;
use serde_json::json;

use super::*;
use crate::checkpoint::testing;

fn store_in(dir: &tempfile::TempDir) -> (SqliteStore, std::path::PathBuf) {
    let path = dir.path().join("runs.db");
    (SqliteStore::open(&path).expect("open"), path)
}

async fn two_steps(store: &SqliteStore) -> Checkpoint {
    let root = Checkpoint::new("t", "c0");
    store.put(&root, None).await.expect("put c0");
    let mut c1 = root.child("c1");
    c1.delta = json!({ "reply": "hi" });
    store.put(&c1, Some("c0")).await.expect("put c1");
    c1
}

fn raw(path: &std::path::Path, sql: &str) {
    Connection::open(path)
        .and_then(|c| c.execute_batch(sql))
        .expect("raw SQL");
}

fn expect_corrupt<T: std::fmt::Debug>(
    result: Result<T, StoreError>,
    checkpoint: &str,
    field: &str,
) -> String {
    match result {
        Err(e @ StoreError::Corrupt { .. }) => {
            let StoreError::Corrupt {
                thread,
                checkpoint: c,
                field: f,
                ..
            } = &e
            else {
                unreachable!()
            };
            assert_eq!((thread.as_str(), c.as_str(), *f), ("t", checkpoint, field));
            e.to_string()
        }
        other => panic!("expected Corrupt for the {field} of {checkpoint}, got {other:?}"),
    }
}

#[tokio::test]
async fn an_in_memory_database_passes_the_conformance_suite() {
    testing::conformance(Arc::new(SqliteStore::memory().expect("memory"))).await;
}

#[test]
fn a_file_that_is_not_a_database_is_refused_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "these are my notes, not a database\n".repeat(200)).expect("write");
    let e = SqliteStore::open(&path).expect_err("not a database");
    assert_eq!(
        e.to_string(),
        format!(
            "cannot open the SQLite checkpoint store at {}: the file is not an SQLite \
             database; point the store at a new file or one it created",
            path.display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "these are my notes, not a database\n".repeat(200),
        "the file is left as it was"
    );
}

#[test]
fn a_file_in_a_missing_directory_says_what_to_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("no/such/dir/runs.db");
    let e = SqliteStore::open(&path).expect_err("missing directory");
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "cannot open the SQLite checkpoint store at {}: the file cannot be opened",
            path.display()
        )),
        "{text}"
    );
    assert!(
        text.ends_with("check that its directory exists and that this process may write there"),
        "{text}"
    );
}

#[tokio::test]
async fn the_file_is_in_wal_mode_and_keeps_its_threads_across_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, path) = store_in(&dir);
    let c1 = two_steps(&store).await;
    drop(store);

    let mode: String = Connection::open(&path)
        .and_then(|c| c.query_row("PRAGMA journal_mode", [], |r| r.get(0)))
        .expect("journal mode");
    assert_eq!(mode, "wal");

    let again = SqliteStore::open_with(
        &path,
        &SqliteOptions::default().synchronous(Synchronous::Full),
    )
    .expect("reopen");
    assert_eq!(again.latest("t").await.expect("latest"), Some(c1));
    let versions: Vec<i64> = Connection::open(&path)
        .and_then(|c| {
            c.prepare("SELECT version FROM graphai_schema_migrations ORDER BY version")?
                .query_map([], |r| r.get(0))?
                .collect()
        })
        .expect("versions");
    let all: Vec<i64> = (1..=migrations::latest(MIGRATIONS)).collect();
    assert_eq!(
        versions, all,
        "every migration applied once, in order, across two opens"
    );
}

#[tokio::test]
async fn two_handles_on_one_file_race_like_two_processes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shared.db");
    let a = SqliteStore::open(&path).expect("open a");
    let b = SqliteStore::open(&path).expect("open b");
    testing::shared_database(Arc::new(a), Arc::new(b)).await;
}

#[test]
fn a_database_from_a_newer_graphai_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, path) = store_in(&dir);
    drop(store);
    raw(
        &path,
        "INSERT INTO graphai_schema_migrations (version, description, applied_at) \
         VALUES (99, 'from the future', 0)",
    );
    let e = SqliteStore::open(&path).expect_err("newer schema");
    assert_eq!(
        e.to_string(),
        format!(
            "the SQLite checkpoint store at {} has schema version 99, newer than the 1 this \
             graphai knows; upgrade graphai, or point it at another database",
            path.display()
        )
    );
}

#[tokio::test]
async fn a_corrupt_delta_or_position_is_an_error_naming_thread_and_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, path) = store_in(&dir);
    two_steps(&store).await;
    raw(
        &path,
        "UPDATE graphai_checkpoints SET delta = '{\"reply\": tru' WHERE id = 'c1'",
    );

    let text = expect_corrupt(store.get("t", "c1").await, "c1", "delta");
    assert!(
        text.starts_with(
            "checkpoint `c1` of thread `t` is corrupt: its delta cannot be read (EOF while parsing"
        ),
        "{text}"
    );
    expect_corrupt(store.latest("t").await, "c1", "delta");
    expect_corrupt(store.chain("t", None).await, "c1", "delta");
    assert_eq!(
        store
            .chain("t", Some("c0"))
            .await
            .expect("the chain before it")
            .map(|c| c.checkpoints.len()),
        Some(1),
        "checkpoints before the corrupt one stay readable"
    );
    assert_eq!(
        store.history("t").await.expect("history").len(),
        2,
        "history reads no delta"
    );

    // Not text at all: a blob where JSON text belongs.
    raw(
        &path,
        "UPDATE graphai_checkpoints SET position = x'00ff00' WHERE id = 'c0'",
    );
    expect_corrupt(store.get("t", "c0").await, "c0", "position");
    raw(
        &path,
        "UPDATE graphai_checkpoints SET metadata = '[1,' WHERE id = 'c0'",
    );
    expect_corrupt(store.history("t").await, "c0", "metadata");
}

#[tokio::test]
async fn corrupt_pending_writes_and_a_broken_chain_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, path) = store_in(&dir);
    let c1 = two_steps(&store).await;
    store
        .put_writes("t", "c1", "task", &json!([1, 2]))
        .await
        .expect("writes");
    raw(&path, "UPDATE graphai_writes SET writes = 'not json'");
    expect_corrupt(store.chain("t", None).await, "c1", "pending writes");
    let retry = store.put_writes("t", "c1", "task", &json!([1, 2])).await;
    expect_corrupt(retry, "c1", "pending writes");

    let c2 = c1.child("c2");
    store.put(&c2, Some("c1")).await.expect("c2");
    raw(&path, "DELETE FROM graphai_checkpoints WHERE id = 'c1'");
    let text = expect_corrupt(store.chain("t", None).await, "c2", "parent");
    assert!(
        text.contains("its parent `c1` is missing from the thread"),
        "{text}"
    );
}

#[tokio::test]
async fn a_corrupt_row_met_by_a_retried_write_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, path) = store_in(&dir);
    let c1 = two_steps(&store).await;
    raw(
        &path,
        "UPDATE graphai_checkpoints SET delta = '{' WHERE id = 'c1'",
    );
    let mut retry = c1.clone();
    // Other text than stored, so the comparison must parse what is stored.
    retry.delta = json!({ "reply": "hi", "more": 1 });
    expect_corrupt(store.put(&retry, Some("c0")).await, "c1", "delta");
}
