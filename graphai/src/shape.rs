//! [`GraphShape`]: what a graph looks like, as plain data.
//!
//! The shape is the graph without its code: the nodes by name with their
//! flags, and every edge with its kind. It is what [`to_mermaid`], [`to_dot`]
//! and `to_svg` draw, and what a run's checkpoint can fingerprint to tell
//! whether the graph changed since.
//!
//! [`to_mermaid`]: GraphShape::to_mermaid
//! [`to_dot`]: GraphShape::to_dot

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::builder::Graph;

/// The shape of a graph: its nodes in the order they were added, and its
/// edges by node name, each with its [`EdgeKind`].
///
/// Get it with [`Graph::shape`] (before compiling) or
/// [`CompiledGraph::shape`](crate::CompiledGraph::shape). Every edge joins two
/// nodes of the shape: an edge the builder was given with an unknown name
/// (or a join naming one) is left out (`compile` reports it).
///
/// The order is deterministic, so two shapes compare equal exactly when the
/// graphs were declared alike: nodes in the order they were added; edges
/// grouped by source node, in node order, and for each source first its
/// regular successors (in declaration order, which is also the order parallel
/// branches merge in), then its join edges, then its branch edges (each in
/// declaration order). Interleaving the builder calls differently gives the
/// same shape.
///
/// `GraphShape` serializes with serde (`{"nodes": [..], "edges": [..]}`) and
/// checks, when deserialized, that node names are unique and that every edge
/// names nodes of the shape. For a fingerprint that must stay the same across
/// builds and Rust versions, hash the serialized form rather than use
/// [`Hash`] with std's `DefaultHasher`.
///
/// ```
/// use graphai::{EdgeKind, Graph, json, node, router, Value};
///
/// #[node(start)]
/// async fn ask(question: String) -> Value { json!({ "question": question }) }
/// #[router]
/// async fn pick(question: String) -> Value { json!({ "choice": "answer" }) }
/// #[node(end)]
/// async fn answer(question: String) -> Value { json!({ "answer": question }) }
///
/// let graph = Graph::new()
///     .add_node(ask)
///     .add_node(pick)
///     .add_node(answer)
///     .add_router([ask], pick, [answer]);
/// let shape = graph.shape();
/// let names: Vec<&str> = shape.nodes().iter().map(|n| n.name.as_str()).collect();
/// assert_eq!(names, ["ask", "pick", "answer"]);
/// assert!(shape.nodes()[1].router);
/// let kinds: Vec<EdgeKind> = shape.edges().iter().map(|e| e.kind).collect();
/// assert_eq!(kinds, [EdgeKind::Regular, EdgeKind::RouterChoice]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "UncheckedShape")]
pub struct GraphShape {
    nodes: Vec<ShapeNode>,
    edges: Vec<ShapeEdge>,
}

/// A node of a [`GraphShape`]: its name and what kind of node it is. A node
/// can be several kinds at once (a start node that is also an end node, a
/// streaming router).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ShapeNode {
    /// The node's name.
    pub name: String,
    /// Whether the graph starts here (the `start` flag, or
    /// [`Graph::set_start_node`], which overrides the flags).
    pub start: bool,
    /// Whether a run ends here (the `end` flag or [`Graph::set_end_node`]).
    pub end: bool,
    /// Whether the node is a `#[router]`.
    pub router: bool,
    /// Whether the node streams through a callback (`#[node(stream)]`).
    pub stream: bool,
}

/// An edge of a [`GraphShape`], from one node to another by name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ShapeEdge {
    /// The source node's name.
    pub from: String,
    /// The destination node's name.
    pub to: String,
    /// How the destination follows the source.
    pub kind: EdgeKind,
}

/// How an edge's destination follows its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EdgeKind {
    /// The only successor of a node that is not a router: it runs next.
    Regular,
    /// A destination a router may choose ([`Graph::add_router`], or any edge
    /// out of a router).
    RouterChoice,
    /// One of several successors of a node that is not a router: they run
    /// in parallel, each on its own copy of the run state.
    Parallel,
    /// From a parallel branch's last node to the node that runs once every
    /// branch arrived ([`Graph::add_join`]).
    Join,
    /// A side pipeline the main path waits for ([`Graph::add_branch`]).
    WaitingBranch {
        /// Whether it runs only when a condition on the source's output holds.
        conditional: bool,
    },
    /// A side pipeline the main path does not wait for
    /// ([`Branch::detached`](crate::Branch::detached)).
    DetachedBranch {
        /// Whether it runs only when a condition on the source's output holds.
        conditional: bool,
    },
}

