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
pub struct Wiring<const N: usize, const E: usize> {
    /// The nodes.
    pub nodes: [GraphNode; N],
    /// The edges, `(from, to)`: first the regular ones (`->`, `=>`: the
    /// runtime's successors and router destinations), then joins and branches,
    /// which count for reachability and cycles only.
    pub edges: [(usize, usize); E],
    /// How many of `edges` are regular.
    pub next: usize,
}

const NEW: u8 = 0;
const OPEN: u8 = 1;
const DONE: u8 = 2;

impl<const N: usize, const E: usize> Wiring<N, E> {
    /// Works out, once, everything the checks ask: start nodes, reachability,
    /// names taken twice, and the edges that close cycles. Linear in the size
    /// of the graph, but for the name comparisons.
    pub const fn check(self) -> Checked<N, E> {
        // The edges out of each node, in declaration order: `order[first[u]..][..count[u]]`.
        let mut count = [0; N];
        let mut k = 0;
        while k < E {
            count[self.edges[k].0] += 1;
            k += 1;
        }
        let mut first = [0; N];
        let mut u = 1;
        while u < N {
            first[u] = first[u - 1] + count[u - 1];
            u += 1;
        }
        let mut order = [0; E];
        let mut fill = first;
        k = 0;
        while k < E {
            let from = self.edges[k].0;
            order[fill[from]] = k;
            fill[from] += 1;
            k += 1;
        }

        let mut starts = 0;
        let mut start = 0;
        let mut has_end = false;
        let mut same_name_as = [None; N];
        u = 0;
        while u < N {
            if self.nodes[u].start {
                starts += 1;
                start = u;
            }
            has_end |= self.nodes[u].end;
            let mut earlier = 0;
            while earlier < u && same_name_as[u].is_none() {
                if str_eq(self.nodes[earlier].name, self.nodes[u].name) {
                    same_name_as[u] = Some(earlier);
                }
                earlier += 1;
            }
            u += 1;
        }
        let start = if starts == 1 { Some(start) } else { None };

        let mut checked = Checked {
            wiring: self,
            starts,
            start,
            has_end,
            same_name_as,
            reached: [false; N],
            parent: [0; N],
            closes_cycle: [false; E],
        };
        if let Some(start) = start {
            checked.reached = checked.reach(start, &first, &count, &order);
        }
        checked.find_cycles(&first, &count, &order);
        checked
    }
}

/// A [`Wiring`] and what [`Wiring::check`] found out about it.
pub struct Checked<const N: usize, const E: usize> {
    /// The wiring.
    pub wiring: Wiring<N, E>,
    starts: usize,
    /// The start node, when exactly one node is marked `start`.
    start: Option<usize>,
    has_end: bool,
    /// For each node, an earlier node with the same name.
    same_name_as: [Option<usize>; N],
    /// The nodes the start node reaches.
    reached: [bool; N],
    /// Each node's parent in the depth-first walk of `find_cycles`.
    parent: [usize; N],
    /// The back edges of that walk: each cycle has at least one.
    closes_cycle: [bool; E],
}

impl<const N: usize, const E: usize> Checked<N, E> {
    /// A router without declared destinations may choose any node.
    const fn routes_anywhere(
        &self,
        node: usize,
        first: &[usize; N],
        count: &[usize; N],
        order: &[usize; E],
    ) -> bool {
        if !self.wiring.nodes[node].router {
            return false;
        }
        let mut i = 0;
        while i < count[node] {
            if order[first[node] + i] < self.wiring.next {
                return false;
            }
            i += 1;
        }
        true
    }

    /// The nodes some path from `from` reaches, `from` included.
    const fn reach(
        &self,
        from: usize,
        first: &[usize; N],
        count: &[usize; N],
        order: &[usize; E],
    ) -> [bool; N] {
        let mut seen = [false; N];
        let mut stack = [0; N];
        seen[from] = true;
        stack[0] = from;
        let mut top = 1;
        while top > 0 {
            top -= 1;
            let node = stack[top];
            let anywhere = self.routes_anywhere(node, first, count, order);
            let fanout = if anywhere { N } else { count[node] };
            let mut i = 0;
            while i < fanout {
                let to = if anywhere {
                    i
                } else {
                    self.wiring.edges[order[first[node] + i]].1
                };
                if !seen[to] {
                    seen[to] = true;
                    stack[top] = to;
                    top += 1;
                }
                i += 1;
            }
        }
        seen
    }

