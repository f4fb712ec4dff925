//! [`RunOptions`]: `graph.run(input)` with a callback, a step limit, and
//! three ways to end: the final state, everything the run produced, or a
//! stream of its events.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use futures::future::FutureExt;
use futures::future::{BoxFuture, Either};
use serde_json::{Map, Value};

use super::{RunConfig, RunOutput, run, streaming};
use crate::callback::{Callback, EventStream, GraphEvent};
use crate::durable::{RunOutcome, Start, run_thread};
use crate::error::GraphError;
use crate::resource::Resources;
use crate::tables::Inner;

/// One run of a graph, being set up: made by [`CompiledGraph::run`](crate::CompiledGraph::run), ended by
/// [`execute`](Self::execute), [`detailed`](Self::detailed) or
/// [`stream`](Self::stream).
///
/// ```
/// use futures::StreamExt;
/// use graphai::{Graph, StreamItem, Value, json, node};
///
/// #[node(start, end, stream)]
/// async fn echo(text: String, callback: graphai::Callback) -> graphai::Result<Value> {
///     callback.acall(text.clone()).await?;
///     Ok(json!({ "echo": text }))
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let graph = Graph::new().add_node(echo).compile()?;
///
/// let state = graph.run(json!({ "text": "hi" })).max_steps(5).execute().await?;
/// assert_eq!(state["echo"], "hi");
///
/// let items: Vec<StreamItem> = graph.run(json!({ "text": "hi" })).stream().collect().await;
/// let tokens: Vec<_> = items.iter().filter_map(StreamItem::token).collect();
/// assert_eq!(tokens, ["echo", "hi", "echo"]); // start marker, the token, end marker
/// assert!(matches!(items.last(), Some(StreamItem::Finished(Ok(_)))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[must_use = "a run does nothing until it is executed or streamed"]
pub struct RunOptions<'a> {
    graph: &'a Inner,
    input: Value,
    callback: Option<&'a Callback>,
    max_steps: Option<usize>,
    resources: Option<Resources>,
    thread: Option<String>,
    mode: Mode,
    answer: Option<Value>,
}

/// What a run does with its thread.
enum Mode {
    /// A new run (of the thread, if it has one).
    Start,
    /// The thread's waiting run goes on.
    Resume,
    /// A run goes on from an earlier checkpoint.
    Fork { checkpoint: String },
}

impl<'a> RunOptions<'a> {
    pub(crate) fn new(graph: &'a Inner, input: Value) -> Self {
        Self {
            graph,
            input,
            callback: None,
            max_steps: None,
            resources: None,
            thread: None,
            mode: Mode::Start,
            answer: None,
        }
    }

    /// Options that resume `thread` (see [`CompiledGraph::resume`](crate::CompiledGraph::resume)).
    pub(crate) fn resume(graph: &'a Inner, thread: String) -> Self {
        let mut options = Self::new(graph, Value::Null);
        options.thread = Some(thread);
        options.mode = Mode::Resume;
        options
    }

    /// Options that fork `thread` at `checkpoint`.
    pub(crate) fn fork(graph: &'a Inner, thread: String, checkpoint: String) -> Self {
        let mut options = Self::new(graph, Value::Null);
        options.thread = Some(thread);
        options.mode = Mode::Fork { checkpoint };
        options
    }

    /// Makes the run durable: it continues thread `id` (a chat's
    /// conversation, a ticket's workflow) from the state the thread's last run
    /// ended with, and writes a checkpoint after every step to the graph's
    /// [`checkpointer`](crate::Graph::checkpointer), so
    /// [`resume`](crate::CompiledGraph::resume) can continue it after a crash,
    /// an error or an interrupt.
    pub fn thread(mut self, id: impl Into<String>) -> Self {
        self.thread = Some(id.into());
        self
    }

    /// The answer for the node that stopped the resumed thread to ask a
    /// person: its [`Interrupt::ask`](crate::Interrupt::ask) returns it when
    /// the node runs again. For [`resume`](crate::CompiledGraph::resume) only;
    /// on a new run it is an error ([`GraphError::NotWaiting`]).
    pub fn with_answer(mut self, answer: impl Into<Value>) -> Self {
        self.answer = Some(answer.into());
        self
    }

