//! Where a run stands, as a value: the paths in flight and the frames that
//! wait for them. The scheduler loop (`driver.rs`) advances it one finished
//! node at a time; `saved.rs` turns it into serde data by node name.
//!
//! A *path* is one line of execution: the next node it runs, the steps it has
//! taken (GraphAI counts steps per path), its own view of the run state, and
//! who is waiting for it. A *frame* is a path that stopped to wait for others:
//! a fan-out waiting for its parallel branches (and then, maybe, a join), or a
//! node whose branch edges are being started one by one.

use std::collections::VecDeque;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::run_state::RunState;
use crate::tables::Inner;

/// Index of a path in [`Position::paths`].
pub(crate) type PathId = usize;
/// Index of a frame in [`Position::frames`].
pub(crate) type FrameId = usize;

/// One line of execution.
#[derive(Debug, Clone)]
pub(crate) struct Path {
    /// The node this path runs next (or is running, or ran last when it waits).
    pub(crate) node: usize,
    /// Steps taken on this path, GraphAI's way (see [`crate::GraphError::MaxSteps`]).
    pub(crate) steps: usize,
    /// What this path sees. Shared with the node call while it runs, so the
    /// position stays whole (and serializable) at every moment.
    pub(crate) state: Arc<RunState>,
    /// `{"node": .., "output": ..}` of the node that ran last, when some node
    /// reads `upstream`.
    pub(crate) upstream: Option<Arc<Value>>,
    /// Main line (joins apply) or a branch-edge pipeline (they do not).
    pub(crate) line: Line,
    /// Who gets this path's result.
    pub(crate) owner: Owner,
    /// What the path is doing.
    pub(crate) status: Status,
    /// The first node of the innermost parallel branch or pipeline the path
    /// belongs to; `None` on the run's main line.
    pub(crate) branch: Option<usize>,
}

/// The rules a path follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line {
    /// GraphAI's `_execute_branch`: routers must choose; a parallel branch
    /// (`stop_at_join`) stops when it reaches a join source.
    Main {
        /// Whether the path is a parallel branch that stops at a join source.
        stop_at_join: bool,
    },
    /// GraphAI's `_execute_pipeline`, for branch edges: no joins, a router
    /// that chose nothing follows its edges, `"success": false` stops it.
    Pipeline,
}

/// Who gets a path's result when it finishes or fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// The run's main path: its end is the run's result, its error the run's.
    Run,
    /// Branch `index` of a fan-out frame.
    Fork {
        /// The fan-out.
        frame: FrameId,
        /// Position of the branch among the fan-out's destinations.
        index: usize,
    },
    /// The pipeline of the branch edge `source ~> destination`: its result is
    /// dropped, its error recorded. `waiter` is the frame of the path that
    /// waits for it, `None` for a detached branch.
    Edge {
        /// The node the branch edge leaves.
        source: usize,
        /// The first node of the pipeline.
        destination: usize,
        /// The waiting path's frame.
        waiter: Option<FrameId>,
    },
}

/// What a path is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Its node is to be started.
    Ready,
    /// Its node is running, as the effect `ticket` (0 while the scheduler
    /// decides where a path whose node just finished goes).
    Running {
        /// The effect running the node; its result is ignored unless it matches.
        ticket: u64,
    },
    /// It waits in a frame.
    Suspended(FrameId),
    /// A parallel branch that finished and waits for its siblings.
    Arrived,
}

/// A path waiting for others.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    /// The waiting path.
    pub(crate) path: PathId,
    /// What it waits for.
    pub(crate) kind: FrameKind,
}

#[derive(Debug, Clone)]
pub(crate) enum FrameKind {
    /// A fan-out waiting for its parallel branches.
    Fork(Fork),
    /// A node's branch edges, started in declaration order.
    Edges(Edges),
}

/// A fan-out: the branches, in the order their edges were declared, and
/// where the merged path goes once all have arrived.
#[derive(Debug, Clone)]
pub(crate) struct Fork {
    /// The first node of each branch.
    pub(crate) nodes: Vec<usize>,
    /// The branch paths, by index.
    pub(crate) children: Vec<PathId>,
    /// Branches still running.
    pub(crate) remaining: usize,
    /// Frozen layers of the waiting path's state when it forked: what each
    /// branch wrote is what lies above them.
    pub(crate) base_layers: usize,
    /// The join the branches wait at; `None` when they run to their ends.
    pub(crate) join: Option<usize>,
}

/// The branch edges leaving the node that a path just ran.
#[derive(Debug, Clone)]
pub(crate) struct Edges {
    /// The node's output, kept for the edges' conditions (only when one has one).
    pub(crate) output: Option<Map<String, Value>>,
    /// The next edge to consider, an index into the node's branch edges.
    pub(crate) next: usize,
    /// Where the path goes afterwards.
    pub(crate) route: Onward,
    /// What the frame waits for now.
    pub(crate) waiting: Waiting,
}

