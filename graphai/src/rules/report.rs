//! Reading what [`check`] found: [`Report`], the questions both `compile()`
//! and `graph!` ask, and [`Analysis`], `check` at run time over `Vec`s.

use super::{Found, NONE, Scratch, StartBy, Summary, Tables, check, table_size};

/// Reads what [`check`] found: the questions both `compile()` and `graph!` ask.
#[derive(Clone, Copy)]
pub struct Report<'a> {
    /// The graph.
    pub t: Tables<'a>,
    /// N: see [`Found::same_name_as`].
    pub same_name_as: &'a [usize],
    /// N: see [`Found::reached`].
    pub reached: &'a [bool],
    /// N: see [`Found::parent`].
    pub parent: &'a [usize],
    /// E: see [`Found::repeats`].
    pub repeats: &'a [bool],
    /// E: see [`Found::closes_cycle`].
    pub closes_cycle: &'a [bool],
    /// E: see [`Found::fed`].
    pub fed: &'a [bool],
    /// E: see [`Found::join_destination`].
    pub join_destination: &'a [usize],
    /// N: see [`Found::stops`].
    pub stops: &'a [bool],
    /// The counts.
    pub summary: Summary,
}

impl Report<'_> {
    /// The earlier node that has node `u`'s name.
    pub const fn name_taken_by(&self, u: usize) -> Option<usize> {
        match self.same_name_as[u] {
            NONE => None,
            earlier => Some(earlier),
        }
    }

    /// No node is the start node, and none was set.
    pub const fn no_start(&self) -> bool {
        self.summary.starts == 0 && matches!(self.t.start, StartBy::Flags)
    }

    /// Node `u` is one of several nodes marked `start`.
    pub const fn one_of_several_starts(&self, u: usize) -> bool {
        matches!(self.t.start, StartBy::Flags)
            && self.summary.starts > 1
            && self.t.nodes[u].start
            && self.same_name_as[u] == NONE
    }

    /// No node is an end node.
    pub const fn no_end(&self) -> bool {
        !self.summary.has_end
    }

    /// With no end node, node `u` is where a run stops: it is not a router
    /// and no regular or join edge leaves it.
    pub const fn stops_here(&self, u: usize) -> bool {
        self.stops[u]
    }

    /// The start node, once there is exactly one.
    pub const fn start(&self) -> Option<usize> {
        match self.summary.start {
            NONE => None,
            start => Some(start),
        }
    }

    /// The start node does not reach node `u` (nodes that only repeat a name
    /// are reported as that).
    pub const fn unreachable(&self, u: usize) -> bool {
        self.summary.start != NONE && !self.reached[u] && self.same_name_as[u] == NONE
    }

    /// Router use `i` wires a node that is not a router as one (`routed`), or
    /// a router with a plain edge (not `routed`, `graph!` only).
    pub const fn misused(&self, i: usize) -> bool {
        let used = &self.t.uses[i];
        used.routed != self.t.nodes[used.node].router
    }

    /// Edge `k` repeats an earlier edge.
    pub const fn repeated(&self, k: usize) -> bool {
        self.repeats[k]
    }

    /// Under `strict`, edge `k` closes a cycle.
    pub const fn closes_cycle(&self, k: usize) -> bool {
        self.closes_cycle[k]
    }

    /// The cycle edge `k` closes, from its destination back to it, into
    /// `path`; returns how many nodes it has. `path` needs a slot per node.
    pub const fn cycle_path(&self, k: usize, path: &mut [usize]) -> usize {
        let (from, to) = (self.t.edges[k].from, self.t.edges[k].to);
        let mut len = 0;
        let mut node = from;
        while node != to {
            path[len] = node;
            len += 1;
            node = self.parent[node];
        }
        path[len] = to;
        len += 1;
        // Written from `from` up to `to`: turn it around.
        let mut i = 0;
        while i < len / 2 {
            path.swap(i, len - 1 - i);
            i += 1;
        }
        len
    }

    /// No fan-out's branches end at join `j`: its destination could never run.
    pub const fn join_without_fork(&self, j: usize) -> bool {
        j < self.summary.joins && !self.fed[j]
    }
}

/// [`check`] at run time, over `Vec`s: what `Graph::compile` runs.
pub(crate) struct Analysis {
    same_name_as: Vec<usize>,
    reached: Vec<bool>,
    parent: Vec<usize>,
    pub(crate) join_of: Vec<usize>,
    repeats: Vec<bool>,
    closes_cycle: Vec<bool>,
    pub(crate) join_destination: Vec<usize>,
    fed: Vec<bool>,
    stops: Vec<bool>,
    summary: Summary,
}

impl Analysis {
    pub(crate) fn of(t: &Tables<'_>) -> Self {
        let (n, e) = (t.nodes.len(), t.edges.len());
        let mut this = Self {
            same_name_as: vec![NONE; n],
            reached: vec![false; n],
            parent: vec![0; n],
            join_of: vec![NONE; n],
            repeats: vec![false; e],
            closes_cycle: vec![false; e],
            join_destination: vec![NONE; e],
            fed: vec![false; e],
            stops: vec![false; n],
            summary: Summary {
                starts: 0,
                start: NONE,
                has_end: false,
                joins: 0,
                stops: 0,
            },
        };
        let (mut first, mut count, mut stack, mut cursor, mut post, mut join_first) = (
            vec![0; n],
            vec![0; n],
            vec![0; n],
            vec![0; n],
            vec![0; n],
            vec![NONE; n],
        );
        let (mut order, mut mark, mut table) = (vec![0; e], vec![0; n], vec![0; table_size(n, e)]);
        this.summary = check(
            t,
            &mut Found {
                same_name_as: &mut this.same_name_as,
                reached: &mut this.reached,
                parent: &mut this.parent,
                join_of: &mut this.join_of,
                repeats: &mut this.repeats,
                closes_cycle: &mut this.closes_cycle,
                join_destination: &mut this.join_destination,
                fed: &mut this.fed,
                stops: &mut this.stops,
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
        this
    }

    pub(crate) fn report<'a>(&'a self, t: Tables<'a>) -> Report<'a> {
        Report {
            t,
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
}
