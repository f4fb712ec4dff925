//! The wiring rules of a graph, written once.
//!
//! [`Graph::compile`](crate::Graph::compile) and `graph!`'s compile-time check
//! both describe a graph as the same [`Tables`] (node flags and names, edges as
//! index pairs) and run [`check`] on them: the builder over `Vec`s at run time,
//! `graph!` over the arrays of a `const` at compile time. What `check` finds is
//! read through a [`Report`], and every message comes from [`text`], so a
//! mistake reads the same in both.
//!
//! Every walk is a loop over explicit stacks (no recursion), and every rule is
//! linear in the size of the graph, so a graph of thousands of nodes checks
//! within the compiler's const-evaluation budget.

mod joins;
mod report;
pub(crate) mod text;

pub(crate) use report::Analysis;
pub use report::Report;

#[cfg(test)]
mod tests;

/// "No node" / "no join" in the index tables.
pub const NONE: usize = usize::MAX;

/// A node as the rules see it.
#[derive(Clone, Copy, Debug)]
pub struct RuleNode<'a> {
    /// Its name in the graph: two nodes may not share one.
    pub name: &'a str,
    /// How messages name it: the name for the builder, the path as written for `graph!`.
    pub label: &'a str,
    /// Marked `#[node(start)]`.
    pub start: bool,
    /// Marked `#[node(end)]` (or named by `set_end_node`).
    pub end: bool,
    /// A `#[router]`.
    pub router: bool,
}

/// What an [`Edge`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A regular edge (`->`, `=>`, `add_edge`, `add_router`): a successor.
    Next,
    /// A join source into its destination, with the join's number (in the
    /// order joins were declared).
    Join(usize),
    /// A branch edge (`~>`, `add_branch`).
    Branch,
}

/// An edge of the graph, by node index.
#[derive(Clone, Copy, Debug)]
pub struct Edge {
    /// The node it leaves.
    pub from: usize,
    /// The node it enters.
    pub to: usize,
    /// What it is.
    pub kind: Kind,
}

impl Edge {
    /// A regular edge.
    pub const fn next(from: usize, to: usize) -> Self {
        Self {
            from,
            to,
            kind: Kind::Next,
        }
    }

    /// `from` as a source of join number `join`, into `to`.
    pub const fn join(from: usize, to: usize, join: usize) -> Self {
        Self {
            from,
            to,
            kind: Kind::Join(join),
        }
    }

    /// A branch edge.
    pub const fn branch(from: usize, to: usize) -> Self {
        Self {
            from,
            to,
            kind: Kind::Branch,
        }
    }
}

/// A node wired as a router (`=>`, `add_router`: `routed`), or, in `graph!`
/// only, on the left of a plain `->` (`routed: false`).
#[derive(Clone, Copy, Debug)]
pub struct RouterUse {
    /// The node.
    pub node: usize,
    /// `true` for `=>` / `add_router`.
    pub routed: bool,
}

/// Which node runs first.
#[derive(Clone, Copy, Debug)]
pub enum StartBy {
    /// The one node marked `start`.
    Flags,
    /// Set explicitly (`set_start_node`).
    Node(usize),
    /// Set explicitly to a name that is not a node (reported elsewhere).
    Missing,
}

/// A graph, as the rules see it.
#[derive(Clone, Copy)]
pub struct Tables<'a> {
    /// The nodes, in order.
    pub nodes: &'a [RuleNode<'a>],
    /// Every edge: the regular ones in declaration order (that order is each
    /// node's order of successors), then the joins in order, then the branches.
    pub edges: &'a [Edge],
    /// Nodes wired as routers.
    pub uses: &'a [RouterUse],
    /// The start node.
    pub start: StartBy,
    /// Reject cycles.
    pub strict: bool,
}

/// What [`check`] writes, one slot per node (`N`) or per edge (`E`; joins are
/// numbered below the edge count, so their tables are `E` long too).
pub struct Found<'s> {
    /// N: an earlier node with the same name, or [`NONE`].
    pub same_name_as: &'s mut [usize],
    /// N: reached from the start node.
    pub reached: &'s mut [bool],
    /// N: the node's parent in the depth-first walk for cycles.
    pub parent: &'s mut [usize],
    /// N: the join a parallel branch starting at the node waits at, or [`NONE`].
    pub join_of: &'s mut [usize],
    /// E: the edge repeats an earlier one.
    pub repeats: &'s mut [bool],
    /// E: under `strict`, the edge closes a cycle.
    pub closes_cycle: &'s mut [bool],
    /// E, by join: the join's destination.
    pub join_destination: &'s mut [usize],
    /// E, by join: some fan-out's branches end at the join.
    pub fed: &'s mut [bool],
    /// N: with no end node, a run would stop here (see [`Report::stops_here`]).
    pub stops: &'s mut [bool],
}

