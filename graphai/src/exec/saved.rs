//! A [`Position`] as serde data, by node name: what a checkpoint stores, and
//! what a resumed run is rebuilt from.
//!
//! Paths and frames keep their ids (slots of the position, not graph
//! indices); nodes are named. The frozen layers that paths share are written
//! once and referred to by index, so a fan-out of many branches over a big
//! state stores that state once, and the restored branches share it again.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::position::{
    Answer, Edges, Fork, Frame, FrameKind, Line, Onward, Owner, Path, Position, Status, Waiting,
};
use crate::run_state::RunState;
use crate::tables::Inner;

/// A run's position, by node name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SavedPosition {
    pub(crate) paths: Vec<SavedPath>,
    pub(crate) frames: Vec<SavedFrame>,
    /// The frozen state layers paths share, each stored once.
    pub(crate) layers: Vec<Map<String, Value>>,
    pub(crate) ready: Vec<usize>,
    pub(crate) edges: Vec<usize>,
    pub(crate) result: Option<SavedState>,
    pub(crate) steps_taken: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SavedPath {
    pub(crate) id: usize,
    pub(crate) node: String,
    pub(crate) steps: usize,
    pub(crate) state: SavedState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) upstream: Option<Value>,
    pub(crate) line: SavedLine,
    pub(crate) owner: SavedOwner,
    pub(crate) status: SavedStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) branch: Option<String>,
}

