//! What `graph!` expands to: the node handles its builder calls take, and the
//! const fns that check the wiring at compile time.
//!
//! A function-like macro cannot see the items it names, so `graph!` writes the
//! wiring down as a `const` [`Wiring`] built from each node's associated consts
//! ([`Node::IS_START`], ..) and asserts on the answers of the methods here, in
//! `const` items spanned at the user's tokens. The rules are those of
//! `compile.rs`, so a graph that passes them also passes [`Graph::compile`].

use std::borrow::Cow;

pub use crate::builder::{Branch, Graph};
use crate::compile::CompiledGraph;
use crate::error::GraphCompileError;
use crate::node::{IntoNode, Node, NodeDef, NodeRef};

/// A type `graph!` can wire: anything implementing [`Node`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a graphai node",
    label = "not a `#[node]` or `#[router]`",
    note = "`graph!` wires functions marked `#[node]` or `#[router]` (or types implementing `graphai::Node`)"
)]
pub trait IsNode: Node {}

impl<T: Node> IsNode for T {}

/// A node as `graph!` handles it: the path the user wrote, the node's flags,
/// and its definition for the builder.
#[derive(Clone, Copy)]
pub struct GraphNode {
    /// The path as written in `graph!`, for messages.
    pub path: &'static str,
    /// The node's name in the graph ([`Node::NAME`]).
    pub name: &'static str,
    /// [`Node::IS_START`].
    pub start: bool,
    /// [`Node::IS_END`].
    pub end: bool,
    /// [`Node::IS_ROUTER`].
    pub router: bool,
    def: fn() -> NodeDef,
}

impl GraphNode {
    /// The node `N`, written `path` in the macro.
    pub const fn of<N: IsNode>(path: &'static str) -> Self {
        Self {
            path,
            name: N::NAME,
            start: N::IS_START,
            end: N::IS_END,
            router: N::IS_ROUTER,
            def: NodeDef::of::<N>,
        }
    }
}

impl IntoNode for GraphNode {
    fn into_node(self) -> NodeDef {
        (self.def)()
    }
}

impl NodeRef for GraphNode {
    fn node_name(self) -> Cow<'static, str> {
        Cow::Borrowed(self.name)
    }
}

/// The sources of `add_router` for a router whose incoming edges are declared
/// elsewhere.
pub const NO_SOURCES: [GraphNode; 0] = [];

/// The wiring of a `graph!`: its nodes in order of first appearance, and its
/// edges as indices into `nodes`.
pub struct Wiring<const N: usize> {
    /// The nodes.
    pub nodes: [GraphNode; N],
    /// Regular edges (`->`, `=>`): the runtime's successors and router destinations.
    pub next: &'static [(usize, usize)],
    /// Join and branch edges: they count for reachability and cycles only.
    pub side: &'static [(usize, usize)],
}

const OPEN: u8 = 1;
const DONE: u8 = 2;

impl<const N: usize> Wiring<N> {
    const fn start_count(&self) -> usize {
        let mut count = 0;
        let mut i = 0;
        while i < N {
            if self.nodes[i].start {
                count += 1;
            }
            i += 1;
        }
        count
    }

    /// The start node, when exactly one node is marked `start`.
    const fn start(&self) -> Option<usize> {
        if self.start_count() != 1 {
            return None;
        }
        let mut i = 0;
        while !self.nodes[i].start {
            i += 1;
        }
        Some(i)
    }

    /// Whether some node is marked `start`.
    pub const fn has_start(&self) -> bool {
        self.start_count() > 0
    }

    /// Whether some node is marked `end`.
    pub const fn has_end(&self) -> bool {
        let mut i = 0;
        while i < N {
            if self.nodes[i].end {
                return true;
            }
            i += 1;
        }
        false
    }

    /// Whether each of `nodes` is a router.
    pub const fn all_routers(&self, nodes: &[usize]) -> bool {
        let mut i = 0;
        while i < nodes.len() {
            if !self.nodes[nodes[i]].router {
                return false;
            }
            i += 1;
        }
        true
    }

    const fn edge_count(&self) -> usize {
        self.next.len() + self.side.len()
    }

    /// Edge `k` of `next` followed by `side`.
    const fn edge(&self, k: usize) -> (usize, usize) {
        if k < self.next.len() {
            self.next[k]
        } else {
            self.side[k - self.next.len()]
        }
    }

    /// A router without declared destinations may choose any node.
    const fn routes_anywhere(&self, node: usize) -> bool {
        if !self.nodes[node].router {
            return false;
        }
        let mut k = 0;
        while k < self.next.len() {
            if self.next[k].0 == node {
                return false;
            }
            k += 1;
        }
        true
    }

