//! [`CompiledGraph`]: a graph that passed every check, and the ways to run it.

use std::future::Future;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::callback::Callback;
use crate::error::GraphError;
use crate::exec::{self, BranchError, RunOptions, RunOutput};
use crate::node::NodeDef;
use crate::resource::Resources;
use crate::state::State;
use crate::sync::lock;
use crate::tables::Inner;

/// A graph that passed every check and can run. Cheap to clone: clones share
/// the graph and its [`State`].
///
/// Made by [`Graph::compile`](crate::Graph::compile) or `graph!`; run with
/// [`execute`](CompiledGraph::execute).
#[derive(Clone)]
pub struct CompiledGraph {
    pub(crate) inner: Arc<Inner>,
}

impl CompiledGraph {
    /// Runs the graph on `input` (a JSON object) and returns the final run
    /// state: `graph.run(input).execute()`.
    ///
    /// Streaming nodes run too; their tokens go nowhere. Dropping the returned
    /// future cancels the run.
    ///
    /// # Errors
    /// A [`GraphError`] naming the node that failed: missing or mistyped
    /// parameters, a node's own error, a panic, a bad router choice, or
    /// [`GraphError::MaxSteps`].
    pub fn execute(
        &self,
        input: impl Into<Value>,
    ) -> impl Future<Output = Result<Map<String, Value>, GraphError>> + '_ {
        self.run(input).execute()
    }

    /// A run with options: a callback, a step limit, and the choice of
    /// [`execute`](RunOptions::execute), [`detailed`](RunOptions::detailed)
    /// or [`stream`](RunOptions::stream).
    pub fn run(&self, input: impl Into<Value>) -> RunOptions<'_> {
        RunOptions::new(&self.inner, input.into())
    }

    /// [`execute`](CompiledGraph::execute), also returning the errors of the
    /// run's branch pipelines, its id and steps: `graph.run(input).detailed()`.
    ///
    /// # Errors
    /// As `execute`.
    pub fn execute_detailed(
        &self,
        input: impl Into<Value>,
    ) -> impl Future<Output = Result<RunOutput, GraphError>> + '_ {
        self.run(input).detailed()
    }

    /// Runs the graph, streaming through `callback`: start and end markers
    /// around each streaming node, and `close()` when the run ends, also when it
    /// fails (after an error event) or is cancelled (after a "run cancelled"
    /// error event), so a consumer never waits forever:
    /// `graph.run(input).callback(callback).execute()`.
    ///
    /// # Errors
    /// As `execute`.
    pub fn execute_with<'a>(
        &'a self,
        input: impl Into<Value>,
        callback: &'a Callback,
    ) -> impl Future<Output = Result<Map<String, Value>, GraphError>> + 'a {
        self.run(input).callback(callback).execute()
    }

    /// Runs the graph once per input, at most `concurrency` at once, and
    /// returns one result per input, in input order.
    ///
    /// Inside a Tokio runtime the runs are made by `concurrency` tasks, each
    /// taking the next input when its run ends, so a multi-thread runtime
    /// runs them on all its workers, and dropping the returned future aborts
    /// the runs still going; the inputs are collected first (the iterator
    /// need not be `Send`). Elsewhere they run concurrently on the calling
    /// task. One failure loses no other result.
    pub async fn execute_many<I>(
        &self,
        inputs: I,
        concurrency: usize,
    ) -> Vec<Result<Map<String, Value>, GraphError>>
    where
        I: IntoIterator,
        I::Item: Into<Value>,
    {
        exec::execute_many(&self.inner, inputs.into_iter().map(Into::into), concurrency).await
    }

    /// Continues thread `thread`'s run where it stopped: after a crash or an
    /// error (the steps it checkpointed are not run again; the nodes that were
    /// running start again), or after an interrupt (give the answer with
    /// [`with_answer`](RunOptions::with_answer)). A finished thread returns
    /// its result without running anything. End it like any run:
    /// `.execute()`, `.detailed()`, `.outcome()` or `.stream()`.
    pub fn resume(&self, thread: impl Into<String>) -> RunOptions<'_> {
        RunOptions::resume(&self.inner, thread.into())
    }

    /// Continues thread `thread` from its earlier checkpoint `checkpoint`
    /// (time travel): the steps after it run again, and the thread goes on
    /// from there (its later checkpoints stay in its history). Ids come from
    /// [`CheckpointStore::history`](crate::checkpoint::CheckpointStore::history).
    pub fn resume_from(
        &self,
        thread: impl Into<String>,
        checkpoint: impl Into<String>,
    ) -> RunOptions<'_> {
        RunOptions::fork(&self.inner, thread.into(), checkpoint.into())
    }

    /// Merges `values` into thread `thread`'s state: the state its next run
    /// starts from or, while a run waits (interrupted, or stopped by a crash),
    /// the state of each path that runs next. Written as a checkpoint.
    ///
    /// # Errors
    /// No checkpoint store, a thread that does not exist, a changed graph, or
    /// the store's own errors.
    pub async fn update_thread(
        &self,
        thread: &str,
        values: Map<String, Value>,
    ) -> Result<(), GraphError> {
        crate::durable::update_thread(&self.inner, thread, values).await
    }

    /// The graph's checkpoint store, if it has one ([`Graph::checkpointer`](crate::Graph::checkpointer)).
    pub fn checkpointer(&self) -> Option<&std::sync::Arc<dyn crate::checkpoint::CheckpointStore>> {
        self.inner.durable.as_ref().map(|durable| &durable.store)
    }

    /// The branch-pipeline errors of the run that finished last.
    ///
    /// With concurrent runs, "last" is whichever finished last; use
    /// [`execute_detailed`](CompiledGraph::execute_detailed) to get a run's own.
    pub fn branch_errors(&self) -> Vec<BranchError> {
        lock(&self.inner.last_branch_errors).clone()
    }

    /// The graph-level resources (those given to [`Graph::resource`](crate::Graph::resource)),
    /// for example to build a [`ToolSet`](crate::ToolSet) that shares them.
    pub fn resources(&self) -> &Resources {
        &self.inner.resources.shared
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
