//! [`Graph`]: the chainable builder, GraphAI style.

use std::borrow::Cow;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Map, Value};

use crate::checkpoint::CheckpointStore;
use crate::durable::{Durability, DurableSettings};
use crate::error::CompileProblem;
use crate::node::{IntoNode, NodeDef, NodeRef};
use crate::policy::Policy;
use crate::resource::ResourceRegistry;
use crate::state::State;

/// The default `max_steps` (GraphAI's).
pub const DEFAULT_MAX_STEPS: usize = 10;

/// Builds a graph: add nodes, wire them, then [`compile`](Graph::compile).
///
/// Every method takes and returns the builder by value, so calls chain.
/// Mistakes (a duplicate node, an edge to an unknown name, a router edge from a
/// node that is not a router, ..) do not panic: they are collected and
/// `compile` reports all of them at once.
///
/// ```
/// use graphai::{Graph, node, json, Value};
///
/// #[node(start)]
/// async fn greet(name: String) -> Value {
///     json!({ "greeting": format!("hello {name}") })
/// }
///
/// #[node(end)]
/// async fn shout(greeting: String) -> Value {
///     json!({ "greeting": greeting.to_uppercase() })
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let graph = Graph::new()
///     .add_node(greet)
///     .add_node(shout)
///     .add_edge(greet, shout)
///     .compile()?;
/// let result = graph.execute(json!({ "name": "ada" })).await?;
/// assert_eq!(result["greeting"], "HELLO ADA");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[must_use = "a graph does nothing until it is compiled and executed"]
pub struct Graph {
    pub(crate) nodes: Vec<NodeDef>,
    pub(crate) edges: Vec<(Cow<'static, str>, Cow<'static, str>)>,
    pub(crate) joins: Vec<(Vec<Cow<'static, str>>, Cow<'static, str>)>,
    pub(crate) branches: Vec<BranchSpec>,
    pub(crate) routers: Vec<Cow<'static, str>>,
    pub(crate) start: Option<Cow<'static, str>>,
    pub(crate) ends: Vec<Cow<'static, str>>,
    pub(crate) max_steps: usize,
    pub(crate) state: Map<String, Value>,
    pub(crate) policies: Vec<(Cow<'static, str>, Policy)>,
    pub(crate) resources: ResourceRegistry,
    pub(crate) durable: DurableSettings,
    pub(crate) problems: Vec<CompileProblem>,
}

impl Default for Graph {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Graph")
            .field(
                "nodes",
                &self.nodes.iter().map(NodeDef::name).collect::<Vec<_>>(),
            )
            .field("edges", &self.edges)
            .field("max_steps", &self.max_steps)
            .finish_non_exhaustive()
    }
}

impl Graph {
    /// An empty graph with `max_steps` 10.
    pub fn new() -> Self {
        Self {
            nodes: Vec::new(),
            edges: Vec::new(),
            joins: Vec::new(),
            branches: Vec::new(),
            routers: Vec::new(),
            start: None,
            ends: Vec::new(),
            max_steps: DEFAULT_MAX_STEPS,
            state: Map::new(),
            policies: Vec::new(),
            resources: ResourceRegistry::default(),
            durable: DurableSettings::default(),
            problems: Vec::new(),
        }
    }

    /// The most steps one run may take before it fails with
    /// [`GraphError::MaxSteps`](crate::GraphError::MaxSteps). Default 10.
    pub fn max_steps(mut self, max_steps: usize) -> Self {
        self.max_steps = max_steps;
        self
    }

    /// The initial shared [`State`]. Anything but a JSON object is an error at `compile`.
    pub fn initial_state(mut self, state: Value) -> Self {
        match state {
            Value::Object(map) => self.state = map,
            other => self.problems.push(CompileProblem::InvalidInitialState(
                crate::error::json_kind(&other),
            )),
        }
        self
    }

    /// Replaces the initial shared state (GraphAI's `set_state` before a run).
    pub fn set_state(mut self, state: Map<String, Value>) -> Self {
        self.state = state;
        self
    }

    /// Merges `values` into the initial shared state.
    pub fn update_state(mut self, values: Map<String, Value>) -> Self {
        self.state.extend(values);
        self
    }

    /// Empties the initial shared state.
    pub fn reset_state(mut self) -> Self {
        self.state.clear();
        self
    }

