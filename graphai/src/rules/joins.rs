//! Which join each parallel branch waits at, and which joins a fan-out feeds.

use super::{Found, Kind, NONE, Scratch, Tables, next_count};

const NEW: u8 = 0;
const OPEN: u8 = 1;

/// Fills [`Found::join_of`] and [`Found::fed`].
///
/// A parallel branch starting at a node waits at the join the executor's walk
/// from there reaches: it stops at a join source; one successor leads on; a
/// router may take any of its destinations; a nested fan-out continues after
/// its own join. Computed as a fixed point rather than by recursion: nodes are
/// visited in the order a depth-first walk along regular and join edges
/// finishes them, so without cycles every successor is settled before the
/// node and one pass settles all; a loop back to an earlier node (a router
/// looping) leaves nodes unsettled, and passes repeat until none changes. A
/// node's join, once found, is kept, so a walk still in progress never caches
/// "no join" for a node that has one.
pub(super) const fn find(t: &Tables<'_>, found: &mut Found<'_>, s: &mut Scratch<'_>) {
    let n = t.nodes.len();
    let mut k = 0;
    while k < t.edges.len() {
        if let Kind::Join(j) = t.edges[k].kind {
            let from = t.edges[k].from;
            // Joins are numbered in the order their edges come.
            if s.join_first[from] == NONE {
                s.join_first[from] = j;
                found.join_of[from] = j;
            }
        }
        k += 1;
    }
    let finished = finish_order(t, s);
    loop {
        let mut changed = false;
        let mut i = 0;
        while i < finished {
            let u = s.post[i];
            if found.join_of[u] == NONE {
                let join = join_after(t, found, s, u);
                if join != NONE {
                    found.join_of[u] = join;
                    changed = true;
                }
            }
            i += 1;
        }
        if !changed {
            break;
        }
    }
    feed(t, found, s, n);
    excuse_repeats(t, found, s);
}

/// The join the walk from `u` (not a join source) reaches, as far as known.
const fn join_after(t: &Tables<'_>, found: &Found<'_>, s: &Scratch<'_>, u: usize) -> usize {
    let successors = next_count(t, s, u);
    if successors == 0 {
        return NONE;
    }
    let first = first_join(t, found, s, u);
    if successors == 1 || t.nodes[u].router || first == NONE {
        return first;
    }
    // A nested fan-out: its branches meet at `first`, and the walk goes on
    // from that join's destination.
    found.join_of[found.join_destination[first]]
}

/// The first join among the regular successors of `u`, or [`NONE`].
const fn first_join(t: &Tables<'_>, found: &Found<'_>, s: &Scratch<'_>, u: usize) -> usize {
    let mut i = 0;
    while i < s.count[u] {
        let edge = &t.edges[s.order[s.first[u] + i]];
        if matches!(edge.kind, Kind::Next) && found.join_of[edge.to] != NONE {
            return found.join_of[edge.to];
        }
        i += 1;
    }
    NONE
}

/// Depth-first along regular and join edges from every node in order,
/// writing nodes into `s.post` as they finish; returns how many.
const fn finish_order(t: &Tables<'_>, s: &mut Scratch<'_>) -> usize {
    let n = t.nodes.len();
    let mut u = 0;
    while u < n {
        s.mark[u] = NEW;
        s.cursor[u] = s.first[u];
        u += 1;
    }
    let mut finished = 0;
    let mut root = 0;
    while root < n {
        if s.mark[root] == NEW {
            s.mark[root] = OPEN;
            s.stack[0] = root;
            let mut depth = 1;
            while depth > 0 {
                let node = s.stack[depth - 1];
                if s.cursor[node] == s.first[node] + s.count[node] {
                    s.post[finished] = node;
                    finished += 1;
                    depth -= 1;
                    continue;
                }
                let edge = &t.edges[s.order[s.cursor[node]]];
                s.cursor[node] += 1;
                if !matches!(edge.kind, Kind::Branch) && s.mark[edge.to] == NEW {
                    s.mark[edge.to] = OPEN;
                    s.stack[depth] = edge.to;
                    depth += 1;
                }
            }
        }
        root += 1;
    }
    finished
}

/// Marks the joins some fan-out's branches end at: a node with several
/// successors feeds the join its first branch reaches (the one the executor
/// waits at); a router, which may choose several destinations, feeds the join
/// of each; a router without destinations may choose any nodes, so it feeds
/// every join.
const fn feed(t: &Tables<'_>, found: &mut Found<'_>, s: &Scratch<'_>, n: usize) {
    let mut u = 0;
    while u < n {
        let successors = next_count(t, s, u);
        if t.nodes[u].router && successors == 0 {
            let mut j = 0;
            while j < found.fed.len() {
                found.fed[j] = true;
                j += 1;
            }
        } else if t.nodes[u].router && successors > 1 {
            let mut i = 0;
            while i < s.count[u] {
                let edge = &t.edges[s.order[s.first[u] + i]];
                if matches!(edge.kind, Kind::Next) && found.join_of[edge.to] != NONE {
                    feed_chain(found, found.join_of[edge.to]);
                }
                i += 1;
            }
        } else if successors > 1 {
            let first = first_join(t, found, s, u);
            if first != NONE {
                feed_chain(found, first);
            }
        }
        u += 1;
    }
}

/// Marks `join` fed, and the joins a branch can go on to after it: a branch
/// that passes a router's `choices` waits at that fan-out's join and goes on
/// from its destination, so the join that destination leads to is fed too.
const fn feed_chain(found: &mut Found<'_>, join: usize) {
    let mut join = join;
    let mut hops = 0;
    while join != NONE && hops < found.fed.len() {
        found.fed[join] = true;
        join = found.join_of[found.join_destination[join]];
        hops += 1;
    }
}

/// A join all of whose edges repeat an earlier join's is reported as declared
/// twice, not again as a join no fan-out leads into.
const fn excuse_repeats(t: &Tables<'_>, found: &mut Found<'_>, s: &mut Scratch<'_>) {
    // `s.table[j]`: join `j` has an edge of its own.
    let mut j = 0;
    while j < t.edges.len() {
        s.table[j] = 0;
        j += 1;
    }
    let mut k = 0;
    while k < t.edges.len() {
        if let Kind::Join(j) = t.edges[k].kind
            && !found.repeats[k]
        {
            s.table[j] = 1;
        }
        k += 1;
    }
    j = 0;
    while j < t.edges.len() {
        if s.table[j] == 0 {
            found.fed[j] = true;
        }
        j += 1;
    }
}
