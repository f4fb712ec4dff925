//! The reference interpreter: runs a [`GraphDesc`] synchronously, one node
//! at a time, by the spec's rules ("Running", "Nodes"), and by today's
//! executor where the spec is silent (marked "today:" below).
//!
//! The rules it follows:
//! - A path runs a node, merges its output into the path's state (later keys
//!   win), starts the node's branch edges, then goes on: an end node finishes
//!   the path; one successor is the next node; several run in parallel, each
//!   on its own copy of the state, and their writes merge back in the order
//!   the edges were declared (today, for a router: the order of its
//!   `choices`, see `regressions.rs`).
//! - If the parallel branches lead into a join, each stops at a join source
//!   and the join destination runs once on the merged state; otherwise each
//!   runs to its own end and the path finishes with the merged state. The
//!   join is the one the branches did stop at. Today: an end node inside a
//!   joined branch stops only that branch; the join still runs (when every
//!   branch stopped early, the join found by following their edges).
//! - A router's output names the next node(s): `choice`/`choices` must be
//!   among its destinations, and are removed from the output.
//! - Today: steps are counted per path. The main path starts at 0; every node
//!   that leads on adds one, and reaching `max_steps` fails the run
//!   (`MaxSteps`, no node: issue 9 defect 12 is to name the node, so the
//!   property compares only when it happens). Parallel branches start at their
//!   fork's count + 1 and count on their own (reaching the limit there fails
//!   the fan-out); the node after a join counts as fork + 2.
//! - Branch edges: after the source ran (its output merged), in declaration
//!   order, each edge whose condition holds on the source's output starts a
//!   pipeline on a copy of the path's state: waiting ones run at once,
//!   detached ones alongside (the run waits for them). A pipeline follows
//!   edges (a router without a choice follows all of them, several fan out
//!   without a join) and stops at a node with no successor, an end node, or
//!   `"success": false`; its writes never reach the main path; today its
//!   steps count from 0 and its fan-out's branches go on counting; a failure
//!   is recorded as a branch error (source, first node, error), never raised.
//!   Today: a router's bad choice is raised after its branch edges ran.
//!
//! What timing decides, the interpreter does not claim:
//! - When parallel branches fail, the executor raises the first error in
//!   completion order and drops the other branches. The generators make at
//!   most one node able to fail, so one failing branch is the rule; two that
//!   fail differently (possible only through `MaxSteps`) make the case
//!   `ambiguous`, and the property skips it. The other branches may have
//!   stopped anywhere: the nodes they ran get `uncertain` counts, their
//!   branch errors make a successful run `ambiguous`, and detached pipelines
//!   they started are run as uncertain.
//! - A failed run drops its detached pipelines: their nodes are uncertain.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::desc::{Call, GraphDesc, Ix};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum ErrKind {
    Node,
    Panic,
    MaxSteps,
    MissingChoice,
    InvalidChoice,
    UnknownChoice,
    NoOutgoingEdge,
    /// Anything else the executor may raise (never expected here).
    Other,
}

/// An error as the property compares it: its kind and `err.node()`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct ErrorSummary {
    pub(super) kind: ErrKind,
    pub(super) node: Option<String>,
}

/// A branch error as the property compares it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct BranchErrorSummary {
    pub(super) source: String,
    pub(super) destination: String,
    pub(super) error: ErrorSummary,
}

/// What a run of the graph must give.
#[derive(Debug)]
pub(super) struct Expected {
    pub(super) result: Result<Map<String, Value>, ErrorSummary>,
    /// Sorted: detached pipelines finish in any order.
    pub(super) branch_errors: Vec<BranchErrorSummary>,
    /// Calls per node.
    pub(super) counts: Vec<u32>,
    /// Nodes whose call count timing decides.
    pub(super) uncertain: Vec<bool>,
    /// Why timing decides the outcome itself, if it does.
    pub(super) ambiguous: Option<&'static str>,
    /// The deepest nesting of parallel branches of paths that ran.
    pub(super) nesting: usize,
}

