//! Checkpoint stores that misbehave on purpose, around a real one.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::FutureExt;
use graphai::Value;
use graphai::checkpoint::{
    Chain, Checkpoint, CheckpointStore, HistoryEntry, PutOutcome, StoreError, StoreFuture,
};

/// What a [`Wrapped`] store does to its calls.
pub enum Trouble {
    /// `chain` waits at the barrier: runs read the same head before either writes.
    Gate(Arc<tokio::sync::Barrier>),
    /// The `n`-th `put` (from 1) and every one after it fail; `after` writes
    /// first and fails then, as a lost reply would look.
    FailFrom { n: usize, after: bool },
}

/// `inner` with `trouble`.
pub struct Wrapped {
    pub inner: Arc<dyn CheckpointStore>,
    pub trouble: Trouble,
    pub puts: AtomicUsize,
}

impl Wrapped {
    pub fn new(inner: Arc<dyn CheckpointStore>, trouble: Trouble) -> Self {
        Self {
            inner,
            trouble,
            puts: AtomicUsize::new(0),
        }
    }
}

fn down() -> StoreError {
    StoreError::Backend {
        store: "wrapped",
        operation: "put".to_owned(),
        source: "the database went away".into(),
    }
}

impl CheckpointStore for Wrapped {
    fn put<'a>(
        &'a self,
        checkpoint: &'a Checkpoint,
        expected_head: Option<&'a str>,
    ) -> StoreFuture<'a, PutOutcome> {
        async move {
            let call = self.puts.fetch_add(1, Ordering::SeqCst) + 1;
            match self.trouble {
                Trouble::FailFrom { n, after } if call >= n => {
                    if after {
                        let _ = self.inner.put(checkpoint, expected_head).await;
                    }
                    Err(down())
                }
                _ => self.inner.put(checkpoint, expected_head).await,
            }
        }
        .boxed()
    }

    fn put_writes<'a>(
        &'a self,
        thread: &'a str,
        checkpoint: &'a str,
        task: &'a str,
        writes: &'a Value,
    ) -> StoreFuture<'a, PutOutcome> {
        self.inner.put_writes(thread, checkpoint, task, writes)
    }

    fn latest<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, Option<Checkpoint>> {
        self.inner.latest(thread)
    }

    fn get<'a>(&'a self, thread: &'a str, id: &'a str) -> StoreFuture<'a, Option<Checkpoint>> {
        self.inner.get(thread, id)
    }

    fn chain<'a>(&'a self, thread: &'a str, at: Option<&'a str>) -> StoreFuture<'a, Option<Chain>> {
        async move {
            let chain = self.inner.chain(thread, at).await;
            if let Trouble::Gate(barrier) = &self.trouble {
                barrier.wait().await;
            }
            chain
        }
        .boxed()
    }

    fn history<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, Vec<HistoryEntry>> {
        self.inner.history(thread)
    }

    fn delete_thread<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, bool> {
        self.inner.delete_thread(thread)
    }

    fn threads(&self) -> StoreFuture<'_, Vec<String>> {
        self.inner.threads()
    }
}
