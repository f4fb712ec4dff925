//! Running a [`CompiledGraph`](crate::CompiledGraph): one scheduler loop over a
//! run's position (`position.rs`), the rules that move it (`advance.rs`), the
//! node calls (`invoke.rs`) and the loop itself (`driver.rs`).

mod advance;
mod driver;
mod invoke;
mod many;
mod options;
mod position;
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "the saved form is what checkpoints will store; tests use it now"
    )
)]
mod saved;
#[cfg(test)]
mod tests;
mod trace;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde_json::{Map, Value};
use tracing::Instrument;

use crate::callback::Callback;
use crate::compile::Inner;
use crate::error::{GraphError, json_kind};
use crate::resource::Resources;
use crate::sync::lock;

pub use options::{RunOptions, RunStream, StreamItem};

pub(crate) use many::execute_many;

pub(crate) use advance::Scheduler;
pub(crate) use invoke::RunEnv;
pub(crate) use position::Position;

/// Identifies one running effect (a node call or a branch condition).
pub(crate) type Ticket = u64;

/// A failure inside a branch pipeline: recorded, never raised.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BranchError {
    /// The node the branch edge leaves.
    pub source: String,
    /// The first node of the branch pipeline.
    pub destination: String,
    /// What went wrong (shared, so the record can be cloned).
    pub error: Arc<GraphError>,
}

impl std::fmt::Display for BranchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "branch `{}` ~> `{}` failed",
            self.source, self.destination
        )
    }
}

impl std::error::Error for BranchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.error)
    }
}

/// Everything a run produced.
#[derive(Debug)]
#[non_exhaustive]
pub struct RunOutput {
    /// The final run state (what [`execute`](crate::CompiledGraph::execute) returns).
    pub state: Map<String, Value>,
    /// Errors inside branch pipelines, in the order they happened.
    pub branch_errors: Vec<BranchError>,
    /// The run's id, as in its `graphai.run` tracing span (unique in the process).
    pub run_id: u64,
    /// Node calls the run made, on every path (retried attempts count once).
    pub steps: usize,
}

static RUN_IDS: AtomicU64 = AtomicU64::new(1);

/// How one run is made: what [`RunOptions`] collected.
#[derive(Default)]
pub(crate) struct RunConfig<'a> {
    pub(crate) callback: Option<&'a Callback>,
    pub(crate) max_steps: Option<usize>,
    /// Resources given to this run only.
    pub(crate) resources: Option<&'a Resources>,
}

/// Runs `graph` on `input` to its end.
pub(crate) async fn run(
    graph: &Inner,
    input: Value,
    config: RunConfig<'_>,
) -> Result<RunOutput, GraphError> {
    let input = match input {
        Value::Object(map) => map,
        other => {
            return Err(GraphError::InvalidInput {
                found: json_kind(&other),
            });
        }
    };
    drive(graph, Position::start(graph.start, input), config, None).await
}

/// Runs `position` of a run of `graph` to its end, calling `observer` with the
/// position after every step.
pub(crate) async fn drive(
    graph: &Inner,
    position: Position,
    config: RunConfig<'_>,
    observer: Option<&mut (dyn FnMut(&Position) + Send)>,
) -> Result<RunOutput, GraphError> {
    // A per-run resource that a node needs must come with the run, before any node runs.
    let nodes = graph.nodes.iter().map(|n| (n.name(), n.resources()));
    graph.resources.check_run(nodes, config.resources)?;
    let run_id = RUN_IDS.fetch_add(1, Ordering::Relaxed);
    // The names and fields are documented in `crate::tracing_fields`.
    let span = tracing::info_span!(
        crate::tracing_fields::RUN_SPAN,
        run = run_id,
        thread = tracing::field::Empty,
        outcome = tracing::field::Empty,
        steps = tracing::field::Empty,
        duration_us = tracing::field::Empty,
        error = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    let started = (!span.is_disabled()).then(Instant::now);
    let env = RunEnv::new(graph, &config, span.clone());
    let mut scheduler = Scheduler::new(&env, position);
    // Wrapped only for a subscriber: `Instrumented` around the scheduler's
    // (large) future would move it once more per run, with no subscriber too.
    let result = if started.is_some() {
        scheduler.drive(observer).instrument(span.clone()).await
    } else {
        scheduler.drive(observer).await
    };
    let steps = scheduler.pos.steps_taken;
    if let Some(started) = started {
        trace::run_finished(&span, started, steps, result.as_ref().err());
    }
    let branch_errors = std::mem::take(&mut scheduler.branch_errors);
    lock(&graph.last_branch_errors).clone_from(&branch_errors);
    result?;
    let Some(state) = scheduler.pos.result.take() else {
        unreachable!("a run that ended without error has a result");
    };
    let state = Arc::try_unwrap(state).unwrap_or_else(|shared| (*shared).clone());
    Ok(RunOutput {
        state: state.into_map(),
        branch_errors,
        run_id,
        steps,
    })
}

/// Runs `graph` streaming through `callback`, which is closed when the run
/// ends, also when it fails (after an error event) or is cancelled.
pub(crate) async fn run_with_callback(
    graph: &Inner,
    input: Value,
    callback: &Callback,
    mut config: RunConfig<'_>,
) -> Result<RunOutput, GraphError> {
    let mut guard = CloseOnDrop {
        callback,
        armed: true,
    };
    config.callback = Some(callback);
    let result = run(graph, input, config).await;
    guard.armed = false;
    if let Err(error) = &result {
        callback.send_error(error, error.node());
    }
    callback.close().await;
    result
}

/// Closes a run's callback if the run's future is dropped before it ends, so
/// the consumer sees why its stream stopped instead of waiting forever.
struct CloseOnDrop<'a> {
    callback: &'a Callback,
    armed: bool,
}

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.callback.send_error_text(
                "run cancelled: the future running the graph was dropped before the run ended",
                None,
            );
            self.callback.close_now();
        }
    }
}
