//! Error types: [`GraphError`] for runs, [`GraphCompileError`] for building.

use std::fmt;

use crate::rules::text::{self, render};

/// The error type a node returns: any error, boxed.
///
/// Nodes may return `Result<_, E>` for any `E` that converts into this
/// (`anyhow::Error`, `Box<dyn Error + Send + Sync>`, or any type implementing
/// [`std::error::Error`] `+ Send + Sync + 'static`). `"message".into()` makes one.
pub type Error = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with [`Error`] as the default error type, for node bodies.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a run of a compiled graph failed. Every variant names the node involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// The value passed to `execute` was not a JSON object.
    #[error(
        "the graph input must be a JSON object, got {found}: pass `json!({{ \"key\": value }})`"
    )]
    InvalidInput {
        /// The JSON type that was passed instead (`"a string"`, `"an array"`, ..).
        found: &'static str,
    },
    /// Required parameters of a node were not in the run state (GraphAI's message).
    #[error("Missing required parameters for the {node} node: {}", .missing.join(", "))]
    MissingParameters {
        /// The node that could not run.
        node: String,
        /// Every missing parameter, in declaration order.
        missing: Vec<String>,
    },
    /// A value in the run state could not be read as the type a node parameter declares.
    #[error(
        "node `{node}`: parameter `{parameter}` expects `{expected}` but the run state holds an incompatible value: {message}"
    )]
    InvalidParameter {
        /// The node whose parameter could not be bound.
        node: String,
        /// The parameter (state key) that failed.
        parameter: String,
        /// The Rust type the parameter declares.
        expected: &'static str,
        /// serde's description of the mismatch.
        message: String,
    },
    /// A node returned something that is not a JSON object.
    #[error(
        "node `{node}` returned {found}; a node must return a JSON object (a `Value::Object`, a `Map`, or a struct that serializes to a map)"
    )]
    InvalidOutput {
        /// The node at fault.
        node: String,
        /// What it returned instead (`"a string"`, `"null"`, or a serialization error).
        found: String,
    },
    /// A node's body returned an error; the node's error is the [`source`](std::error::Error::source).
    #[error("node `{node}` failed")]
    Node {
        /// The node that failed.
        node: String,
        /// The error the node returned.
        #[source]
        source: Error,
    },
    /// A node panicked. The run stops; the graph stays usable for other runs.
    #[error("node `{node}` panicked: {message}")]
    Panic {
        /// The node that panicked.
        node: String,
        /// The panic payload, when it was a string.
        message: String,
    },
    /// A path of the run reached `max_steps` without reaching an end node.
    ///
    /// Steps are counted per path, as GraphAI does: every node run on a path
    /// is a step; a parallel branch starts one step after the node that fans
    /// out and counts its own steps; the path that waits for a fan-out counts
    /// one more step for the fan-out, and one for its join destination. A
    /// branch-edge pipeline counts from zero.
    #[error(
        "max steps reached at node `{node}`{}: a path of the run reached the limit of {limit} steps without reaching an end node; raise the limit with `Graph::max_steps` (or `max_steps: N` in `graph!`) if the graph really needs more",
        branch_text(.branch.as_deref())
    )]
    MaxSteps {
        /// The configured limit.
        limit: usize,
        /// The node the path ran last when it reached the limit.
        node: String,
        /// The first node of the parallel branch or branch pipeline that
        /// reached the limit; `None` on the main line of the run.
        branch: Option<String>,
    },
    /// A node's attempt took longer than its policy's timeout and was cancelled.
    #[error("node `{node}` timed out after {} (attempt {attempt})", duration_text(.after))]
    Timeout {
        /// The node that timed out.
        node: String,
        /// The timeout.
        after: std::time::Duration,
        /// Which attempt timed out (from 1).
        attempt: u32,
    },
    /// A node with retries failed on every attempt; the last attempt's error is the source.
    #[error("node `{node}` failed after {attempts} attempts")]
    GaveUp {
        /// The node.
        node: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last attempt's error.
        #[source]
        last: Box<GraphError>,
    },
    /// A router's output had neither `choice` nor `choices`.
    #[error(
        "router `{router}` returned no `choice` (a node name) or `choices` (a list of node names) in its output"
    )]
    MissingChoice {
        /// The router at fault.
        router: String,
    },
    /// A router's `choice`/`choices` was not a string / list of strings.
    #[error("router `{router}` returned an invalid `{key}`: expected {expected}, got {found}")]
    InvalidChoice {
        /// The router at fault.
        router: String,
        /// `choice` or `choices`.
        key: &'static str,
        /// What the key must hold.
        expected: &'static str,
        /// What it held.
        found: String,
    },
    /// A router's `choices` was an empty list.
    #[error(
        "router `{router}` chose nothing: its `choices` is an empty list; return at least one node name (or a `choice`)"
    )]
    EmptyChoice {
        /// The router at fault.
        router: String,
    },
    /// A router's `choices` named one node twice.
    #[error(
        "router `{router}` lists `{choice}` twice in `choices`: a node runs once per fan-out, so list each node once"
    )]
    DuplicateChoice {
        /// The router at fault.
        router: String,
        /// The node named twice.
        choice: String,
    },
    /// A router chose a node that it may not route to.
    #[error("router `{router}` chose `{choice}`, which is not {}", allowed_text(.allowed))]
    UnknownChoice {
        /// The router at fault.
        router: String,
        /// The name it chose.
        choice: String,
        /// The names it may choose from.
        allowed: Vec<String>,
    },
    /// A node that is not an end node has nowhere to go.
    #[error(
        "node `{node}` is not an end node and has no outgoing edge: add an edge from it, or mark it `#[node(end)]`"
    )]
    NoOutgoingEdge {
        /// The node at fault.
        node: String,
    },
    /// The graph's streaming callback failed (for example, it was closed).
    #[error("streaming callback failed at node `{node}`")]
    Callback {
        /// The node whose start or end marker could not be sent.
        node: String,
        /// What went wrong.
        #[source]
        source: crate::callback::CallbackError,
    },
    /// [`RunOptions::stream`](crate::RunOptions::stream) could not read the run's callback.
    #[error("cannot stream the run")]
    Stream {
        /// Why (the callback's stream was already taken, or it has none).
        #[source]
        source: crate::callback::CallbackError,
    },
    /// A node needs a resource that neither the graph nor the run provides
    /// (a type declared with `Graph::resource_per_run` that the run did not bring).
    #[error(
        "node `{node}` needs the resource `{type_name}` (parameter `{parameter}`), which neither the graph nor this run provides: give it to the run with `.resource(..)`, or to the graph with `Graph::resource(..)`"
    )]
    MissingResource {
        /// The node that needs it.
        node: String,
        /// The `Res<T>` parameter.
        parameter: String,
        /// The resource type's name.
        type_name: String,
    },
    /// The run stopped to wait for a person (a node's `Interrupt::ask`, or a
    /// breakpoint): [`RunOptions::outcome`](crate::RunOptions::outcome) returns
    /// this as [`RunOutcome::Interrupted`](crate::RunOutcome::Interrupted).
    #[error("the run stopped at node `{node}` to wait for an answer{}", resume_text(.thread.as_deref()))]
    Interrupted {
        /// The thread to resume, for a durable run.
        thread: Option<String>,
        /// The node that asked, or the breakpoint's node.
        node: String,
        /// What the node asked (`null` for a breakpoint).
        payload: serde_json::Value,
    },
    /// A durable operation on a graph compiled without a checkpoint store.
    #[error(
        "thread `{thread}`: this graph has no checkpoint store; give it one with `Graph::checkpointer(..)` to run threads"
    )]
    NoCheckpointer {
        /// The thread asked for.
        thread: String,
    },
    /// `resume` of a thread the store does not know.
    #[error(
        "thread `{thread}` does not exist in the checkpoint store: start it with `graph.run(input).thread(\"{thread}\")`"
    )]
    ThreadNotFound {
        /// The thread.
        thread: String,
    },
    /// An answer (or a resume) for a thread that does not wait for one.
    #[error("thread `{thread}` is not waiting for an answer: {state}")]
    NotWaiting {
        /// The thread.
        thread: String,
        /// Where it is instead.
        state: String,
    },
    /// A new run on a thread whose last run has not ended.
    #[error(
        "thread `{thread}` has a run that has not ended ({state}): resume it with `graph.resume(\"{thread}\")`, or start another thread"
    )]
    ThreadBusy {
        /// The thread.
        thread: String,
        /// Where its run stands.
        state: String,
    },
    /// The graph's shape changed since the thread's checkpoints were written.
    #[error(
        "thread `{thread}` was checkpointed by a different graph: {}; resume it with the graph that wrote it, or start a new thread",
        .changes.join("; ")
    )]
    GraphChanged {
        /// The thread.
        thread: String,
        /// What changed: nodes added or removed, edges added or removed.
        changes: Vec<String>,
    },
    /// The checkpoint store failed.
    #[error("thread `{thread}`: the checkpoint store failed")]
    Checkpoint {
        /// The thread.
        thread: String,
        /// The store's error.
        #[source]
        source: Box<crate::checkpoint::StoreError>,
    },
    /// A stored checkpoint could not be read back into a run.
    #[error("thread `{thread}`, checkpoint `{checkpoint}` cannot be resumed: {reason}")]
    CorruptCheckpoint {
        /// The thread.
        thread: String,
        /// The checkpoint.
        checkpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A task of `execute_many` ended without a result (its runtime shut down).
    #[error("run {index} of `execute_many` was aborted before it finished: {message}")]
    Aborted {
        /// Position of the input in the list given to `execute_many`.
        index: usize,
        /// Why the task ended.
        message: String,
    },
}

