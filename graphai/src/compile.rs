//! Compiling a [`Graph`]: every check, then the index-based form the executor runs.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub(crate) use crate::compiled::{BranchEdge, CompiledGraph, Inner};

use crate::builder::Graph;
use crate::error::{CompileProblem, GraphCompileError};
use crate::node::NodeDef;
use crate::state::State;

struct Resolver<'a> {
    by_name: &'a HashMap<String, usize>,
    problems: Vec<CompileProblem>,
}

impl Resolver<'_> {
    fn node(&mut self, name: &str, edge: impl FnOnce() -> String) -> Option<usize> {
        let found = self.by_name.get(name).copied();
        if found.is_none() {
            let problem = CompileProblem::UnknownNode {
                edge: edge(),
                name: name.to_owned(),
            };
            if !self.problems.contains(&problem) {
                self.problems.push(problem);
            }
        }
        found
    }
}

fn edge_text(source: &str, destination: &str) -> String {
    format!("edge `{source}` -> `{destination}`")
}

pub(crate) fn compile(graph: Graph, strict: bool) -> Result<CompiledGraph, GraphCompileError> {
    let shape = crate::shape::GraphShape::of(&graph);
    let Graph {
        nodes,
        edges,
        joins,
        branches: branch_specs,
        routers,
        start,
        ends,
        max_steps,
        state,
        policies: policy_overrides,
        resources,
        problems: mut build_problems,
    } = graph;
    build_problems.extend(resources.missing(nodes.iter().map(|n| (n.name(), n.resources()))));
    if nodes.is_empty() {
        build_problems.push(CompileProblem::NoNodes);
        return Err(GraphCompileError::new(build_problems));
    }
    let by_name: HashMap<String, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name().to_owned(), i))
        .collect();
    let count = nodes.len();
    let mut r = Resolver {
        by_name: &by_name,
        problems: build_problems,
    };

    let mut next = vec![Vec::new(); count];
    for (source, destination) in &edges {
        let text = || edge_text(source, destination);
        let (s, d) = (r.node(source, text), r.node(destination, text));
        if let (Some(s), Some(d)) = (s, d) {
            next[s].push(d);
        }
    }
    for router in &routers {
        let found = r.node(router, || format!("`add_router` with router `{router}`"));
        if found.is_some_and(|i| !nodes[i].is_router()) {
            r.problems
                .push(CompileProblem::NotARouter(router.to_string()));
        }
    }

    let mut join_source = vec![false; count];
    let mut join_destination = Vec::new();
    let mut join_sources: Vec<Vec<usize>> = Vec::new();
    for (sources, destination) in &joins {
        let text = || {
            let names: Vec<&str> = sources.iter().map(Cow::as_ref).collect();
            format!("join [{}] -> `{destination}`", names.join(", "))
        };
        let d = r.node(destination, text);
        let s: Vec<Option<usize>> = sources.iter().map(|s| r.node(s, text)).collect();
        if let (Some(d), Some(s)) = (d, s.into_iter().collect::<Option<Vec<_>>>()) {
            for &i in &s {
                join_source[i] = true;
            }
            join_destination.push(d);
            join_sources.push(s);
        }
    }

    let mut branches: Vec<Vec<BranchEdge>> = (0..count).map(|_| Vec::new()).collect();
    for spec in branch_specs {
        let text = || format!("branch `{}` ~> `{}`", spec.source, spec.destination);
        let (s, d) = (r.node(&spec.source, text), r.node(&spec.destination, text));
        if let (Some(s), Some(d)) = (s, d) {
            branches[s].push(BranchEdge {
                destination: d,
                condition: spec.condition,
                wait: spec.wait,
            });
        }
    }

    let mut is_end: Vec<bool> = nodes.iter().map(NodeDef::is_end).collect();
    for end in &ends {
        if let Some(i) = r.node(end, || format!("`set_end_node({end})`")) {
            is_end[i] = true;
        }
    }
    if !is_end.contains(&true) {
        r.problems.push(CompileProblem::NoEndNode);
    }

    let start = match start {
        Some(name) => r.node(&name, || format!("`set_start_node({name})`")),
        None => {
            let starts: Vec<usize> = (0..count).filter(|&i| nodes[i].is_start()).collect();
            match starts.as_slice() {
                [] => {
                    r.problems.push(CompileProblem::NoStartNode);
                    None
                }
                [one] => Some(*one),
                many => {
                    r.problems.push(CompileProblem::MultipleStartNodes(
                        many.iter().map(|&i| nodes[i].name().to_owned()).collect(),
                    ));
                    None
                }
            }
        }
    };

    // Every way one node can lead to another: regular, join and branch edges,
    // and a router without declared destinations may go anywhere.
    let mut reach: Vec<Vec<usize>> = next.clone();
    for (sources, &destination) in join_sources.iter().zip(&join_destination) {
        for &s in sources {
            reach[s].push(destination);
        }
    }
    for (s, edges) in branches.iter().enumerate() {
        reach[s].extend(edges.iter().map(|b| b.destination));
    }
    let explicit = reach.clone();
    for (i, node) in nodes.iter().enumerate() {
        if node.is_router() && next[i].is_empty() {
            reach[i] = (0..count).collect();
        }
    }

    if let Some(start) = start {
        let seen = reachable(&reach, start);
        let mut unreachable: Vec<String> = (0..count)
            .filter(|&i| !seen[i])
            .map(|i| nodes[i].name().to_owned())
            .collect();
        if !unreachable.is_empty() {
            unreachable.sort();
            r.problems.push(CompileProblem::Unreachable {
                start: nodes[start].name().to_owned(),
                nodes: unreachable,
            });
        }
    }
    if let Some(cycle) = strict.then(|| find_cycle(&explicit)).flatten() {
        r.problems.push(CompileProblem::Cycle(
            cycle.iter().map(|&i| nodes[i].name().to_owned()).collect(),
        ));
    }

    let mut policies: Vec<_> = nodes.iter().map(NodeDef::policy).collect();
    for (name, policy) in &policy_overrides {
        if let Some(i) = r.node(name, || format!("`policy({name}, ..)`")) {
            policies[i] = *policy;
        }
    }

    let (Some(start), true) = (start, r.problems.is_empty()) else {
        return Err(GraphCompileError::new(r.problems));
    };

    let mut finder = JoinFinder {
        next: &next,
        is_router: nodes.iter().map(NodeDef::is_router).collect(),
        join_source: &join_source,
        join_sources: &join_sources,
        join_destination: &join_destination,
        memo: vec![None; count],
        visiting: vec![false; count],
    };
    let join_of = (0..count).map(|i| finder.join_of(i)).collect();
    let upstream_readers = nodes.iter().any(|n| n.reads("upstream"));
    Ok(CompiledGraph {
        inner: Arc::new(Inner {
            nodes,
            is_end,
            next,
            join_source,
            join_destination,
            join_sources,
            join_of,
            branches,
            by_name,
            start,
            max_steps,
            policies,
            upstream_readers,
            state: State::new(state),
            resources,
            last_branch_errors: Mutex::new(Vec::new()),
            shape,
        }),
    })
}