pub(super) fn interpret(graph: &GraphDesc) -> Expected {
    let mut run = Interp {
        graph,
        by_name: (0..graph.nodes.len())
            .map(|i| (graph.name(i).to_owned(), i))
            .collect(),
        counts: vec![0; graph.nodes.len()],
        uncertain: vec![false; graph.nodes.len()],
        taint: 0,
        detached: Vec::new(),
        errors: Vec::new(),
        uncertain_errors: false,
        ambiguous: None,
        depth: 0,
        nesting: 0,
    };
    let main = run
        .path(0, PathState::new(graph.input.clone()), 0, false)
        .map(|(state, _)| state);
    if main.is_err() {
        run.taint += 1;
    }
    let mut next = 0;
    while let Some(pending) = run.detached.get_mut(next).map(Option::take) {
        next += 1;
        let Some(pending) = pending else { continue };
        run.taint += usize::from(pending.tainted);
        run.guard(pending.source, pending.to, pending.state);
        run.taint -= usize::from(pending.tainted);
    }
    if main.is_ok() && run.uncertain_errors {
        run.ambiguous("a branch that may have been cancelled records a branch error");
    }
    run.errors.sort();
    Expected {
        result: main.map(|state| state.full),
        branch_errors: run.errors,
        counts: run.counts,
        uncertain: run.uncertain,
        ambiguous: run.ambiguous,
        nesting: run.nesting,
    }
}

/// A path's state, and what it wrote since it was forked.
#[derive(Clone)]
struct PathState {
    full: Map<String, Value>,
    writes: Map<String, Value>,
}

impl PathState {
    fn new(input: Map<String, Value>) -> Self {
        Self {
            full: input,
            writes: Map::new(),
        }
    }

    fn merge(&mut self, output: Map<String, Value>) {
        self.full.extend(output.clone());
        self.writes.extend(output);
    }

    fn fork(&self) -> Self {
        Self::new(self.full.clone())
    }
}

struct Pending {
    source: Ix,
    to: Ix,
    state: PathState,
    tainted: bool,
}

/// How the branches of a fan-out run.
#[derive(Clone, Copy)]
enum Mode {
    /// Parallel branches of a path, counting from `steps`.
    Path { steps: usize },
    /// Branches of a pipeline, counting from `steps`.
    Pipeline { steps: usize },
}

type Step = Result<Option<Vec<Ix>>, ErrorSummary>;

struct Interp<'g> {
    graph: &'g GraphDesc,
    by_name: HashMap<String, Ix>,
    counts: Vec<u32>,
    uncertain: Vec<bool>,
    /// Above 0: running something that may have been cancelled.
    taint: usize,
    /// Detached pipelines, in the order they were started (`None`: done).
    detached: Vec<Option<Pending>>,
    errors: Vec<BranchErrorSummary>,
    uncertain_errors: bool,
    ambiguous: Option<&'static str>,
    /// How many fan-outs of paths are running (`nesting`: the most).
    depth: usize,
    nesting: usize,
}

