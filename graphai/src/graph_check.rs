//! What `graph!` expands to: the tables of its wiring, checked at compile time
//! by the rules [`Graph::compile`] runs, and turned into a [`Graph`] at run time.
//!
//! A function-like macro cannot see the items it names, so `graph!` writes the
//! wiring down as a `const` [`Wiring`] built from each node's associated consts
//! ([`Node::IS_START`], ..), runs [`Wiring::check`] (the shared rules, over the
//! const's arrays) and asserts on the answers of [`Checked`]'s methods in
//! `const` items spanned at the user's tokens. At run time a `static` copy of
//! the same tables feeds [`wire`], so the generated function stays small
//! however large the graph.

use std::borrow::Cow;

pub use crate::builder::{Branch, Graph};
use crate::node::{IntoNode, Node, NodeDef, NodeRef};
pub use crate::rules::{Edge, Kind, RouterUse};
use crate::rules::{
    Found, NONE, Report, RuleNode, Scratch, StartBy, Summary, Tables, check, table_size,
    text::{self, Writer},
};

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

    const fn rule(&self) -> RuleNode<'static> {
        RuleNode {
            name: self.name,
            label: self.path,
            start: self.start,
            end: self.end,
            router: self.router,
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

/// The wiring of a `graph!`: its nodes in order of first appearance, its
/// edges by index in the order the builder takes them (regular edges as
/// written, then the joins, then the branches), and its router uses.
pub struct Wiring<const N: usize, const E: usize, const U: usize> {
    /// The nodes.
    pub nodes: [GraphNode; N],
    /// The edges.
    pub edges: [Edge; E],
    /// Each node used before `=>` or `->`, once per arrow.
    pub uses: [RouterUse; U],
}

impl<const N: usize, const E: usize, const U: usize> Wiring<N, E, U> {
    /// Runs the rules. `H`, the size of a hash table, is [`table_size`]`(N, E)`
    /// (or a larger power of two).
    pub const fn check<const H: usize>(&self, strict: bool) -> Checked<N, E, U> {
        let blank = RuleNode {
            name: "",
            label: "",
            start: false,
            end: false,
            router: false,
        };
        let mut nodes = [blank; N];
        let mut u = 0;
        while u < N {
            nodes[u] = self.nodes[u].rule();
            u += 1;
        }
        let mut checked = Checked {
            nodes,
            edges: self.edges,
            uses: self.uses,
            strict,
            same_name_as: [NONE; N],
            reached: [false; N],
            parent: [0; N],
            stops: [false; N],
            repeats: [false; E],
            closes_cycle: [false; E],
            join_destination: [NONE; E],
            fed: [false; E],
            summary: Summary {
                starts: 0,
                start: NONE,
                has_end: false,
                joins: 0,
                stops: 0,
            },
        };
        assert!(
            H.is_power_of_two() && H >= table_size(N, E),
            "`H` must be a power of two of at least `table_size(N, E)`"
        );
        let (mut join_of, mut first, mut count, mut stack) = ([NONE; N], [0; N], [0; N], [0; N]);
        let (mut cursor, mut post, mut join_first, mut mark) = ([0; N], [0; N], [NONE; N], [0; N]);
        let (mut order, mut table) = ([0; E], [0; H]);
        let tables = Tables {
            nodes: &checked.nodes,
            edges: &checked.edges,
            uses: &checked.uses,
            start: StartBy::Flags,
            strict,
        };
        checked.summary = check(
            &tables,
            &mut Found {
                same_name_as: &mut checked.same_name_as,
                reached: &mut checked.reached,
                parent: &mut checked.parent,
                join_of: &mut join_of,
                repeats: &mut checked.repeats,
                closes_cycle: &mut checked.closes_cycle,
                join_destination: &mut checked.join_destination,
                fed: &mut checked.fed,
                stops: &mut checked.stops,
            },
            &mut Scratch {
                first: &mut first,
                count: &mut count,
                order: &mut order,
                stack: &mut stack,
                cursor: &mut cursor,
                mark: &mut mark,
                post: &mut post,
                join_first: &mut join_first,
                table: &mut table,
            },
        );
        checked
    }
}

/// A [`Wiring`] and what the rules found in it; its methods are the
/// questions `graph!`'s const items ask, each answering with the message of
/// [`CompileProblem`](crate::CompileProblem) for the same mistake.
pub struct Checked<const N: usize, const E: usize, const U: usize> {
    nodes: [RuleNode<'static>; N],
    edges: [Edge; E],
    uses: [RouterUse; U],
    strict: bool,
    same_name_as: [usize; N],
    reached: [bool; N],
    parent: [usize; N],
    stops: [bool; N],
    repeats: [bool; E],
    closes_cycle: [bool; E],
    join_destination: [usize; E],
    fed: [bool; E],
    summary: Summary,
}

impl<const N: usize, const E: usize, const U: usize> Checked<N, E, U> {
    const fn report(&self) -> Report<'_> {
        Report {
            t: Tables {
                nodes: &self.nodes,
                edges: &self.edges,
                uses: &self.uses,
                start: StartBy::Flags,
                strict: self.strict,
            },
            same_name_as: &self.same_name_as,
            reached: &self.reached,
            parent: &self.parent,
            repeats: &self.repeats,
            closes_cycle: &self.closes_cycle,
            fed: &self.fed,
            join_destination: &self.join_destination,
            stops: &self.stops,
            summary: self.summary,
        }
    }

    /// Whether the graph passes every rule (then no other method has
    /// anything to say, and the const items need not ask).
    pub const fn ok(&self) -> bool {
        let r = self.report();
        if r.no_start() || r.summary.starts > 1 || r.no_end() {
            return false;
        }
        let mut u = 0;
        while u < N {
            if r.name_taken_by(u).is_some() || r.unreachable(u) {
                return false;
            }
            u += 1;
        }
        let mut k = 0;
        while k < E {
            if r.repeated(k) || r.closes_cycle(k) || r.join_without_fork(k) {
                return false;
            }
            k += 1;
        }
        let mut i = 0;
        while i < U {
            if r.misused(i) {
                return false;
            }
            i += 1;
        }
        true
    }

    /// The labels of the nodes `pick` selects, in order, into `into`;
    /// returns how many.
    const fn labels(&self, pick: Pick, into: &mut [&'static str; N]) -> usize {
        let r = self.report();
        let mut len = 0;
        let mut u = 0;
        while u < N {
            let picked = match pick {
                Pick::Starts => r.one_of_several_starts(u),
                Pick::Stops => r.stops_here(u),
                Pick::Unreachable => r.unreachable(u),
            };
            if picked {
                into[len] = self.nodes[u].label;
                len += 1;
            }
            u += 1;
        }
        len
    }

    /// What is wrong with node `node`, if anything: its name is taken by an
    /// earlier node, it is one of several start nodes, or the start node does
    /// not reach it.
    pub const fn node_problem(&self, node: usize) -> Option<Message> {
        let r = self.report();
        let mut names = [""; N];
        let mut m = Message::new();
        let mut w = Writer::new(&mut m.bytes);
        if r.name_taken_by(node).is_some() {
            text::name_taken_twice(&mut w, self.nodes[node].name);
        } else if r.one_of_several_starts(node) {
            let len = self.labels(Pick::Starts, &mut names);
            text::several_starts(&mut w, names.split_at(len).0);
        } else if r.unreachable(node) {
            let len = self.labels(Pick::Unreachable, &mut names);
            let start = self.nodes[self.summary.start].label;
            text::unreachable(&mut w, start, names.split_at(len).0);
        } else {
            return None;
        }
        m.len = w.finish();
        Some(m)
    }

    /// With no end node, whether runs stop at node `node`.
    pub const fn stop_problem(&self, node: usize) -> Option<Message> {
        let r = self.report();
        if !r.no_end() || !r.stops_here(node) {
            return None;
        }
        let mut names = [""; N];
        let len = self.labels(Pick::Stops, &mut names);
        let mut m = Message::new();
        let mut w = Writer::new(&mut m.bytes);
        text::no_end(&mut w, names.split_at(len).0);
        m.len = w.finish();
        Some(m)
    }

    /// No node is marked `start`.
    pub const fn no_start(&self) -> Option<Message> {
        if !self.report().no_start() {
            return None;
        }
        let mut m = Message::new();
        let mut w = Writer::new(&mut m.bytes);
        text::no_start(&mut w);
        m.len = w.finish();
        Some(m)
    }

    /// No node is marked `end`, and no node is where runs stop (every node is
    /// a router): otherwise [`stop_problem`](Self::stop_problem) blames those.
    pub const fn no_end(&self) -> Option<Message> {
        if !self.report().no_end() || self.summary.stops > 0 {
            return None;
        }
        let mut m = Message::new();
        let mut w = Writer::new(&mut m.bytes);
        text::no_end(&mut w, &[]);
        m.len = w.finish();
        Some(m)
    }

    /// What is wrong with router use `i`: `=>` from a node that is not a
    /// router, or `->` from a router.
    pub const fn use_problem(&self, i: usize) -> Option<Message> {
        if !self.report().misused(i) {
            return None;
        }
        let used = &self.uses[i];
        let label = self.nodes[used.node].label;
        let mut m = Message::new();
        let mut w = Writer::new(&mut m.bytes);
        if used.routed {
            text::not_a_router(&mut w, label);
        } else {
            text::router_with_plain_edge(&mut w, label);
        }
        m.len = w.finish();
        Some(m)
    }

    /// What is wrong with edge `k`: it repeats an earlier edge, or (strict)
    /// it closes a cycle.
    pub const fn edge_problem(&self, k: usize) -> Option<Message> {
        let r = self.report();
        let edge = &self.edges[k];
        let mut m = Message::new();
        let mut w = Writer::new(&mut m.bytes);
        if r.repeated(k) {
            let (from, to) = (&self.nodes[edge.from], &self.nodes[edge.to]);
            text::edge(&mut w, edge.kind, from.router, from.label, to.label);
            text::declared_twice(&mut w);
        } else if r.closes_cycle(k) {
            let mut path = [0; N];
            let mut names = [""; N];
            let len = r.cycle_path(k, &mut path);
            let mut i = 0;
            while i < len {
                names[i] = self.nodes[path[i]].label;
                i += 1;
            }
            text::cycle(&mut w, names.split_at(len).0);
        } else {
            return None;
        }
        m.len = w.finish();
        Some(m)
    }

    /// What is wrong with join number `j`: no fan-out leads into it.
    pub const fn join_problem(&self, j: usize) -> Option<Message> {
        if !self.report().join_without_fork(j) {
            return None;
        }
        let mut sources = [""; N];
        let mut len = 0;
        let mut k = 0;
        while k < E {
            if let Kind::Join(of) = self.edges[k].kind
                && of == j
            {
                sources[len] = self.nodes[self.edges[k].from].label;
                len += 1;
            }
            k += 1;
        }
        let destination = self.nodes[self.join_destination[j]].label;
        let mut m = Message::new();
        let mut w = Writer::new(&mut m.bytes);
        text::join_without_fork(&mut w, sources.split_at(len).0, destination);
        m.len = w.finish();
        Some(m)
    }
}

#[derive(Clone, Copy)]
enum Pick {
    Starts,
    Stops,
    Unreachable,
}

/// A compile-time error message, written into a fixed buffer (a longer one
/// ends with `...`).
pub struct Message {
    bytes: [u8; Message::CAPACITY],
    len: usize,
}

impl Message {
    const CAPACITY: usize = 600;

    const fn new() -> Self {
        Self {
            bytes: [0; Self::CAPACITY],
            len: 0,
        }
    }

    /// The message.
    pub const fn as_str(&self) -> &str {
        match std::str::from_utf8(self.bytes.split_at(self.len).0) {
            Ok(text) => text,
            // `Writer::finish` only cuts at char boundaries.
            Err(_) => "",
        }
    }
}

/// The builder calls for `nodes` and `edges`: each node, the regular edges and
/// the joins in order, and a router registration for each `=>` in `uses`.
/// Branch edges, which may carry conditions, are added by the expansion.
pub fn wire(mut graph: Graph, nodes: &[GraphNode], edges: &[Edge], uses: &[RouterUse]) -> Graph {
    graph
        .nodes
        .extend(nodes.iter().map(|node| node.into_node()));
    let name = |i: usize| Cow::Borrowed(nodes[i].name);
    let mut joins: Vec<(Vec<Cow<'static, str>>, Cow<'static, str>)> = Vec::new();
    for edge in edges {
        match edge.kind {
            Kind::Next => graph.edges.push((name(edge.from), name(edge.to))),
            Kind::Join(j) => {
                if joins.len() <= j {
                    joins.resize_with(j + 1, || (Vec::new(), Cow::Borrowed("")));
                }
                joins[j].0.push(name(edge.from));
                joins[j].1 = name(edge.to);
            }
            Kind::Branch => {}
        }
    }
    graph.joins.extend(joins);
    graph.routers.extend(
        uses.iter()
            .filter(|used| used.routed)
            .map(|used| name(used.node)),
    );
    graph
}

#[cfg(test)]
mod tests;