/// A path's state: indices into [`SavedPosition::layers`], and its own writes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct SavedState {
    pub(crate) layers: Vec<usize>,
    pub(crate) top: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SavedLine {
    Main,
    Branch,
    Pipeline,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub(crate) enum SavedOwner {
    Run,
    Fork {
        frame: usize,
        index: usize,
    },
    Edge {
        source: String,
        destination: String,
        waiter: Option<usize>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub(crate) enum SavedStatus {
    Ready,
    /// Its node was running: a restored run starts it again.
    Running,
    Suspended {
        frame: usize,
    },
    Arrived,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SavedFrame {
    pub(crate) id: usize,
    pub(crate) path: usize,
    pub(crate) kind: SavedFrameKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub(crate) enum SavedFrameKind {
    Fork {
        nodes: Vec<String>,
        children: Vec<usize>,
        remaining: usize,
        base_layers: usize,
        /// The join's destination and sources, when the branches wait at one.
        join: Option<SavedJoin>,
    },
    Edges {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<Map<String, Value>>,
        /// The next branch edge of the node to consider, counted among the
        /// node's branch edges in declaration order.
        next: usize,
        route: SavedRoute,
        /// The waiting edge's pipeline, if one is running.
        pipeline: Option<usize>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SavedJoin {
    pub(crate) destination: String,
    pub(crate) sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SavedRoute {
    pub(crate) stop: bool,
    pub(crate) routed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) choice: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) choices: Option<Value>,
}

/// Why a saved position does not fit the graph it is restored into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the saved run position does not fit this graph: {0}")]
pub(crate) struct RestoreError(pub(crate) String);

impl Position {
    /// This position by node name.
    pub(crate) fn save(&self, graph: &Inner) -> SavedPosition {
        self.save_as(graph, true)
    }

    /// This position by node name without the paths' states: what a
    /// checkpoint stores beside the step's delta (the states are rebuilt by
    /// replaying the deltas).
    pub(crate) fn save_without_states(&self, graph: &Inner) -> SavedPosition {
        self.save_as(graph, false)
    }

    fn save_as(&self, graph: &Inner, states: bool) -> SavedPosition {
        let name = |node: usize| graph.nodes[node].name().to_owned();
        let mut layers = Layers::default();
        let paths = self
            .paths
            .iter()
            .map(|(id, path)| SavedPath {
                id,
                node: name(path.node),
                steps: path.steps,
                state: if states {
                    layers.save(&path.state)
                } else {
                    SavedState::default()
                },
                upstream: path.upstream.as_deref().cloned().filter(|_| states),
                line: match path.line {
                    Line::Main {
                        stop_at_join: false,
                    } => SavedLine::Main,
                    Line::Main { stop_at_join: true } => SavedLine::Branch,
                    Line::Pipeline => SavedLine::Pipeline,
                },
                owner: match path.owner {
                    Owner::Run => SavedOwner::Run,
                    Owner::Fork { frame, index } => SavedOwner::Fork { frame, index },
                    Owner::Edge {
                        source,
                        destination,
                        waiter,
                    } => SavedOwner::Edge {
                        source: name(source),
                        destination: name(destination),
                        waiter,
                    },
                },
                status: match path.status {
                    Status::Ready => SavedStatus::Ready,
                    Status::Running { .. } => SavedStatus::Running,
                    Status::Suspended(frame) => SavedStatus::Suspended { frame },
                    Status::Arrived => SavedStatus::Arrived,
                },
                branch: path.branch.map(name),
            })
            .collect();
        let frames = self
            .frames
            .iter()
            .map(|(id, frame)| SavedFrame {
                id,
                path: frame.path,
                kind: match &frame.kind {
                    FrameKind::Fork(fork) => SavedFrameKind::Fork {
                        nodes: fork.nodes.iter().map(|&n| name(n)).collect(),
                        children: fork.children.clone(),
                        remaining: fork.remaining,
                        base_layers: fork.base_layers,
                        join: fork.join.map(|join| SavedJoin {
                            destination: name(graph.join_destination[join]),
                            sources: graph.join_sources[join].iter().map(|&n| name(n)).collect(),
                        }),
                    },
                    FrameKind::Edges(edges) => SavedFrameKind::Edges {
                        output: edges.output.clone(),
                        // An edge whose condition was being evaluated is considered again.
                        next: match edges.waiting {
                            Waiting::Condition { .. } => edges.next - 1,
                            _ => edges.next,
                        },
                        route: {
                            let (choice, choices) = edges.route.answer.to_json();
                            SavedRoute {
                                stop: edges.route.stop,
                                routed: edges.route.routed,
                                choice,
                                choices,
                            }
                        },
                        pipeline: match edges.waiting {
                            Waiting::Pipeline(child) => Some(child),
                            _ => None,
                        },
                    },
                },
            })
            .collect();
        let result = self
            .result
            .as_ref()
            .map(|state| layers.save(state))
            .filter(|_| states);
        SavedPosition {
            paths,
            frames,
            layers: layers.maps,
            ready: self.ready.iter().copied().collect(),
            edges: self.edges.iter().copied().collect(),
            result,
            steps_taken: self.steps_taken,
        }
    }

    /// Rebuilds a position saved by [`save`](Self::save), checking that it fits
    /// `graph`. A node that was running is started again.
    pub(crate) fn restore(saved: &SavedPosition, graph: &Inner) -> Result<Self, RestoreError> {
        let fail = |what: String| RestoreError(what);
        let node = |name: &str| {
            graph.by_name.get(name).copied().ok_or_else(|| {
                fail(format!(
                    "it names node `{name}`, which the graph does not have"
                ))
            })
        };
        let shared: Vec<Arc<Map<String, Value>>> =
            saved.layers.iter().cloned().map(Arc::new).collect();
        let state = |saved: &SavedState| -> Result<RunState, RestoreError> {
            let frozen = saved
                .layers
                .iter()
                .map(|&i| {
                    shared.get(i).cloned().ok_or_else(|| {
                        fail(format!(
                            "a path's state refers to layer {i}, which is not saved"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(RunState::from_parts(frozen, saved.top.clone()))
        };
        let path_ids: Vec<usize> = saved.paths.iter().map(|p| p.id).collect();
        let frame_ids: Vec<usize> = saved.frames.iter().map(|f| f.id).collect();
        let has_path = |id: usize| {
            path_ids
                .contains(&id)
                .then_some(id)
                .ok_or_else(|| fail(format!("it refers to path {id}, which is not saved")))
        };
        let has_frame = |id: usize| {
            frame_ids
                .contains(&id)
                .then_some(id)
                .ok_or_else(|| fail(format!("it refers to frame {id}, which is not saved")))
        };

        let mut position = Position::default();
        let mut restarted = Vec::new();
        for path in &saved.paths {
            let status = match path.status {
                SavedStatus::Ready => Status::Ready,
                SavedStatus::Running => {
                    restarted.push(path.id);
                    Status::Ready
                }
                SavedStatus::Suspended { frame } => Status::Suspended(has_frame(frame)?),
                SavedStatus::Arrived => Status::Arrived,
            };
            let owner = match &path.owner {
                SavedOwner::Run => Owner::Run,
                SavedOwner::Fork { frame, index } => Owner::Fork {
                    frame: has_frame(*frame)?,
                    index: *index,
                },
                SavedOwner::Edge {
                    source,
                    destination,
                    waiter,
                } => Owner::Edge {
                    source: node(source)?,
                    destination: node(destination)?,
                    waiter: waiter.map(has_frame).transpose()?,
                },
            };
            let restored = Path {
                node: node(&path.node)?,
                steps: path.steps,
                state: Arc::new(state(&path.state)?),
                upstream: path.upstream.clone().map(Arc::new),
                line: match path.line {
                    SavedLine::Main => Line::Main {
                        stop_at_join: false,
                    },
                    SavedLine::Branch => Line::Main { stop_at_join: true },
                    SavedLine::Pipeline => Line::Pipeline,
                },
                owner,
                status,
                branch: path.branch.as_deref().map(node).transpose()?,
            };
            if position.paths.get(path.id).is_some() {
                return Err(fail(format!("path {} is saved twice", path.id)));
            }
            position.paths.insert_at(path.id, restored);
        }
        for frame in &saved.frames {
            let owner = has_path(frame.path)?;
            let kind = match &frame.kind {
                SavedFrameKind::Fork {
                    nodes,
                    children,
                    remaining,
                    base_layers,
                    join,
                } => {
                    if nodes.len() != children.len() || *remaining > children.len() {
                        return Err(fail(format!(
                            "fan-out frame {} has {} branches but {} children ({remaining} remaining)",
                            frame.id,
                            nodes.len(),
                            children.len()
                        )));
                    }
                    for &child in children {
                        has_path(child)?;
                    }
                    let join = match join {
                        None => None,
                        Some(join) => Some(find_join(graph, join, &node).map_err(fail)?),
                    };
                    FrameKind::Fork(Fork {
                        nodes: nodes.iter().map(|n| node(n)).collect::<Result<_, _>>()?,
                        children: children.clone(),
                        remaining: *remaining,
                        base_layers: *base_layers,
                        join,
                    })
                }
                SavedFrameKind::Edges {
                    output,
                    next,
                    route,
                    pipeline,
                } => {
                    let source = position.paths[owner].node;
                    if *next > graph.branches[source].len() {
                        return Err(fail(format!(
                            "node `{}` has {} branch edges, but the position is at edge {next}",
                            graph.nodes[source].name(),
                            graph.branches[source].len()
                        )));
                    }
                    FrameKind::Edges(Edges {
                        output: output.clone(),
                        next: *next,
                        route: Onward {
                            stop: route.stop,
                            routed: route.routed,
                            answer: Answer::json(route.choice.clone(), route.choices.clone()),
                        },
                        waiting: match pipeline {
                            Some(child) => Waiting::Pipeline(has_path(*child)?),
                            None => Waiting::Nothing,
                        },
                    })
                }
            };
            if position.frames.get(frame.id).is_some() {
                return Err(fail(format!("frame {} is saved twice", frame.id)));
            }
            position
                .frames
                .insert_at(frame.id, Frame { path: owner, kind });
        }
        position.ready = saved
            .ready
            .iter()
            .map(|&id| has_path(id))
            .collect::<Result<VecDeque<_>, _>>()?;
        position.ready.extend(restarted);
        position.edges = saved
            .edges
            .iter()
            .map(|&id| has_frame(id))
            .collect::<Result<VecDeque<_>, _>>()?;
        // An Edges frame that waited for a condition considers that edge again.
        for (id, frame) in position.frames.iter() {
            if let FrameKind::Edges(edges) = &frame.kind
                && edges.waiting == Waiting::Nothing
                && !position.edges.contains(&id)
            {
                position.edges.push_back(id);
            }
        }
        position.result = saved
            .result
            .as_ref()
            .map(|s| state(s).map(Arc::new))
            .transpose()?;
        position.steps_taken = saved.steps_taken;
        Ok(position)
    }
}

fn find_join(
    graph: &Inner,
    join: &SavedJoin,
    node: &impl Fn(&str) -> Result<usize, RestoreError>,
) -> Result<usize, String> {
    let destination = node(&join.destination).map_err(|e| e.0)?;
    let sources = join
        .sources
        .iter()
        .map(|s| node(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.0)?;
    (0..graph.join_destination.len())
        .find(|&j| graph.join_destination[j] == destination && graph.join_sources[j] == sources)
        .ok_or_else(|| {
            format!(
                "it waits at a join into `{}`, which the graph does not have",
                join.destination
            )
        })
}

/// The frozen layers of the saved paths, each written once.
#[derive(Default)]
struct Layers {
    maps: Vec<Map<String, Value>>,
    index: HashMap<*const Map<String, Value>, usize>,
}

impl Layers {
    fn save(&mut self, state: &RunState) -> SavedState {
        let (frozen, top) = state.parts();
        let layers = frozen
            .iter()
            .map(|layer| {
                *self.index.entry(Arc::as_ptr(layer)).or_insert_with(|| {
                    self.maps.push((**layer).clone());
                    self.maps.len() - 1
                })
            })
            .collect();
        SavedState {
            layers,
            top: top.clone(),
        }
    }
}
