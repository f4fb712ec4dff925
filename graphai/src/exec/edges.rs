//! The rules of branch edges (`a ~> b`): after a node, its edges are
//! considered one by one in declaration order; a condition is evaluated as an
//! effect of its own, a chosen edge starts a pipeline on a copy of the path's
//! state, and a waiting edge holds the path until its pipeline ends.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::Ticket;
use super::advance::Scheduler;
use super::position::{Edges, Frame, FrameId, FrameKind, Line, Owner, Path, Status, Waiting};
use crate::error::GraphError;

impl Scheduler<'_, '_> {
    /// The next branch edge of frame `frame`: the index of an edge whose
    /// condition must be evaluated now, or `None` once the frame started a
    /// pipeline, is waiting, or is done (its path moved on).
    pub(crate) fn next_edge(&mut self, frame: FrameId) -> Result<Option<usize>, GraphError> {
        let Some(Frame { path, kind }) = self.pos.frames.get_mut(frame) else {
            return Ok(None);
        };
        let FrameKind::Edges(edges) = kind else {
            return Ok(None);
        };
        let (path, node) = (*path, self.pos.paths[*path].node);
        let all = &self.env.graph.branches[node];
        let Some(edge) = all.get(edges.next) else {
            let route = std::mem::take(&mut edges.route);
            self.pos.frames.remove(frame);
            // Back to where a node that just finished is: `proceed` decides.
            self.pos.paths[path].status = Status::Running { ticket: 0 };
            return self.proceed(path, route).map(|()| None);
        };
        let index = edges.next;
        edges.next += 1;
        if edge.condition.is_some() {
            edges.waiting = Waiting::Condition { ticket: 0 };
            return Ok(Some(index));
        }
        self.start_pipeline(frame, index);
        Ok(None)
    }

    /// The condition of edge `index` of frame `frame` is being evaluated under `ticket`.
    pub(crate) fn condition_started(&mut self, frame: FrameId, ticket: Ticket) {
        if let Some(Frame {
            kind: FrameKind::Edges(edges),
            ..
        }) = self.pos.frames.get_mut(frame)
        {
            edges.waiting = Waiting::Condition { ticket };
        }
    }

    /// The effect evaluating frame `frame`'s condition, if one is.
    pub(crate) fn condition_ticket(&self, frame: FrameId) -> Option<Ticket> {
        match self.pos.frames.get(frame)?.kind {
            FrameKind::Edges(Edges {
                waiting: Waiting::Condition { ticket },
                ..
            }) => Some(ticket),
            _ => None,
        }
    }

    /// Conditions being evaluated are evaluated again when the run goes on.
    pub(crate) fn reset_conditions(&mut self) {
        let mut waiting = Vec::new();
        for (id, frame) in self.pos.frames.iter() {
            if let FrameKind::Edges(Edges {
                waiting: Waiting::Condition { .. },
                ..
            }) = frame.kind
            {
                waiting.push(id);
            }
        }
        for id in waiting.into_iter().rev() {
            if let FrameKind::Edges(edges) = &mut self.pos.frames[id].kind {
                edges.waiting = Waiting::Nothing;
                edges.next -= 1;
            }
            self.pos.edges.push_front(id);
        }
    }

    /// The output a condition of frame `frame` is asked about.
    pub(crate) fn condition_input(&self, frame: FrameId) -> Option<(&Map<String, Value>, usize)> {
        let Frame {
            path,
            kind: FrameKind::Edges(edges),
        } = self.pos.frames.get(frame)?
        else {
            return None;
        };
        Some((edges.output.as_ref()?, self.pos.paths[*path].node))
    }

    /// A branch condition answered: `Err` holds the message of its panic.
    pub(crate) fn condition_done(
        &mut self,
        frame: FrameId,
        ticket: Ticket,
        verdict: Result<bool, String>,
    ) {
        let Some(Frame {
            path,
            kind: FrameKind::Edges(edges),
        }) = self.pos.frames.get_mut(frame)
        else {
            return;
        };
        if edges.waiting != (Waiting::Condition { ticket }) {
            return;
        }
        edges.waiting = Waiting::Nothing;
        let index = edges.next - 1;
        let node = self.pos.paths[*path].node;
        match verdict {
            Ok(true) => return self.start_pipeline(frame, index),
            Ok(false) => {}
            Err(message) => {
                let destination = self.env.graph.branches[node][index].destination;
                let error = GraphError::Panic {
                    node: format!("{} (branch condition)", self.env.name(node)),
                    message,
                };
                self.record(node, destination, error);
            }
        }
        self.pos.edges.push_back(frame);
    }

    /// Starts the pipeline of edge `index` of frame `frame`: on a copy of the
    /// source's path state; a waiting edge holds the frame until it ends.
    pub(super) fn start_pipeline(&mut self, frame: FrameId, index: usize) {
        let path_id = self.pos.frames[frame].path;
        let path = &mut self.pos.paths[path_id];
        let node = path.node;
        let edge = &self.env.graph.branches[node][index];
        let state = Arc::make_mut(&mut path.state)
            .fork(1)
            .next()
            .unwrap_or_default();
        let child = Path {
            node: edge.destination,
            steps: 0,
            state: Arc::new(state),
            upstream: path.upstream.clone(),
            line: Line::Pipeline,
            owner: Owner::Edge {
                source: node,
                destination: edge.destination,
                waiter: edge.wait.then_some(frame),
            },
            status: Status::Ready,
            branch: Some(edge.destination),
        };
        let child = self.pos.paths.insert(child);
        self.pos.ready.push_back(child);
        if let FrameKind::Edges(edges) = &mut self.pos.frames[frame].kind {
            if edge.wait {
                edges.waiting = Waiting::Pipeline(child);
            } else {
                self.pos.edges.push_back(frame);
            }
        }
    }

    /// A waiting branch pipeline of frame `frame` ended: its edges go on.
    pub(super) fn resume_edges(&mut self, frame: FrameId) {
        if let Some(Frame {
            kind: FrameKind::Edges(edges),
            ..
        }) = self.pos.frames.get_mut(frame)
        {
            edges.waiting = Waiting::Nothing;
            self.pos.edges.push_back(frame);
        }
    }
}
