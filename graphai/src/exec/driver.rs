//! The scheduler loop: take the ready work from the position, run it (the
//! node calls and branch conditions are the run's only effects), hand each
//! result to the rules in `advance.rs`, until nothing is left.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::FutureExt;
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::Value;

use super::Ticket;
use super::advance::Scheduler;
use super::invoke::{RunEnv, panic_message};
use super::position::{FrameId, PathId, Position, Status};
use super::record::StepRecord;
use crate::error::GraphError;
use crate::interrupt::Interrupt;
use crate::node::{NodeSlot, Produced, SlotResult};
use crate::run_state::RunState;

/// One effect to run.
pub(crate) enum Work {
    Node {
        path: PathId,
        ticket: Ticket,
        node: usize,
        step: usize,
        state: Arc<RunState>,
        upstream: Option<Arc<Value>>,
        /// For a node that takes an `Interrupt`: its handle.
        interrupt: Option<Interrupt>,
    },
    Condition {
        frame: FrameId,
        ticket: Ticket,
        verdict: Result<BoxFuture<'static, bool>, String>,
    },
}

/// What a node call produced.
pub(crate) enum Outcome {
    Output(Produced),
    /// Boxed: a result moves through every future of a step, and a small one
    /// moves in registers.
    Failed(Box<GraphError>),
    /// The node asked a person (`Interrupt::ask`) and was cancelled.
    Asked(Value),
}

/// What an effect produced.
pub(crate) enum Done {
    Node {
        path: PathId,
        ticket: Ticket,
        outcome: Outcome,
    },
    Condition {
        frame: FrameId,
        ticket: Ticket,
        verdict: Result<bool, String>,
    },
}

impl Work {
    fn ticket(&self) -> Ticket {
        match self {
            Work::Node { ticket, .. } | Work::Condition { ticket, .. } => *ticket,
        }
    }

    /// Runs the effect; a quick node's future goes in `slot`.
    async fn run<'e>(self, env: &'e RunEnv<'_>, slot: &mut NodeSlot<'e>) -> Done {
        match self {
            Work::Node {
                path,
                ticket,
                node,
                step,
                state,
                upstream,
                interrupt,
            } => {
                // The path gets its state back unshared, to merge in place:
                // a node's future lets go of it when it completes.
                let outcome = if interrupt.is_none() && env.is_quick(node) {
                    into_outcome(env.call_quick(node, state, upstream, slot).await)
                } else {
                    // Retries, timeouts, markers, spans and interrupts: a
                    // bigger future, boxed so that the quick path stays small.
                    let outcome = Box::pin(full_call(
                        env,
                        node,
                        step,
                        &state,
                        upstream.as_ref(),
                        interrupt.as_ref(),
                    ))
                    .await;
                    drop(state);
                    outcome
                };
                Done::Node {
                    path,
                    ticket,
                    outcome,
                }
            }
            Work::Condition {
                frame,
                ticket,
                verdict,
            } => {
                let verdict = match verdict {
                    Ok(future) => AssertUnwindSafe(future)
                        .catch_unwind()
                        .await
                        .map_err(|payload| panic_message(payload.as_ref())),
                    Err(message) => Err(message),
                };
                Done::Condition {
                    frame,
                    ticket,
                    verdict,
                }
            }
        }
    }
}

async fn full_call(
    env: &RunEnv<'_>,
    node: usize,
    step: usize,
    state: &Arc<RunState>,
    upstream: Option<&Arc<Value>>,
    interrupt: Option<&Interrupt>,
) -> Outcome {
    let call = env.invoke(node, step, state, upstream, interrupt);
    match interrupt {
        None => into_outcome(call.await.map(Produced::from)),
        Some(interrupt) => {
            let call = std::pin::pin!(call);
            let asked = std::pin::pin!(interrupt.raised());
            match futures::future::select(call, asked).await {
                futures::future::Either::Left((result, _)) => {
                    into_outcome(result.map(Produced::from))
                }
                futures::future::Either::Right((payload, _)) => Outcome::Asked(payload),
            }
        }
    }
}

fn into_outcome(result: SlotResult) -> Outcome {
    match result {
        Ok(output) => Outcome::Output(output),
        Err(error) => Outcome::Failed(Box::new(error)),
    }
}

pin_project_lite::pin_project! {
    /// A running effect, held inline by the set of running effects (no box
    /// of its own); `future` is dropped when its path is cancelled.
    struct Slot<F> {
        ticket: Ticket,
        #[pin]
        future: Option<F>,
    }
}