/// Working space for [`check`]: `N`, `E`, or `H` slots, `H` a power of two of
/// at least twice the larger of the node and edge counts.
pub struct Scratch<'s> {
    /// N: the first of each node's out-edges in `order`.
    pub first: &'s mut [usize],
    /// N: how many out-edges each node has.
    pub count: &'s mut [usize],
    /// E: edge numbers grouped by the node they leave, in declaration order.
    pub order: &'s mut [usize],
    /// N: a stack of nodes.
    pub stack: &'s mut [usize],
    /// N: the next out-edge each node on a walk takes.
    pub cursor: &'s mut [usize],
    /// N: walk marks.
    pub mark: &'s mut [u8],
    /// N: nodes in the order a walk finished them.
    pub post: &'s mut [usize],
    /// N: each node's first join, as a join source, or [`NONE`].
    pub join_first: &'s mut [usize],
    /// H: an open-addressing hash table.
    pub table: &'s mut [usize],
}

/// The counts [`check`] works out besides [`Found`].
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    /// Nodes marked `start` (counting a name once).
    pub starts: usize,
    /// The start node, or [`NONE`].
    pub start: usize,
    /// Some node is an end node.
    pub has_end: bool,
    /// The number of joins.
    pub joins: usize,
    /// Nodes where a run stops without an end node (see [`Report::stops_here`]).
    pub stops: usize,
}

/// The size of the hash table `check` needs (its `Scratch::table`) for
/// `nodes` nodes and `edges` edges.
pub const fn table_size(nodes: usize, edges: usize) -> usize {
    let most = if nodes > edges { nodes } else { edges };
    (2 * most + 1).next_power_of_two()
}

/// Runs every rule over `t`, writing into `found`.
pub const fn check(t: &Tables<'_>, found: &mut Found<'_>, s: &mut Scratch<'_>) -> Summary {
    let n = t.nodes.len();
    let mut u = 0;
    while u < n {
        found.same_name_as[u] = NONE;
        found.reached[u] = false;
        found.parent[u] = u;
        found.join_of[u] = NONE;
        found.stops[u] = false;
        s.join_first[u] = NONE;
        u += 1;
    }
    let mut k = 0;
    while k < t.edges.len() {
        found.repeats[k] = false;
        found.closes_cycle[k] = false;
        found.join_destination[k] = NONE;
        found.fed[k] = false;
        k += 1;
    }
    group_out_edges(t, s);
    names_taken_twice(t, found, s);
    edges_declared_twice(t, found, s);

    let mut summary = Summary {
        starts: 0,
        start: NONE,
        has_end: false,
        joins: 0,
        stops: 0,
    };
    u = 0;
    while u < n {
        let node = &t.nodes[u];
        if node.start && found.same_name_as[u] == NONE {
            summary.starts += 1;
            if summary.start == NONE {
                summary.start = u;
            }
        }
        summary.has_end |= node.end;
        u += 1;
    }
    summary.start = match t.start {
        StartBy::Flags if summary.starts == 1 => summary.start,
        StartBy::Flags | StartBy::Missing => NONE,
        StartBy::Node(node) => node,
    };
    k = 0;
    while k < t.edges.len() {
        if let Kind::Join(j) = t.edges[k].kind {
            found.join_destination[j] = t.edges[k].to;
            if j >= summary.joins {
                summary.joins = j + 1;
            }
        }
        k += 1;
    }
    u = 0;
    while u < n {
        if stops_at(t, s, u) && found.same_name_as[u] == NONE {
            found.stops[u] = true;
            summary.stops += 1;
        }
        u += 1;
    }
    if summary.start != NONE {
        reach(t, found, s, summary.start);
    }
    if t.strict {
        find_cycles(t, found, s, summary.start);
    }
    joins::find(t, found, s);
    summary
}

/// Counting sort of the edges by the node they leave: node `u`'s out-edges are
/// `order[first[u]..first[u] + count[u]]`, in declaration order.
const fn group_out_edges(t: &Tables<'_>, s: &mut Scratch<'_>) {
    let n = t.nodes.len();
    let mut u = 0;
    while u < n {
        s.count[u] = 0;
        u += 1;
    }
    let mut k = 0;
    while k < t.edges.len() {
        s.count[t.edges[k].from] += 1;
        k += 1;
    }
    let mut at = 0;
    u = 0;
    while u < n {
        s.first[u] = at;
        s.cursor[u] = at;
        at += s.count[u];
        u += 1;
    }
    k = 0;
    while k < t.edges.len() {
        let from = t.edges[k].from;
        s.order[s.cursor[from]] = k;
        s.cursor[from] += 1;
        k += 1;
    }
}

/// How many regular edges leave `u`.
const fn next_count(t: &Tables<'_>, s: &Scratch<'_>, u: usize) -> usize {
    let mut found = 0;
    let mut i = 0;
    while i < s.count[u] {
        if matches!(t.edges[s.order[s.first[u] + i]].kind, Kind::Next) {
            found += 1;
        }
        i += 1;
    }
    found
}

/// A run stops at `u` if it is not a router (a router without destinations may
/// go anywhere) and no regular or join edge leaves it.
const fn stops_at(t: &Tables<'_>, s: &Scratch<'_>, u: usize) -> bool {
    if t.nodes[u].router {
        return false;
    }
    let mut i = 0;
    while i < s.count[u] {
        if !matches!(t.edges[s.order[s.first[u] + i]].kind, Kind::Branch) {
            return false;
        }
        i += 1;
    }
    true
}