    /// The initial shared state as configured so far.
    pub fn get_state(&self) -> &Map<String, Value> {
        &self.state
    }

    /// Registers a resource: nodes with a [`Res<T>`](crate::Res) parameter
    /// receive it. One value per type; a second value of a type replaces the first.
    ///
    /// `T` must be `Send + Sync + 'static`: it is shared (as an `Arc`) by every
    /// run of the graph, also concurrent ones. It never enters the run state,
    /// the results or the schemas.
    pub fn resource<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.resources.shared.insert(value);
        self
    }

    /// Registers every value of `resources` (see [`resource`](Graph::resource)).
    pub fn resources(mut self, resources: &crate::Resources) -> Self {
        self.resources.shared.extend(resources);
        self
    }

    /// Declares that each run brings its own `T` (the user of a request, a
    /// tenant): `compile()` then accepts nodes that take `Res<T>` without a
    /// graph-level value, and a run that brings no `T` fails before any node
    /// runs, naming the node, the parameter and the type. A run's resource
    /// overrides a graph-level one of the same type.
    pub fn resource_per_run<T: Send + Sync + 'static>(mut self) -> Self {
        self.resources
            .per_run
            .insert(std::any::TypeId::of::<T>(), std::any::type_name::<T>());
        self
    }

    /// Adds a node: a `#[node]`/`#[router]` function, or a [`NodeDef`].
    ///
    /// Two nodes with one name are an error at `compile`.
    pub fn add_node(mut self, node: impl IntoNode) -> Self {
        self.nodes.push(node.into_node());
        self
    }

    /// Adds an edge: `destination` runs after `source`. Nodes or names.
    ///
    /// Several edges out of one node run their destinations in parallel.
    pub fn add_edge(mut self, source: impl NodeRef, destination: impl NodeRef) -> Self {
        self.edges
            .push((source.node_name(), destination.node_name()));
        self
    }

    /// Wires a router: an edge from each of `sources` to `router`, and from
    /// `router` to each of `destinations` (the names it may choose).
    pub fn add_router<S, D>(
        mut self,
        sources: impl IntoIterator<Item = S>,
        router: impl NodeRef,
        destinations: impl IntoIterator<Item = D>,
    ) -> Self
    where
        S: NodeRef,
        D: NodeRef,
    {
        let router = router.node_name();
        for source in sources {
            self.edges.push((source.node_name(), router.clone()));
        }
        for destination in destinations {
            self.edges.push((router.clone(), destination.node_name()));
        }
        self.routers.push(router);
        self
    }

    /// An edge from `source` to each of `destinations`: they run in parallel,
    /// each on its own copy of the run state.
    pub fn add_parallel<D: NodeRef>(
        mut self,
        source: impl NodeRef,
        destinations: impl IntoIterator<Item = D>,
    ) -> Self {
        let source = source.node_name();
        for destination in destinations {
            self.edges.push((source.clone(), destination.node_name()));
        }
        self
    }

    /// Joins parallel branches: once every branch reaches one of `sources`,
    /// `destination` runs once on the merged state.
    pub fn add_join<S: NodeRef>(
        mut self,
        sources: impl IntoIterator<Item = S>,
        destination: impl NodeRef,
    ) -> Self {
        let sources: Vec<_> = sources.into_iter().map(NodeRef::node_name).collect();
        let destination = destination.node_name();
        if sources.is_empty() {
            self.problems.push(CompileProblem::EmptyJoin {
                destination: destination.into_owned(),
            });
        } else {
            self.joins.push((sources, destination));
        }
        self
    }

    /// Adds a branch edge: a side pipeline that starts at `branch`'s
    /// destination after `source` runs, without joining the main path.
    ///
    /// `branch` is a node (a waiting, unconditional branch) or a [`Branch`]
    /// with options: `Branch::to(log).when(|output, state| ..).detached()`.
    /// The pipeline follows regular edges from its first node until a node with
    /// no successor, an end node, or an output with `"success": false`. Its
    /// errors are recorded in [`branch_errors`](crate::CompiledGraph::branch_errors),
    /// never raised, and its writes never reach the main path.
    pub fn add_branch(mut self, source: impl NodeRef, branch: impl Into<Branch>) -> Self {
        let branch = branch.into();
        self.branches.push(BranchSpec {
            source: source.node_name(),
            destination: branch.destination,
            condition: branch.condition,
            wait: branch.wait,
        });
        self
    }

    /// Sets `node`'s retries, backoff and timeout, replacing what its
    /// `#[node(retries = .., timeout = "..")]` says. See [`Policy`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use graphai::{Graph, Policy, json, node, Value};
    ///
    /// #[node(start, end)]
    /// async fn fetch(url: String) -> Value {
    ///     json!({ "body": url })
    /// }
    ///
    /// let graph = Graph::new()
    ///     .add_node(fetch)
    ///     .policy(fetch, Policy::new().retries(3).timeout(Duration::from_secs(10)))
    ///     .compile();
    /// assert!(graph.is_ok());
    /// ```
    pub fn policy(mut self, node: impl NodeRef, policy: Policy) -> Self {
        self.policies.push((node.node_name(), policy));
        self
    }

    /// Checkpoints every run that has a thread (`graph.run(input).thread(id)`)
    /// in `store`, so it can be resumed after a crash, an error or an
    /// interrupt. See [`Durability`] for when each checkpoint is written.
    pub fn checkpointer(mut self, store: Arc<dyn CheckpointStore>) -> Self {
        self.durable.store = Some(store);
        self
    }

    /// When a thread's checkpoints are written (default [`Durability::Sync`]).
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durable.durability = durability;
        self
    }

    /// A breakpoint: runs stop before `node` runs, as if it asked a person;
    /// resuming the thread runs it.
    pub fn interrupt_before(mut self, node: impl NodeRef) -> Self {
        self.durable.before.push(node.node_name());
        self
    }

    /// A breakpoint: runs stop after `node` ran; resuming the thread goes on.
    pub fn interrupt_after(mut self, node: impl NodeRef) -> Self {
        self.durable.after.push(node.node_name());
        self
    }

    /// Makes `node` the start node, whatever its `start` flag says.
    pub fn set_start_node(mut self, node: impl NodeRef) -> Self {
        self.start = Some(node.node_name());
        self
    }

    /// Makes `node` an end node, in addition to the nodes marked `end`.
    pub fn set_end_node(mut self, node: impl NodeRef) -> Self {
        self.ends.push(node.node_name());
        self
    }
}

