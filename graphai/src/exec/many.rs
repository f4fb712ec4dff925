//! `execute_many`: many runs of one graph, at most `concurrency` at once.

use std::sync::Arc;

use futures::FutureExt;
use futures::stream::StreamExt;
use serde_json::{Map, Value};

use super::invoke::panic_message;
use super::{RunConfig, run};
use crate::error::GraphError;
use crate::tables::Inner;

type RunResult = Result<Map<String, Value>, GraphError>;

/// Runs `graph` once per input and returns the results in input order.
///
/// Inside a Tokio runtime each run is a task of a [`tokio::task::JoinSet`], so
/// a multi-thread runtime runs them on all its workers and dropping the
/// returned future aborts every run still going. Elsewhere the runs are
/// polled concurrently by the returned future itself.
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
    let mut results: Vec<Option<RunResult>> = Vec::new();
    let mut tasks = tokio::task::JoinSet::new();
    let mut inputs = inputs.enumerate();
    loop {
        while tasks.len() < concurrency {
            let Some((index, input)) = inputs.next() else {
                break;
            };
            let graph = Arc::clone(graph);
            // A node's panic is already the run's error; anything else that
            // panics is caught here, so each result comes back with its index.
            tasks.spawn(async move {
                let run = std::panic::AssertUnwindSafe(execute(&graph, input)).catch_unwind();
                let result = run.await.unwrap_or_else(|payload| {
                    Err(GraphError::Aborted {
                        index,
                        message: panic_message(payload.as_ref()),
                    })
                });
                (index, result)
            });
            results.push(None);
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        match joined {
            Ok((index, result)) => results[index] = Some(result),
            Err(error) => {
                // Only a runtime shutting down ends a task early: the result
                // left empty says so below.
                tracing::warn!(%error, "a run of `execute_many` ended without a result");
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

async fn execute(graph: &Inner, input: Value) -> RunResult {
    run(graph, input, RunConfig::default())
        .await
        .map(|output| output.state)
}