impl<F: Future<Output = Done>> Future for Slot<F> {
    type Output = Option<Done>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Done>> {
        match self.project().future.as_pin_mut() {
            Some(future) => future.poll(cx).map(Some),
            None => Poll::Ready(None),
        }
    }
}

/// How an effect that runs beside others begins.
enum Start<'e> {
    /// Not started yet: its node future gets a box of its own.
    Work(Work),
    /// A quick node's future, polled once already (it was pending).
    Polled {
        path: PathId,
        ticket: Ticket,
        node: usize,
        slot: NodeSlot<'e>,
    },
}

/// An effect that runs beside others.
fn running<'e>(start: Start<'e>, env: &'e RunEnv<'_>) -> Slot<impl Future<Output = Done> + 'e> {
    let ticket = match &start {
        Start::Work(work) => work.ticket(),
        Start::Polled { ticket, .. } => *ticket,
    };
    Slot {
        ticket,
        future: Some(async move {
            match start {
                Start::Work(work) => work.run(env, &mut NodeSlot::reusing()).await,
                Start::Polled {
                    path,
                    ticket,
                    node,
                    mut slot,
                } => Done::Node {
                    path,
                    ticket,
                    outcome: into_outcome(env.finish_quick(node, &mut slot).await),
                },
            }
        }),
    }
}

/// Polls the quick node `node` in `slot` once: `None` while it is pending.
async fn poll_once(env: &RunEnv<'_>, node: usize, slot: &mut NodeSlot<'_>) -> Option<SlotResult> {
    std::future::poll_fn(|cx| match env.poll_quick(node, slot, cx) {
        Poll::Pending => Poll::Ready(None),
        Poll::Ready(result) => Poll::Ready(Some(result)),
    })
    .await
}

/// One step `Scheduler::next_quick` hands to the driver: the running path,
/// its node, and what the node reads.
struct QuickStep {
    path: PathId,
    node: usize,
    state: Arc<RunState>,
    upstream: Option<Arc<Value>>,
}

