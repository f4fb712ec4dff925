//! Starting, resuming, forking and editing a thread: its checkpoints read
//! back and replayed into a run's position, then the run driven on with a
//! journal that writes the new ones.

use serde_json::{Map, Value, json};

use super::fingerprint;
use super::journal::ThreadJournal;
use super::{DurableConfig, RunOutcome};
use crate::checkpoint::{Chain, Checkpoint};
use crate::error::{GraphError, json_kind};
use crate::exec::record::{decode_output, encode_output};
use crate::exec::{
    Ended, InterruptKind, Position, RunConfig, RunEnv, RunOutput, Scheduler, check_resources,
    drive, next_run_id,
};
use crate::run_state::RunState;
use crate::shape::GraphShape;
use crate::tables::Inner;

/// How a thread run begins.
pub(crate) enum Start {
    /// A new run on the thread, from the state its last run ended with.
    Input(Value),
    /// The thread's unfinished run goes on; an interrupted node gets `answer`.
    Resume { answer: Option<Value> },
    /// A run goes on from an earlier checkpoint (time travel).
    Fork { checkpoint: String },
}

/// An interrupt read from its checkpoint.
struct Waiting {
    path: usize,
    node: String,
    kind: InterruptKind,
    answers: Vec<Value>,
}

/// A thread as its checkpoints leave it.
struct View {
    /// Its last run has not ended (it was interrupted, crashed or failed).
    live: bool,
    /// The state its last finished run ended with (edited by updates).
    finished: Map<String, Value>,
    waiting: Option<Waiting>,
    /// The last checkpoint read.
    last: Option<Checkpoint>,
}

fn config(graph: &Inner, thread: &str) -> Result<DurableConfig, GraphError> {
    graph
        .durable
        .clone()
        .ok_or_else(|| GraphError::NoCheckpointer {
            thread: thread.to_owned(),
        })
}

fn store_error(thread: &str) -> impl Fn(crate::checkpoint::StoreError) -> GraphError + '_ {
    move |source| GraphError::Checkpoint {
        thread: thread.to_owned(),
        source: Box::new(source),
    }
}

/// Runs a thread: `start` says from where.
pub(crate) async fn run_thread(
    graph: &Inner,
    thread: &str,
    start: Start,
    config_: RunConfig<'_>,
) -> Result<RunOutcome, GraphError> {
    let durable = config(graph, thread)?;
    check_resources(graph, &config_)?;
    let store = &*durable.store;
    let at = match &start {
        Start::Fork { checkpoint } => Some(checkpoint.as_str()),
        _ => None,
    };
    let chain = store.chain(thread, at).await.map_err(store_error(thread))?;
    if let (Start::Fork { checkpoint }, None) = (&start, &chain) {
        return Err(GraphError::CorruptCheckpoint {
            thread: thread.to_owned(),
            checkpoint: checkpoint.clone(),
            reason: "the thread has no such checkpoint (see `store.history(thread)`)".to_owned(),
        });
    }
    let env = RunEnv::new(graph, &config_);
    let mut scheduler = Scheduler::new(&env, Position::default());
    scheduler.thread = Some(thread.to_owned());
    let view = match &chain {
        Some(chain) => rebuild(&mut scheduler, thread, chain)?,
        None => View {
            live: false,
            finished: Map::new(),
            waiting: None,
            last: None,
        },
    };
    // What a new checkpoint must expect as the thread's head: the head read
    // now (for a fork, the thread's head, not the checkpoint forked from).
    let expected = match (&start, &chain) {
        (Start::Fork { .. }, _) => store
            .latest(thread)
            .await
            .map_err(store_error(thread))?
            .map(|head| head.id),
        (_, Some(chain)) => Some(chain.head.clone()),
        (_, None) => None,
    };
    let mut journal = ThreadJournal::new(
        graph,
        durable.store.clone(),
        thread.to_owned(),
        durable.durability,
        view.last.clone(),
        expected,
    );
    match start {
        Start::Input(input) => {
            let Value::Object(input) = input else {
                return Err(GraphError::InvalidInput {
                    found: json_kind(&input),
                });
            };
            if view.live {
                return Err(GraphError::ThreadBusy {
                    thread: thread.to_owned(),
                    state: describe(&view),
                });
            }
            let mut checkpoint = journal.next("input");
            checkpoint.delta =
                json!({ "input": encode_output(&RunState::new(view.finished.clone()), &input) });
            let mut state = view.finished;
            state.extend(input);
            scheduler.pos = Position::start(graph, state);
            checkpoint.position = summary(&scheduler.pos, graph);
            journal.write(checkpoint).await?;
        }
        Start::Resume { answer } => {
            if chain.is_none() {
                return Err(GraphError::ThreadNotFound {
                    thread: thread.to_owned(),
                });
            }
            if !view.live {
                if answer.is_some() {
                    return Err(GraphError::NotWaiting {
                        thread: thread.to_owned(),
                        state: "its last run finished".to_owned(),
                    });
                }
                // A finished thread returns its result without running anything.
                return Ok(RunOutcome::Finished(finished_output(view.finished)));
            }
            match (&view.waiting, answer) {
                (None, Some(_)) => {
                    return Err(GraphError::NotWaiting {
                        thread: thread.to_owned(),
                        state: "its run stopped without a question (a crash or an error): resume it without an answer".to_owned(),
                    });
                }
                (Some(waiting), Some(answer)) if waiting.kind == InterruptKind::Ask => {
                    let mut answers = waiting.answers.clone();
                    answers.push(answer);
                    scheduler.answers.insert(waiting.path, answers);
                }
                (Some(waiting), None) if waiting.kind == InterruptKind::Ask => {
                    scheduler
                        .answers
                        .insert(waiting.path, waiting.answers.clone());
                }
                (Some(waiting), _) => {
                    if waiting.kind == InterruptKind::Before {
                        scheduler.passed.insert(waiting.path);
                    }
                }
                (None, None) => {}
            }
        }
        Start::Fork { .. } => {
            if !view.live {
                return Ok(RunOutcome::Finished(finished_output(view.finished)));
            }
            if let Some(waiting) = &view.waiting {
                scheduler
                    .answers
                    .insert(waiting.path, waiting.answers.clone());
            }
        }
    }
    let ended = drive(&mut scheduler, Some(&mut journal)).await;
    match ended {
        Err(error) => {
            // Best effort: the history shows why the run stopped; a resume
            // replays the steps before it and runs the failed node again.
            let mut checkpoint = journal.next("error");
            checkpoint
                .metadata
                .insert("error".into(), error.to_string().into());
            checkpoint.position = summary(&scheduler.pos, graph);
            if journal.write(checkpoint).await.is_ok() {
                let _ = journal.finish().await;
            }
            Err(error)
        }
        Ok(Ended::Finished(output)) => {
            let mut checkpoint = journal.next("done");
            checkpoint.position = summary(&scheduler.pos, graph);
            journal.write(checkpoint).await?;
            journal.finish().await?;
            Ok(RunOutcome::Finished(output))
        }
        Ok(Ended::Interrupted { interruption, .. }) => {
            journal.finish().await?;
            Ok(RunOutcome::Interrupted {
                thread: Some(thread.to_owned()),
                node: graph.nodes[interruption.node].name().to_owned(),
                payload: interruption.payload,
                checkpoint: journal.head_id(),
            })
        }
    }
}