/// What an [`Edges`] frame waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Waiting {
    /// Nothing: it is ready to consider its next edge.
    Nothing,
    /// The condition of edge `next - 1` is being evaluated, as the effect `ticket`.
    Condition {
        /// The effect evaluating it.
        ticket: u64,
    },
    /// The pipeline of a waiting branch edge.
    Pipeline(PathId),
}

/// How a path continues after a node: decided when the node finishes, acted
/// on once its branch edges have run (as GraphAI does, a router's bad choice
/// fails the path after its waiting branches ran).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Onward {
    /// The path ends here: an end node, or `"success": false` in a pipeline.
    pub(crate) stop: bool,
    /// The node was a router and its output is to be followed.
    pub(crate) routed: bool,
    /// What the router answered.
    pub(crate) answer: Answer,
}

/// A router's answer, taken out of what it returned; checked against the
/// graph only when the path moves on. Small, as it moves with the path.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum Answer {
    /// It answered nothing.
    #[default]
    Nothing,
    /// The `choice` key of its JSON output.
    Choice(Value),
    /// The `choices` key of its JSON output (which wins over `choice`).
    Choices(Value),
    /// A [`crate::Route`] it returned.
    Route(crate::Route),
}

impl Answer {
    pub(crate) fn is_nothing(&self) -> bool {
        matches!(self, Answer::Nothing)
    }

    /// The answer in a JSON output's `choice` and `choices` (either may be
    /// absent; `choices` wins, as GraphAI reads it first).
    pub(crate) fn json(choice: Option<Value>, choices: Option<Value>) -> Self {
        match (choice, choices) {
            (_, Some(choices)) => Answer::Choices(choices),
            (Some(choice), None) => Answer::Choice(choice),
            (None, None) => Answer::Nothing,
        }
    }

    /// The answer as JSON `choice` and `choices` values, as a saved run
    /// position stores it.
    pub(crate) fn to_json(&self) -> (Option<Value>, Option<Value>) {
        match self {
            Answer::Nothing => (None, None),
            Answer::Choice(choice) => (Some(choice.clone()), None),
            Answer::Choices(choices) => (None, Some(choices.clone())),
            Answer::Route(route) => match route.to_json() {
                ("choice", value) => (Some(value), None),
                (_, value) => (None, Some(value)),
            },
        }
    }
}

/// The whole position of a run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Position {
    pub(crate) paths: Arena<Path>,
    pub(crate) frames: Arena<Frame>,
    /// Paths whose node is to be started, in order.
    pub(crate) ready: VecDeque<PathId>,
    /// [`Edges`] frames ready to consider their next edge, in order.
    pub(crate) edges: VecDeque<FrameId>,
    /// The main path's final state, once it finished (detached branch
    /// pipelines may still run).
    pub(crate) result: Option<Arc<RunState>>,
    /// Node calls completed so far, on every path.
    pub(crate) steps_taken: usize,
}

impl Position {
    /// A run of `graph` about to start its start node on `input`.
    pub(crate) fn start(graph: &Inner, input: Map<String, Value>) -> Self {
        let mut position = Self::default();
        // The main path and one fan-out of the widest fork, allocated once.
        position.paths.reserve(1 + graph.widest_fork);
        position.ready.reserve(1 + graph.widest_fork);
        let main = position.paths.insert(Path {
            node: graph.start,
            steps: 0,
            state: Arc::new(RunState::new(input)),
            upstream: None,
            line: Line::Main {
                stop_at_join: false,
            },
            owner: Owner::Run,
            status: Status::Ready,
            branch: None,
        });
        position.ready.push_back(main);
        position
    }
}

/// A slab: values addressed by index, freed slots reused. The free slots
/// are chained through themselves (no list of their own to allocate).
#[derive(Debug, Clone)]
pub(crate) struct Arena<T> {
    slots: Vec<Slot<T>>,
    /// The first free slot, `NO_SLOT` when none.
    free: usize,
    len: usize,
}

#[derive(Debug, Clone)]
enum Slot<T> {
    Full(T),
    /// A free slot, with the next free one (`NO_SLOT` at the end).
    Free(usize),
}

const NO_SLOT: usize = usize::MAX;

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            free: NO_SLOT,
            len: 0,
        }
    }
}

impl<T> Arena<T> {
    pub(crate) fn insert(&mut self, value: T) -> usize {
        self.len += 1;
        match self.slots.get(self.free) {
            Some(&Slot::Free(next)) => {
                let index = std::mem::replace(&mut self.free, next);
                self.slots[index] = Slot::Full(value);
                index
            }
            _ => {
                self.slots.push(Slot::Full(value));
                self.slots.len() - 1
            }
        }
    }

