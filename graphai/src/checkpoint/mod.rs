//! Durable runs: where a run's checkpoints are kept.
//!
//! A *thread* is one conversation or job that can stop and continue later. Its history is a
//! chain of [`Checkpoint`]s, each recording what one step of the run changed (its `delta`)
//! and where the run stood afterwards (its `position`), linked to the checkpoint it
//! continues by `parent`. Resuming from an earlier checkpoint forks the chain, so a thread
//! is a tree; its *head* is the checkpoint written last, where a plain resume continues.
//!
//! A [`CheckpointStore`] keeps threads. Every store follows the same rules, checked by one
//! conformance suite that every backend runs (`graphai::checkpoint::testing`, behind the
//! `testing` feature):
//! - **Conditional writes.** [`put`](CheckpointStore::put) names the head it expects; if
//!   another writer moved the head first, the write fails with
//!   [`StoreError::Conflict`] and stores nothing. Two processes continuing one thread: one
//!   wins, the other learns it.
//! - **Idempotent writes.** Writing a checkpoint whose id the thread already holds, with the
//!   same content, succeeds without storing it twice ([`PutOutcome::AlreadyStored`]), so a
//!   write retried after a lost reply is harmless. The same id with other content is
//!   [`StoreError::Mismatch`].
//! - **Pending writes.** A parallel branch that finished before its join saves its writes
//!   with [`put_writes`](CheckpointStore::put_writes), keyed by task, against the
//!   checkpoint the branch started from; [`chain`](CheckpointStore::chain) returns them.
//! - **One read to resume.** [`chain`](CheckpointStore::chain) returns the whole chain from
//!   the root to a checkpoint (the executor rebuilds the state from the deltas) with the
//!   thread's head, in one round trip to the database.
//! - Nothing from one thread is visible in another.
//!
//! The store treats `delta`, `position` and `metadata` as opaque JSON: the executor decides
//! what they hold.
//!
//! Stores: [`MemoryStore`] (always available, no persistence), `SqliteStore` (feature
//! `sqlite`: one file, WAL, no server) and `PostgresStore` (feature `postgres`: a server
//! shared by many worker processes).
//!
//! ```
//! use graphai::checkpoint::{Checkpoint, CheckpointStore, MemoryStore, PutOutcome};
//! use graphai::json;
//!
//! # futures::executor::block_on(async {
//! let store = MemoryStore::new();
//! let first = Checkpoint::new("t-1", "c0");
//! store.put(&first, None).await?;
//!
//! let mut next = first.child("c1");
//! next.node = Some("answer".into());
//! next.delta = json!({ "reply": "hello" });
//! assert_eq!(store.put(&next, Some("c0")).await?, PutOutcome::Stored);
//! // The same write again (a retry after a lost reply) stores nothing new.
//! assert_eq!(store.put(&next, Some("c0")).await?, PutOutcome::AlreadyStored);
//!
//! let chain = store.chain("t-1", None).await?.expect("the thread exists");
//! assert_eq!(chain.head, "c1");
//! assert_eq!(chain.checkpoints.len(), 2);
//! # Ok::<(), graphai::checkpoint::StoreError>(())
//! # }).unwrap();
//! ```

mod codec;
mod error;
mod memory;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod migrations;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql_row;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::StoreError;
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresOptions, PostgresStore};
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteOptions, SqliteStore, Synchronous};

use futures::future::BoxFuture;
use serde_json::{Map, Value};

/// The future every [`CheckpointStore`] method returns.
pub type StoreFuture<'a, T> = BoxFuture<'a, Result<T, StoreError>>;

