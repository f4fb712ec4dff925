//! [`MemoryStore`]: checkpoints in a map, for tests and short-lived processes.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use futures::FutureExt;
use serde_json::Value;

use super::{
    Chain, Checkpoint, CheckpointStore, HistoryEntry, PendingWrite, PutOutcome, StoreError,
    StoreFuture, validate_checkpoint, validate_writes,
};

/// A [`CheckpointStore`] in memory: nothing survives the process. It follows every rule of
/// the SQL stores (conditional and idempotent writes, the same validation), so a graph tested
/// against it behaves the same against `SqliteStore` or `PostgresStore`.
#[derive(Debug, Default)]
pub struct MemoryStore {
    threads: Mutex<HashMap<String, MemThread>>,
}

#[derive(Debug)]
struct MemThread {
    head: String,
    /// Every checkpoint, in the order written (history reads it backwards).
    order: Vec<String>,
    checkpoints: HashMap<String, Checkpoint>,
    /// Pending writes by checkpoint, in the order saved.
    writes: HashMap<String, Vec<PendingWrite>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, MemThread>> {
        // No code path panics while holding the lock, so a poisoned map is still whole.
        crate::sync::lock(&self.threads)
    }

    fn put_now(
        &self,
        checkpoint: &Checkpoint,
        expected_head: Option<&str>,
    ) -> Result<PutOutcome, StoreError> {
        validate_checkpoint(checkpoint)?;
        let mut threads = self.lock();
        let thread = threads.get_mut(&checkpoint.thread);
        if let Some(existing) = thread
            .as_ref()
            .and_then(|t| t.checkpoints.get(&checkpoint.id))
        {
            return if existing.same_content(checkpoint) {
                Ok(PutOutcome::AlreadyStored)
            } else {
                Err(mismatch(checkpoint))
            };
        }
        let found = thread.as_ref().map(|t| t.head.as_str());
        if found != expected_head {
            return Err(StoreError::Conflict {
                thread: checkpoint.thread.clone(),
                expected: expected_head.map(str::to_string),
                found: found.map(str::to_string),
            });
        }
        if let Some(parent) = &checkpoint.parent {
            let has_parent = thread
                .as_ref()
                .is_some_and(|t| t.checkpoints.contains_key(parent));
            if !has_parent {
                return Err(StoreError::NotFound {
                    thread: checkpoint.thread.clone(),
                    checkpoint: parent.clone(),
                });
            }
        }
        let thread = threads
            .entry(checkpoint.thread.clone())
            .or_insert_with(|| MemThread {
                head: String::new(),
                order: Vec::new(),
                checkpoints: HashMap::new(),
                writes: HashMap::new(),
            });
        thread.head = checkpoint.id.clone();
        thread.order.push(checkpoint.id.clone());
        thread
            .checkpoints
            .insert(checkpoint.id.clone(), checkpoint.clone());
        Ok(PutOutcome::Stored)
    }

    fn put_writes_now(
        &self,
        thread: &str,
        checkpoint: &str,
        task: &str,
        writes: &Value,
    ) -> Result<PutOutcome, StoreError> {
        validate_writes(thread, checkpoint, task, writes)?;
        let mut threads = self.lock();
        let Some(t) = threads
            .get_mut(thread)
            .filter(|t| t.checkpoints.contains_key(checkpoint))
        else {
            return Err(StoreError::NotFound {
                thread: thread.to_string(),
                checkpoint: checkpoint.to_string(),
            });
        };
        let saved = t.writes.entry(checkpoint.to_string()).or_default();
        match saved.iter().find(|w| w.task == task) {
            Some(existing) if existing.writes == *writes => Ok(PutOutcome::AlreadyStored),
            Some(_) => Err(StoreError::Mismatch {
                thread: thread.to_string(),
                checkpoint: checkpoint.to_string(),
                task: Some(task.to_string()),
            }),
            None => {
                saved.push(PendingWrite {
                    task: task.to_string(),
                    writes: writes.clone(),
                });
                Ok(PutOutcome::Stored)
            }
        }
    }

    fn chain_now(&self, thread: &str, at: Option<&str>) -> Option<Chain> {
        let threads = self.lock();
        let t = threads.get(thread)?;
        let last = t.checkpoints.get(at.unwrap_or(&t.head))?;
        let mut checkpoints = vec![last.clone()];
        let mut parent = last.parent.as_ref();
        // Every parent was stored before its child, so the walk ends at a root.
        while let Some(id) = parent {
            let c = &t.checkpoints[id];
            checkpoints.push(c.clone());
            parent = c.parent.as_ref();
        }
        checkpoints.reverse();
        Some(Chain {
            head: t.head.clone(),
            writes: t.writes.get(&last.id).cloned().unwrap_or_default(),
            checkpoints,
        })
    }
}

fn mismatch(checkpoint: &Checkpoint) -> StoreError {
    StoreError::Mismatch {
        thread: checkpoint.thread.clone(),
        checkpoint: checkpoint.id.clone(),
        task: None,
    }
}

impl CheckpointStore for MemoryStore {
    fn put<'a>(
        &'a self,
        checkpoint: &'a Checkpoint,
        expected_head: Option<&'a str>,
    ) -> StoreFuture<'a, PutOutcome> {
        std::future::ready(self.put_now(checkpoint, expected_head)).boxed()
    }

    fn put_writes<'a>(
        &'a self,
        thread: &'a str,
        checkpoint: &'a str,
        task: &'a str,
        writes: &'a Value,
    ) -> StoreFuture<'a, PutOutcome> {
        std::future::ready(self.put_writes_now(thread, checkpoint, task, writes)).boxed()
    }

    fn latest<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, Option<Checkpoint>> {
        let threads = self.lock();
        let head = threads.get(thread).map(|t| t.checkpoints[&t.head].clone());
        std::future::ready(Ok(head)).boxed()
    }

    fn get<'a>(&'a self, thread: &'a str, id: &'a str) -> StoreFuture<'a, Option<Checkpoint>> {
        let threads = self.lock();
        let found = threads
            .get(thread)
            .and_then(|t| t.checkpoints.get(id))
            .cloned();
        std::future::ready(Ok(found)).boxed()
    }

    fn chain<'a>(&'a self, thread: &'a str, at: Option<&'a str>) -> StoreFuture<'a, Option<Chain>> {
        std::future::ready(Ok(self.chain_now(thread, at))).boxed()
    }

    fn history<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, Vec<HistoryEntry>> {
        let threads = self.lock();
        let entries = threads.get(thread).map_or_else(Vec::new, |t| {
            t.order
                .iter()
                .rev()
                .map(|id| HistoryEntry::from(&t.checkpoints[id]))
                .collect()
        });
        std::future::ready(Ok(entries)).boxed()
    }

    fn delete_thread<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, bool> {
        let existed = self.lock().remove(thread).is_some();
        std::future::ready(Ok(existed)).boxed()
    }

    fn threads(&self) -> StoreFuture<'_, Vec<String>> {
        let mut ids: Vec<String> = self.lock().keys().cloned().collect();
        ids.sort();
        std::future::ready(Ok(ids)).boxed()
    }
}
