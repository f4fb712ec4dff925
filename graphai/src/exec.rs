//! Running a [`CompiledGraph`]: the step loop, fan-out and joins, branch
//! pipelines, and the public `execute*` methods.

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;

use futures::FutureExt;
use futures::future::{BoxFuture, try_join_all};
use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::{Map, Value};
use tracing::Instrument;

use crate::callback::Callback;
use crate::compile::{CompiledGraph, Inner};
use crate::error::{GraphError, json_kind};
use crate::node::{Context, NodeDef};
use crate::run_state::RunState;
use crate::state::State;

/// A failure inside a branch pipeline: recorded, never raised.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BranchError {
    /// The node the branch edge leaves.
    pub source: String,
    /// The first node of the branch pipeline.
    pub destination: String,
    /// What went wrong (shared, so the record can be cloned).
    pub error: std::sync::Arc<GraphError>,
}

impl std::fmt::Display for BranchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "branch `{}` ~> `{}` failed: {}",
            self.source, self.destination, self.error
        )
    }
}

/// Everything a run produced: the final run state and the errors of its
/// branch pipelines.
#[derive(Debug)]
#[non_exhaustive]
pub struct RunOutput {
    /// The final run state (what [`execute`](CompiledGraph::execute) returns).
    pub state: Map<String, Value>,
    /// Errors inside branch pipelines, in the order they happened.
    pub branch_errors: Vec<BranchError>,
}

type RunResult = Result<Map<String, Value>, GraphError>;

static RUN_IDS: AtomicU64 = AtomicU64::new(1);

/// Where a path of the run is: what it has merged so far, and the output of
/// the node that ran last (`upstream`), built only when some node reads it.
#[derive(Default)]
struct Path {
    state: RunState,
    upstream: Option<Value>,
}

/// A branch pipeline waiting to be started.
struct Pipeline {
    source: usize,
    destination: usize,
    state: RunState,
    upstream: Option<Value>,
}

