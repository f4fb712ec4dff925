//! Calling a node: the streaming markers, the caught panic, the node's
//! policy (retries, backoff, timeout) and its tracing span. This is the
//! scheduler's one effect besides branch conditions.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use futures::FutureExt;
use serde_json::{Map, Value};
use tracing::Instrument;

use super::RunConfig;
use crate::callback::{Callback, GraphEvent};
use crate::error::GraphError;
use crate::interrupt::Interrupt;
use crate::node::{Context, NodeDef, NodeSlot, SlotResult, no_future};
use crate::resource::{ResourceScope, Resources};
use crate::run_state::RunState;
use crate::tables::Inner;

/// What every node call of one run shares: the graph, the run's callback and
/// limits. Node futures borrow it while the scheduler changes the position.
pub(crate) struct RunEnv<'g> {
    pub(crate) graph: &'g Inner,
    /// The callback given to the run, if any.
    pub(crate) callback: Option<&'g Callback>,
    /// What streaming nodes send to without a callback: made on first use,
    /// one per run, so a node that closes it affects no other run.
    pub(crate) discard: OnceLock<Callback>,
    pub(crate) max_steps: usize,
    /// The run's own resources, which win over the graph's.
    pub(crate) resources: Option<&'g Resources>,
    /// The run's `graphai.run` span: the parent of its node spans and events.
    pub(crate) span: tracing::Span,
    /// The run's id, as in its span.
    pub(crate) run_id: u64,
    /// Whether a subscriber takes node spans (asked once per run).
    pub(crate) node_spans: bool,
}

impl<'g> RunEnv<'g> {
    /// The environment of a new run: its id and `graphai.run` span too.
    pub(crate) fn new(graph: &'g Inner, config: &RunConfig<'g>) -> Self {
        let run_id = super::next_run_id();
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
        Self {
            graph,
            callback: config.callback,
            discard: OnceLock::new(),
            max_steps: config.max_steps.unwrap_or(graph.max_steps),
            resources: config.resources,
            span,
            run_id,
            node_spans: tracing::enabled!(tracing::Level::DEBUG),
        }
    }