fn resume_text(thread: Option<&str>) -> String {
    match thread {
        Some(thread) => format!("; resume it with `graph.resume(\"{thread}\").with_answer(..)`"),
        None => "; only a thread run (`graph.run(input).thread(..)`) can be resumed".to_owned(),
    }
}

fn branch_text(branch: Option<&str>) -> String {
    branch.map_or_else(String::new, |first| {
        format!(" (in the branch that starts at `{first}`)")
    })
}

fn duration_text(duration: &std::time::Duration) -> String {
    format!("{duration:?}")
}

fn allowed_text(allowed: &[String]) -> String {
    let names: Vec<String> = allowed.iter().map(|n| format!("`{n}`")).collect();
    format!("one of its destinations: {}", names.join(", "))
}

impl GraphError {
    /// Whether another attempt could succeed: the node's own error, a panic or
    /// a timeout. Binding errors (the run state lacks or mistypes a
    /// parameter) and everything the graph itself decided are final.
    pub(crate) fn is_retryable(&self) -> bool {
        matches!(
            self,
            GraphError::Node { .. } | GraphError::Panic { .. } | GraphError::Timeout { .. }
        )
    }

    /// The node this error is about, when there is one.
    pub fn node(&self) -> Option<&str> {
        match self {
            GraphError::MissingParameters { node, .. }
            | GraphError::InvalidParameter { node, .. }
            | GraphError::InvalidOutput { node, .. }
            | GraphError::Node { node, .. }
            | GraphError::Panic { node, .. }
            | GraphError::NoOutgoingEdge { node }
            | GraphError::Callback { node, .. }
            | GraphError::MaxSteps { node, .. }
            | GraphError::Timeout { node, .. }
            | GraphError::GaveUp { node, .. }
            | GraphError::MissingResource { node, .. }
            | GraphError::Interrupted { node, .. } => Some(node),
            GraphError::MissingChoice { router }
            | GraphError::InvalidChoice { router, .. }
            | GraphError::UnknownChoice { router, .. }
            | GraphError::EmptyChoice { router }
            | GraphError::DuplicateChoice { router, .. } => Some(router),
            GraphError::InvalidInput { .. }
            | GraphError::Aborted { .. }
            | GraphError::Stream { .. }
            | GraphError::NoCheckpointer { .. }
            | GraphError::ThreadNotFound { .. }
            | GraphError::NotWaiting { .. }
            | GraphError::ThreadBusy { .. }
            | GraphError::GraphChanged { .. }
            | GraphError::Checkpoint { .. }
            | GraphError::CorruptCheckpoint { .. } => None,
        }
    }
}