/// One run of a graph.
struct Run<'g> {
    graph: &'g Inner,
    callback: Option<&'g Callback>,
    detached: Mutex<Vec<Pipeline>>,
    branch_errors: Mutex<Vec<BranchError>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<'g> Run<'g> {
    fn def(&self, node: usize) -> &'g NodeDef {
        &self.graph.nodes[node]
    }

    /// Runs one node on `state`, with the streaming markers around it.
    async fn invoke(
        &self,
        node: usize,
        step: usize,
        state: &RunState,
        upstream: Option<&Value>,
    ) -> Result<Map<String, Value>, GraphError> {
        let def = self.def(node);
        let name = def.name();
        let span = tracing::debug_span!(
            "graphai.node",
            node = name,
            step,
            outcome = tracing::field::Empty,
            micros = tracing::field::Empty,
        );
        let started = (!span.is_disabled()).then(std::time::Instant::now);
        let result = self
            .invoke_in(def, state, upstream)
            .instrument(span.clone())
            .await;
        if let Some(started) = started {
            span.record("micros", started.elapsed().as_micros() as u64);
            span.record("outcome", if result.is_ok() { "ok" } else { "error" });
            let _entered = span.enter();
            tracing::debug!(ok = result.is_ok(), "node finished");
        }
        result
    }

    async fn invoke_in(
        &self,
        def: &'g NodeDef,
        state: &RunState,
        upstream: Option<&Value>,
    ) -> Result<Map<String, Value>, GraphError> {
        let name = def.name();
        let callback = match (def.is_stream(), self.callback) {
            (true, Some(callback)) => Some(callback.for_node(name)),
            (true, None) => Some(self.graph.discard.for_node(name)),
            (false, _) => None,
        };
        let marker_error = |source| GraphError::Callback {
            node: name.to_owned(),
            source,
        };
        if let Some(callback) = &callback {
            callback.start_node(name).await.map_err(marker_error)?;
        }
        let ctx = Context {
            node: name,
            state,
            upstream,
            callback: callback.clone(),
            shared: &self.graph.state,
            // Per-run resources (`graph.run(input).resource(..)`) go where `None` is.
            resources: crate::resource::ResourceScope::new(&self.graph.resources.shared, None),
        };
        let output = AssertUnwindSafe((def.invoke)(ctx))
            .catch_unwind()
            .await
            .map_err(|payload| GraphError::Panic {
                node: name.to_owned(),
                message: panic_message(payload.as_ref()),
            })??;
        if let Some(callback) = &callback {
            callback.end_node(name).await.map_err(marker_error)?;
        }
        Ok(output)
    }

    /// Removes `choice`/`choices` from a router's output and resolves them.
    fn route(
        &self,
        router: usize,
        output: &mut Map<String, Value>,
    ) -> Result<Vec<usize>, GraphError> {
        let choice = output.shift_remove("choice");
        let choices = output.shift_remove("choices");
        let name = self.def(router).name();
        let invalid = |key, expected, found: &Value| GraphError::InvalidChoice {
            router: name.to_owned(),
            key,
            expected,
            found: found.to_string(),
        };
        match (choices, choice) {
            (Some(Value::Array(list)), _) => list
                .iter()
                .map(|item| match item {
                    Value::String(s) => self.resolve(router, s),
                    other => Err(invalid("choices", "a list of node names", other)),
                })
                .collect(),
            (Some(other), _) => Err(invalid("choices", "a list of node names", &other)),
            (None, Some(Value::String(s))) => Ok(vec![self.resolve(router, &s)?]),
            (None, Some(other)) => Err(invalid("choice", "a node name", &other)),
            (None, None) => Err(GraphError::MissingChoice {
                router: name.to_owned(),
            }),
        }
    }

    /// A router's choice, checked against its declared destinations (or, for a
    /// router with none, against every node of the graph).
    fn resolve(&self, router: usize, choice: &str) -> Result<usize, GraphError> {
        let declared = &self.graph.next[router];
        let found = if declared.is_empty() {
            self.graph.by_name.get(choice).copied()
        } else {
            declared
                .iter()
                .copied()
                .find(|&i| self.def(i).name() == choice)
        };
        found.ok_or_else(|| {
            let mut allowed: Vec<String> = if declared.is_empty() {
                self.graph
                    .nodes
                    .iter()
                    .map(|n| n.name().to_owned())
                    .collect()
            } else {
                declared
                    .iter()
                    .map(|&i| self.def(i).name().to_owned())
                    .collect()
            };
            allowed.dedup();
            GraphError::UnknownChoice {
                router: self.def(router).name().to_owned(),
                choice: choice.to_owned(),
                allowed,
            }
        })
    }

    /// Runs one node and merges its output into `path`. Returns the node's
    /// successors (for a router: its choice), or `None` at an end node.
    ///
    /// This is the one place a step happens: a checkpoint hook wraps it.
    async fn step(
        &self,
        node: usize,
        steps: usize,
        path: &mut Path,
        pipeline: bool,
    ) -> Result<Option<Cow<'g, [usize]>>, GraphError> {
        let def = self.def(node);
        let mut output = self
            .invoke(node, steps, &path.state, path.upstream.as_ref())
            .await?;
        // In a branch pipeline, a router that chose nothing follows its edges.
        let routes = def.is_router()
            && !(pipeline && !output.contains_key("choice") && !output.contains_key("choices"));
        let chosen = routes.then(|| self.route(node, &mut output));
        let stop = (pipeline && output.get("success") == Some(&Value::Bool(false)))
            || self.graph.is_end[node];
        if self.graph.upstream_readers {
            // A copy of this output for the next node, which reads it as `upstream`.
            let mut upstream = Map::with_capacity(2);
            upstream.insert("node".into(), Value::String(def.name().to_owned()));
            upstream.insert("output".into(), Value::Object(output.clone()));
            path.upstream = Some(Value::Object(upstream));
        }
        let branches = &self.graph.branches[node];
        if branches.is_empty() {
            path.state.merge(output);
        } else {
            path.state.merge(output.clone());
            self.start_branches(node, &output, path).await;
        }
        if stop {
            return Ok(None);
        }
        Ok(Some(match chosen {
            Some(chosen) => Cow::Owned(chosen?),
            None => Cow::Borrowed(self.graph.next[node].as_slice()),
        }))
    }

    /// The main path from `node`: GraphAI's `_execute_branch`. A parallel
    /// branch (`stop_at_join`) returns at a join source.
    fn run_path<'s>(
        &'s self,
        mut node: usize,
        mut path: Path,
        mut steps: usize,
        stop_at_join: bool,
    ) -> BoxFuture<'s, Result<Path, GraphError>> {
        Box::pin(async move {
            loop {
                let Some(next) = self.step(node, steps, &mut path, false).await? else {
                    return Ok(path);
                };
                if stop_at_join && self.graph.join_source[node] {
                    return Ok(path);
                }
                match *next {
                    [] => {
                        return Err(GraphError::NoOutgoingEdge {
                            node: self.def(node).name().to_owned(),
                        });
                    }
                    [one] => node = one,
                    ref many => {
                        let join = many.iter().find_map(|&n| self.graph.join_of[n]);
                        let branches =
                            self.fork(&mut path, many, |n, p| self.run_path(n, p, steps + 1, true));
                        path = self.merge(path, many, try_join_all(branches).await?);
                        match join {
                            Some(join) => {
                                steps += 1;
                                node = self.graph.join_destination[join];
                            }
                            None => return Ok(path),
                        }
                    }
                }
                steps += 1;
                if steps >= self.graph.max_steps {
                    return Err(GraphError::MaxSteps {
                        limit: self.graph.max_steps,
                        branch: None,
                    });
                }
            }
        })
    }

    /// A branch pipeline from `node`: GraphAI's `_execute_pipeline`.
    fn run_pipeline<'s>(
        &'s self,
        mut node: usize,
        mut path: Path,
        mut steps: usize,
        first: usize,
    ) -> BoxFuture<'s, Result<Path, GraphError>> {
        Box::pin(async move {
            loop {
                let Some(next) = self.step(node, steps, &mut path, true).await? else {
                    return Ok(path);
                };
                if next.is_empty() {
                    return Ok(path);
                }
                steps += 1;
                if steps >= self.graph.max_steps {
                    return Err(GraphError::MaxSteps {
                        limit: self.graph.max_steps,
                        branch: Some(self.def(first).name().to_owned()),
                    });
                }
                if let [one] = *next {
                    node = one;
                    continue;
                }
                let branches = self.fork(&mut path, &next, |n, p| {
                    self.run_pipeline(n, p, steps, first)
                });
                return Ok(self.merge(path, &next, try_join_all(branches).await?));
            }
        })
    }

    fn fork<'s, F>(
        &'s self,
        path: &mut Path,
        nodes: &[usize],
        run: F,
    ) -> Vec<BoxFuture<'s, Result<Path, GraphError>>>
    where
        F: Fn(usize, Path) -> BoxFuture<'s, Result<Path, GraphError>>,
    {
        let states = path.state.fork(nodes.len());
        nodes
            .iter()
            .zip(states)
            .map(|(&n, state)| {
                run(
                    n,
                    Path {
                        state,
                        upstream: path.upstream.clone(),
                    },
                )
            })
            .collect()
    }

    /// Merges parallel branches into `path`, in the order of `nodes` (the
    /// order the edges were declared), warning when two write different values
    /// to one key.
    fn merge(&self, mut path: Path, nodes: &[usize], branches: Vec<Path>) -> Path {
        let base = path.state.layers();
        let mut written: HashMap<String, usize> = HashMap::new();
        for (i, branch) in branches.into_iter().enumerate() {
            if branch.upstream.is_some() {
                path.upstream = branch.upstream;
            }
            for writes in branch.state.into_writes(base) {
                for (key, value) in &writes {
                    match written.get(key) {
                        Some(&j) if j != i && path.state.get(key) != Some(value) => {
                            tracing::warn!(
                                key = key.as_str(),
                                first = self.def(nodes[j]).name(),
                                second = self.def(nodes[i]).name(),
                                "parallel branches wrote different values to `{key}`; the branch declared later (`{}`) wins",
                                self.def(nodes[i]).name(),
                            );
                        }
                        _ => {}
                    }
                    written.insert(key.clone(), i);
                }
                path.state.merge(writes);
            }
        }
        path
    }

    /// Starts the branch edges leaving `node`: waiting ones run now, detached
    /// ones are queued for the run's driver.
    async fn start_branches(&self, node: usize, output: &Map<String, Value>, path: &mut Path) {
        for edge in &self.graph.branches[node] {
            if let Some(condition) = &edge.condition {
                let verdict =
                    AssertUnwindSafe(async { condition(output, &self.graph.state).await })
                        .catch_unwind()
                        .await;
                match verdict {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(payload) => {
                        self.record(
                            node,
                            edge.destination,
                            GraphError::Panic {
                                node: format!("{} (branch condition)", self.def(node).name()),
                                message: panic_message(payload.as_ref()),
                            },
                        );
                        continue;
                    }
                }
            }
            let state = path.state.fork(1).pop().unwrap_or_default();
            let pipeline = Pipeline {
                source: node,
                destination: edge.destination,
                state,
                upstream: path.upstream.clone(),
            };
            if edge.wait {
                self.guard(pipeline).await;
            } else {
                lock(&self.detached).push(pipeline);
            }
        }
    }

    /// Runs a branch pipeline, recording its error instead of raising it.
    async fn guard(&self, pipeline: Pipeline) {
        let Pipeline {
            source,
            destination,
            state,
            upstream,
        } = pipeline;
        let path = Path { state, upstream };
        if let Err(error) = self.run_pipeline(destination, path, 0, destination).await {
            self.record(source, destination, error);
        }
    }

    fn record(&self, source: usize, destination: usize, error: GraphError) {
        tracing::warn!(
            source = self.def(source).name(),
            destination = self.def(destination).name(),
            %error,
            "branch pipeline failed"
        );
        lock(&self.branch_errors).push(BranchError {
            source: self.def(source).name().to_owned(),
            destination: self.def(destination).name().to_owned(),
            error: std::sync::Arc::new(error),
        });
    }

    /// Polls the main path and every detached branch pipeline it starts;
    /// finishes when the main path and all detached pipelines are done. A
    /// failed main path cancels the detached pipelines.
    async fn drive(
        &self,
        main: impl Future<Output = Result<Path, GraphError>>,
    ) -> Result<Path, GraphError> {
        let mut main = pin!(main);
        let mut done: Option<Path> = None;
        let mut detached = FuturesUnordered::new();
        std::future::poll_fn(|cx| {
            if done.is_none() {
                match main.as_mut().poll(cx) {
                    Poll::Ready(Ok(path)) => done = Some(path),
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                    Poll::Pending => {}
                }
            }
            loop {
                detached.extend(lock(&self.detached).drain(..).map(|p| self.guard(p)));
                match detached.poll_next_unpin(cx) {
                    Poll::Ready(Some(())) => continue,
                    Poll::Ready(None) | Poll::Pending => {}
                }
                // Polling may have queued more pipelines.
                if lock(&self.detached).is_empty() {
                    break;
                }
            }
            match (&done, detached.is_empty()) {
                (Some(_), true) => Poll::Ready(Ok(done.take().unwrap_or_default())),
                _ => Poll::Pending,
            }
        })
        .await
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".to_owned())
}

