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

/// What the workers share: the inputs not taken yet, each with its place in
/// the list, and the results so far. A worker puts its result and takes
/// the next input under one lock, so a worker that Tokio ends early (the
/// runtime shutting down) loses only the run it had in hand.
struct Shared {
    inputs: std::iter::Enumerate<std::vec::IntoIter<Value>>,
    results: Vec<Option<RunResult>>,
}

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
    let mut results = Vec::with_capacity(inputs.len());
    results.resize_with(inputs.len(), || None);
    let workers = concurrency.min(inputs.len());
    let shared = Arc::new(Mutex::new(Shared {
        inputs: inputs.into_iter().enumerate(),
        results,
    }));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        tasks.spawn(worker(Arc::clone(graph), Arc::clone(&shared)));
    }
    while let Some(joined) = tasks.join_next().await {
        if let Err(error) = joined {
            // Only a runtime shutting down ends a worker early: the run it
            // had in hand has no result, and says so below.
            tracing::warn!(%error, "a worker of `execute_many` ended before its run did");
        }
    }
    let results = std::mem::take(&mut lock(&shared).results);
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

/// One worker of `execute_many`: runs the inputs one after another until
/// none is left, putting each result in its input's place.
async fn worker(graph: Arc<Inner>, shared: Arc<Mutex<Shared>>) {
    let mut finished: Option<(usize, RunResult)> = None;
    loop {
        let next = {
            let mut shared = lock(&shared);
            if let Some((index, result)) = finished.take() {
                shared.results[index] = Some(result);
            }
            shared.inputs.next()
        };
        let Some((index, input)) = next else {
            return;
        };
        // Runs that never wait would otherwise keep this worker thread to
        // themselves until the queue is empty: give the other tasks their
        // turn once Tokio's budget for this one is spent. (Not between a
        // run and putting its result: an end there would lose the result.)
        tokio::task::coop::consume_budget().await;
        // A node's panic is already the run's error; anything else that
        // panics is caught here, so each result comes back with its index.
        let run = std::panic::AssertUnwindSafe(execute(&graph, input)).catch_unwind();
        let result = run.await.unwrap_or_else(|payload| {
            Err(GraphError::Aborted {
                index,
                message: panic_message(payload.as_ref()),
            })
        });
        finished = Some((index, result));
    }
}

async fn execute(graph: &Inner, input: Value) -> RunResult {
    run(graph, input, RunConfig::default())
        .await
        .map(|output| output.state)
}