impl<'e, 'g> Scheduler<'e, 'g> {
    /// Runs the position to its end: `Ok` once the main path finished and
    /// every branch pipeline it started is done (or, after an interrupt, once
    /// the effects already running are done), or the error that failed it.
    ///
    /// `journal`, when given, records every step before the next one starts.
    pub(crate) async fn drive(
        &mut self,
        mut journal: Option<&mut (dyn Journal + 'e)>,
    ) -> Result<(), GraphError> {
        let env = self.env;
        // The effects running beside each other; made at the first one (a
        // chain never needs it).
        let mut effects = None;
        let mut live = 0usize;
        // The steps awaited in place put their node futures here, reusing
        // one allocation while the futures' sizes allow.
        let mut slot = NodeSlot::reusing();
        loop {
            // A plain node with nothing beside it and no journal: called in
            // place, its result handed straight to the rules.
            if journal.is_none() && live == 0 {
                while let Some(QuickStep {
                    path,
                    node,
                    state,
                    upstream,
                }) = self.next_quick()
                {
                    // `call_quick`, without a future of its own around the slot.
                    let result = match env.put_quick(node, state, upstream, &mut slot) {
                        Ok(()) => env.finish_quick(node, &mut slot).await,
                        Err(error) => Err(error),
                    };
                    self.node_done(path, result)?;
                    self.cancelled.clear();
                }
            }
            while let Some(work) = self.next_work(false)? {
                if live == 0 && self.pos.ready.is_empty() && self.pos.edges.is_empty() {
                    // Nothing else can run meanwhile: await it in place,
                    // without a task of its own (a chain never allocates one).
                    let done = work.run(env, &mut slot).await;
                    let record = self.complete(done, journal.is_some())?;
                    if let (Some(record), Some(journal)) = (record, &mut journal) {
                        journal.step(record, &self.pos).await?;
                    }
                    self.cancelled.clear();
                    continue;
                }
                let start = match work {
                    // A quick node beside others is polled once right away:
                    // most finish there, without a place in `effects`.
                    Work::Node {
                        path,
                        ticket,
                        node,
                        state,
                        upstream,
                        interrupt: None,
                        ..
                    } if journal.is_none() && env.is_quick(node) => {
                        let polled = match env.put_quick(node, state, upstream, &mut slot) {
                            Ok(()) => poll_once(env, node, &mut slot).await,
                            Err(error) => Some(Err(error)),
                        };
                        match polled {
                            None => Start::Polled {
                                path,
                                ticket,
                                node,
                                slot: slot.take(),
                            },
                            Some(result) => {
                                // Still running with this ticket (nothing
                                // else ran meanwhile): no `Done` to check.
                                self.returned(path, node, result)?;
                                self.drop_cancelled(&mut effects, &mut live);
                                continue;
                            }
                        }
                    }
                    work => Start::Work(work),
                };
                effects
                    .get_or_insert_with(FuturesUnordered::new)
                    .push(running(start, env));
                live += 1;
            }
            if live == 0 {
                if let (Some(interrupted), Some(journal)) = (&self.interrupted, &mut journal) {
                    journal.interrupt(interrupted, &self.pos).await?;
                }
                return Ok(());
            }
            let next = match &mut effects {
                Some(effects) => effects.next().await,
                None => None,
            };
            if let Some(Some(done)) = next {
                live -= 1;
                let record = self.complete(done, journal.is_some())?;
                if let (Some(record), Some(journal)) = (record, &mut journal) {
                    journal.step(record, &self.pos).await?;
                }
                self.drop_cancelled(&mut effects, &mut live);
            }
        }
    }

    /// Drops the running effects whose paths a step cancelled.
    fn drop_cancelled<F: Future<Output = Done>>(
        &mut self,
        effects: &mut Option<FuturesUnordered<Slot<F>>>,
        live: &mut usize,
    ) {
        if self.cancelled.is_empty() {
            return;
        }
        for slot in effects
            .iter_mut()
            .flat_map(|set| Pin::new(set).iter_pin_mut())
        {
            let mut slot = slot.project();
            if slot.future.is_some() && self.cancelled.contains(slot.ticket) {
                slot.future.set(None);
                *live -= 1;
            }
        }
        self.cancelled.clear();
    }

    /// Applies `done`; with a journal, also says what the step changed
    /// (taken before it is applied) for the journal to write.
    fn complete(&mut self, done: Done, journaling: bool) -> Result<Option<StepRecord>, GraphError> {
        let record = if journaling {
            self.step_record(&done)
        } else {
            None
        };
        self.apply(done)?;
        Ok(record)
    }

    /// Applies what an effect produced to the position.
    pub(crate) fn apply(&mut self, done: Done) -> Result<(), GraphError> {
        match done {
            Done::Node {
                path,
                ticket,
                outcome,
            } => {
                let current = self.pos.paths.get(path).map(|p| (p.status, p.node));
                let Some((Status::Running { ticket: running }, node)) = current else {
                    return Ok(());
                };
                if running != ticket {
                    return Ok(());
                }
                match outcome {
                    Outcome::Output(output) => self.returned(path, node, Ok(output)),
                    Outcome::Failed(error) => self.returned(path, node, Err(*error)),
                    Outcome::Asked(payload) => {
                        if self.interrupted.is_none() {
                            self.interrupted = Some(Interruption {
                                path,
                                node,
                                payload,
                                kind: InterruptKind::Ask,
                                answers: self.answers.get(&path).cloned().unwrap_or_default(),
                            });
                        }
                        // The node runs again from its start when the thread resumes.
                        self.pos.paths[path].status = Status::Ready;
                        self.pos.ready.push_front(path);
                        Ok(())
                    }
                }
            }
            Done::Condition {
                frame,
                ticket,
                verdict,
            } => {
                self.condition_done(frame, ticket, verdict);
                Ok(())
            }
        }
    }

    /// The node `node` of running path `path` returned `result`: it is
    /// applied, and then the node's breakpoint after it, if any, stops the run.
    fn returned(
        &mut self,
        path: PathId,
        node: usize,
        result: SlotResult,
    ) -> Result<(), GraphError> {
        let output = result.is_ok();
        if output && !self.answers.is_empty() {
            self.answers.remove(&path);
        }
        self.node_done(path, result)?;
        if output
            && self.env.graph.interrupt_after[node]
            && self.interrupted.is_none()
            && !self.replaying
        {
            self.interrupted = Some(Interruption {
                path,
                node,
                payload: Value::Null,
                kind: InterruptKind::After,
                answers: Vec::new(),
            });
        }
        Ok(())
    }

    /// The next step when it can skip the effect round trip: one ready path
    /// and nothing else to start, its node quick (`RunEnv::is_quick`)
    /// without a breakpoint, and no answers waiting. The path is marked
    /// running, as `next_work` would.
    fn next_quick(&mut self) -> Option<QuickStep> {
        if self.interrupted.is_some()
            || self.pos.ready.len() != 1
            || !self.pos.edges.is_empty()
            || !self.answers.is_empty()
        {
            return None;
        }
        let path = *self.pos.ready.front()?;
        let node = self.pos.paths[path].node;
        let graph = self.env.graph;
        if graph.interrupt_before[node] || graph.interrupt_after[node] || !self.env.is_quick(node) {
            return None;
        }
        self.pos.ready.clear();
        let ticket = self.ticket();
        let entry = &mut self.pos.paths[path];
        entry.status = Status::Running { ticket };
        Some(QuickStep {
            path,
            node,
            state: Arc::clone(&entry.state),
            upstream: entry.upstream.clone(),
        })
    }

    /// The next effect to start: branch edges first (they may start
    /// pipelines), then the ready paths in order. Nothing once the run is
    /// interrupted. `replaying` starts nothing for real: a condition's closure
    /// is not called and breakpoints do not stop the run.
    pub(crate) fn next_work(&mut self, replaying: bool) -> Result<Option<Work>, GraphError> {
        if self.interrupted.is_some() {
            return Ok(None);
        }
        while let Some(frame) = self.pos.edges.pop_front() {
            let Some(index) = self.next_edge(frame)? else {
                continue;
            };
            let ticket = self.ticket();
            self.condition_started(frame, ticket);
            if replaying {
                return Ok(Some(Work::Condition {
                    frame,
                    ticket,
                    verdict: Err(String::new()),
                }));
            }
            let Some((output, node)) = self.condition_input(frame) else {
                continue;
            };
            let Some(condition) = &self.env.graph.branches[node][index].condition else {
                continue;
            };
            let shared = &self.env.graph.state;
            // A `when` closure runs right here: catch its panic too.
            let verdict = std::panic::catch_unwind(AssertUnwindSafe(|| condition(output, shared)))
                .map_err(|payload| panic_message(payload.as_ref()));
            return Ok(Some(Work::Condition {
                frame,
                ticket,
                verdict,
            }));
        }
        let Some(path) = self.pos.ready.pop_front() else {
            return Ok(None);
        };
        let node = self.pos.paths[path].node;
        if !replaying && self.env.graph.interrupt_before[node] && !self.passed.remove(&path) {
            self.pos.ready.push_front(path);
            self.interrupted = Some(Interruption {
                path,
                node,
                payload: Value::Null,
                kind: InterruptKind::Before,
                answers: Vec::new(),
            });
            return Ok(None);
        }
        let ticket = self.ticket();
        let entry = &mut self.pos.paths[path];
        entry.status = Status::Running { ticket };
        let interrupt = self.env.def(node).takes_interrupt().then(|| {
            let answers = self.answers.get(&path).cloned().unwrap_or_default();
            Interrupt::new(self.env.name(node), answers)
        });
        let entry = &self.pos.paths[path];
        Ok(Some(Work::Node {
            path,
            ticket,
            node,
            step: entry.steps,
            state: Arc::clone(&entry.state),
            upstream: entry.upstream.clone(),
            interrupt,
        }))
    }
}

/// Where a stopped run waits: which path, at which node, and why.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Interruption {
    pub(crate) path: PathId,
    pub(crate) node: usize,
    pub(crate) payload: Value,
    pub(crate) kind: InterruptKind,
    /// The answers the node's asks got before this one.
    pub(crate) answers: Vec<Value>,
}

/// Why a run stopped to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum InterruptKind {
    /// `Interrupt::ask` without an answer.
    Ask,
    /// A breakpoint before the node.
    Before,
    /// A breakpoint after the node.
    After,
}

/// Records a run's steps (a thread's checkpoints).
pub(crate) trait Journal: Send {
    /// One step applied: `record` says what it changed, `position` is the run's after it.
    fn step<'a>(
        &'a mut self,
        record: StepRecord,
        position: &'a Position,
    ) -> BoxFuture<'a, Result<(), GraphError>>;

    /// The run stopped to wait at `interrupted`.
    fn interrupt<'a>(
        &'a mut self,
        interrupted: &'a Interruption,
        position: &'a Position,
    ) -> BoxFuture<'a, Result<(), GraphError>>;
}