    /// The nodes some path from `from` reaches, `from` included.
    const fn reachable(&self, from: usize) -> [bool; N] {
        let mut seen = [false; N];
        let mut stack = [0; N];
        seen[from] = true;
        stack[0] = from;
        let mut top = 1;
        while top > 0 {
            top -= 1;
            let node = stack[top];
            let anywhere = self.routes_anywhere(node);
            // Each node once, each edge out of `node` once: O(N + E) per node.
            let mut k = 0;
            let count = if anywhere { N } else { self.edge_count() };
            while k < count {
                let (from, to) = if anywhere { (node, k) } else { self.edge(k) };
                if from == node && !seen[to] {
                    seen[to] = true;
                    stack[top] = to;
                    top += 1;
                }
                k += 1;
            }
        }
        seen
    }

    const fn same_name(&self, a: usize, b: usize) -> bool {
        let (a, b) = (self.nodes[a].name.as_bytes(), self.nodes[b].name.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }

    /// What is wrong with node `node`, if anything: it has the name of an
    /// earlier node, it is one of several start nodes, or the start node does
    /// not reach it.
    pub const fn problem(&self, node: usize) -> Option<Message> {
        let this = &self.nodes[node];
        let mut earlier = 0;
        while earlier < node {
            if self.same_name(earlier, node) {
                return Some(
                    Message::new()
                        .push("node name ")
                        .code(this.name)
                        .push(" is taken twice, by ")
                        .code(self.nodes[earlier].path)
                        .push(" and ")
                        .code(this.path)
                        .push(": if they are one node, write it one way; if not, rename one with `#[node(name = \"..\")]`"),
                );
            }
            earlier += 1;
        }
        if this.start && self.start_count() > 1 {
            let mut starts = [false; N];
            let mut i = 0;
            while i < N {
                starts[i] = self.nodes[i].start;
                i += 1;
            }
            return Some(
                Message::new()
                    .push("several start nodes: ")
                    .list(&self.nodes, &starts)
                    .push("; a graph has exactly one, keep `start` on one of them"),
            );
        }
        if let Some(start) = self.start()
            && !self.reachable(start)[node]
        {
            return Some(
                Message::new()
                    .code(this.path)
                    .push(" cannot be reached from the start node ")
                    .code(self.nodes[start].path)
                    .push(": add an edge into it, or remove it from the graph"),
            );
        }
        None
    }

    /// The cycle that edge `edge` closes, if a depth-first walk (from the
    /// start node, then from each node in order) meets it as a back edge.
    /// Every cycle has at least one such edge; each edge of a cycle that is not
    /// one gets `None`, so each cycle is reported once or a few times, not once
    /// per edge.
    pub const fn cycle(&self, edge: usize) -> Option<Message> {
        let mut mark = [0u8; N];
        // The open path: each node with the index of the next edge to try.
        let mut path = [(0usize, 0usize); N];
        let first = match self.start() {
            Some(start) => start,
            None => 0,
        };
        let mut round = 0;
        while round <= N {
            let root = if round == 0 { first } else { round - 1 };
            round += 1;
            if N == 0 || mark[root] != 0 {
                continue;
            }
            mark[root] = OPEN;
            path[0] = (root, 0);
            let mut depth = 1;
            while depth > 0 {
                let (node, k) = path[depth - 1];
                if k == self.edge_count() {
                    mark[node] = DONE;
                    depth -= 1;
                    continue;
                }
                path[depth - 1].1 = k + 1;
                let (from, to) = self.edge(k);
                if from != node {
                    continue;
                }
                if mark[to] == 0 {
                    mark[to] = OPEN;
                    path[depth] = (to, 0);
                    depth += 1;
                } else if mark[to] == OPEN && k == edge {
                    let mut message = Message::new().push("this edge closes the cycle `");
                    let mut at = 0;
                    while path[at].0 != to {
                        at += 1;
                    }
                    while at < depth {
                        message = message.push(self.nodes[path[at].0].path).push(" -> ");
                        at += 1;
                    }
                    return Some(message.push(self.nodes[to].path).push(
                        "`, and `strict: true` forbids cycles: remove an edge of the cycle, or drop `strict: true`",
                    ));
                }
            }
        }
        None
    }
}

/// A compile-time error message, built by const fns into a fixed buffer.
pub struct Message {
    bytes: [u8; Message::CAPACITY],
    len: usize,
    full: bool,
}

impl Message {
    const CAPACITY: usize = 600;
    const ELLIPSIS: &'static str = "...";

