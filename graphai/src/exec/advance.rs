//! The rules of a run, written once: what happens to the position when a
//! node finishes (merge, route, fan out, join, finish, fail; the branch
//! edges' rules are in `edges.rs`). Nothing here awaits; the driver runs the
//! effects and calls these.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::driver::Interruption;
use super::invoke::RunEnv;
use super::position::{
    Answer, Edges, Fork, Frame, FrameId, FrameKind, Line, Onward, Owner, Path, PathId, Position,
    Status, Waiting,
};
use super::route::Chosen;
use super::{BranchError, Ticket, trace};
use crate::error::GraphError;
use crate::node::Produced;

/// A run's position and the rules that move it.
pub(crate) struct Scheduler<'e, 'g> {
    pub(crate) env: &'e RunEnv<'g>,
    pub(crate) pos: Position,
    pub(crate) branch_errors: Vec<BranchError>,
    /// Effects whose futures the driver must drop: their paths were cancelled.
    pub(crate) cancelled: Vec<Ticket>,
    /// Where the run stopped to wait, once it did.
    pub(crate) interrupted: Option<Interruption>,
    /// Answers for the asks of the node each path runs (a resumed interrupt).
    pub(crate) answers: HashMap<PathId, Vec<Value>>,
    /// Paths whose `interrupt_before` breakpoint was passed (resumed).
    pub(crate) passed: HashSet<PathId>,
    /// The thread of a durable run, for its tracing span and events.
    pub(crate) thread: Option<String>,
    /// Replaying stored steps: breakpoints do not stop the run.
    pub(crate) replaying: bool,
    next_ticket: Ticket,
}

impl<'e, 'g> Scheduler<'e, 'g> {
    pub(crate) fn new(env: &'e RunEnv<'g>, pos: Position) -> Self {
        Self {
            env,
            pos,
            branch_errors: Vec::new(),
            cancelled: Vec::new(),
            interrupted: None,
            answers: HashMap::new(),
            passed: HashSet::new(),
            thread: None,
            replaying: false,
            next_ticket: 0,
        }
    }

    /// Starts a new run of the thread on `position` (replaying a thread).
    pub(crate) fn reset_run(&mut self, position: Position) {
        self.pos = position;
        self.answers.clear();
        self.passed.clear();
        self.interrupted = None;
        self.branch_errors.clear();
    }

    /// The paths that run next: ready, or started and not finished.
    pub(crate) fn next_paths(&self) -> Vec<PathId> {
        self.pos
            .paths
            .iter()
            .filter(|(_, path)| matches!(path.status, Status::Ready | Status::Running { .. }))
            .map(|(id, _)| id)
            .collect()
    }

    /// Merges `values` into path `id`'s state (an edit of a waiting thread).
    pub(crate) fn merge_into(&mut self, id: PathId, values: Map<String, Value>) {
        if let Some(path) = self.pos.paths.get_mut(id) {
            Arc::make_mut(&mut path.state).merge(values);
        }
    }

    pub(crate) fn ticket(&mut self) -> Ticket {
        self.next_ticket += 1;
        self.next_ticket
    }

    /// A node of path `id` finished.
    pub(crate) fn node_done(
        &mut self,
        id: PathId,
        result: Result<Produced, GraphError>,
    ) -> Result<(), GraphError> {
        self.pos.steps_taken += 1;
        match result {
            Ok(output) => self.merge_output(id, output),
            Err(error) => self.fail(id, error),
        }
    }