impl Interp<'_> {
    fn error(&self, kind: ErrKind, node: Ix) -> ErrorSummary {
        ErrorSummary {
            kind,
            node: Some(self.graph.name(node).to_owned()),
        }
    }

    fn ambiguous(&mut self, why: &'static str) {
        self.ambiguous.get_or_insert(why);
    }

    fn invoke(
        &mut self,
        node: Ix,
        state: &Map<String, Value>,
    ) -> Result<Map<String, Value>, ErrorSummary> {
        self.counts[node] += 1;
        if self.taint > 0 {
            self.uncertain[node] = true;
        }
        let graph = self.graph;
        let call = graph.nodes[node].behaviour.call(
            self.counts[node],
            |key| state.get(key).cloned(),
            |i| graph.name(i).to_owned(),
        );
        match call {
            Call::Output(output) => Ok(output),
            Call::Error => Err(self.error(ErrKind::Node, node)),
            Call::Panic => Err(self.error(ErrKind::Panic, node)),
        }
    }

    /// Takes `choice`/`choices` out of a router's output: the next nodes.
    fn route(&self, router: Ix, output: &mut Map<String, Value>) -> Result<Vec<Ix>, ErrorSummary> {
        let choice = output.shift_remove("choice");
        let choices = output.shift_remove("choices");
        let invalid = || self.error(ErrKind::InvalidChoice, router);
        match (choices, choice) {
            (Some(Value::Array(list)), _) => list
                .iter()
                .map(|name| match name {
                    Value::String(name) => self.resolve(router, name),
                    _ => Err(invalid()),
                })
                .collect(),
            (None, Some(Value::String(name))) => Ok(vec![self.resolve(router, &name)?]),
            (Some(_), _) | (None, Some(_)) => Err(invalid()),
            (None, None) => Err(self.error(ErrKind::MissingChoice, router)),
        }
    }

    fn resolve(&self, router: Ix, name: &str) -> Result<Ix, ErrorSummary> {
        let declared = &self.graph.nodes[router].next;
        let to = self.by_name.get(name).copied();
        match to {
            Some(to) if declared.is_empty() || declared.contains(&to) => Ok(to),
            _ => Err(self.error(ErrKind::UnknownChoice, router)),
        }
    }

    /// Runs one node on `state`: its successors, or `None` where it stops.
    fn step(&mut self, node: Ix, state: &mut PathState, pipeline: bool) -> Step {
        let desc = &self.graph.nodes[node];
        let mut output = self.invoke(node, &state.full)?;
        let chooses = output.contains_key("choice") || output.contains_key("choices");
        let chosen = (desc.router && (chooses || !pipeline)).then(|| self.route(node, &mut output));
        let stop = desc.end || (pipeline && output.get("success") == Some(&Value::Bool(false)));
        state.merge(output.clone());
        self.start_branches(node, &output, state);
        if stop {
            return Ok(None);
        }
        match chosen {
            Some(chosen) => chosen.map(Some),
            None => Ok(Some(desc.next.clone())),
        }
    }

    fn start_branches(&mut self, node: Ix, output: &Map<String, Value>, state: &PathState) {
        for branch in &self.graph.nodes[node].branches {
            if let Some(key) = &branch.when
                && output.get(key) != Some(&Value::Bool(true))
            {
                continue;
            }
            if branch.wait {
                self.guard(node, branch.to, state.fork());
            } else {
                self.detached.push(Some(Pending {
                    source: node,
                    to: branch.to,
                    state: state.fork(),
                    tainted: self.taint > 0,
                }));
            }
        }
    }

    /// The join that following the edges from `node` leads to, if any (a
    /// router may take any of its destinations; a fan-out goes on after its
    /// own join).
    fn join_of(&self, node: Ix, visiting: &mut Vec<Ix>) -> Option<usize> {
        if let Some(join) = self.join_at(node) {
            return Some(join);
        }
        if visiting.contains(&node) {
            return None;
        }
        visiting.push(node);
        let desc = &self.graph.nodes[node];
        let found = match desc.next.as_slice() {
            [] => None,
            [one] => self.join_of(*one, visiting),
            many if desc.router => many.iter().find_map(|&n| self.join_of(n, visiting)),
            many => many
                .iter()
                .find_map(|&n| self.join_of(n, visiting))
                .and_then(|inner| self.join_of(self.graph.joins[inner].1, visiting)),
        };
        visiting.pop();
        found
    }

    /// The join whose sources include `node`, if any.
    fn join_at(&self, node: Ix) -> Option<usize> {
        self.graph.joins.iter().position(|(s, _)| s.contains(&node))
    }

    /// A path from `node`; in a parallel branch (`in_branch`) it stops at a
    /// join source. Also returns the join it stopped at.
    fn path(
        &mut self,
        mut node: Ix,
        mut state: PathState,
        mut steps: usize,
        in_branch: bool,
    ) -> Result<(PathState, Option<usize>), ErrorSummary> {
        loop {
            let Some(next) = self.step(node, &mut state, false)? else {
                return Ok((state, self.join_at(node).filter(|_| in_branch)));
            };
            if in_branch && let Some(join) = self.join_at(node) {
                return Ok((state, Some(join)));
            }
            match next.as_slice() {
                [] => return Err(self.error(ErrKind::NoOutgoingEdge, node)),
                [one] => node = *one,
                many => {
                    // The branches would start at the limit: a router that
                    // fans out to itself is bounded here.
                    if steps + 1 >= self.graph.max_steps {
                        return Err(ErrorSummary {
                            kind: ErrKind::MaxSteps,
                            node: None,
                        });
                    }
                    self.depth += 1;
                    self.nesting = self.nesting.max(self.depth);
                    let reached = self.parallel(many, &mut state, Mode::Path { steps: steps + 1 });
                    self.depth -= 1;
                    let reached = reached?;
                    // The join is the one the branches stopped at. Today:
                    // when each branch stopped at an end node first, the join
                    // that following their edges leads to still runs.
                    let join =
                        reached.into_iter().flatten().next().or_else(|| {
                            many.iter().find_map(|&n| self.join_of(n, &mut Vec::new()))
                        });
                    match join {
                        Some(join) => {
                            steps += 1;
                            node = self.graph.joins[join].1;
                        }
                        None => return Ok((state, None)),
                    }
                }
            }
            steps += 1;
            if steps >= self.graph.max_steps {
                return Err(ErrorSummary {
                    kind: ErrKind::MaxSteps,
                    node: None,
                });
            }
        }
    }

    /// A branch pipeline from `node`.
    fn pipeline(
        &mut self,
        mut node: Ix,
        mut state: PathState,
        mut steps: usize,
    ) -> Result<PathState, ErrorSummary> {
        loop {
            let Some(next) = self.step(node, &mut state, true)? else {
                return Ok(state);
            };
            if next.is_empty() {
                return Ok(state);
            }
            steps += 1;
            if steps >= self.graph.max_steps {
                // Compared without a node (see `summarize` in `mod.rs`).
                return Err(ErrorSummary {
                    kind: ErrKind::MaxSteps,
                    node: None,
                });
            }
            match next.as_slice() {
                [one] => node = *one,
                many => {
                    self.parallel(many, &mut state, Mode::Pipeline { steps })?;
                    return Ok(state);
                }
            }
        }
    }

    fn guard(&mut self, source: Ix, to: Ix, state: PathState) {
        if let Err(error) = self.pipeline(to, state, 0) {
            if self.taint > 0 {
                self.uncertain_errors = true;
            } else {
                self.errors.push(BranchErrorSummary {
                    source: self.graph.name(source).to_owned(),
                    destination: self.graph.name(to).to_owned(),
                    error,
                });
            }
        }
    }

    /// Runs parallel branches one after the other and merges them into
    /// `state` in order, or fails with the failing branch's error. Returns
    /// the join each branch stopped at.
    fn parallel(
        &mut self,
        targets: &[Ix],
        state: &mut PathState,
        mode: Mode,
    ) -> Result<Vec<Option<usize>>, ErrorSummary> {
        struct Ran {
            result: Result<(PathState, Option<usize>), ErrorSummary>,
            touched: Vec<Ix>,
            errors: std::ops::Range<usize>,
            detached: std::ops::Range<usize>,
        }
        let mut ran = Vec::new();
        for &target in targets {
            let (counts, errors, detached) =
                (self.counts.clone(), self.errors.len(), self.detached.len());
            let branch = state.fork();
            let result = match mode {
                Mode::Path { steps } => self.path(target, branch, steps, true),
                Mode::Pipeline { steps } => self
                    .pipeline(target, branch, steps)
                    .map(|state| (state, None)),
            };
            let touched = (0..counts.len())
                .filter(|&i| self.counts[i] != counts[i])
                .collect();
            ran.push(Ran {
                result,
                touched,
                errors: errors..self.errors.len(),
                detached: detached..self.detached.len(),
            });
        }
        let failed: Vec<usize> = (0..ran.len()).filter(|&i| ran[i].result.is_err()).collect();
        let Some(&failing) = failed.first() else {
            let mut reached = Vec::new();
            for branch in ran {
                if let Ok((branch, join)) = branch.result {
                    state.merge(branch.writes);
                    reached.push(join);
                }
            }
            return Ok(reached);
        };
        let error = |i: usize| ran[i].result.as_ref().err();
        if failed.iter().any(|&i| error(i) != error(failing)) {
            self.ambiguous(
                "parallel branches fail differently: which error is raised depends on timing",
            );
        }
        // The other branches were dropped at a point timing decides; with
        // several failing alike, so may the one whose error is raised be.
        let raised = (failed.len() == 1).then_some(failing);
        for (_, other) in ran
            .iter()
            .enumerate()
            .rev()
            .filter(|&(i, _)| Some(i) != raised)
        {
            for &node in &other.touched {
                self.uncertain[node] = true;
            }
            if !other.errors.is_empty() {
                self.uncertain_errors = true;
                self.errors.drain(other.errors.clone());
            }
            for pending in self.detached[other.detached.clone()].iter_mut().flatten() {
                pending.tainted = true;
            }
        }
        match ran.swap_remove(failing).result {
            Err(error) => Err(error),
            Ok(_) => unreachable!("the failing branch failed"),
        }
    }
}
