//! What a compiled graph is made of: the index-based tables that
//! `compile()` builds and the executor reads.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::builder::Condition;
use crate::durable::DurableConfig;
use crate::node::NodeDef;
use crate::policy::Policy;
use crate::resource::ResourceRegistry;
use crate::state::State;

/// A compiled graph's tables, shared by its clones through an `Arc`.
pub(crate) struct Inner {
    pub(crate) nodes: Vec<NodeDef>,
    pub(crate) is_end: Vec<bool>,
    /// Regular successors, in the order the edges were declared.
    pub(crate) next: Vec<Vec<usize>>,
    /// Nodes where a parallel branch stops and waits for its join.
    pub(crate) join_source: Vec<bool>,
    /// Destination of each join edge.
    pub(crate) join_destination: Vec<usize>,
    /// Sources of each join edge.
    pub(crate) join_sources: Vec<Vec<usize>>,
    /// For each node: the join that a parallel branch starting at it reaches.
    pub(crate) join_of: Vec<Option<usize>>,
    /// Branch edges leaving each node.
    pub(crate) branches: Vec<Vec<BranchEdge>>,
    pub(crate) by_name: HashMap<String, usize>,
    pub(crate) start: usize,
    pub(crate) max_steps: usize,
    /// Breakpoints: runs stop before / after these nodes.
    pub(crate) interrupt_before: Vec<bool>,
    pub(crate) interrupt_after: Vec<bool>,
    /// The checkpoint store and when to write, for thread runs.
    pub(crate) durable: Option<DurableConfig>,
    /// A hash of the graph's shape, stored with every checkpoint.
    pub(crate) fingerprint: String,
    /// Each node's retries and timeout (its own, or the builder's `policy`).
    pub(crate) policies: Vec<Policy>,
    /// Nodes called as they are: one attempt, no timeout, no streaming
    /// markers, no `Interrupt` (the executor's quick path).
    pub(crate) plain: Vec<bool>,
    /// Whether any node reads `upstream` (only then is it built).
    pub(crate) upstream_readers: bool,
    /// The most successors any node has (capped): a run's position is sized
    /// for one such fan-out from the start, not regrown at its first fork.
    pub(crate) widest_fork: usize,
    pub(crate) state: State,
    /// The graph's resources, and the types each run must bring.
    pub(crate) resources: ResourceRegistry,
    pub(crate) last_branch_errors: Mutex<Vec<crate::exec::BranchError>>,
    /// Whether `last_branch_errors` holds any.
    pub(crate) had_branch_errors: std::sync::atomic::AtomicBool,
    /// The graph's nodes and edges by name, for drawing and fingerprints.
    pub(crate) shape: crate::shape::GraphShape,
}

pub(crate) struct BranchEdge {
    pub(crate) destination: usize,
    pub(crate) condition: Option<Condition>,
    pub(crate) wait: bool,
}