impl CompiledGraph {
    /// Runs the graph on `input` (a JSON object) and returns the final run state.
    ///
    /// Streaming nodes run too; their tokens go nowhere. Dropping the returned
    /// future cancels the run.
    ///
    /// # Errors
    /// A [`GraphError`] naming the node that failed: missing or mistyped
    /// parameters, a node's own error, a panic, a bad router choice, or
    /// [`GraphError::MaxSteps`].
    pub async fn execute(&self, input: impl Into<Value>) -> Result<Map<String, Value>, GraphError> {
        self.run(input.into(), None).await.map(|out| out.state)
    }

    /// [`execute`](CompiledGraph::execute), also returning the errors of the
    /// run's branch pipelines.
    ///
    /// # Errors
    /// As `execute`.
    pub async fn execute_detailed(&self, input: impl Into<Value>) -> Result<RunOutput, GraphError> {
        self.run(input.into(), None).await
    }

    /// Runs the graph, streaming through `callback`: start and end markers
    /// around each streaming node, and `close()` when the run ends, also when it
    /// fails (after an error event), so a consumer never waits forever.
    ///
    /// # Errors
    /// As `execute`.
    pub async fn execute_with(
        &self,
        input: impl Into<Value>,
        callback: &Callback,
    ) -> Result<Map<String, Value>, GraphError> {
        let result = self.run(input.into(), Some(callback)).await;
        if let Err(error) = &result {
            callback.send_error(error, error.node());
        }
        callback.close().await;
        result.map(|out| out.state)
    }

