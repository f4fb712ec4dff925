//! Running a [`CompiledGraph`](crate::CompiledGraph): one scheduler loop over a
//! run's position (`position.rs`), the rules that move it (`advance.rs`, and
//! `edges.rs` for branch edges), the node calls (`invoke.rs`) and the loop
//! itself (`driver.rs`).

mod advance;
mod driver;
mod edges;
mod invoke;
mod many;
mod options;
mod position;
pub(crate) mod record;
mod route;
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
use crate::error::{GraphError, json_kind};
use crate::resource::Resources;
use crate::sync::lock;
use crate::tables::Inner;

pub use options::{RunOptions, RunStream, StreamItem};

pub(crate) use many::execute_many;

pub(crate) use advance::Scheduler;
pub(crate) use driver::{InterruptKind, Interruption, Journal};
pub(crate) use invoke::RunEnv;
pub(crate) use position::Position;
pub(crate) use record::StepRecord;

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

/// A new run id, unique in the process.
pub(crate) fn next_run_id() -> u64 {
    RUN_IDS.fetch_add(1, Ordering::Relaxed)
}

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
    check_resources(graph, &config)?;
    let env = RunEnv::new(graph, &config);
    let mut scheduler = Scheduler::new(&env, Position::start(graph, input));
    match drive(&mut scheduler, None).await? {
        Ended::Finished(output) => Ok(output),
        Ended::Interrupted { interruption, .. } => Err(GraphError::Interrupted {
            thread: None,
            node: graph.nodes[interruption.node].name().to_owned(),
            payload: interruption.payload,
        }),
    }
}

/// A per-run resource that a node needs must come with the run, before any node runs.
pub(crate) fn check_resources(graph: &Inner, config: &RunConfig<'_>) -> Result<(), GraphError> {
    let nodes = graph.nodes.iter().map(|n| (n.name(), n.resources()));
    graph.resources.check_run(nodes, config.resources)
}

/// How a run that did not fail ended.
pub(crate) enum Ended {
    /// It reached its end.
    Finished(RunOutput),
    /// It stopped to wait (a node asked a person, or a breakpoint).
    Interrupted { interruption: Interruption },
}

/// Runs `scheduler`'s position to its end inside the run's `graphai.run`
/// span; `journal`, when given, records every step.
pub(crate) async fn drive<'e>(
    scheduler: &mut Scheduler<'e, '_>,
    journal: Option<&mut (dyn Journal + 'e)>,
) -> Result<Ended, GraphError> {
    let graph = scheduler.env.graph;
    let run_id = scheduler.env.run_id;
    let span = scheduler.env.span.clone();
    if let Some(thread) = &scheduler.thread {
        span.record("thread", thread.as_str());
    }
    let started = (!span.is_disabled()).then(Instant::now);
    // One future, instrumented also when no subscriber takes the span (then
    // entering it costs a check per poll): one future per case would each
    // take room in this one.
    let result = scheduler.drive(journal).instrument(span.clone()).await;
    let steps = scheduler.pos.steps_taken;
    let outcome = match (&result, &scheduler.interrupted) {
        (Err(_), _) => "error",
        (Ok(()), Some(_)) => "interrupted",
        (Ok(()), None) => "ok",
    };
    if let Some(started) = started {
        trace::run_finished(&span, started, steps, outcome, result.as_ref().err());
    }
    let branch_errors = std::mem::take(&mut scheduler.branch_errors);
    // Most runs have no branch errors after runs that had none: skip the lock.
    if !branch_errors.is_empty() || graph.had_branch_errors.load(Ordering::Relaxed) {
        lock(&graph.last_branch_errors).clone_from(&branch_errors);
        graph
            .had_branch_errors
            .store(!branch_errors.is_empty(), Ordering::Relaxed);
    }
    result?;
    if let Some(interruption) = scheduler.interrupted.clone() {
        tracing::info!(
            parent: &span,
            node = graph.nodes[interruption.node].name(),
            kind = ?interruption.kind,
            thread = scheduler.thread.as_deref(),
            "run interrupted"
        );
        if let Some(callback) = scheduler.env.callback {
            let node = graph.nodes[interruption.node].name();
            let mut event = crate::callback::GraphEvent::new("interrupt")
                .with_node(node)
                .with_token(node)
                .with_param("payload", interruption.payload.clone());
            if let Some(thread) = &scheduler.thread {
                event = event.with_param("thread", thread.as_str());
            }
            // A consumer that left does not change how the run ended. Boxed
            // (in a statement of its own): a rare send that would otherwise
            // take room in every run's future.
            let emit = Box::pin(callback.emit(event));
            let _ = emit.await;
        }
        return Ok(Ended::Interrupted { interruption });
    }
    let Some(state) = scheduler.pos.result.take() else {
        unreachable!("a run that ended without error or interrupt has a result");
    };
    let state = Arc::try_unwrap(state).unwrap_or_else(|shared| (*shared).clone());
    Ok(Ended::Finished(RunOutput {
        state: state.into_map(),
        branch_errors,
        run_id,
        steps,
    }))
}

/// Runs `run` streaming through `callback`, when there is one: it is closed
/// when the run ends, also when it fails (after an error event) or is
/// cancelled. One future for both cases: two (one per case) would each take
/// room in the caller's future.
///
/// `run` comes pinned by the caller: a future taken by value would be moved
/// into this one's state, and take room twice in the caller's.
pub(crate) async fn streaming<T>(
    callback: Option<&Callback>,
    run: std::pin::Pin<&mut impl std::future::Future<Output = Result<T, GraphError>>>,
) -> Result<T, GraphError> {
    let mut guard = CloseOnDrop { callback };
    let result = run.await;
    guard.callback = None;
    if let Some(callback) = callback {
        if let Err(error) = &result {
            callback.send_error(error, error.node());
        }
        callback.close().await;
    }
    result
}

/// Closes a run's callback if the run's future is dropped before it ends, so
/// the consumer sees why its stream stopped instead of waiting forever.
struct CloseOnDrop<'a> {
    /// The callback to close; `None` once the run ended.
    callback: Option<&'a Callback>,
}

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(callback) = self.callback {
            callback.send_error_text(
                "run cancelled: the future running the graph was dropped before the run ended",
                None,
            );
            callback.close_now();
        }
    }
}