    /// Makes room for `additional` more values at once.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let free = self.slots.len() - self.len;
        self.slots.reserve(additional.saturating_sub(free));
    }

    /// Puts `value` at `index`, which must be free or past the end (restoring a saved position).
    pub(crate) fn insert_at(&mut self, index: usize, value: T) {
        while self.slots.len() <= index {
            self.slots.push(Slot::Free(NO_SLOT));
        }
        if matches!(
            std::mem::replace(&mut self.slots[index], Slot::Full(value)),
            Slot::Free(_)
        ) {
            self.len += 1;
        }
        // Chain the free slots again, lowest first (as `insert` takes them).
        self.free = NO_SLOT;
        for i in (0..self.slots.len()).rev() {
            if let Slot::Free(next) = &mut self.slots[i] {
                *next = self.free;
                self.free = i;
            }
        }
    }

    pub(crate) fn remove(&mut self, index: usize) -> Option<T> {
        if !matches!(self.slots.get(index), Some(Slot::Full(_))) {
            return None;
        }
        self.len -= 1;
        let freed = if index + 1 == self.slots.len() {
            // The last slot goes: a run's one path leaves no free slot.
            self.slots.pop()
        } else {
            let freed = std::mem::replace(&mut self.slots[index], Slot::Free(self.free));
            self.free = index;
            Some(freed)
        };
        match freed {
            Some(Slot::Full(value)) => Some(value),
            _ => None,
        }
    }

    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        match self.slots.get(index)? {
            Slot::Full(value) => Some(value),
            Slot::Free(_) => None,
        }
    }

    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        match self.slots.get_mut(index)? {
            Slot::Full(value) => Some(value),
            Slot::Free(_) => None,
        }
    }

    /// Every value with its index, in index order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, &T)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| match slot {
                Slot::Full(value) => Some((i, value)),
                Slot::Free(_) => None,
            })
    }
}

impl<T> std::ops::Index<usize> for Arena<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        match self.get(index) {
            Some(value) => value,
            None => unreachable!("the scheduler addresses only live slots (slot {index})"),
        }
    }
}

impl<T> std::ops::IndexMut<usize> for Arena<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        match self.get_mut(index) {
            Some(value) => value,
            None => unreachable!("the scheduler addresses only live slots (slot {index})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Arena, NO_SLOT, Slot};

    #[test]
    fn arena_gives_back_its_last_slot_and_reuses_the_inner_ones() {
        let mut arena = Arena::default();
        let (a, b, c) = (arena.insert('a'), arena.insert('b'), arena.insert('c'));
        assert_eq!((a, b, c), (0, 1, 2));
        // An inner slot goes on the free list ...
        assert_eq!(arena.remove(b), Some('b'));
        // ... the last one shrinks the slab instead.
        assert_eq!(arena.remove(c), Some('c'));
        assert_eq!(arena.slots.len(), 2);
        assert_eq!(arena.free, b);
        assert!(matches!(arena.slots[b], Slot::Free(NO_SLOT)));
        assert_eq!(arena.insert('d'), b);
        assert_eq!(arena.insert('e'), 2);
        // A run's one path, over and over, keeps one slot and no free list.
        let mut one = Arena::default();
        for round in 0..3 {
            let index = one.insert(round);
            assert_eq!(one.remove(index), Some(round));
        }
        assert!(one.slots.is_empty() && one.free == NO_SLOT && one.len == 0);
        assert_eq!(
            arena.iter().map(|(i, v)| (i, *v)).collect::<Vec<_>>(),
            [(0, 'a'), (1, 'd'), (2, 'e')]
        );
    }

    #[test]
    fn arena_restored_at_an_index_chains_the_slots_below_it_lowest_first() {
        let mut arena = Arena::default();
        arena.insert_at(3, 'x');
        assert_eq!((arena.len, arena.get(3)), (1, Some(&'x')));
        assert_eq!(arena.get(1), None);
        // The free slots are taken lowest first, then the slab grows.
        let taken: Vec<usize> = "abcd".chars().map(|c| arena.insert(c)).collect();
        assert_eq!(taken, [0, 1, 2, 4]);
        // Freed slots are reused last-freed first.
        assert_eq!(arena.remove(1), Some('b'));
        assert_eq!(arena.remove(0), Some('a'));
        assert_eq!(arena.remove(1), None, "a free slot is not removed twice");
        assert_eq!((arena.insert('e'), arena.insert('f')), (0, 1));
        assert_eq!(arena.len, 5);
        assert_eq!(arena[3], 'x');
    }
}