/// A branch condition: the source node's output and the shared state decide
/// whether the branch runs.
pub(crate) type Condition =
    Arc<dyn Fn(&Map<String, Value>, &State) -> BoxFuture<'static, bool> + Send + Sync>;

pub(crate) struct BranchSpec {
    pub(crate) source: Cow<'static, str>,
    pub(crate) destination: Cow<'static, str>,
    pub(crate) condition: Option<Condition>,
    pub(crate) wait: bool,
}

/// A branch edge's destination and options, for [`Graph::add_branch`].
#[must_use]
pub struct Branch {
    destination: Cow<'static, str>,
    condition: Option<Condition>,
    wait: bool,
}

impl Branch {
    /// A branch to `destination` that always runs and that the main path waits for.
    pub fn to(destination: impl NodeRef) -> Self {
        Self {
            destination: destination.node_name(),
            condition: None,
            wait: true,
        }
    }

    /// Run the branch only when `condition(output, state)` is true, where
    /// `output` is the source node's output.
    pub fn when(
        mut self,
        condition: impl Fn(&Map<String, Value>, &State) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.condition = Some(Arc::new(move |output, state| {
            let verdict = condition(output, state);
            Box::pin(std::future::ready(verdict))
        }));
        self
    }

    /// [`when`](Branch::when) with an async condition; it gets a copy of the output.
    pub fn when_async<F, Fut>(mut self, condition: F) -> Self
    where
        F: Fn(Map<String, Value>, State) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = bool> + Send + 'static,
    {
        self.condition = Some(Arc::new(move |output, state| {
            Box::pin(condition(output.clone(), state.clone()))
        }));
        self
    }

    /// Do not wait for the branch: the main path moves on at once. `execute`
    /// still waits for detached branches before it returns.
    pub fn detached(mut self) -> Self {
        self.wait = false;
        self
    }

    /// Wait for the branch before the main path moves on (the default).
    pub fn wait(mut self, wait: bool) -> Self {
        self.wait = wait;
        self
    }
}

impl<T: NodeRef> From<T> for Branch {
    fn from(destination: T) -> Self {
        Branch::to(destination)
    }
}
