//! One conformance suite (`graphai::checkpoint::testing`), run against every checkpoint
//! store: `MemoryStore`, `SqliteStore` (a file and in memory) and, with the `postgres`
//! feature, `PostgresStore` on the server named by `GRAPHAI_TEST_POSTGRES_URL`
//! (`scripts/pg-test-server.sh start` prints it; without it the PostgreSQL tests skip and say
//! so, except under `CI`, where they fail).
//!
//! The mutant stores at the end break one rule each and must fail the suite: proof that it
//! checks what it claims.

use std::sync::Arc;

use graphai::Value;
use graphai::checkpoint::{
    Chain, Checkpoint, CheckpointStore, HistoryEntry, MemoryStore, PutOutcome, SqliteStore,
    StoreError, StoreFuture, testing,
};

#[tokio::test]
async fn the_memory_store_conforms() {
    testing::conformance(Arc::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn the_sqlite_store_conforms_in_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path().join("runs.db")).expect("open");
    testing::conformance(Arc::new(store)).await;
}

#[tokio::test]
async fn the_sqlite_store_conforms_in_memory() {
    testing::conformance(Arc::new(SqliteStore::memory().expect("memory"))).await;
}

#[tokio::test]
async fn two_sqlite_handles_on_one_file_share_it_like_two_processes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shared.db");
    let a = SqliteStore::open(&path).expect("open a");
    let b = SqliteStore::open(&path).expect("open b");
    testing::shared_database(Arc::new(a), Arc::new(b)).await;
}

#[tokio::test]
async fn a_sqlite_file_keeps_its_threads_after_the_store_is_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("runs.db");
    let first = Checkpoint::new("t", "c0");
    {
        let store: Arc<dyn CheckpointStore> = Arc::new(SqliteStore::open(&path).expect("open"));
        store.put(&first, None).await.expect("put");
    }
    let reopened = SqliteStore::open(&path).expect("reopen");
    assert_eq!(reopened.latest("t").await.expect("latest"), Some(first));
}

#[cfg(feature = "postgres")]
mod postgres {
    use std::sync::Arc;

    use graphai::checkpoint::{PostgresStore, testing};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_postgres_store_conforms() {
        let Some(url) = testing::postgres_url_for_tests("the_postgres_store_conforms") else {
            return;
        };
        let store = PostgresStore::connect(&url).await.expect("connect");
        testing::conformance(Arc::new(store)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_postgres_pools_on_one_database_share_it_like_two_processes() {
        let Some(url) = testing::postgres_url_for_tests("two_postgres_pools_share_it") else {
            return;
        };
        let a = PostgresStore::connect(&url).await.expect("connect a");
        let b = PostgresStore::connect(&url).await.expect("connect b");
        testing::shared_database(Arc::new(a), Arc::new(b)).await;
    }
}

/// A `MemoryStore` with one rule broken.
struct Mutant {
    inner: MemoryStore,
    fault: Fault,
}

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    /// Writes whatever head the thread has.
    IgnoresExpectedHead,
    /// Treats a retried write as a conflict.
    RetryConflicts,
    /// Lists history oldest first.
    HistoryOldestFirst,
    /// Leaves the root out of every chain.
    ChainWithoutRoot,
    /// Keeps a task's first writes but reports any later ones as stored.
    WritesNeverMismatch,
}

async fn mutant_conformance(fault: Fault) {
    let store = Mutant {
        inner: MemoryStore::new(),
        fault,
    };
    testing::conformance(Arc::new(store)).await;
}

impl CheckpointStore for Mutant {
    fn put<'a>(
        &'a self,
        checkpoint: &'a Checkpoint,
        expected_head: Option<&'a str>,
    ) -> StoreFuture<'a, PutOutcome> {
        Box::pin(async move {
            let known = self.inner.get(&checkpoint.thread, &checkpoint.id).await?;
            if self.fault == Fault::RetryConflicts && known.is_some() {
                return Err(StoreError::Conflict {
                    thread: checkpoint.thread.clone(),
                    expected: expected_head.map(str::to_string),
                    found: Some(checkpoint.id.clone()),
                });
            }
            if self.fault == Fault::IgnoresExpectedHead {
                let head = self.inner.latest(&checkpoint.thread).await?.map(|c| c.id);
                return self.inner.put(checkpoint, head.as_deref()).await;
            }
            self.inner.put(checkpoint, expected_head).await
        })
    }

    fn put_writes<'a>(
        &'a self,
        thread: &'a str,
        checkpoint: &'a str,
        task: &'a str,
        writes: &'a Value,
    ) -> StoreFuture<'a, PutOutcome> {
        Box::pin(async move {
            match self
                .inner
                .put_writes(thread, checkpoint, task, writes)
                .await
            {
                Err(StoreError::Mismatch { .. }) if self.fault == Fault::WritesNeverMismatch => {
                    Ok(PutOutcome::Stored)
                }
                other => other,
            }
        })
    }

    fn latest<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, Option<Checkpoint>> {
        self.inner.latest(thread)
    }

    fn get<'a>(&'a self, thread: &'a str, id: &'a str) -> StoreFuture<'a, Option<Checkpoint>> {
        self.inner.get(thread, id)
    }

    fn chain<'a>(&'a self, thread: &'a str, at: Option<&'a str>) -> StoreFuture<'a, Option<Chain>> {
        Box::pin(async move {
            let mut chain = self.inner.chain(thread, at).await?;
            if let Some(chain) = &mut chain
                && self.fault == Fault::ChainWithoutRoot
                && chain.checkpoints.len() > 1
            {
                chain.checkpoints.remove(0);
            }
            Ok(chain)
        })
    }

    fn history<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, Vec<HistoryEntry>> {
        Box::pin(async move {
            let mut history = self.inner.history(thread).await?;
            if self.fault == Fault::HistoryOldestFirst {
                history.reverse();
            }
            Ok(history)
        })
    }

    fn delete_thread<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, bool> {
        self.inner.delete_thread(thread)
    }

    fn threads(&self) -> StoreFuture<'_, Vec<String>> {
        self.inner.threads()
    }
}

#[tokio::test]
#[should_panic(expected = "a write expecting a new thread on an existing one: expected a Conflict")]
async fn the_suite_catches_a_store_that_ignores_the_expected_head() {
    mutant_conformance(Fault::IgnoresExpectedHead).await;
}

#[tokio::test]
#[should_panic(expected = "the same write again (its reply lost) must succeed as AlreadyStored")]
async fn the_suite_catches_a_store_whose_retries_conflict() {
    mutant_conformance(Fault::RetryConflicts).await;
}

#[tokio::test]
#[should_panic(expected = "history lists checkpoints newest (last written) first")]
async fn the_suite_catches_history_in_the_wrong_order() {
    mutant_conformance(Fault::HistoryOldestFirst).await;
}

#[tokio::test]
#[should_panic(expected = "the chain to the head: every checkpoint, root first, whole")]
async fn the_suite_catches_a_chain_without_its_root() {
    mutant_conformance(Fault::ChainWithoutRoot).await;
}

#[tokio::test]
#[should_panic(expected = "a task's writes with other content must be a Mismatch")]
async fn the_suite_catches_pending_writes_overwritten_silently() {
    mutant_conformance(Fault::WritesNeverMismatch).await;
}