    /// A depth-first walk from the start node, then from each node in order,
    /// marking its back edges in `closes_cycle`.
    const fn find_cycles(&mut self, first: &[usize; N], count: &[usize; N], order: &[usize; E]) {
        let mut mark = [NEW; N];
        let mut next_edge = *first;
        let mut path = [0; N];
        let mut round = 0;
        while round <= N {
            let root = match (round, self.start) {
                (0, Some(start)) => start,
                (0, None) => 0,
                (n, _) => n - 1,
            };
            round += 1;
            if mark[root] != NEW {
                continue;
            }
            mark[root] = OPEN;
            self.parent[root] = root;
            path[0] = root;
            let mut depth = 1;
            while depth > 0 {
                let node = path[depth - 1];
                if next_edge[node] == first[node] + count[node] {
                    mark[node] = DONE;
                    depth -= 1;
                    continue;
                }
                let k = order[next_edge[node]];
                next_edge[node] += 1;
                let to = self.wiring.edges[k].1;
                if mark[to] == NEW {
                    mark[to] = OPEN;
                    self.parent[to] = node;
                    path[depth] = to;
                    depth += 1;
                } else if mark[to] == OPEN {
                    self.closes_cycle[k] = true;
                }
            }
        }
    }

    /// Whether some node is marked `start`.
    pub const fn has_start(&self) -> bool {
        self.starts > 0
    }

    /// Whether some node is marked `end`.
    pub const fn has_end(&self) -> bool {
        self.has_end
    }

    /// Whether node `node` is a router.
    pub const fn is_router(&self, node: usize) -> bool {
        self.wiring.nodes[node].router
    }