/// One step of a thread: what the step changed and where the run stood after it.
///
/// Build the first checkpoint of a thread with [`Checkpoint::new`] and each later one with
/// [`Checkpoint::child`], then fill in the fields the step sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// The thread this checkpoint belongs to.
    pub thread: String,
    /// The checkpoint's id, unique within its thread. The writer chooses it, so a retried
    /// write reuses it and is recognised as the same write.
    pub id: String,
    /// The checkpoint this one continues; `None` for the first checkpoint of a thread.
    pub parent: Option<String>,
    /// How many steps the run had taken when this checkpoint was written.
    pub step: u64,
    /// The node whose step this checkpoint records, if any (an input or an edit of the
    /// state records none).
    pub node: Option<String>,
    /// When the checkpoint was made, in milliseconds since the Unix epoch. Not part of the
    /// content compared by an idempotent retry.
    pub created_at: u64,
    /// A hash of the graph's shape, so a resume can refuse a graph that changed.
    pub fingerprint: String,
    /// What this step changed (opaque to the store).
    pub delta: Value,
    /// Where the run stood after this step, by node name (opaque to the store).
    pub position: Value,
    /// What kind of checkpoint this is and anything else the executor records with it
    /// (an interrupt's payload, say).
    pub metadata: Map<String, Value>,
}

impl Checkpoint {
    /// The first checkpoint of `thread`: no parent, step 0, made now, everything else empty.
    pub fn new(thread: impl Into<String>, id: impl Into<String>) -> Self {
        Checkpoint {
            thread: thread.into(),
            id: id.into(),
            parent: None,
            step: 0,
            node: None,
            created_at: now_ms(),
            fingerprint: String::new(),
            delta: Value::Null,
            position: Value::Null,
            metadata: Map::new(),
        }
    }

    /// A checkpoint continuing this one: same thread and fingerprint, `parent` set to this
    /// checkpoint, one step further, made now, with an empty delta, position and metadata.
    pub fn child(&self, id: impl Into<String>) -> Self {
        Checkpoint {
            thread: self.thread.clone(),
            id: id.into(),
            parent: Some(self.id.clone()),
            step: self.step + 1,
            node: None,
            created_at: now_ms(),
            fingerprint: self.fingerprint.clone(),
            delta: Value::Null,
            position: Value::Null,
            metadata: Map::new(),
        }
    }

    /// Whether `other` records the same step: every field equal except `created_at` (a
    /// retried write may have been rebuilt a moment later). This is the rule a store uses
    /// to tell a retry from a different write under the same id.
    pub fn same_content(&self, other: &Checkpoint) -> bool {
        self.thread == other.thread
            && self.id == other.id
            && self.parent == other.parent
            && self.step == other.step
            && self.node == other.node
            && self.fingerprint == other.fingerprint
            && self.delta == other.delta
            && self.position == other.position
            && self.metadata == other.metadata
    }
}

/// The writes a finished parallel branch saved before its join completed.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingWrite {
    /// The task (branch) that made the writes, unique per checkpoint.
    pub task: String,
    /// What the task wrote (opaque to the store).
    pub writes: Value,
}

/// Everything needed to rebuild a run at one checkpoint, read in one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// The thread's head when the chain was read: the checkpoint a new write must expect.
    pub head: String,
    /// The checkpoints from the thread's root to the one asked for, root first; never
    /// empty.
    pub checkpoints: Vec<Checkpoint>,
    /// The pending writes saved against the last checkpoint, in the order they were saved.
    pub writes: Vec<PendingWrite>,
}

impl Chain {
    /// The checkpoint the chain was read up to (the last one).
    pub fn last(&self) -> &Checkpoint {
        self.checkpoints
            .last()
            .expect("a Chain always holds at least one checkpoint")
    }
}

/// One checkpoint as [`history`](CheckpointStore::history) lists it: everything but the
/// delta and position.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// The checkpoint's id.
    pub id: String,
    /// The checkpoint it continues.
    pub parent: Option<String>,
    /// Its step number.
    pub step: u64,
    /// The node whose step it records.
    pub node: Option<String>,
    /// When it was made, in milliseconds since the Unix epoch.
    pub created_at: u64,
    /// Its metadata (the kind of checkpoint: what to fork from is chosen by it).
    pub metadata: Map<String, Value>,
}