fn reachable(adjacent: &[Vec<usize>], from: usize) -> Vec<bool> {
    let mut seen = vec![false; adjacent.len()];
    let mut stack = vec![from];
    while let Some(i) = stack.pop() {
        if !std::mem::replace(&mut seen[i], true) {
            stack.extend(adjacent[i].iter().copied().filter(|&j| !seen[j]));
        }
    }
    seen
}

/// Finds, for each node, the join that a parallel branch starting there waits
/// at, by following the branch the way the executor runs it: it stops at a join
/// source; a nested fan-out continues after its own join; a router may take any
/// of its destinations.
struct JoinFinder<'a> {
    next: &'a [Vec<usize>],
    is_router: Vec<bool>,
    join_source: &'a [bool],
    join_sources: &'a [Vec<usize>],
    join_destination: &'a [usize],
    memo: Vec<Option<Option<usize>>>,
    visiting: Vec<bool>,
}

impl JoinFinder<'_> {
    fn join_of(&mut self, node: usize) -> Option<usize> {
        if let Some(known) = self.memo[node] {
            return known;
        }
        if std::mem::replace(&mut self.visiting[node], true) {
            return None;
        }
        let found = if self.join_source[node] {
            self.join_sources.iter().position(|s| s.contains(&node))
        } else {
            let next = self.next;
            match next[node].as_slice() {
                [] => None,
                [one] => self.join_of(*one),
                many if self.is_router[node] => many.iter().find_map(|&n| self.join_of(n)),
                many => many
                    .iter()
                    .find_map(|&n| self.join_of(n))
                    .and_then(|inner| self.join_of(self.join_destination[inner])),
            }
        };
        self.visiting[node] = false;
        self.memo[node] = Some(found);
        found
    }
}

/// One cycle, as the nodes along it with the first repeated at the end.
fn find_cycle(adjacent: &[Vec<usize>]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; adjacent.len()];
    for root in 0..adjacent.len() {
        if mark[root] != Mark::New {
            continue;
        }
        // Depth-first, keeping the open path so a back edge names the cycle.
        let mut path: Vec<(usize, usize)> = vec![(root, 0)];
        mark[root] = Mark::Open;
        while let Some(&mut (node, ref mut edge)) = path.last_mut() {
            if let Some(&to) = adjacent[node].get(*edge) {
                *edge += 1;
                match mark[to] {
                    Mark::New => {
                        mark[to] = Mark::Open;
                        path.push((to, 0));
                    }
                    Mark::Open => {
                        let at = path.iter().position(|&(n, _)| n == to).unwrap_or(0);
                        let mut cycle: Vec<usize> = path[at..].iter().map(|&(n, _)| n).collect();
                        cycle.push(to);
                        return Some(cycle);
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                path.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::find_cycle;

    #[test]
    fn finds_a_cycle_and_names_it_in_order() {
        let adjacent = vec![vec![1], vec![2], vec![3, 1], vec![]];
        assert_eq!(find_cycle(&adjacent), Some(vec![1, 2, 1]));
        assert_eq!(find_cycle(&[vec![1], vec![2], vec![]]), None);
        assert_eq!(find_cycle(&[vec![0]]), Some(vec![0, 0]));
    }
}