    /// Runs the graph once per input, at most `concurrency` at once, and
    /// returns one result per input, in input order.
    ///
    /// Inside a Tokio runtime each run is a task of its own, so a
    /// multi-thread runtime runs them on all its workers; elsewhere they run
    /// concurrently on the calling task. One failure loses no other result.
    pub async fn execute_many<I>(&self, inputs: I, concurrency: usize) -> Vec<RunResult>
    where
        I: IntoIterator,
        I::Item: Into<Value>,
    {
        let concurrency = concurrency.max(1);
        let inputs = inputs.into_iter().map(Into::into).enumerate();
        let mut results: Vec<(usize, RunResult)> = if tokio::runtime::Handle::try_current().is_ok()
        {
            futures::stream::iter(inputs)
                .map(|(index, input)| {
                    let graph = self.clone();
                    tokio::spawn(async move { graph.execute(input).await }).map(move |joined| {
                        let result = joined.unwrap_or_else(|err| {
                            Err(match err.try_into_panic() {
                                Ok(payload) => GraphError::Aborted {
                                    index,
                                    message: panic_message(payload.as_ref()),
                                },
                                Err(err) => GraphError::Aborted {
                                    index,
                                    message: err.to_string(),
                                },
                            })
                        });
                        (index, result)
                    })
                })
                .buffer_unordered(concurrency)
                .collect()
                .await
        } else {
            futures::stream::iter(inputs)
                .map(|(index, input)| self.execute(input).map(move |r| (index, r)))
                .buffer_unordered(concurrency)
                .collect()
                .await
        };
        results.sort_by_key(|(index, _)| *index);
        results.into_iter().map(|(_, result)| result).collect()
    }