    /// Streams through `callback`: markers around streaming nodes, their
    /// tokens, and the callback closed when the run ends, also when it fails
    /// (after one error event) or its future is dropped.
    pub fn callback(mut self, callback: &'a Callback) -> Self {
        self.callback = Some(callback);
        self
    }

    /// This run's step limit, instead of the graph's `max_steps`.
    pub fn max_steps(mut self, max_steps: usize) -> Self {
        self.max_steps = Some(max_steps);
        self
    }

    /// Gives this run a resource (the user of this request, a tenant's
    /// client..): nodes taking `Res<T>` get it instead of the graph's value of
    /// the same type. One value per type; a later one replaces an earlier one.
    pub fn resource<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.resources
            .get_or_insert_with(Resources::new)
            .insert(value);
        self
    }

    /// Gives this run every resource in `resources` (see [`resource`](Self::resource)).
    pub fn resources(mut self, resources: &Resources) -> Self {
        self.resources
            .get_or_insert_with(Resources::new)
            .extend(resources);
        self
    }

    /// Runs the graph and returns the final run state.
    ///
    /// # Errors
    /// A [`GraphError`] naming the node that failed.
    pub fn execute(self) -> impl Future<Output = Result<Map<String, Value>, GraphError>> + 'a {
        // A plain fn over the inner future (not an `async fn`, which would
        // keep `self` in its state beside the inner future's own copy).
        self.detailed()
            .map(|result| result.map(|output| output.state))
    }

    /// Runs the graph and returns everything the run produced: the state, the
    /// errors of its branch pipelines, its id and the steps it took.
    ///
    /// # Errors
    /// As [`execute`](Self::execute).
    pub fn detailed(self) -> impl Future<Output = Result<RunOutput, GraphError>> + 'a {
        self.outcome().map(|outcome| match outcome? {
            RunOutcome::Finished(output) => Ok(output),
            RunOutcome::Interrupted {
                thread,
                node,
                payload,
                ..
            } => Err(GraphError::Interrupted {
                thread,
                node,
                payload,
            }),
        })
    }

    /// Runs the graph and says how the run ended: finished, or interrupted
    /// to wait for a person (then resume the thread with an answer).
    ///
    /// # Errors
    /// As [`execute`](Self::execute), and for a thread run the errors of its
    /// checkpoints: no store, a thread that does not exist or is busy, a
    /// changed graph, a store that fails or a checkpoint that cannot be read.
    pub fn outcome(self) -> impl Future<Output = Result<RunOutcome, GraphError>> + 'a {
        if self.callback.is_none() && self.thread.is_none() && self.answer.is_none() {
            // A plain run: its future alone, so that the future `execute`
            // returns (which a caller may spawn, and Tokio then moves about)
            // is hardly bigger than the run's own.
            return Either::Left(plain(
                self.graph,
                self.input,
                self.max_steps,
                self.resources,
            ));
        }
        // Streaming, threads and answers: boxed, to keep their room out of
        // the plain run's future.
        Either::Right(Box::pin(async move {
            let callback = self.callback;
            let run = std::pin::pin!(self.go(callback));
            streaming(callback, run).await
        }))
    }

    /// The run itself, streaming through `callback` (the caller closes it).
    async fn go(self, callback: Option<&Callback>) -> Result<RunOutcome, GraphError> {
        let graph = self.graph;
        let config = RunConfig {
            callback,
            max_steps: self.max_steps,
            resources: self.resources.as_ref(),
        };
        if self.answer.is_some() && !matches!(self.mode, Mode::Resume) {
            return Err(GraphError::NotWaiting {
                thread: self.thread.clone().unwrap_or_default(),
                state: "a new run has nothing to answer: `with_answer` goes with `graph.resume(thread)`".to_owned(),
            });
        }
        let Some(thread) = &self.thread else {
            return run(graph, self.input, config)
                .await
                .map(RunOutcome::Finished);
        };
        let start = match self.mode {
            Mode::Start => Start::Input(self.input),
            Mode::Resume => Start::Resume {
                answer: self.answer,
            },
            Mode::Fork { checkpoint } => Start::Fork { checkpoint },
        };
        // Boxed: a thread's run (store calls, replay) is a big future, and
        // inline it would make every plain run's future as big. (Boxed in a
        // statement of its own: a temporary of the awaiting statement would
        // still take its room here.)
        let thread_run = Box::pin(run_thread(graph, thread, start, config));
        thread_run.await
    }

    /// Runs the graph as a stream of its events, the run's result last.
    ///
    /// The events come from the callback given with
    /// [`callback`](Self::callback) (its stream must not have been taken), or
    /// from a new unbounded [`Callback`]. The run advances as the stream is
    /// polled; dropping the stream cancels the run.
    pub fn stream(self) -> RunStream<'a> {
        let callback = self.callback.cloned().unwrap_or_default();
        let events = match callback.events() {
            Ok(events) => events,
            Err(source) => {
                return RunStream {
                    run: None,
                    events: None,
                    result: Some(Err(GraphError::Stream { source })),
                };
            }
        };
        let run = Box::pin(async move {
            let callback = callback;
            let run = std::pin::pin!(self.go(Some(&callback)));
            let outcome = streaming(Some(&callback), run).await;
            match outcome? {
                RunOutcome::Finished(output) => Ok(output),
                RunOutcome::Interrupted {
                    thread,
                    node,
                    payload,
                    ..
                } => Err(GraphError::Interrupted {
                    thread,
                    node,
                    payload,
                }),
            }
        });
        RunStream {
            run: Some(run),
            events: Some(events),
            result: None,
        }
    }
}