    pub(crate) fn def(&self, node: usize) -> &'g NodeDef {
        &self.graph.nodes[node]
    }

    pub(crate) fn name(&self, node: usize) -> &'g str {
        self.graph.nodes[node].name()
    }

    /// Whether node `node` can take the quick path: a plain node (one
    /// attempt, no timeout, no streaming markers, no interrupt) and no
    /// subscriber for its span.
    pub(crate) fn is_quick(&self, node: usize) -> bool {
        self.graph.plain[node] && !self.node_spans
    }

    /// A node on the quick path: the node's own future, put in `slot` (a
    /// run's sequential steps reuse one allocation), polled with its panic
    /// caught, and nothing else, so the future a step awaits stays small (a
    /// bigger one is copied about as it is set up).
    pub(crate) async fn call_quick<'e>(
        &'e self,
        node: usize,
        state: Arc<RunState>,
        upstream: Option<Arc<Value>>,
        slot: &mut NodeSlot<'e>,
    ) -> SlotResult {
        self.put_quick(node, state, upstream, slot)?;
        self.finish_quick(node, slot).await
    }

    /// The future of node `node` (on the quick path) in `slot`, polled by
    /// [`poll_quick`](Self::poll_quick) until it is done.
    pub(crate) fn finish_quick<'s>(
        &'s self,
        node: usize,
        slot: &'s mut NodeSlot<'_>,
    ) -> impl Future<Output = SlotResult> + 's {
        std::future::poll_fn(move |cx| self.poll_quick(node, slot, cx))
    }

    /// Puts the future of node `node` (on the quick path) in `slot`.
    pub(crate) fn put_quick<'e>(
        &'e self,
        node: usize,
        state: Arc<RunState>,
        upstream: Option<Arc<Value>>,
        slot: &mut NodeSlot<'e>,
    ) -> Result<(), GraphError> {
        let def = self.def(node);
        // Making the future runs the node's code that binds its parameters
        // (a `Deserialize` impl may panic): its panic is caught too.
        let put = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let ctx = Context {
                node: def.name(),
                state,
                upstream,
                callback: None,
                shared: &self.graph.state,
                resources: ResourceScope::new(&self.graph.resources.shared, self.resources),
                interrupt: None,
            };
            def.invoke_into(ctx, slot);
        }));
        if let Err(payload) = put {
            return Err(self.panicked(node, payload.as_ref()));
        }
        if slot.is_empty() {
            return Err(no_future(def.name()));
        }
        Ok(())
    }

    /// Polls the future of node `node` (on the quick path) in `slot`, its
    /// panic caught: a panic is the node's error. Every quick step polls
    /// through here, in place or beside others, and a result is handed on
    /// as the node's future gave it (not caught, unwrapped and wrapped again).
    pub(crate) fn poll_quick(
        &self,
        node: usize,
        slot: &mut NodeSlot<'_>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<SlotResult> {
        match std::panic::catch_unwind(AssertUnwindSafe(|| std::pin::Pin::new(&mut *slot).poll(cx)))
        {
            Ok(polled) => polled,
            Err(payload) => std::task::Poll::Ready(Err(self.panicked(node, payload.as_ref()))),
        }
    }

    /// The error of node `node`, which panicked with `payload`.
    #[cold]
    #[inline(never)]
    fn panicked(&self, node: usize, payload: &(dyn std::any::Any + Send)) -> GraphError {
        GraphError::Panic {
            node: self.name(node).to_owned(),
            message: panic_message(payload),
        }
    }

    /// Runs node `node` on `state` under its policy: one or more attempts.
    pub(crate) async fn invoke(
        &self,
        node: usize,
        step: usize,
        state: &Arc<RunState>,
        upstream: Option<&Arc<Value>>,
        interrupt: Option<&Interrupt>,
    ) -> Result<Map<String, Value>, GraphError> {
        let def = self.def(node);
        let policy = self.graph.policies[node];
        let mut attempt = 1;
        loop {
            let span = tracing::debug_span!(
                parent: &self.span,
                crate::tracing_fields::NODE_SPAN,
                node = def.name(),
                step,
                attempt,
                outcome = tracing::field::Empty,
                duration_us = tracing::field::Empty,
                error = tracing::field::Empty,
                otel.status_code = tracing::field::Empty,
            );
            let started = (!span.is_disabled()).then(Instant::now);
            let call = self.attempt(def, state, upstream, interrupt, &span);
            let result = match policy.timeout_duration() {
                None => call.await,
                Some(limit) => match tokio::time::timeout(limit, call).await {
                    Ok(result) => result,
                    Err(_elapsed) => Err(GraphError::Timeout {
                        node: def.name().to_owned(),
                        after: limit,
                        attempt,
                    }),
                },
            };
            if let Some(started) = started {
                record(&span, started, &result);
            }
            match result {
                Ok(output) => return Ok(output),
                Err(error) if error.is_retryable() && attempt < policy.attempts() => {
                    let delay = policy.backoff_policy().delay(attempt);
                    tracing::warn!(
                        parent: &span,
                        node = def.name(),
                        attempt,
                        delay_ms = delay.as_millis() as u64,
                        error = %error,
                        "node attempt failed; retrying"
                    );
                    self.announce_retry(def, attempt, &error).await;
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    attempt += 1;
                }
                Err(error) if attempt > 1 => {
                    return Err(GraphError::GaveUp {
                        node: def.name().to_owned(),
                        attempts: attempt,
                        last: Box::new(error),
                    });
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// One attempt: markers around a streaming node, the node's future with
    /// its panic caught, running in the attempt's `span`.
    async fn attempt(
        &self,
        def: &'g NodeDef,
        state: &Arc<RunState>,
        upstream: Option<&Arc<Value>>,
        interrupt: Option<&Interrupt>,
        span: &tracing::Span,
    ) -> Result<Map<String, Value>, GraphError> {
        let name = def.name();
        let callback = def.is_stream().then(|| self.stream_callback(name));
        let marker_error = |source| GraphError::Callback {
            node: name.to_owned(),
            source,
        };
        if let Some(callback) = &callback {
            callback.start_node(name).await.map_err(marker_error)?;
        }
        let ctx = Context {
            node: name,
            state: Arc::clone(state),
            upstream: upstream.cloned(),
            callback: callback.clone(),
            shared: &self.graph.state,
            resources: ResourceScope::new(&self.graph.resources.shared, self.resources),
            interrupt,
        };
        let panicked = |payload: Box<dyn std::any::Any + Send>| GraphError::Panic {
            node: name.to_owned(),
            message: panic_message(payload.as_ref()),
        };
        // Making the future binds the node's parameters; its panic is caught
        // as the future's is. Only the node's own (boxed, so small) future is
        // instrumented: an `Instrumented` around this whole attempt would be
        // moved once more per call, a cost that remains with no subscriber.
        let future =
            std::panic::catch_unwind(AssertUnwindSafe(|| (def.invoke)(ctx))).map_err(panicked)?;
        let output = AssertUnwindSafe(future)
            .catch_unwind()
            .instrument(span.clone())
            .await
            .map_err(panicked)??;
        if let Some(callback) = &callback {
            callback.end_node(name).await.map_err(marker_error)?;
        }
        Ok(output)
    }

    fn stream_callback(&self, node: &str) -> Callback {
        match self.callback {
            Some(callback) => callback.for_node(node),
            None => self.discard.get_or_init(Callback::discard).for_node(node),
        }
    }

    /// Tells the run's consumer that an attempt failed and another follows.
    async fn announce_retry(&self, def: &NodeDef, attempt: u32, error: &GraphError) {
        let Some(callback) = self.callback else {
            return;
        };
        let event = GraphEvent::new("retry")
            .with_node(def.name())
            .with_token(def.name())
            .with_param("attempt", attempt)
            .with_param("error", error.to_string());
        // A consumer that left does not stop the retry; the next send reports it.
        let _ = callback.emit(event).await;
    }
}

fn record(span: &tracing::Span, started: Instant, result: &Result<Map<String, Value>, GraphError>) {
    span.record("duration_us", started.elapsed().as_micros() as u64);
    match result {
        Ok(_) => span.record("outcome", "ok"),
        Err(error) => {
            span.record("error", tracing::field::display(error));
            span.record("otel.status_code", "ERROR");
            span.record(
                "outcome",
                if matches!(error, GraphError::Timeout { .. }) {
                    "timeout"
                } else {
                    "error"
                },
            )
        }
    };
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".to_owned())
}