    async fn run(
        &self,
        input: Value,
        callback: Option<&Callback>,
    ) -> Result<RunOutput, GraphError> {
        let input = match input {
            Value::Object(map) => map,
            other => {
                return Err(GraphError::InvalidInput {
                    found: json_kind(&other),
                });
            }
        };
        let graph = &*self.inner;
        // A per-run resource that a node needs must come with the run, before any node runs.
        let nodes = graph.nodes.iter().map(|n| (n.name(), n.resources()));
        graph.resources.check_run(nodes, None)?;
        let run = Run {
            graph,
            callback,
            detached: Mutex::new(Vec::new()),
            branch_errors: Mutex::new(Vec::new()),
        };
        let path = Path {
            state: RunState::new(input),
            upstream: None,
        };
        let span =
            tracing::info_span!("graphai.run", run = RUN_IDS.fetch_add(1, Ordering::Relaxed));
        let result = run
            .drive(run.run_path(graph.start, path, 0, false))
            .instrument(span)
            .await;
        let branch_errors = std::mem::take(&mut *lock(&run.branch_errors));
        lock(&graph.last_branch_errors).clone_from(&branch_errors);
        Ok(RunOutput {
            state: result?.state.into_map(),
            branch_errors,
        })
    }

    /// The branch-pipeline errors of the run that finished last.
    ///
    /// With concurrent runs, "last" is whichever finished last; use
    /// [`execute_detailed`](CompiledGraph::execute_detailed) to get a run's own.
    pub fn branch_errors(&self) -> Vec<BranchError> {
        lock(&self.inner.last_branch_errors).clone()
    }

