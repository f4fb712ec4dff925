//! `execute_many`: many runs of one graph, at most `concurrency` at once.

use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::stream::StreamExt;
use serde_json::{Map, Value};

use super::invoke::panic_message;
use super::{RunConfig, run};
use crate::error::GraphError;
use crate::sync::lock;
use crate::tables::Inner;

type RunResult = Result<Map<String, Value>, GraphError>;

/// The inputs not taken yet, each with its place in the list.
type Queue = Mutex<std::iter::Enumerate<std::vec::IntoIter<Value>>>;

/// Runs `graph` once per input and returns the results in input order.
///
/// Inside a Tokio runtime the runs are made by `concurrency` worker tasks of
/// a [`tokio::task::JoinSet`] (fewer when there are fewer inputs), each
/// taking the next input when its run ends: a multi-thread runtime runs them
/// on all its workers, and dropping the returned future aborts every run
/// still going. A task per run would be allocated and scheduled once per
/// input, and Tokio moves a task's whole future on its way in; a worker
/// reuses its task, and its run's state stays where it was. Elsewhere the
/// runs are polled concurrently by the returned future itself.
pub(crate) async fn execute_many(
    graph: &Arc<Inner>,
    inputs: impl Iterator<Item = Value>,
    concurrency: usize,
) -> Vec<RunResult> {
    let concurrency = concurrency.max(1);
    if tokio::runtime::Handle::try_current().is_err() {
        let mut results: Vec<(usize, RunResult)> = futures::stream::iter(inputs.enumerate())
            .map(|(index, input)| execute(graph, input).map(move |result| (index, result)))
            .buffer_unordered(concurrency)
            .collect()
            .await;
        results.sort_by_key(|(index, _)| *index);
        return results.into_iter().map(|(_, result)| result).collect();
    }
    // Taken by the workers, which may run on other threads: the caller's
    // iterator need not be `Send`.
    let inputs: Vec<Value> = inputs.collect();
    let mut results: Vec<Option<RunResult>> = Vec::with_capacity(inputs.len());
    results.resize_with(inputs.len(), || None);
    let workers = concurrency.min(inputs.len());
    let queue: Arc<Queue> = Arc::new(Mutex::new(inputs.into_iter().enumerate()));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        tasks.spawn(worker(Arc::clone(graph), Arc::clone(&queue)));
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(done) => {
                for (index, result) in done {
                    results[index] = Some(result);
                }
            }
            Err(error) => {
                // Only a runtime shutting down ends a worker early: the
                // results it held are left empty, and say so below.
                tracing::warn!(%error, "a worker of `execute_many` ended without its results");
            }
        }
    }
    results
        .into_iter()
        .enumerate()
        .map(|(index, result)| {
            result.unwrap_or_else(|| {
                Err(GraphError::Aborted {
                    index,
                    message: "the run's task ended without a result".to_owned(),
                })
            })
        })
        .collect()
}

/// One worker of `execute_many`: runs the queue's inputs one after another
/// until none is left, and returns each result with its input's index.
async fn worker(graph: Arc<Inner>, queue: Arc<Queue>) -> Vec<(usize, RunResult)> {
    let mut done = Vec::new();
    loop {
        let next = lock(&queue).next();
        let Some((index, input)) = next else {
            return done;
        };
        // A node's panic is already the run's error; anything else that
        // panics is caught here, so each result comes back with its index.
        let run = std::panic::AssertUnwindSafe(execute(&graph, input)).catch_unwind();
        let result = run.await.unwrap_or_else(|payload| {
            Err(GraphError::Aborted {
                index,
                message: panic_message(payload.as_ref()),
            })
        });
        done.push((index, result));
        // Runs that never wait would otherwise keep this worker thread to
        // themselves until the queue is empty: give the other tasks their
        // turn once Tokio's budget for this one is spent.
        tokio::task::coop::consume_budget().await;
    }
}

async fn execute(graph: &Inner, input: Value) -> RunResult {
    run(graph, input, RunConfig::default())
        .await
        .map(|output| output.state)
}