impl EdgeKind {
    /// Whether this is a branch edge, waiting or detached.
    pub fn is_branch(self) -> bool {
        matches!(
            self,
            EdgeKind::WaitingBranch { .. } | EdgeKind::DetachedBranch { .. }
        )
    }

    /// Whether this is a branch edge with a condition.
    pub fn is_conditional(self) -> bool {
        matches!(
            self,
            EdgeKind::WaitingBranch { conditional: true }
                | EdgeKind::DetachedBranch { conditional: true }
        )
    }
}

impl GraphShape {
    /// The nodes, in the order they were added.
    pub fn nodes(&self) -> &[ShapeNode] {
        &self.nodes
    }

    /// The edges, grouped by source node (see the type's docs for the order).
    pub fn edges(&self) -> &[ShapeEdge] {
        &self.edges
    }

    /// The node called `name`, if the shape has one.
    pub fn node(&self, name: &str) -> Option<&ShapeNode> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// The position of node `name` in [`nodes`](GraphShape::nodes).
    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name == name)
    }

    /// The shape of a graph as the builder holds it.
    pub(crate) fn of(graph: &Graph) -> Self {
        let nodes: Vec<ShapeNode> = graph
            .nodes
            .iter()
            .map(|def| ShapeNode {
                name: def.name().to_owned(),
                start: match &graph.start {
                    Some(start) => start == def.name(),
                    None => def.is_start(),
                },
                end: def.is_end() || graph.ends.iter().any(|e| e == def.name()),
                router: def.is_router(),
                stream: def.is_stream(),
            })
            .collect();
        let known: HashSet<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
        let known = |name: &str| known.contains(name);

        let mut edges = Vec::new();
        for node in &nodes {
            let from = node.name.as_str();
            let next: Vec<&str> = graph
                .edges
                .iter()
                .filter(|(s, d)| s == from && known(d))
                .map(|(_, d)| d.as_ref())
                .collect();
            let kind = match next.len() {
                _ if node.router => EdgeKind::RouterChoice,
                1 => EdgeKind::Regular,
                _ => EdgeKind::Parallel,
            };
            edges.extend(next.into_iter().map(|to| edge(from, to, kind)));
            for (sources, destination) in &graph.joins {
                let whole = known(destination) && sources.iter().all(|s| known(s));
                if whole && sources.iter().any(|s| s == from) {
                    edges.push(edge(from, destination, EdgeKind::Join));
                }
            }
            for branch in graph.branches.iter().filter(|b| b.source == from) {
                if known(&branch.destination) {
                    let conditional = branch.condition.is_some();
                    let kind = if branch.wait {
                        EdgeKind::WaitingBranch { conditional }
                    } else {
                        EdgeKind::DetachedBranch { conditional }
                    };
                    edges.push(edge(from, &branch.destination, kind));
                }
            }
        }
        Self { nodes, edges }
    }
}

fn edge(from: &str, to: &str, kind: EdgeKind) -> ShapeEdge {
    ShapeEdge {
        from: from.to_owned(),
        to: to.to_owned(),
        kind,
    }
}

/// A shape as read, before its names are checked.
#[derive(Deserialize)]
struct UncheckedShape {
    nodes: Vec<ShapeNode>,
    edges: Vec<ShapeEdge>,
}

impl TryFrom<UncheckedShape> for GraphShape {
    type Error = String;

    fn try_from(shape: UncheckedShape) -> Result<Self, String> {
        let mut names = HashSet::new();
        for node in &shape.nodes {
            if !names.insert(node.name.as_str()) {
                return Err(format!(
                    "the graph shape has two nodes named `{}`",
                    node.name
                ));
            }
        }
        for edge in &shape.edges {
            for end in [&edge.from, &edge.to] {
                if !names.contains(end.as_str()) {
                    return Err(format!(
                        "the graph shape's edge `{}` -> `{}` names `{end}`, which is not one of its nodes",
                        edge.from, edge.to
                    ));
                }
            }
        }
        Ok(Self {
            nodes: shape.nodes,
            edges: shape.edges,
        })
    }
}