    /// The shared state handle (the one nodes get as `state: State`).
    pub fn state(&self) -> &State {
        &self.inner.state
    }

    /// A copy of the shared state.
    pub fn get_state(&self) -> Map<String, Value> {
        self.inner.state.snapshot()
    }

    /// Replaces the shared state.
    pub fn set_state(&self, state: Map<String, Value>) -> &Self {
        self.inner.state.set(state);
        self
    }

    /// Merges `values` into the shared state.
    pub fn update_state(&self, values: Map<String, Value>) -> &Self {
        self.inner.state.update(values);
        self
    }

    /// Empties the shared state.
    pub fn reset_state(&self) -> &Self {
        self.inner.state.reset();
        self
    }

    /// The names of the graph's nodes, in the order they were added.
    pub fn node_names(&self) -> impl Iterator<Item = &str> {
        self.inner.nodes.iter().map(NodeDef::name)
    }
}

impl std::fmt::Debug for CompiledGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledGraph")
            .field("nodes", &self.node_names().collect::<Vec<_>>())
            .field("max_steps", &self.inner.max_steps)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::tests_support::{obj, test_node};
    use crate::{Graph, GraphError};

    test_node!(
        first {
            start: true,
            end: false,
            router: false
        } | ctx
            | {
                let n = ctx.get("n").and_then(|v| v.as_i64()).unwrap_or(0);
                Ok(obj(json!({ "n": n + 1, "first": true })))
            }
    );
    test_node!(
        second {
            start: false,
            end: false,
            router: false
        } | ctx
            | {
                let n = ctx.get("n").and_then(|v| v.as_i64()).unwrap_or(0);
                Ok(obj(json!({ "n": n * 10 })))
            }
    );
    test_node!(
        last {
            start: false,
            end: true,
            router: false
        } | _ctx
            | Ok(obj(json!({ "done": true })))
    );
    test_node!(
        pick {
            start: false,
            end: false,
            router: true
        } | ctx
            | {
                let n = ctx.get("n").and_then(|v| v.as_i64()).unwrap_or(0);
                Ok(obj(
                    json!({ "choice": if n > 5 { "last" } else { "second" } }),
                ))
            }
    );
    test_node!(
        boom {
            start: false,
            end: false,
            router: false
        } | _ctx
            | panic!("kaboom")
    );

    #[tokio::test]
    async fn a_chain_runs_in_order_and_merges_outputs() {
        let graph = Graph::new()
            .add_node(first)
            .add_node(second)
            .add_node(last)
            .add_edge(first, second)
            .add_edge(second, last)
            .compile()
            .expect("compiles");
        let result = graph
            .execute(json!({ "n": 1, "kept": "yes" }))
            .await
            .expect("runs");
        assert_eq!(
            serde_json::Value::Object(result),
            json!({ "n": 20, "first": true, "kept": "yes", "done": true })
        );
    }

    #[tokio::test]
    async fn a_router_loops_until_it_picks_the_end() {
        let graph = Graph::new()
            .add_node(first)
            .add_node(pick)
            .add_node(second)
            .add_node(last)
            .add_edge(first, pick)
            .add_router([second], pick, [second, last])
            .compile()
            .expect("compiles");
        let result = graph.execute(json!({ "n": 0 })).await.expect("runs");
        assert_eq!(result["n"], json!(10));
        assert!(!result.contains_key("choice"));
    }

    #[tokio::test]
    async fn a_panicking_node_becomes_an_error_naming_it() {
        let graph = Graph::new()
            .add_node(first)
            .add_node(boom)
            .add_node(last)
            .add_edge(first, boom)
            .add_edge(boom, last)
            .compile()
            .expect("compiles");
        let err = graph.execute(json!({})).await.expect_err("panics");
        assert!(
            matches!(&err, GraphError::Panic { node, message } if node == "boom" && message == "kaboom"),
            "{err}"
        );
        // The graph stays usable.
        let again = graph.execute(json!({})).await.expect_err("panics again");
        assert_eq!(again.node(), Some("boom"));
    }
}