impl From<&Checkpoint> for HistoryEntry {
    fn from(c: &Checkpoint) -> Self {
        HistoryEntry {
            id: c.id.clone(),
            parent: c.parent.clone(),
            step: c.step,
            node: c.node.clone(),
            created_at: c.created_at,
            metadata: c.metadata.clone(),
        }
    }
}

/// What a successful write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// The write was stored (and, for [`put`](CheckpointStore::put), the head moved to it).
    Stored,
    /// The same write was already stored (a retry): nothing changed.
    AlreadyStored,
}

/// Where checkpoints are kept. Object safe: use it as `Arc<dyn CheckpointStore>`.
///
/// Every implementation follows the rules in the [module docs](self); the conformance suite
/// in `graphai::checkpoint::testing` (feature `testing`) checks them. Reads of something
/// that does not exist return `None` (or an empty list); writes that refer to something that
/// does not exist fail with [`StoreError::NotFound`].
pub trait CheckpointStore: Send + Sync {
    /// Writes `checkpoint` and moves its thread's head to it, if the head is still
    /// `expected_head` (`None`: the thread must not exist yet). A fork writes a checkpoint
    /// whose parent is an earlier checkpoint, expecting the current head.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if the head is not `expected_head` (nothing is stored);
    /// [`StoreError::Mismatch`] if the thread holds this id with other content;
    /// [`StoreError::NotFound`] if the parent is not in the thread;
    /// [`StoreError::Invalid`] for a checkpoint no store can keep (an empty id, a NUL
    /// character in a name, a value nested too deep to read back); backend errors.
    /// A checkpoint already stored with the same content returns
    /// `Ok(PutOutcome::AlreadyStored)`, whatever the head.
    fn put<'a>(
        &'a self,
        checkpoint: &'a Checkpoint,
        expected_head: Option<&'a str>,
    ) -> StoreFuture<'a, PutOutcome>;

    /// Saves a finished task's `writes` against checkpoint `checkpoint` of `thread`. Once
    /// per (thread, checkpoint, task): the same writes again return
    /// `Ok(PutOutcome::AlreadyStored)`.
    ///
    /// # Errors
    /// [`StoreError::Mismatch`] if the task's writes were saved with other content;
    /// [`StoreError::NotFound`] if the checkpoint is not in the thread;
    /// [`StoreError::Invalid`]; backend errors.
    fn put_writes<'a>(
        &'a self,
        thread: &'a str,
        checkpoint: &'a str,
        task: &'a str,
        writes: &'a Value,
    ) -> StoreFuture<'a, PutOutcome>;

    /// The thread's head, or `None` if the thread does not exist.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] if the stored checkpoint cannot be read; backend errors.
    fn latest<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, Option<Checkpoint>>;

    /// Checkpoint `id` of `thread`, or `None` if the thread has no such checkpoint.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`]; backend errors.
    fn get<'a>(&'a self, thread: &'a str, id: &'a str) -> StoreFuture<'a, Option<Checkpoint>>;

    /// The chain from the thread's root to checkpoint `at` (`None`: the head), with the
    /// pending writes of that checkpoint and the thread's head; `None` if the thread or the
    /// checkpoint does not exist.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] if a checkpoint on the chain cannot be read or the chain is
    /// broken; backend errors.
    fn chain<'a>(&'a self, thread: &'a str, at: Option<&'a str>) -> StoreFuture<'a, Option<Chain>>;

    /// Every checkpoint of the thread, newest (last written) first; empty if the thread does
    /// not exist.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`]; backend errors.
    fn history<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, Vec<HistoryEntry>>;

    /// Deletes the thread with its checkpoints and pending writes; `false` if it did not
    /// exist.
    ///
    /// # Errors
    /// Backend errors.
    fn delete_thread<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, bool>;

    /// The ids of every thread in the store, sorted.
    ///
    /// # Errors
    /// Backend errors.
    fn threads(&self) -> StoreFuture<'_, Vec<String>>;
}

/// Milliseconds since the Unix epoch, now (0 if the clock is before 1970).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

pub(crate) use codec::{validate_checkpoint, validate_writes};
