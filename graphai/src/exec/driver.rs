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
use serde_json::{Map, Value};

use super::Ticket;
use super::advance::Scheduler;
use super::invoke::{RunEnv, panic_message};
use super::position::{FrameId, PathId, Position, Status};
use crate::error::GraphError;
use crate::run_state::RunState;

/// One effect to run.
enum Work {
    Node {
        path: PathId,
        ticket: Ticket,
        node: usize,
        step: usize,
        state: Arc<RunState>,
        upstream: Option<Arc<Value>>,
    },
    Condition {
        frame: FrameId,
        ticket: Ticket,
        verdict: Result<BoxFuture<'static, bool>, String>,
    },
}

/// What an effect produced.
enum Done {
    Node {
        path: PathId,
        ticket: Ticket,
        result: Result<Map<String, Value>, GraphError>,
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

    async fn run(self, env: &RunEnv<'_>) -> Done {
        match self {
            Work::Node {
                path,
                ticket,
                node,
                step,
                state,
                upstream,
            } => {
                let result = env.invoke(node, step, &state, upstream.as_deref()).await;
                // The path gets its state back unshared, to merge in place.
                drop(state);
                Done::Node {
                    path,
                    ticket,
                    result,
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

/// A running effect; `future` is dropped when its path is cancelled.
struct Slot<'a> {
    ticket: Ticket,
    future: Option<BoxFuture<'a, Done>>,
}

impl Future for Slot<'_> {
    type Output = Option<Done>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Done>> {
        match &mut self.future {
            Some(future) => future.as_mut().poll(cx).map(Some),
            None => Poll::Ready(None),
        }
    }
}

impl<'e, 'g> Scheduler<'e, 'g> {
    /// Runs the position to its end: `Ok` once the main path finished and
    /// every branch pipeline it started is done, or the error that failed it.
    ///
    /// `observer` sees the position after every step (node call or condition).
    pub(crate) async fn drive(
        &mut self,
        mut observer: Option<&mut (dyn FnMut(&Position) + Send)>,
    ) -> Result<(), GraphError> {
        let env = self.env;
        let mut running: FuturesUnordered<Slot<'e>> = FuturesUnordered::new();
        let mut live = 0usize;
        loop {
            while let Some(work) = self.next_work()? {
                if live == 0 && self.pos.ready.is_empty() && self.pos.edges.is_empty() {
                    // Nothing else can run meanwhile: await it in place,
                    // without a task of its own (a chain never allocates one).
                    let done = work.run(env).await;
                    self.complete(done, &mut observer)?;
                    self.cancelled.clear();
                    continue;
                }
                running.push(Slot {
                    ticket: work.ticket(),
                    future: Some(Box::pin(work.run(env))),
                });
                live += 1;
            }
            if live == 0 {
                return Ok(());
            }
            if let Some(Some(done)) = running.next().await {
                live -= 1;
                self.complete(done, &mut observer)?;
                if !self.cancelled.is_empty() {
                    for slot in running.iter_mut() {
                        if slot.future.is_some() && self.cancelled.contains(&slot.ticket) {
                            slot.future = None;
                            live -= 1;
                        }
                    }
                    self.cancelled.clear();
                }
            }
        }
    }

    fn complete(
        &mut self,
        done: Done,
        observer: &mut Option<&mut (dyn FnMut(&Position) + Send)>,
    ) -> Result<(), GraphError> {
        let result = self.apply(done);
        if let Some(observer) = observer {
            observer(&self.pos);
        }
        result
    }

    fn apply(&mut self, done: Done) -> Result<(), GraphError> {
        match done {
            Done::Node {
                path,
                ticket,
                result,
            } => {
                let current = self.pos.paths.get(path).map(|p| p.status);
                if current != Some(Status::Running { ticket }) {
                    return Ok(());
                }
                self.node_done(path, result)
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

    /// The next effect to start: branch edges first (they may start
    /// pipelines), then the ready paths in order.
    fn next_work(&mut self) -> Result<Option<Work>, GraphError> {
        while let Some(frame) = self.pos.edges.pop_front() {
            let Some(index) = self.next_edge(frame)? else {
                continue;
            };
            let ticket = self.ticket();
            self.condition_started(frame, ticket);
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
        let ticket = self.ticket();
        let entry = &mut self.pos.paths[path];
        entry.status = Status::Running { ticket };
        Ok(Some(Work::Node {
            path,
            ticket,
            node: entry.node,
            step: entry.steps,
            state: Arc::clone(&entry.state),
            upstream: entry.upstream.clone(),
        }))
    }
}
