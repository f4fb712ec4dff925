//! Writing a thread's checkpoints as its run goes: in the loop (`Sync`), by a
//! background task (`Async`), or all at the end (`Exit`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::Durability;
use super::fingerprint::fnv1a;
use crate::checkpoint::{Checkpoint, CheckpointStore, StoreError, now_ms};
use crate::error::GraphError;
use crate::exec::{Interruption, Journal, Position, StepRecord};
use crate::tables::Inner;

/// The checkpoints of one run of a thread.
pub(crate) struct ThreadJournal<'g> {
    graph: &'g Inner,
    store: Arc<dyn CheckpointStore>,
    thread: String,
    durability: Durability,
    /// The last checkpoint written (or queued): the next one continues it.
    head: Option<Checkpoint>,
    /// The head the thread had when this run read it: what the first write expects.
    expected: Option<String>,
    /// `Exit`: everything, written at the end.
    held: Vec<Checkpoint>,
    /// `Async`: the writer task.
    writer: Option<Writer>,
    /// The first write that failed, reported at the next write or at the end.
    failed: Option<GraphError>,
}

struct Writer {
    queue: mpsc::UnboundedSender<Checkpoint>,
    done: tokio::task::JoinHandle<Result<(), StoreError>>,
}

static IDS: AtomicU64 = AtomicU64::new(0);

/// A checkpoint id: the thread's step, then a value unique to this write
/// (chosen once, so a retried write is recognised as the same one).
fn checkpoint_id(thread: &str, step: u64) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let salt = format!(
        "{thread}|{step}|{nanos}|{}|{}",
        std::process::id(),
        IDS.fetch_add(1, Ordering::Relaxed)
    );
    format!("{step:08}-{:016x}", fnv1a(salt.as_bytes()))
}

/// A put retried once after a backend error: the retry reuses the id, so a
/// write that did land is recognised, not stored twice.
async fn put(
    store: &dyn CheckpointStore,
    checkpoint: &Checkpoint,
    expected: Option<&str>,
) -> Result<(), StoreError> {
    match store.put(checkpoint, expected).await {
        Err(StoreError::Backend { .. }) => store.put(checkpoint, expected).await.map(drop),
        other => other.map(drop),
    }
}

impl<'g> ThreadJournal<'g> {
    /// A journal continuing `head` (the thread's latest checkpoint), or
    /// starting a new thread.
    pub(crate) fn new(
        graph: &'g Inner,
        store: Arc<dyn CheckpointStore>,
        thread: String,
        durability: Durability,
        head: Option<Checkpoint>,
        expected: Option<String>,
    ) -> Self {
        let writer = (durability == Durability::Async).then(|| {
            let (queue, mut items) = mpsc::unbounded_channel::<Checkpoint>();
            let store = Arc::clone(&store);
            let mut expected = expected.clone();
            let done = tokio::spawn(async move {
                while let Some(checkpoint) = items.recv().await {
                    put(&*store, &checkpoint, expected.as_deref()).await?;
                    expected = Some(checkpoint.id);
                }
                Ok(())
            });
            Writer { queue, done }
        });
        Self {
            graph,
            store,
            thread,
            durability,
            head,
            expected,
            held: Vec::new(),
            writer,
            failed: None,
        }
    }

    fn error(&self, source: StoreError) -> GraphError {
        GraphError::Checkpoint {
            thread: self.thread.clone(),
            source: Box::new(source),
        }
    }

    /// A new checkpoint after the head: `kind` in its metadata.
    pub(crate) fn next(&self, kind: &str) -> Checkpoint {
        let mut checkpoint = match &self.head {
            Some(head) => head.child(checkpoint_id(&self.thread, head.step + 1)),
            None => {
                let mut root = Checkpoint::new(self.thread.clone(), checkpoint_id(&self.thread, 0));
                root.fingerprint.clone_from(&self.graph.fingerprint);
                // The first checkpoint keeps the graph's shape, so a resume with
                // another graph can say what changed.
                root.metadata.insert(
                    "shape".into(),
                    serde_json::to_value(&self.graph.shape).unwrap_or(Value::Null),
                );
                root
            }
        };
        checkpoint.fingerprint.clone_from(&self.graph.fingerprint);
        checkpoint.created_at = now_ms();
        checkpoint.metadata.insert("kind".into(), kind.into());
        checkpoint
    }