/// A run with no callback, thread or answer.
async fn plain(
    graph: &Inner,
    input: Value,
    max_steps: Option<usize>,
    resources: Option<Resources>,
) -> Result<RunOutcome, GraphError> {
    let config = RunConfig {
        callback: None,
        max_steps,
        resources: resources.as_ref(),
    };
    run(graph, input, config).await.map(RunOutcome::Finished)
}

/// What [`RunOptions::stream`] yields: the run's events in order, then its result.
#[derive(Debug)]
#[non_exhaustive]
pub enum StreamItem {
    /// An event of the run's callback (the last one is the `end` event).
    Event(GraphEvent),
    /// The run's result, after its last event.
    Finished(Result<RunOutput, GraphError>),
}

impl StreamItem {
    /// The event's token, for an event that has one.
    pub fn token(&self) -> Option<&str> {
        match self {
            StreamItem::Event(event) => event.token.as_deref(),
            StreamItem::Finished(_) => None,
        }
    }
}

/// The stream of [`RunOptions::stream`].
#[must_use = "a stream does nothing unless polled"]
pub struct RunStream<'a> {
    run: Option<BoxFuture<'a, Result<RunOutput, GraphError>>>,
    events: Option<EventStream>,
    result: Option<Result<RunOutput, GraphError>>,
}

impl std::fmt::Debug for RunStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunStream")
            .field("running", &self.run.is_some())
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

impl Stream for RunStream<'_> {
    type Item = StreamItem;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<StreamItem>> {
        let this = &mut *self;
        if let Some(run) = &mut this.run
            && let Poll::Ready(result) = run.as_mut().poll(cx)
        {
            this.run = None;
            this.result = Some(result);
        }
        if let Some(events) = &mut this.events {
            match Pin::new(events).poll_next(cx) {
                Poll::Ready(Some(event)) => return Poll::Ready(Some(StreamItem::Event(event))),
                Poll::Ready(None) => this.events = None,
                Poll::Pending => return Poll::Pending,
            }
        }
        // The callback closes only when the run ends, so by now it has.
        match this.result.take() {
            Some(result) => Poll::Ready(Some(StreamItem::Finished(result))),
            None if this.run.is_some() => Poll::Pending,
            None => Poll::Ready(None),
        }
    }
}
