//! Drawing a graph: Mermaid and DOT text, and (feature `svg`) a picture.
//!
//! Everything here draws a [`GraphShape`]; the builder and the compiled graph
//! get the same methods by drawing their shape.

mod dot;
mod mermaid;
#[cfg(feature = "svg")]
mod svg;

use crate::builder::Graph;
use crate::compiled::CompiledGraph;
use crate::shape::{EdgeKind, GraphShape};

impl GraphShape {
    /// The graph as a Mermaid flowchart (`flowchart TD`), to paste into a
    /// Markdown file, an issue or the Mermaid live editor.
    ///
    /// Nodes get ids `n0`, `n1`, .. and their names as labels, escaped so any
    /// name gives valid Mermaid. Routers are diamonds, start and end nodes
    /// rounded; classes mark each kind (`startNode`, `endNode`, `routerNode`,
    /// `streamNode`, so a node can be several). Edges: regular `-->`,
    /// parallel `-->` labelled `parallel`, router choice `-.->` labelled
    /// `choice`, join `==>` labelled `join`, waiting branch `-.->` labelled
    /// `branch`, detached branch `-.-o` labelled `detached` (with `(if)` when
    /// the branch has a condition), each kind in its own colour.
    pub fn to_mermaid(&self) -> String {
        mermaid::write(self)
    }

    /// The graph in Graphviz DOT (`digraph`), for `dot -Tsvg` and friends.
    ///
    /// Nodes get quoted ids `"n0"`, `"n1"`, .. and their names as labels,
    /// escaped so any name gives valid DOT. Routers are diamonds, start nodes
    /// filled green, end nodes drawn with a double border, streaming nodes
    /// dashed. Edges: regular solid, parallel blue and labelled `parallel`,
    /// router choice dashed and labelled `choice`, join bold and labelled
    /// `join`, waiting branch dotted and labelled `branch`, detached branch
    /// dotted with a circle head and labelled `detached` (with `(if)` when
    /// the branch has a condition).
    pub fn to_dot(&self) -> String {
        dot::write(self)
    }

    /// The graph as an SVG picture, laid out in layers from the start node
    /// down, in pure Rust (no Graphviz needed). Node and edge kinds are drawn
    /// as in [`to_dot`](GraphShape::to_dot), with a legend of the kinds the
    /// graph uses.
    #[cfg(feature = "svg")]
    pub fn to_svg(&self) -> String {
        svg::write(self)
    }
}

impl Graph {
    /// The graph's [`GraphShape`] as declared so far (edges naming unknown
    /// nodes are left out: [`compile`](Graph::compile) reports them).
    pub fn shape(&self) -> GraphShape {
        GraphShape::of(self)
    }

    /// [`GraphShape::to_mermaid`] of the graph as declared so far, to look
    /// at it before compiling.
    pub fn to_mermaid(&self) -> String {
        self.shape().to_mermaid()
    }

    /// [`GraphShape::to_dot`] of the graph as declared so far.
    pub fn to_dot(&self) -> String {
        self.shape().to_dot()
    }

    /// [`GraphShape::to_svg`] of the graph as declared so far.
    #[cfg(feature = "svg")]
    pub fn to_svg(&self) -> String {
        self.shape().to_svg()
    }
}

impl CompiledGraph {
    /// The graph's [`GraphShape`]: its nodes and edges by name.
    pub fn shape(&self) -> &GraphShape {
        &self.inner.shape
    }

    /// [`GraphShape::to_mermaid`] of this graph.
    ///
    /// ```
    /// use graphai::{Graph, json, node, Value};
    ///
    /// #[node(start)]
    /// async fn hello(name: String) -> Value { json!({ "greeting": name }) }
    /// #[node(end)]
    /// async fn bye(greeting: String) -> Value { json!({ "bye": greeting }) }
    ///
    /// let graph = Graph::new().add_node(hello).add_node(bye).add_edge(hello, bye).compile()?;
    /// let text = graph.to_mermaid();
    /// assert!(text.starts_with("flowchart TD\n"));
    /// assert!(text.contains(r#"n0(["hello"])"#));
    /// assert!(text.contains("n0 --> n1"));
    /// # Ok::<(), graphai::GraphCompileError>(())
    /// ```
    pub fn to_mermaid(&self) -> String {
        self.shape().to_mermaid()
    }

    /// [`GraphShape::to_dot`] of this graph.
    pub fn to_dot(&self) -> String {
        self.shape().to_dot()
    }

    /// [`GraphShape::to_svg`] of this graph.
    #[cfg(feature = "svg")]
    pub fn to_svg(&self) -> String {
        self.shape().to_svg()
    }
}

/// How a picture shows a control character other than a newline, which
/// XML cannot hold and Graphviz mangles: as its Unicode control picture
/// (`␉` for a tab, `␡` for delete), or `�` for the C1 controls.
pub(crate) fn control_picture(c: char) -> char {
    match u32::from(c) {
        n @ 0..=0x1F => char::from_u32(0x2400 + n).unwrap_or('\u{FFFD}'),
        0x7F => '\u{2421}',
        _ => '\u{FFFD}',
    }
}

/// How each kind looks, shared by every format.
pub(crate) mod look {
    use super::EdgeKind;

    /// Fill of start nodes.
    pub(crate) const START_FILL: &str = "#dcfce7";
    /// Border of start nodes.
    pub(crate) const START_STROKE: &str = "#15803d";
    /// Fill of routers.
    pub(crate) const ROUTER_FILL: &str = "#fef3c7";
    /// Border of routers.
    pub(crate) const ROUTER_STROKE: &str = "#b45309";
    /// Border of end nodes (drawn thick or doubled).
    pub(crate) const END_STROKE: &str = "#991b1b";
    /// Fill of the other nodes.
    pub(crate) const NODE_FILL: &str = "#f8fafc";
    /// Border of the other nodes, and colour of text and regular edges.
    pub(crate) const INK: &str = "#334155";

    /// Every edge kind, conditional branches apart.
    #[cfg_attr(not(feature = "svg"), allow(dead_code))]
    pub(crate) const EDGE_KINDS: [EdgeKind; 8] = [
        EdgeKind::Regular,
        EdgeKind::Parallel,
        EdgeKind::RouterChoice,
        EdgeKind::Join,
        EdgeKind::WaitingBranch { conditional: false },
        EdgeKind::WaitingBranch { conditional: true },
        EdgeKind::DetachedBranch { conditional: false },
        EdgeKind::DetachedBranch { conditional: true },
    ];

    /// The label an edge of this kind carries (none for a regular edge).
    pub(crate) fn label(kind: EdgeKind) -> Option<&'static str> {
        Some(match kind {
            EdgeKind::Regular => return None,
            EdgeKind::Parallel => "parallel",
            EdgeKind::RouterChoice => "choice",
            EdgeKind::Join => "join",
            EdgeKind::WaitingBranch { conditional: false } => "branch",
            EdgeKind::WaitingBranch { conditional: true } => "branch (if)",
            EdgeKind::DetachedBranch { conditional: false } => "detached",
            EdgeKind::DetachedBranch { conditional: true } => "detached (if)",
        })
    }

    /// The colour of an edge of this kind.
    pub(crate) fn color(kind: EdgeKind) -> &'static str {
        match kind {
            EdgeKind::Regular => INK,
            EdgeKind::Parallel => "#2563eb",
            EdgeKind::RouterChoice => ROUTER_STROKE,
            EdgeKind::Join => "#7c3aed",
            EdgeKind::WaitingBranch { .. } => "#0f766e",
            EdgeKind::DetachedBranch { .. } => "#6b7280",
        }
    }
}