    /// Merges a node's output into its path, then starts the node's branch
    /// edges or moves on.
    fn merge_output(&mut self, id: PathId, mut produced: Produced) -> Result<(), GraphError> {
        let env = self.env;
        let graph = env.graph;
        let path = &mut self.pos.paths[id];
        let node = path.node;
        let def = env.def(node);
        let pipeline = path.line == Line::Pipeline;
        // The output stays where it is until it is merged: it is big to move.
        let answer = match produced.route.take() {
            Some(route) if def.is_router() => Answer::Route(route),
            // A `Route` from a node that is not a router is plain output.
            Some(route) => {
                route.write_into(&mut produced.output);
                Answer::Nothing
            }
            None => Answer::Nothing,
        };
        let output = &mut produced.output;
        let mut route = Onward {
            stop: graph.is_end[node]
                || (pipeline && output.get("success") == Some(&Value::Bool(false))),
            routed: false,
            answer,
        };
        if def.is_router() {
            if route.answer.is_nothing() {
                let (choice, choices) = super::route::take_choice(output);
                route.answer = Answer::json(choice, choices);
            }
            // In a branch pipeline, a router that chose nothing follows its edges.
            route.routed = !pipeline || !route.answer.is_nothing();
        }
        if graph.upstream_readers {
            let mut upstream = Map::with_capacity(2);
            upstream.insert("node".into(), Value::String(def.name().to_owned()));
            upstream.insert("output".into(), Value::Object(output.clone()));
            path.upstream = Some(Arc::new(Value::Object(upstream)));
        }
        let edges = &graph.branches[node];
        let kept = edges
            .iter()
            .any(|edge| edge.condition.is_some())
            .then(|| output.clone());
        Arc::make_mut(&mut path.state).merge(produced.output);
        if edges.is_empty() {
            return self.proceed(id, route);
        }
        let frame = self.pos.frames.insert(Frame {
            path: id,
            kind: FrameKind::Edges(Edges {
                output: kept,
                next: 0,
                route,
                waiting: Waiting::Nothing,
            }),
        });
        self.pos.paths[id].status = Status::Suspended(frame);
        self.pos.edges.push_back(frame);
        Ok(())
    }