    /// Whether each of `nodes` is a router.
    pub const fn all_routers(&self, nodes: &[usize]) -> bool {
        let mut i = 0;
        while i < nodes.len() {
            if !self.is_router(nodes[i]) {
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
        let nodes = &self.wiring.nodes;
        let this = &nodes[node];
        if let Some(earlier) = self.same_name_as[node] {
            return Some(
                Message::new()
                    .push("node name ")
                    .code(this.name)
                    .push(" is taken twice, by ")
                    .code(nodes[earlier].path)
                    .push(" and ")
                    .code(this.path)
                    .push(": if they are one node, write it one way; if not, rename one with `#[node(name = \"..\")]`"),
            );
        }
        if this.start && self.starts > 1 {
            let mut message = Message::new().push("several start nodes: ");
            let mut listed = 0;
            let mut i = 0;
            while i < N {
                if nodes[i].start {
                    if listed > 0 {
                        message = message.push(", ");
                    }
                    message = message.code(nodes[i].path);
                    listed += 1;
                }
                i += 1;
            }
            return Some(message.push("; a graph has exactly one, keep `start` on one of them"));
        }
        if let Some(start) = self.start
            && !self.reached[node]
        {
            return Some(
                Message::new()
                    .code(this.path)
                    .push(" cannot be reached from the start node ")
                    .code(nodes[start].path)
                    .push(": add an edge into it, or remove it from the graph"),
            );
        }
        None
    }

    /// The cycle that edge `edge` closes, if it is one of the back edges
    /// [`Wiring::check`] found: every cycle has at least one, and an edge
    /// that is not one gets `None`, so each cycle is reported once or a few
    /// times, not once per edge.
    pub const fn cycle(&self, edge: usize) -> Option<Message> {
        if !self.closes_cycle[edge] {
            return None;
        }
        let (from, to) = self.wiring.edges[edge];
        // The walk's path from `to` down to `from`, read upwards from `from`.
        let mut upwards = [0; N];
        let mut len = 0;
        let mut node = from;
        while node != to {
            upwards[len] = node;
            len += 1;
            node = self.parent[node];
        }
        let mut message = Message::new()
            .push("this edge closes the cycle `")
            .push(self.wiring.nodes[to].path);
        while len > 0 {
            len -= 1;
            message = message
                .push(" -> ")
                .push(self.wiring.nodes[upwards[len]].path);
        }
        Some(message.push(" -> ").push(self.wiring.nodes[to].path).push(
            "`, and `strict: true` forbids cycles: remove an edge of the cycle, or drop `strict: true`",
        ))
    }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
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

    /// `next` regular edges, then `side` joins and branches.
    fn checked<const N: usize, const E: usize>(
        nodes: [GraphNode; N],
        next: &[(usize, usize)],
        side: &[(usize, usize)],
    ) -> Checked<N, E> {
        let mut edges = [(0, 0); E];
        for (k, &edge) in next.iter().chain(side).enumerate() {
            edges[k] = edge;
        }
        Wiring {
            nodes,
            edges,
            next: next.len(),
        }
        .check()
    }

    fn problems<const N: usize, const E: usize>(checked: &Checked<N, E>) -> Vec<Option<String>> {
        (0..N)
            .map(|i| checked.problem(i).map(|m| m.as_str().to_owned()))
            .collect()
    }

    fn cycles<const N: usize, const E: usize>(checked: &Checked<N, E>) -> Vec<Option<String>> {
        (0..E)
            .map(|k| checked.cycle(k).map(|m| m.as_str().to_owned()))
            .collect()
    }

    const START: GraphNode = node("begin", true, false, false);
    const END: GraphNode = node("finish", false, true, false);
    const ROUTER: GraphNode = node("choose", false, false, true);

    #[test]
    fn a_wired_graph_has_no_problems() {
        let wiring = checked::<_, 4>(
            [START, plain("a"), plain("b"), END],
            &[(0, 1), (0, 2)],
            &[(1, 3), (2, 3)],
        );
        assert_eq!(problems(&wiring), [None, None, None, None]);
        assert!(wiring.has_start() && wiring.has_end());
    }

    #[test]
    fn names_the_node_the_start_node_cannot_reach() {
        let wiring = checked::<_, 2>([START, END, plain("orphan")], &[(0, 1), (2, 1)], &[]);
        assert_eq!(
            problems(&wiring)[2].as_deref(),
            Some(
                "`orphan` cannot be reached from the start node `begin`: add an edge into it, or remove it from the graph"
            )
        );
    }

    #[test]
    fn a_router_without_destinations_reaches_every_node() {
        let anywhere = checked::<_, 1>([START, ROUTER, END, plain("x")], &[(0, 1)], &[]);
        assert_eq!(problems(&anywhere), [None, None, None, None]);
        let declared = checked::<_, 2>([START, ROUTER, END, plain("x")], &[(0, 1), (1, 2)], &[]);
        assert!(declared.problem(3).is_some());
        assert!(declared.problem(2).is_none());
    }

    #[test]
    fn branch_and_join_edges_reach_their_destinations() {
        let wiring = checked::<_, 2>([START, END, plain("log")], &[(0, 1)], &[(0, 2)]);
        assert_eq!(problems(&wiring), [None, None, None]);
    }

    #[test]
    fn names_every_start_node_on_each() {
        let wiring = checked::<_, 2>(
            [START, node("again", true, false, false), END],
            &[(0, 2), (1, 2)],
            &[],
        );
        let several = "several start nodes: `begin`, `again`; a graph has exactly one, keep `start` on one of them";
        assert_eq!(
            problems(&wiring),
            [Some(several.to_owned()), Some(several.to_owned()), None]
        );
        let none = checked::<_, 1>([plain("a"), END], &[(0, 1)], &[]);
        assert!(!none.has_start());
        assert_eq!(
            problems(&none),
            [None, None],
            "no start: nothing to reach from"
        );
        assert!(!checked::<_, 0>([START], &[], &[]).has_end());
    }

    #[test]
    fn names_a_name_taken_twice_with_both_paths() {
        let mut again = END;
        again.path = "tools::finish";
        let wiring = checked::<_, 2>([START, END, again], &[(0, 1), (0, 2)], &[]);
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
        let wiring = checked::<_, 4>(
            [START, plain("draft"), plain("review"), END],
            &[(0, 1), (1, 2), (2, 3), (2, 1)],
            &[],
        );
        let closes = "this edge closes the cycle `draft -> review -> draft`, and `strict: true` forbids cycles: remove an edge of the cycle, or drop `strict: true`";
        assert_eq!(cycles(&wiring), [None, None, None, Some(closes.to_owned())]);
    }

    #[test]
    fn finds_self_loops_and_cycles_through_side_edges_but_not_diamonds() {
        let self_loop = checked::<_, 2>([START, END], &[(0, 1), (1, 1)], &[]);
        assert!(
            cycles(&self_loop)[1]
                .as_deref()
                .unwrap()
                .contains("`finish -> finish`")
        );
        let through_branch =
            checked::<_, 3>([START, END, plain("log")], &[(0, 1), (2, 0)], &[(0, 2)]);
        assert_eq!(
            cycles(&through_branch)
                .iter()
                .filter(|c| c.is_some())
                .count(),
            1
        );
        let diamond = checked::<_, 4>(
            [START, plain("a"), plain("b"), END],
            &[(0, 1), (0, 2), (1, 3), (2, 3)],
            &[],
        );
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