    const fn new() -> Self {
        Self {
            bytes: [0; Self::CAPACITY],
            len: 0,
            full: false,
        }
    }

    /// Appends `text`; past the capacity, cuts at a char boundary and ends
    /// with `...`.
    const fn push(mut self, text: &str) -> Self {
        let text = text.as_bytes();
        let room = Self::CAPACITY - Self::ELLIPSIS.len();
        let mut i = 0;
        while i < text.len() && !self.full {
            if self.len == room {
                // Cutting inside a char: drop its bytes written so far.
                if is_continuation(text[i]) {
                    while is_continuation(self.bytes[self.len - 1]) {
                        self.len -= 1;
                    }
                    self.len -= 1;
                }
                let dots = Self::ELLIPSIS.as_bytes();
                let mut d = 0;
                while d < dots.len() {
                    self.bytes[self.len] = dots[d];
                    self.len += 1;
                    d += 1;
                }
                self.full = true;
            } else {
                self.bytes[self.len] = text[i];
                self.len += 1;
                i += 1;
            }
        }
        self
    }

    /// Appends `text` in backticks.
    const fn code(self, text: &str) -> Self {
        self.push("`").push(text).push("`")
    }

    /// Appends the paths of the nodes picked by `which`, comma-separated.
    const fn list<const N: usize>(mut self, nodes: &[GraphNode; N], which: &[bool; N]) -> Self {
        let mut first = true;
        let mut i = 0;
        while i < N {
            if which[i] {
                if !first {
                    self = self.push(", ");
                }
                self = self.code(nodes[i].path);
                first = false;
            }
            i += 1;
        }
        self
    }

    /// The message.
    pub const fn as_str(&self) -> &str {
        match std::str::from_utf8(self.bytes.split_at(self.len).0) {
            Ok(text) => text,
            // `push` only cuts at char boundaries.
            Err(_) => "",
        }
    }
}

/// Unwraps the `compile` of a graph that `graph!` already checked.
///
/// # Panics
/// Only if `graph!`'s compile-time checks and `compile` disagree: a graphai bug.
#[track_caller]
pub fn compiled(result: Result<CompiledGraph, GraphCompileError>) -> CompiledGraph {
    match result {
        Ok(graph) => graph,
        Err(err) => panic!(
            "`graph!` checked this graph at compile time but `compile` rejected it ({err}); this is a bug in graphai, please report it"
        ),
    }
}

const fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> NodeDef {
        unreachable!("these tests never build the graph")
    }

    /// `name` with flags among `start`, `end`, `router`.
    const fn node(name: &'static str, start: bool, end: bool, router: bool) -> GraphNode {
        GraphNode {
            path: name,
            name,
            start,
            end,
            router,
            def,
        }
    }

    const fn plain(name: &'static str) -> GraphNode {
        node(name, false, false, false)
    }

    fn problems<const N: usize>(wiring: &Wiring<N>) -> Vec<Option<String>> {
        (0..N)
            .map(|i| wiring.problem(i).map(|m| m.as_str().to_owned()))
            .collect()
    }

    fn cycles<const N: usize>(wiring: &Wiring<N>) -> Vec<Option<String>> {
        (0..wiring.edge_count())
            .map(|k| wiring.cycle(k).map(|m| m.as_str().to_owned()))
            .collect()
    }

    const START: GraphNode = node("begin", true, false, false);
    const END: GraphNode = node("finish", false, true, false);
    const ROUTER: GraphNode = node("choose", false, false, true);

    #[test]
    fn a_wired_graph_has_no_problems() {
        let wiring = Wiring {
            nodes: [START, plain("a"), plain("b"), END],
            next: &[(0, 1), (0, 2)],
            side: &[(1, 3), (2, 3)],
        };
        assert_eq!(problems(&wiring), [None, None, None, None]);
        assert!(wiring.has_start() && wiring.has_end());
    }

    #[test]
    fn names_the_node_the_start_node_cannot_reach() {
        let wiring = Wiring {
            nodes: [START, END, plain("orphan")],
            next: &[(0, 1), (2, 1)],
            side: &[],
        };
        assert_eq!(
            problems(&wiring)[2].as_deref(),
            Some(
                "`orphan` cannot be reached from the start node `begin`: add an edge into it, or remove it from the graph"
            )
        );
    }

