//! [`RunOptions`]: `graph.run(input)` with a callback, a step limit, and
//! three ways to end: the final state, everything the run produced, or a
//! stream of its events.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use futures::future::BoxFuture;
use serde_json::{Map, Value};

use super::{RunConfig, RunOutput, run, run_with_callback};
use crate::callback::{Callback, EventStream, GraphEvent};
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
}

impl<'a> RunOptions<'a> {
    pub(crate) fn new(graph: &'a Inner, input: Value) -> Self {
        Self {
            graph,
            input,
            callback: None,
            max_steps: None,
            resources: None,
        }
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
    pub async fn execute(self) -> Result<Map<String, Value>, GraphError> {
        self.detailed().await.map(|output| output.state)
    }

    /// Runs the graph and returns everything the run produced: the state, the
    /// errors of its branch pipelines, its id and the steps it took.
    ///
    /// # Errors
    /// As [`execute`](Self::execute).
    pub async fn detailed(self) -> Result<RunOutput, GraphError> {
        let graph = self.graph;
        let config = RunConfig {
            callback: None,
            max_steps: self.max_steps,
            resources: self.resources.as_ref(),
        };
        match self.callback {
            Some(callback) => run_with_callback(graph, self.input, callback, config).await,
            None => run(graph, self.input, config).await,
        }
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
        let graph = self.graph;
        let (input, max_steps, resources) = (self.input, self.max_steps, self.resources);
        let run = Box::pin(async move {
            let callback = callback;
            let config = RunConfig {
                callback: None,
                max_steps,
                resources: resources.as_ref(),
            };
            run_with_callback(graph, input, &callback, config).await
        });
        RunStream {
            run: Some(run),
            events: Some(events),
            result: None,
        }
    }
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