/// FNV-1a.
const fn hash(bytes: &[u8], seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325 ^ seed;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    h
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

const fn clear(table: &mut [usize]) {
    let mut i = 0;
    while i < table.len() {
        table[i] = 0;
        i += 1;
    }
}

/// Marks each node whose name an earlier node already has.
const fn names_taken_twice(t: &Tables<'_>, found: &mut Found<'_>, s: &mut Scratch<'_>) {
    clear(s.table);
    let mask = s.table.len() - 1;
    let mut u = 0;
    while u < t.nodes.len() {
        let name = t.nodes[u].name;
        let mut slot = hash(name.as_bytes(), 0) as usize & mask;
        loop {
            let held = s.table[slot];
            if held == 0 {
                s.table[slot] = u + 1;
                break;
            }
            if str_eq(t.nodes[held - 1].name, name) {
                found.same_name_as[u] = held - 1;
                break;
            }
            slot = (slot + 1) & mask;
        }
        u += 1;
    }
}

/// The key that makes two edges the same: their ends and their kind (joins
/// into one destination count as one kind).
const fn edge_key(edge: &Edge) -> [u64; 3] {
    let kind = match edge.kind {
        Kind::Next => 0,
        Kind::Join(_) => 1,
        Kind::Branch => 2,
    };
    [edge.from as u64, edge.to as u64, kind]
}

const fn same_edge(a: &Edge, b: &Edge) -> bool {
    let (a, b) = (edge_key(a), edge_key(b));
    a[0] == b[0] && a[1] == b[1] && a[2] == b[2]
}

/// Marks each edge that repeats an earlier one.
const fn edges_declared_twice(t: &Tables<'_>, found: &mut Found<'_>, s: &mut Scratch<'_>) {
    clear(s.table);
    let mask = s.table.len() - 1;
    let mut k = 0;
    while k < t.edges.len() {
        let key = edge_key(&t.edges[k]);
        let mut h = hash(&key[0].to_le_bytes(), key[2]);
        h = hash(&key[1].to_le_bytes(), h);
        let mut slot = h as usize & mask;
        loop {
            let held = s.table[slot];
            if held == 0 {
                s.table[slot] = k + 1;
                break;
            }
            if same_edge(&t.edges[held - 1], &t.edges[k]) {
                found.repeats[k] = true;
                break;
            }
            slot = (slot + 1) & mask;
        }
        k += 1;
    }
}

/// A router without regular edges may choose any node.
const fn routes_anywhere(t: &Tables<'_>, s: &Scratch<'_>, u: usize) -> bool {
    t.nodes[u].router && next_count(t, s, u) == 0
}

/// Marks the nodes some path from `start` reaches, along every kind of edge.
const fn reach(t: &Tables<'_>, found: &mut Found<'_>, s: &mut Scratch<'_>, start: usize) {
    let n = t.nodes.len();
    found.reached[start] = true;
    s.stack[0] = start;
    let mut top = 1;
    while top > 0 {
        top -= 1;
        let u = s.stack[top];
        let anywhere = routes_anywhere(t, s, u);
        let fanout = if anywhere { n } else { s.count[u] };
        let mut i = 0;
        while i < fanout {
            let to = if anywhere {
                i
            } else {
                t.edges[s.order[s.first[u] + i]].to
            };
            if !found.reached[to] {
                found.reached[to] = true;
                s.stack[top] = to;
                top += 1;
            }
            i += 1;
        }
    }
}

const NEW: u8 = 0;
const OPEN: u8 = 1;
const DONE: u8 = 2;

/// A depth-first walk along every edge, from the start node, then from each
/// node in order, marking its back edges: every cycle has at least one.
const fn find_cycles(t: &Tables<'_>, found: &mut Found<'_>, s: &mut Scratch<'_>, start: usize) {
    let n = t.nodes.len();
    let mut u = 0;
    while u < n {
        s.mark[u] = NEW;
        s.cursor[u] = s.first[u];
        u += 1;
    }
    let mut round = 0;
    while round <= n {
        let root = match round {
            0 if start != NONE => start,
            0 => {
                round += 1;
                continue;
            }
            r => r - 1,
        };
        round += 1;
        if s.mark[root] != NEW {
            continue;
        }
        s.mark[root] = OPEN;
        found.parent[root] = root;
        s.stack[0] = root;
        let mut depth = 1;
        while depth > 0 {
            let node = s.stack[depth - 1];
            if s.cursor[node] == s.first[node] + s.count[node] {
                s.mark[node] = DONE;
                depth -= 1;
                continue;
            }
            let k = s.order[s.cursor[node]];
            s.cursor[node] += 1;
            let to = t.edges[k].to;
            if s.mark[to] == NEW {
                s.mark[to] = OPEN;
                found.parent[to] = node;
                s.stack[depth] = to;
                depth += 1;
            } else if s.mark[to] == OPEN {
                found.closes_cycle[k] = true;
            }
        }
    }
}