/// Merges `values` into a thread's state: the state its next run starts
/// from, or, while a run waits, the state of each path that runs next.
pub(crate) async fn update_thread(
    graph: &Inner,
    thread: &str,
    values: Map<String, Value>,
) -> Result<(), GraphError> {
    let durable = config(graph, thread)?;
    let store = &*durable.store;
    let chain = store
        .chain(thread, None)
        .await
        .map_err(store_error(thread))?
        .ok_or_else(|| GraphError::ThreadNotFound {
            thread: thread.to_owned(),
        })?;
    let run_config = RunConfig::default();
    let env = RunEnv::new(graph, &run_config);
    let mut scheduler = Scheduler::new(&env, Position::default());
    let mut view = rebuild(&mut scheduler, thread, &chain)?;
    apply_update(&mut scheduler, &mut view, &values);
    let mut journal = ThreadJournal::new(
        graph,
        durable.store.clone(),
        thread.to_owned(),
        super::Durability::Sync,
        view.last.clone(),
        Some(chain.head.clone()),
    );
    let mut checkpoint = journal.next("update");
    checkpoint.delta = json!({ "values": values });
    checkpoint.position = summary(&scheduler.pos, graph);
    journal.write(checkpoint).await?;
    journal.finish().await
}

fn apply_update(scheduler: &mut Scheduler<'_, '_>, view: &mut View, values: &Map<String, Value>) {
    if !view.live {
        view.finished.extend(values.clone());
        return;
    }
    let ids: Vec<usize> = scheduler.next_paths();
    for id in ids {
        scheduler.merge_into(id, values.clone());
    }
}

fn summary(position: &Position, graph: &Inner) -> Value {
    serde_json::to_value(position.save_without_states(graph)).unwrap_or(Value::Null)
}

fn finished_output(state: Map<String, Value>) -> RunOutput {
    RunOutput {
        state,
        branch_errors: Vec::new(),
        run_id: next_run_id(),
        steps: 0,
    }
}

fn describe(view: &View) -> String {
    match &view.waiting {
        Some(waiting) => format!("it waits at node `{}`", waiting.node),
        None => "it stopped after a crash or an error".to_owned(),
    }
}