    #[test]
    fn a_router_without_destinations_reaches_every_node() {
        let anywhere = Wiring {
            nodes: [START, ROUTER, END, plain("x")],
            next: &[(0, 1)],
            side: &[],
        };
        assert_eq!(problems(&anywhere), [None, None, None, None]);
        let declared = Wiring {
            nodes: [START, ROUTER, END, plain("x")],
            next: &[(0, 1), (1, 2)],
            side: &[],
        };
        assert!(declared.problem(3).is_some());
        assert!(declared.problem(2).is_none());
    }

    #[test]
    fn branch_and_join_edges_reach_their_destinations() {
        let wiring = Wiring {
            nodes: [START, END, plain("log")],
            next: &[(0, 1)],
            side: &[(0, 2)],
        };
        assert_eq!(problems(&wiring), [None, None, None]);
    }

    #[test]
    fn names_every_start_node_on_each() {
        let wiring = Wiring {
            nodes: [START, node("again", true, false, false), END],
            next: &[(0, 2), (1, 2)],
            side: &[],
        };
        let several = "several start nodes: `begin`, `again`; a graph has exactly one, keep `start` on one of them";
        assert_eq!(
            problems(&wiring),
            [Some(several.to_owned()), Some(several.to_owned()), None]
        );
        let none = Wiring {
            nodes: [plain("a"), END],
            next: &[(0, 1)],
            side: &[],
        };
        assert!(!none.has_start());
        assert_eq!(
            problems(&none),
            [None, None],
            "no start: nothing to reach from"
        );
        assert!(
            !Wiring {
                nodes: [START],
                next: &[],
                side: &[]
            }
            .has_end()
        );
    }

    #[test]
    fn names_a_name_taken_twice_with_both_paths() {
        let mut again = END;
        again.path = "tools::finish";
        let wiring = Wiring {
            nodes: [START, END, again],
            next: &[(0, 1), (0, 2)],
            side: &[],
        };
        assert_eq!(
            problems(&wiring)[2].as_deref(),
            Some(
                "node name `finish` is taken twice, by `finish` and `tools::finish`: if they are one node, write it one way; if not, rename one with `#[node(name = \"..\")]`"
            )
        );
        assert_eq!(problems(&wiring)[1], None, "the first one is fine");
    }

    #[test]
    fn a_cycle_is_blamed_on_the_edge_that_closes_it() {
        let wiring = Wiring {
            nodes: [START, plain("draft"), plain("review"), END],
            next: &[(0, 1), (1, 2), (2, 3), (2, 1)],
            side: &[],
        };
        let closes = "this edge closes the cycle `draft -> review -> draft`, and `strict: true` forbids cycles: remove an edge of the cycle, or drop `strict: true`";
        assert_eq!(cycles(&wiring), [None, None, None, Some(closes.to_owned())]);
    }

    #[test]
    fn finds_self_loops_and_cycles_through_side_edges_but_not_diamonds() {
        let self_loop = Wiring {
            nodes: [START, END],
            next: &[(0, 1), (1, 1)],
            side: &[],
        };
        assert!(
            cycles(&self_loop)[1]
                .as_deref()
                .unwrap()
                .contains("`finish -> finish`")
        );
        let through_branch = Wiring {
            nodes: [START, END, plain("log")],
            next: &[(0, 1), (2, 0)],
            side: &[(0, 2)],
        };
        assert_eq!(
            cycles(&through_branch)
                .iter()
                .filter(|c| c.is_some())
                .count(),
            1
        );
        let diamond = Wiring {
            nodes: [START, plain("a"), plain("b"), END],
            next: &[(0, 1), (0, 2), (1, 3), (2, 3)],
            side: &[],
        };
        assert_eq!(cycles(&diamond), [None, None, None, None]);
    }

    #[test]
    fn a_long_message_is_cut_at_a_char_boundary() {
        // Two ASCII bytes, then two-byte chars: the room (an odd number of
        // bytes) runs out in the middle of one.
        let mut message = Message::new().push("xx");
        for _ in 0..400 {
            message = message.push("é");
        }
        let text = message.as_str();
        assert_eq!(text.len(), Message::CAPACITY - 1, "{text}");
        assert!(text.ends_with("é..."), "{text}");
        let short = Message::new().code("a").push(" b");
        assert_eq!(short.as_str(), "`a` b");
    }

    #[test]
    #[should_panic(expected = "this is a bug in graphai")]
    fn compiled_says_a_disagreement_is_a_bug() {
        compiled(Err(GraphCompileError::new(vec![
            crate::error::CompileProblem::NoEndNode,
        ])));
    }
}