    /// Where path `id` goes after its node (and the node's branch edges).
    pub(super) fn proceed(&mut self, id: PathId, route: Onward) -> Result<(), GraphError> {
        let graph = self.env.graph;
        let node = self.pos.paths[id].node;
        let one;
        let next: Cow<'_, [usize]> = if route.routed {
            if route.stop && route.answer.is_nothing() {
                return self.finish(id);
            }
            match self.resolve(node, route.answer) {
                Ok(chosen) => {
                    trace::router_chose(self.env, node, chosen.as_slice());
                    if route.stop {
                        return self.finish(id);
                    }
                    match chosen {
                        Chosen::One(node) => {
                            one = [node];
                            Cow::Borrowed(&one[..])
                        }
                        Chosen::Many(nodes) => Cow::Owned(nodes),
                    }
                }
                Err(error) => return self.fail(id, error),
            }
        } else if route.stop {
            return self.finish(id);
        } else {
            Cow::Borrowed(graph.next[node].as_slice())
        };
        let path = &mut self.pos.paths[id];
        match path.line {
            Line::Main { stop_at_join } => {
                if stop_at_join && graph.join_source[node] {
                    return self.finish(id);
                }
                match *next {
                    [] => {
                        let error = GraphError::NoOutgoingEdge {
                            node: self.env.name(node).to_owned(),
                        };
                        self.fail(id, error)
                    }
                    [one] => {
                        path.node = one;
                        self.step(id, node)
                    }
                    ref many => {
                        // The branches start one step further: a router that
                        // fans out to itself is bounded here.
                        if path.steps + 1 >= self.env.max_steps {
                            return self.max_steps(id, node);
                        }
                        let join = many.iter().find_map(|&n| graph.join_of[n]);
                        self.fork(id, many, join);
                        Ok(())
                    }
                }
            }
            Line::Pipeline => {
                if next.is_empty() {
                    return self.finish(id);
                }
                path.steps += 1;
                if path.steps >= self.env.max_steps {
                    return self.max_steps(id, node);
                }
                if let [one] = *next {
                    path.node = one;
                    self.ready(id);
                } else {
                    self.fork(id, &next, None);
                }
                Ok(())
            }
        }
    }

    /// Counts a step of path `id` (which ran `ran` last) and readies it.
    fn step(&mut self, id: PathId, ran: usize) -> Result<(), GraphError> {
        let path = &mut self.pos.paths[id];
        path.steps += 1;
        if path.steps >= self.env.max_steps {
            return self.max_steps(id, ran);
        }
        self.ready(id);
        Ok(())
    }

    fn ready(&mut self, id: PathId) {
        self.pos.paths[id].status = Status::Ready;
        self.pos.ready.push_back(id);
    }

    fn max_steps(&mut self, id: PathId, ran: usize) -> Result<(), GraphError> {
        let branch = self.pos.paths[id].branch;
        let error = GraphError::MaxSteps {
            limit: self.env.max_steps,
            node: self.env.name(ran).to_owned(),
            branch: branch.map(|first| self.env.name(first).to_owned()),
        };
        self.fail(id, error)
    }

    /// Path `id` fans out to `nodes`: one branch each, on its own view of the
    /// state; `join` is where the merged path goes once all have arrived.
    fn fork(&mut self, id: PathId, nodes: &[usize], join: Option<usize>) {
        let path = &mut self.pos.paths[id];
        let states = Arc::make_mut(&mut path.state).fork(nodes.len());
        let base_layers = path.state.layers();
        let (line, steps) = match path.line {
            Line::Main { .. } => (Line::Main { stop_at_join: true }, path.steps + 1),
            Line::Pipeline => (Line::Pipeline, path.steps),
        };
        let upstream = path.upstream.clone();
        let frame = self.pos.frames.insert(Frame {
            path: id,
            kind: FrameKind::Fork(Fork {
                nodes: nodes.to_vec(),
                children: Vec::with_capacity(nodes.len()),
                remaining: nodes.len(),
                base_layers,
                join,
            }),
        });
        self.pos.paths[id].status = Status::Suspended(frame);
        // Room for every branch at once, not a regrowth per few branches.
        self.pos.paths.reserve(nodes.len());
        self.pos.ready.reserve(nodes.len());
        for (index, (&node, state)) in nodes.iter().zip(states).enumerate() {
            let child = self.pos.paths.insert(Path {
                node,
                steps,
                state: Arc::new(state),
                upstream: upstream.clone(),
                line,
                owner: Owner::Fork { frame, index },
                status: Status::Ready,
                branch: Some(node),
            });
            if let FrameKind::Fork(fork) = &mut self.pos.frames[frame].kind {
                fork.children.push(child);
            }
            self.pos.ready.push_back(child);
        }
    }

    /// Path `id` reached its end.
    fn finish(&mut self, id: PathId) -> Result<(), GraphError> {
        match self.pos.paths[id].owner {
            Owner::Run => {
                if let Some(path) = self.pos.paths.remove(id) {
                    self.pos.result = Some(path.state);
                }
                Ok(())
            }
            Owner::Fork { frame, .. } => {
                self.pos.paths[id].status = Status::Arrived;
                let FrameKind::Fork(fork) = &mut self.pos.frames[frame].kind else {
                    unreachable!("a fork branch's owner is a fork frame");
                };
                fork.remaining -= 1;
                if fork.remaining == 0 {
                    self.join(frame)
                } else {
                    Ok(())
                }
            }
            Owner::Edge { waiter, .. } => {
                self.pos.paths.remove(id);
                if let Some(waiter) = waiter {
                    self.resume_edges(waiter);
                }
                Ok(())
            }
        }
    }

    /// Every branch of fan-out `frame` arrived: merge them into the waiting
    /// path in declaration order, then go to the join (or finish).
    fn join(&mut self, frame: FrameId) -> Result<(), GraphError> {
        let Some(Frame {
            path: id,
            kind: FrameKind::Fork(fork),
        }) = self.pos.frames.remove(frame)
        else {
            unreachable!("join is called on fork frames");
        };
        let env = self.env;
        let names = |i: usize| env.name(fork.nodes[i]);
        let mut merged = Vec::with_capacity(fork.children.len());
        let mut upstream = None;
        let graph = env.graph;
        // The join is the one the branches stopped at, the first in
        // declaration order; when every branch ran to an end node instead,
        // the join that their edges lead to (found when the graph compiled).
        let mut join = None;
        for &child in &fork.children {
            let Some(child) = self.pos.paths.remove(child) else {
                continue;
            };
            if join.is_none()
                && child.line == (Line::Main { stop_at_join: true })
                && graph.join_source[child.node]
            {
                join = graph
                    .join_sources
                    .iter()
                    .position(|sources| sources.contains(&child.node));
            }
            if child.upstream.is_some() {
                upstream = child.upstream;
            }
            let state = Arc::try_unwrap(child.state).unwrap_or_else(|shared| (*shared).clone());
            merged.push(state.into_writes(fork.base_layers));
        }
        let path = &mut self.pos.paths[id];
        if upstream.is_some() {
            path.upstream = upstream;
        }
        let state = Arc::make_mut(&mut path.state);
        for conflict in state.merge_branches(merged) {
            let (first, second) = (names(conflict.first), names(conflict.second));
            let key = conflict.key.as_str();
            tracing::warn!(
                parent: &env.span,
                key,
                first,
                second,
                "parallel branches wrote different values to `{key}`; the branch declared later (`{second}`) wins",
            );
        }
        let ran = path.node;
        match join.or(fork.join) {
            Some(join) => {
                path.steps += 1;
                path.node = self.env.graph.join_destination[join];
                self.step(id, ran)
            }
            None => self.finish(id),
        }
    }

    /// Path `id` failed: a fan-out fails with its first failing branch (the
    /// other branches are cancelled), a branch pipeline records its error and
    /// lets the path that waits for it go on, the main path fails the run.
    pub(crate) fn fail(&mut self, mut id: PathId, error: GraphError) -> Result<(), GraphError> {
        loop {
            match self.pos.paths[id].owner {
                Owner::Run => return Err(error),
                Owner::Fork { frame, .. } => {
                    let Some(Frame {
                        path: waiting,
                        kind: FrameKind::Fork(fork),
                    }) = self.pos.frames.remove(frame)
                    else {
                        unreachable!("a fork branch's owner is a fork frame");
                    };
                    for child in fork.children {
                        if child == id {
                            self.pos.paths.remove(child);
                        } else {
                            self.cancel(child);
                        }
                    }
                    id = waiting;
                }
                Owner::Edge {
                    source,
                    destination,
                    waiter,
                } => {
                    self.record(source, destination, error);
                    self.pos.paths.remove(id);
                    if let Some(waiter) = waiter {
                        self.resume_edges(waiter);
                    }
                    return Ok(());
                }
            }
        }
    }

    /// Removes path `id` and everything it waits for; running effects are
    /// listed in `cancelled` for the driver to drop.
    fn cancel(&mut self, id: PathId) {
        let mut stack = vec![id];
        while let Some(id) = stack.pop() {
            let Some(path) = self.pos.paths.remove(id) else {
                continue;
            };
            match path.status {
                Status::Running { ticket } => self.cancelled.push(ticket),
                Status::Ready => self.pos.ready.retain(|&ready| ready != id),
                Status::Arrived => {}
                Status::Suspended(frame) => {
                    let Some(frame_value) = self.pos.frames.remove(frame) else {
                        continue;
                    };
                    match frame_value.kind {
                        FrameKind::Fork(fork) => stack.extend(fork.children),
                        FrameKind::Edges(edges) => {
                            self.pos.edges.retain(|&queued| queued != frame);
                            match edges.waiting {
                                Waiting::Pipeline(child) => stack.push(child),
                                Waiting::Condition { ticket } => self.cancelled.push(ticket),
                                Waiting::Nothing => {}
                            }
                        }
                    }
                }
            }
        }
    }

    pub(super) fn record(&mut self, source: usize, destination: usize, error: GraphError) {
        let (source, destination) = (self.env.name(source), self.env.name(destination));
        tracing::warn!(
            parent: &self.env.span,
            source,
            destination,
            %error,
            "branch pipeline failed"
        );
        self.branch_errors.push(BranchError {
            source: source.to_owned(),
            destination: destination.to_owned(),
            error: Arc::new(error),
        });
    }
}
