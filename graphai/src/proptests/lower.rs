//! The generated tree of blocks and its lowering to a flat [`GraphDesc`]:
//! nodes added in pre-order (a fan-out before its branches, a loop's router
//! before its body, a branch edge's pipeline right after its source).

use proptest::sample::Index;
use serde_json::{Map, Value};

use super::desc::{Behaviour, BranchDesc, Delay, GraphDesc, Ix, NodeDesc, Route};
use super::graphs::KEYS;

/// One node as generated: what it writes, how slow it is, its branch edges.
#[derive(Clone, Debug)]
pub(super) struct Spec {
    pub(super) writes: Vec<usize>,
    pub(super) log: bool,
    pub(super) delay: Delay,
    /// An end node in the middle of a path (rare): it stops its path there.
    pub(super) end: bool,
    pub(super) branches: Vec<PipeEdge>,
}

/// A branch edge and the pipeline it starts.
#[derive(Clone, Debug)]
pub(super) struct PipeEdge {
    pub(super) wait: bool,
    /// `Some(v)`: the source writes `go<j>: v` and the edge runs only when true.
    pub(super) when: Option<bool>,
    pub(super) pipe: PipeStep,
}

/// A node of a branch pipeline and what follows it (several successors: the
/// pipeline fans out).
#[derive(Clone, Debug)]
pub(super) struct PipeStep {
    pub(super) spec: Spec,
    /// Outputs `"success": false`, which stops the pipeline.
    pub(super) stop: bool,
    pub(super) router: Option<PipeRoute>,
    pub(super) next: Vec<PipeStep>,
}

#[derive(Clone, Debug)]
pub(super) enum PipeRoute {
    /// Chooses nothing: in a pipeline the router follows its edges.
    Follow,
    Choose(Index),
    ChooseAll,
    /// Chooses by the length of `log` in the pipeline's state.
    ByLog,
}

/// A piece of a path with one entry; what follows it is wired by the caller.
#[derive(Clone, Debug)]
pub(super) enum Block {
    Step(Spec),
    /// `add_parallel(fork, branches)` + `add_join(branch ends, join)`.
    Fan {
        fork: Spec,
        branches: Vec<Seq>,
        join: Spec,
    },
    /// A router that runs `body` `times` times (counter in the run state),
    /// then exits to what follows.
    Loop {
        router: Spec,
        times: u8,
        body: Seq,
    },
    /// A router that picks one arm (`None`: by the length of `log` in the
    /// run state); the arms meet again at what follows.
    Switch {
        router: Spec,
        pick: Option<Index>,
        arms: Vec<Seq>,
    },
    /// A router whose `choices` run arms in parallel into a join; with three
    /// arms, `drop` may leave one out.
    Choose {
        router: Spec,
        drop: Option<Index>,
        arms: Vec<Seq>,
        join: Spec,
    },
}

/// Blocks, then a last node (inside a joined branch: a join source).
#[derive(Clone, Debug)]
pub(super) struct Seq {
    pub(super) blocks: Vec<Block>,
    pub(super) last: Spec,
}

/// How a run ends: an end node, or a fan-out without a join whose branches
/// each run to their own end.
#[derive(Clone, Debug)]
pub(super) enum Tail {
    End(Spec),
    Fan {
        fork: Spec,
        branches: Vec<(Vec<Block>, Tail)>,
    },
}

#[derive(Clone, Debug)]
pub(super) struct Main {
    pub(super) blocks: Vec<Block>,
    pub(super) tail: Tail,
}

pub(super) fn lower(main: &Main, input: Map<String, Value>, max_steps: usize) -> GraphDesc {
    let mut lower = Lower::default();
    let (_, exits) = lower.blocks(&main.blocks);
    let tail = lower.tail(&main.tail);
    lower.connect(&exits, tail);
    GraphDesc {
        nodes: lower.nodes,
        joins: lower.joins,
        max_steps,
        input,
    }
}

#[derive(Default)]
struct Lower {
    nodes: Vec<NodeDesc>,
    joins: Vec<(Vec<Ix>, Ix)>,
}

impl Lower {
    /// Adds a node, then the pipelines its branch edges start.
    fn add(&mut self, spec: &Spec, router: bool) -> Ix {
        let ix = self.nodes.len();
        let name = format!("n{ix}");
        let mut behaviour = Behaviour::new(name.clone());
        behaviour.writes = spec.writes.iter().map(|&k| KEYS[k].to_owned()).collect();
        behaviour.log = spec.log;
        behaviour.delay = spec.delay;
        self.nodes.push(NodeDesc {
            name,
            end: spec.end,
            router,
            next: Vec::new(),
            branches: Vec::new(),
            behaviour,
        });
        for (j, edge) in spec.branches.iter().enumerate() {
            let to = self.pipe(&edge.pipe);
            let when = edge.when.map(|go| {
                let key = format!("go{j}");
                let extra = &mut self.nodes[ix].behaviour.extra;
                extra.push((key.clone(), Value::Bool(go)));
                key
            });
            self.nodes[ix].branches.push(BranchDesc {
                to,
                wait: edge.wait,
                when,
            });
        }
        ix
    }