/// Replays `chain` into `scheduler`; what the thread looks like after it.
fn rebuild(
    scheduler: &mut Scheduler<'_, '_>,
    thread: &str,
    chain: &Chain,
) -> Result<View, GraphError> {
    let graph = scheduler.env.graph;
    let last = chain.last();
    if last.fingerprint != graph.fingerprint {
        let first = &chain.checkpoints[0];
        let changes = first
            .metadata
            .get("shape")
            .and_then(|shape| serde_json::from_value::<GraphShape>(shape.clone()).ok())
            .map_or_else(
                || vec!["its shape is not the one the thread was written with".to_owned()],
                |old| fingerprint::changes(&old, &graph.shape),
            );
        return Err(GraphError::GraphChanged {
            thread: thread.to_owned(),
            changes,
        });
    }
    let mut view = View {
        live: false,
        finished: Map::new(),
        waiting: None,
        last: Some(last.clone()),
    };
    scheduler.replaying = true;
    let result = replay_chain(scheduler, thread, chain, &mut view);
    scheduler.replaying = false;
    result?;
    if view.live {
        scheduler
            .restart_unfinished()
            .map_err(|e| GraphError::CorruptCheckpoint {
                thread: thread.to_owned(),
                checkpoint: last.id.clone(),
                reason: e.0,
            })?;
    }
    Ok(view)
}

fn replay_chain(
    scheduler: &mut Scheduler<'_, '_>,
    thread: &str,
    chain: &Chain,
    view: &mut View,
) -> Result<(), GraphError> {
    let graph = scheduler.env.graph;
    for checkpoint in &chain.checkpoints {
        let corrupt = |reason: String| GraphError::CorruptCheckpoint {
            thread: thread.to_owned(),
            checkpoint: checkpoint.id.clone(),
            reason,
        };
        let kind = checkpoint
            .metadata
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match kind {
            "input" => {
                let input = checkpoint
                    .delta
                    .get("input")
                    .ok_or_else(|| corrupt("an input checkpoint without its input".to_owned()))?;
                let base = RunState::new(view.finished.clone());
                let input = decode_output(&base, input).map_err(|e| corrupt(e.0))?;
                let mut state = view.finished.clone();
                state.extend(input);
                scheduler.reset_run(Position::start(graph, state));
                view.live = true;
                view.waiting = None;
            }
            "step" => {
                if !view.live {
                    return Err(corrupt("a step outside any run".to_owned()));
                }
                scheduler
                    .replay(&checkpoint.delta)
                    .map_err(|e| corrupt(e.0))?;
                view.waiting = None;
                let replayed = summary(&scheduler.pos, graph);
                if replayed != checkpoint.position {
                    return Err(corrupt(
                        "replaying its steps leads elsewhere than the run that wrote it went (a node's output, a router's choice or the graph differ)".to_owned(),
                    ));
                }
            }
            "interrupt" => {
                let stored = checkpoint.metadata.get("interrupt").ok_or_else(|| {
                    corrupt("an interrupt checkpoint without its interrupt".to_owned())
                })?;
                view.waiting = Some(parse_waiting(stored).map_err(corrupt)?);
            }
            "done" => {
                let state =
                    scheduler.pos.result.take().ok_or_else(|| {
                        corrupt("the run it ends did not reach its end".to_owned())
                    })?;
                view.finished = std::sync::Arc::unwrap_or_clone(state).into_map();
                view.live = false;
                view.waiting = None;
            }
            "update" => {
                let Some(Value::Object(values)) = checkpoint.delta.get("values") else {
                    return Err(corrupt(
                        "an update checkpoint without its values".to_owned(),
                    ));
                };
                if view.live {
                    scheduler
                        .start_ready()
                        .map_err(|e| corrupt(e.to_string()))?;
                }
                apply_update(scheduler, view, values);
            }
            "error" => {}
            other => return Err(corrupt(format!("unknown checkpoint kind `{other}`"))),
        }
    }
    Ok(())
}

fn parse_waiting(stored: &Value) -> Result<Waiting, String> {
    let path = stored
        .get("path")
        .and_then(Value::as_u64)
        .ok_or("an interrupt without its path")? as usize;
    let node = stored
        .get("node")
        .and_then(Value::as_str)
        .ok_or("an interrupt without its node")?
        .to_owned();
    let kind = serde_json::from_value(stored.get("kind").cloned().unwrap_or(Value::Null))
        .map_err(|e| format!("an interrupt of an unknown kind: {e}"))?;
    let answers = match stored.get("answers") {
        Some(Value::Array(answers)) => answers.clone(),
        _ => Vec::new(),
    };
    Ok(Waiting {
        path,
        node,
        kind,
        answers,
    })
}
