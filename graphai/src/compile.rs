//! Compiling a [`Graph`]: every check, then the index-based form the executor runs.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::compiled::CompiledGraph;
use crate::tables::{BranchEdge, Inner};

use crate::builder::Graph;
use crate::error::{CompileProblem, GraphCompileError};
use crate::node::NodeDef;
use crate::rules::text::{self, render};
use crate::rules::{Analysis, Edge, Kind, NONE, Report, RouterUse, RuleNode, StartBy, Tables};
use crate::state::State;

struct Resolver<'a> {
    by_name: &'a HashMap<&'a str, usize>,
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

impl Graph {
    /// Checks the graph and turns it into a [`CompiledGraph`] that can run.
    ///
    /// # Errors
    /// A [`GraphCompileError`] listing every problem: those found while
    /// building, no nodes, two nodes with one name, unknown names in edges,
    /// an edge added twice, `add_router` on a node that is not a router, no or
    /// several start nodes, no end node, nodes the start node cannot reach, a
    /// join that no fan-out leads into. These are the rules `graph!` checks at
    /// compile time, and the messages are the same.
    pub fn compile(self) -> Result<CompiledGraph, GraphCompileError> {
        compile(self, false)
    }

    /// [`compile`](Graph::compile), and also reject cycles.
    ///
    /// # Errors
    /// As `compile`, plus [`CompileProblem::Cycle`].
    pub fn compile_strict(self) -> Result<CompiledGraph, GraphCompileError> {
        compile(self, true)
    }
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
        durable,
        resources,
        problems: mut build_problems,
    } = graph;
    build_problems.extend(resources.missing(nodes.iter().map(|n| (n.name(), n.resources()))));
    if nodes.is_empty() {
        build_problems.push(CompileProblem::NoNodes);
        return Err(GraphCompileError::new(build_problems));
    }
    // A name taken twice resolves to its first node; the rules report the second.
    let mut names: HashMap<&str, usize> = HashMap::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        names.entry(node.name()).or_insert(i);
    }
    let count = nodes.len();
    let mut r = Resolver {
        by_name: &names,
        problems: build_problems,
    };

    // The tables the rules read: regular edges, then joins, then branches.
    let mut table: Vec<Edge> = Vec::with_capacity(edges.len());
    for (source, destination) in &edges {
        let text = || edge_text(source, destination);
        let (s, d) = (r.node(source, text), r.node(destination, text));
        if let (Some(s), Some(d)) = (s, d) {
            table.push(Edge::next(s, d));
        }
    }
    let mut uses = Vec::new();
    let mut routed = vec![false; count];
    for router in &routers {
        let found = r.node(router, || format!("`add_router` with router `{router}`"));
        if let Some(i) = found
            && !std::mem::replace(&mut routed[i], true)
        {
            uses.push(RouterUse {
                node: i,
                routed: true,
            });
        }
    }
    let mut join_count = 0;
    for (sources, destination) in &joins {
        let text = || {
            let names: Vec<&str> = sources.iter().map(Cow::as_ref).collect();
            format!("join [{}] -> `{destination}`", names.join(", "))
        };
        let d = r.node(destination, text);
        let s: Vec<Option<usize>> = sources.iter().map(|s| r.node(s, text)).collect();
        if let (Some(d), Some(s)) = (d, s.into_iter().collect::<Option<Vec<_>>>()) {
            table.extend(s.into_iter().map(|s| Edge::join(s, d, join_count)));
            join_count += 1;
        }
    }
    let mut branches: Vec<Vec<BranchEdge>> = (0..count).map(|_| Vec::new()).collect();
    for spec in branch_specs {
        let text = || format!("branch `{}` ~> `{}`", spec.source, spec.destination);
        let (s, d) = (r.node(&spec.source, text), r.node(&spec.destination, text));
        if let (Some(s), Some(d)) = (s, d) {
            table.push(Edge::branch(s, d));
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
    let start = match start {
        None => StartBy::Flags,
        Some(name) => match r.node(&name, || format!("`set_start_node({name})`")) {
            Some(i) => StartBy::Node(i),
            None => StartBy::Missing,
        },
    };

    let rule_nodes: Vec<RuleNode<'_>> = nodes
        .iter()
        .zip(&is_end)
        .map(|(node, &end)| RuleNode {
            name: node.name(),
            label: node.name(),
            start: node.is_start(),
            end,
            router: node.is_router(),
        })
        .collect();
    let tables = Tables {
        nodes: &rule_nodes,
        edges: &table,
        uses: &uses,
        start,
        strict,
    };
    let analysis = Analysis::of(&tables);
    let report = analysis.report(tables);
    r.problems.extend(problems(&report));
    let mut policies: Vec<_> = nodes.iter().map(NodeDef::policy).collect();
    for (name, policy) in &policy_overrides {
        if let Some(i) = r.node(name, || format!("`policy({name}, ..)`")) {
            policies[i] = *policy;
        }
    }

    let mut breakpoints = [vec![false; count], vec![false; count]];
    for (names, which, marks) in [
        (&durable.before, "interrupt_before", 0),
        (&durable.after, "interrupt_after", 1),
    ] {
        for name in names {
            if let Some(i) = r.node(name, || format!("`{which}({name})`")) {
                breakpoints[marks][i] = true;
            }
        }
    }
    let [interrupt_before, interrupt_after] = breakpoints;

    let (Some(start), true) = (report.start(), r.problems.is_empty()) else {
        return Err(GraphCompileError::new(r.problems));
    };

    let mut next = vec![Vec::new(); count];
    let mut join_source = vec![false; count];
    let mut join_sources: Vec<Vec<usize>> = vec![Vec::new(); join_count];
    for edge in &table {
        match edge.kind {
            Kind::Next => next[edge.from].push(edge.to),
            Kind::Join(j) => {
                join_source[edge.from] = true;
                join_sources[j].push(edge.from);
            }
            Kind::Branch => {}
        }
    }
    let join_destination = analysis.join_destination[..join_count].to_vec();
    let join_of = analysis
        .join_of
        .iter()
        .map(|&j| (j != NONE).then_some(j))
        .collect();
    let by_name = names
        .into_iter()
        .map(|(name, i)| (name.to_owned(), i))
        .collect();
    let upstream_readers = nodes.iter().any(|n| n.reads("upstream"));
    // Capped: a router's `choices` may go wider, and the position then grows.
    let widest_fork = next.iter().map(Vec::len).max().unwrap_or(0).min(64);
    let plain = nodes
        .iter()
        .zip(&policies)
        .map(|(node, policy)| {
            policy.retry_count() == 0
                && policy.timeout_duration().is_none()
                && !node.is_stream()
                && !node.takes_interrupt()
        })
        .collect();
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
            interrupt_before,
            interrupt_after,
            fingerprint: crate::durable::fingerprint(&shape),
            durable: durable.config(),
            plain,
            upstream_readers,
            widest_fork,
            state: State::new(state),
            resources,
            last_branch_errors: Mutex::new(Vec::new()),
            had_branch_errors: std::sync::atomic::AtomicBool::new(false),
            shape,
        }),
    })
}