    /// Writes `checkpoint` as the durability says; it becomes the head.
    pub(crate) async fn write(&mut self, checkpoint: Checkpoint) -> Result<(), GraphError> {
        if let Some(error) = self.failed.take() {
            return Err(error);
        }
        tracing::debug!(
            thread = self.thread.as_str(),
            checkpoint = checkpoint.id.as_str(),
            kind = checkpoint.metadata.get("kind").and_then(serde_json::Value::as_str),
            node = checkpoint.node.as_deref(),
            durability = ?self.durability,
            "checkpoint written"
        );
        match self.durability {
            Durability::Sync => {
                let expected = self.expected.clone();
                put(&*self.store, &checkpoint, expected.as_deref())
                    .await
                    .map_err(|e| self.error(e))?;
                self.expected = Some(checkpoint.id.clone());
            }
            Durability::Async => {
                if let Some(writer) = &self.writer
                    && writer.queue.send(checkpoint.clone()).is_err()
                {
                    // The writer stopped at a failed write: `finish` reports it.
                    self.head = Some(checkpoint);
                    return self.finish().await;
                }
            }
            Durability::Exit => self.held.push(checkpoint.clone()),
        }
        self.head = Some(checkpoint);
        Ok(())
    }

    /// Waits for every checkpoint of the run to be written.
    pub(crate) async fn finish(&mut self) -> Result<(), GraphError> {
        if let Some(error) = self.failed.take() {
            return Err(error);
        }
        if let Some(Writer { queue, done }) = self.writer.take() {
            drop(queue);
            let result = done.await.unwrap_or_else(|join| {
                Err(StoreError::Backend {
                    store: "checkpoint writer",
                    operation: "put".to_owned(),
                    source: join.to_string().into(),
                })
            });
            result.map_err(|e| self.error(e))?;
        }
        for checkpoint in std::mem::take(&mut self.held) {
            let expected = self.expected.clone();
            put(&*self.store, &checkpoint, expected.as_deref())
                .await
                .map_err(|e| self.error(e))?;
            self.expected = Some(checkpoint.id);
        }
        Ok(())
    }

    /// The id of the checkpoint written last.
    pub(crate) fn head_id(&self) -> Option<String> {
        self.head.as_ref().map(|head| head.id.clone())
    }

    fn position(&self, position: &Position) -> Value {
        serde_json::to_value(position.save_without_states(self.graph)).unwrap_or(Value::Null)
    }
}

impl Journal for ThreadJournal<'_> {
    fn step<'a>(
        &'a mut self,
        record: StepRecord,
        position: &'a Position,
    ) -> BoxFuture<'a, Result<(), GraphError>> {
        async move {
            let mut checkpoint = self.next("step");
            checkpoint.node = record.node;
            checkpoint.delta = record.event;
            checkpoint.position = self.position(position);
            self.write(checkpoint).await
        }
        .boxed()
    }

    fn interrupt<'a>(
        &'a mut self,
        interrupted: &'a Interruption,
        position: &'a Position,
    ) -> BoxFuture<'a, Result<(), GraphError>> {
        async move {
            let mut checkpoint = self.next("interrupt");
            let node = self.graph.nodes[interrupted.node].name();
            checkpoint.node = Some(node.to_owned());
            checkpoint.position = self.position(position);
            checkpoint.metadata.insert(
                "interrupt".into(),
                json!({
                    "path": interrupted.path,
                    "node": node,
                    "kind": interrupted.kind,
                    "payload": interrupted.payload,
                    "answers": interrupted.answers,
                }),
            );
            self.write(checkpoint).await
        }
        .boxed()
    }
}