/// Every mistake found while building and compiling a graph, reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphCompileError {
    problems: Vec<CompileProblem>,
}

impl GraphCompileError {
    pub(crate) fn new(problems: Vec<CompileProblem>) -> Self {
        Self { problems }
    }

    /// Each mistake, in the order it was found.
    pub fn problems(&self) -> &[CompileProblem] {
        &self.problems
    }
}

impl fmt::Display for GraphCompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "graph does not compile: {one}"),
            many => {
                write!(f, "graph does not compile ({} problems):", many.len())?;
                for problem in many {
                    write!(f, "\n  - {problem}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for GraphCompileError {}

/// One mistake in a graph's wiring. Every variant names the node(s) involved.
///
/// The wiring rules and their messages are shared with `graph!`, which
/// reports the same mistakes, in the same words, at compile time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileProblem {
    /// The graph has no nodes at all.
    #[error("the graph has no nodes: add some with `add_node`")]
    NoNodes,
    /// Two nodes share one name.
    #[error("{}", render(|w| text::name_taken_twice(w, .0)))]
    DuplicateNode(String),
    /// An edge names a node that was never added.
    #[error(
        "{edge} names `{name}`, which is not a node of this graph: add it with `add_node` first"
    )]
    UnknownNode {
        /// The edge, described (`edge `a` -> `b``).
        edge: String,
        /// The unknown name.
        name: String,
    },
    /// No node is marked `start` and none was set with `set_start_node`.
    #[error("{}", render(text::no_start))]
    NoStartNode,
    /// More than one node is marked `start`.
    #[error("{}", render(|w| text::several_starts(w, &strs(.0))))]
    MultipleStartNodes(Vec<String>),
    /// No node is marked `end`.
    #[error("{}", render(|w| text::no_end(w, &strs(.stops))))]
    NoEndNode {
        /// The nodes where runs stop: no regular or join edge leaves them and
        /// they are not routers. Empty when every node is a router.
        stops: Vec<String>,
    },
    /// `add_router` was given a node that is not a router.
    #[error("{}", render(|w| text::not_a_router(w, .0)))]
    NotARouter(String),
    /// Nodes that no path from the start node reaches.
    #[error("{}", render(|w| text::unreachable(w, .start, &strs(.nodes))))]
    Unreachable {
        /// The start node.
        start: String,
        /// The nodes no path reaches, in the order they were added.
        nodes: Vec<String>,
    },
    /// A cycle, found by `compile_strict`: the nodes along it, with the
    /// first repeated at the end.
    #[error("{}", render(|w| text::cycle(w, strs(.0).split_last().map_or(&[][..], |(_, path)| path))))]
    Cycle(Vec<String>),
    /// The same edge was added twice.
    #[error("{}", render(|w| { w.push(.edge); text::declared_twice(w) }))]
    DuplicateEdge {
        /// The edge, described (``the edge `a -> b` ``, ``the branch `a ~> b` ``,
        /// `` `a` joining into `d` ``).
        edge: String,
    },
    /// A join that no fan-out leads into: its sources never run as parallel
    /// branches, so its destination would never run.
    #[error("{}", render(|w| text::join_without_fork(w, &strs(.sources), .destination)))]
    JoinWithoutFork {
        /// The join's sources.
        sources: Vec<String>,
        /// The join's destination.
        destination: String,
    },
    /// `initial_state` was given something other than a JSON object.
    #[error("`initial_state` must be a JSON object, got {0}: pass `json!({{ \"key\": value }})`")]
    InvalidInitialState(&'static str),
    /// A node takes a `Res<T>` that no one registered.
    #[error(
        "node `{node}` takes `{parameter}: {ty}`, but no `{type_name}` resource is registered: add one with `Graph::resource(..)`, or declare it with `Graph::resource_per_run::<{type_name}>()` and give it to each run"
    )]
    MissingResource {
        /// The node that needs the resource.
        node: String,
        /// The parameter.
        parameter: String,
        /// The parameter's type as written.
        ty: String,
        /// The resource type's full name.
        type_name: String,
    },
    /// `add_join` was given no sources.
    #[error("join into `{destination}` has no sources: pass at least one node to `add_join`")]
    EmptyJoin {
        /// The join's destination.
        destination: String,
    },
}

fn strs(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

/// A short name for a JSON value's type, for error messages.
pub(crate) fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