    fn pipe(&mut self, step: &PipeStep) -> Ix {
        let router = step.router.is_some() && !step.next.is_empty();
        let ix = self.add(&step.spec, router);
        if step.stop {
            let extra = &mut self.nodes[ix].behaviour.extra;
            extra.push(("success".into(), Value::Bool(false)));
        }
        let next: Vec<Ix> = step.next.iter().map(|s| self.pipe(s)).collect();
        self.nodes[ix].behaviour.route = match (&step.router, router) {
            (Some(PipeRoute::Choose(pick)), true) => Route::Choice(next[pick.index(next.len())]),
            (Some(PipeRoute::ChooseAll), true) => Route::Choices(next.clone()),
            (Some(PipeRoute::ByLog), true) => Route::ByLog(next.clone()),
            _ => Route::Nothing,
        };
        self.nodes[ix].next = next;
        ix
    }

    /// Wires the exits of one block to what follows (a loop's router exits
    /// by its choice).
    fn connect(&mut self, exits: &[Ix], to: Ix) {
        for &x in exits {
            self.nodes[x].next.push(to);
            if let Route::Loop { exit, .. } = &mut self.nodes[x].behaviour.route {
                *exit = to;
            }
        }
    }

    fn blocks(&mut self, blocks: &[Block]) -> (Option<Ix>, Vec<Ix>) {
        let mut entry = None;
        let mut exits = Vec::new();
        for block in blocks {
            let (first, out) = self.block(block);
            self.connect(&exits, first);
            entry.get_or_insert(first);
            exits = out;
        }
        (entry, exits)
    }

    /// Lowers a sequence; returns its entry and its last node.
    fn seq(&mut self, seq: &Seq) -> (Ix, Ix) {
        let (entry, exits) = self.blocks(&seq.blocks);
        let last = self.add(&seq.last, false);
        self.connect(&exits, last);
        (entry.unwrap_or(last), last)
    }

    /// Lowers arms (of a fan-out or a router): their entries and last nodes.
    fn arms(&mut self, from: Ix, arms: &[Seq]) -> (Vec<Ix>, Vec<Ix>) {
        let (mut entries, mut lasts) = (Vec::new(), Vec::new());
        for arm in arms {
            let (entry, last) = self.seq(arm);
            self.nodes[from].next.push(entry);
            entries.push(entry);
            lasts.push(last);
        }
        (entries, lasts)
    }

    /// Lowers a block; returns its entry and the nodes that lead on.
    fn block(&mut self, block: &Block) -> (Ix, Vec<Ix>) {
        match block {
            Block::Step(spec) => {
                let ix = self.add(spec, false);
                (ix, vec![ix])
            }
            Block::Fan {
                fork,
                branches,
                join,
            } => {
                let fork = self.add(fork, false);
                let (_, lasts) = self.arms(fork, branches);
                let join = self.add(join, false);
                self.joins.push((lasts, join));
                (fork, vec![join])
            }
            Block::Loop {
                router,
                times,
                body,
            } => {
                let r = self.add(router, true);
                let (entry, last) = self.seq(body);
                self.nodes[r].next.push(entry);
                self.nodes[last].next.push(r);
                self.nodes[r].behaviour.route = Route::Loop {
                    key: format!("k{r}"),
                    times: *times,
                    again: entry,
                    exit: entry, // set by `connect`
                };
                (r, vec![r])
            }
            Block::Switch { router, pick, arms } => {
                let r = self.add(router, true);
                let (entries, lasts) = self.arms(r, arms);
                self.nodes[r].behaviour.route = match pick {
                    Some(pick) => Route::Choice(entries[pick.index(entries.len())]),
                    None => Route::ByLog(entries),
                };
                (r, lasts)
            }
            Block::Choose {
                router,
                drop,
                arms,
                join,
            } => {
                let r = self.add(router, true);
                let (mut entries, lasts) = self.arms(r, arms);
                let join = self.add(join, false);
                self.joins.push((lasts, join));
                if let (Some(drop), 3..) = (drop, entries.len()) {
                    entries.remove(drop.index(entries.len()));
                }
                self.nodes[r].behaviour.route = Route::Choices(entries);
                (r, vec![join])
            }
        }
    }

    fn tail(&mut self, tail: &Tail) -> Ix {
        match tail {
            Tail::End(spec) => {
                let ix = self.add(spec, false);
                self.nodes[ix].end = true;
                ix
            }
            Tail::Fan { fork, branches } => {
                let fork = self.add(fork, false);
                for (blocks, tail) in branches {
                    let (entry, exits) = self.blocks(blocks);
                    let end = self.tail(tail);
                    self.connect(&exits, end);
                    self.nodes[fork].next.push(entry.unwrap_or(end));
                }
                fork
            }
        }
    }
}