/// Every mistake the rules found, as [`CompileProblem`]s, in a fixed order.
fn problems(report: &Report<'_>) -> Vec<CompileProblem> {
    let t = &report.t;
    let name = |u: usize| t.nodes[u].label.to_owned();
    let names = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
        (0..t.nodes.len()).filter(|&u| keep(u)).map(name).collect()
    };
    let mut found = Vec::new();
    for u in 0..t.nodes.len() {
        if report.name_taken_by(u).is_some() {
            found.push(CompileProblem::DuplicateNode(name(u)));
        }
    }
    for (k, edge) in t.edges.iter().enumerate() {
        if report.repeated(k) {
            let (from, to) = (t.nodes[edge.from], t.nodes[edge.to]);
            found.push(CompileProblem::DuplicateEdge {
                edge: render(|w| text::edge(w, edge.kind, from.router, from.label, to.label)),
            });
        }
    }
    for (i, used) in t.uses.iter().enumerate() {
        if report.misused(i) {
            found.push(CompileProblem::NotARouter(name(used.node)));
        }
    }
    if report.no_start() {
        found.push(CompileProblem::NoStartNode);
    } else if report.summary.starts > 1 && matches!(t.start, StartBy::Flags) {
        found.push(CompileProblem::MultipleStartNodes(names(&|u| {
            report.one_of_several_starts(u)
        })));
    }
    if report.no_end() {
        found.push(CompileProblem::NoEndNode {
            stops: names(&|u| report.stops_here(u)),
        });
    }
    if let Some(start) = report.start() {
        let unreachable = names(&|u| report.unreachable(u));
        if !unreachable.is_empty() {
            found.push(CompileProblem::Unreachable {
                start: name(start),
                nodes: unreachable,
            });
        }
    }
    for j in 0..report.summary.joins {
        if report.join_without_fork(j) {
            let sources = t
                .edges
                .iter()
                .filter(|e| e.kind == Kind::Join(j))
                .map(|e| name(e.from))
                .collect();
            found.push(CompileProblem::JoinWithoutFork {
                sources,
                destination: name(report.join_destination[j]),
            });
        }
    }
    let mut path = vec![0; t.nodes.len()];
    for k in 0..t.edges.len() {
        if report.closes_cycle(k) {
            let len = report.cycle_path(k, &mut path);
            let mut cycle: Vec<String> = path[..len].iter().map(|&u| name(u)).collect();
            cycle.push(cycle[0].clone());
            found.push(CompileProblem::Cycle(cycle));
        }
    }
    found
}

#[cfg(test)]
mod tests;
