//! The flat description of a generated graph: what the builder is given, what
//! the reference interpreter runs, and what a failing case prints.
//!
//! Nodes are named `n0`, `n1`, .. in the order they are added (`n0` is the
//! start node). What a node does when called is its [`Behaviour`]: the same
//! table drives the live node (through the registry in `live.rs`) and the
//! interpreter, so the two can only disagree about the graph's semantics.

use std::fmt;

use serde_json::{Map, Value};

/// A node's position in [`GraphDesc::nodes`].
pub(super) type Ix = usize;

/// A graph: its nodes with their edges, the joins, and the step limit.
#[derive(Clone)]
pub(super) struct GraphDesc {
    pub(super) nodes: Vec<NodeDesc>,
    /// `add_join(sources, destination)`, in declaration order.
    pub(super) joins: Vec<(Vec<Ix>, Ix)>,
    pub(super) max_steps: usize,
    /// What the run starts with.
    pub(super) input: Map<String, Value>,
}

#[derive(Clone)]
pub(super) struct NodeDesc {
    pub(super) name: String,
    pub(super) end: bool,
    pub(super) router: bool,
    /// Regular edges (a router's destinations), in declaration order.
    pub(super) next: Vec<Ix>,
    /// Branch edges leaving the node, in declaration order.
    pub(super) branches: Vec<BranchDesc>,
    pub(super) behaviour: Behaviour,
}

/// An `add_branch` edge.
#[derive(Clone)]
pub(super) struct BranchDesc {
    pub(super) to: Ix,
    pub(super) wait: bool,
    /// The condition: the source's output must hold `true` under this key.
    pub(super) when: Option<String>,
}

/// What a node does when it is called.
#[derive(Clone)]
pub(super) struct Behaviour {
    /// The node's name, used as the value it writes and logs.
    pub(super) tag: String,
    /// Keys written with the value `tag`.
    pub(super) writes: Vec<String>,
    /// Other constant writes (branch conditions' keys, `"success": false`).
    pub(super) extra: Vec<(String, Value)>,
    /// Appends `tag` to the array under `"log"`, so the final state shows the
    /// order the node's path ran in.
    pub(super) log: bool,
    pub(super) delay: Delay,
    pub(super) route: Route,
    pub(super) fail: Option<Fail>,
}

/// How long a call takes: `yields` times `yield_now`, then a sleep (the
/// runtime's clock is paused, so sleeps only order wake-ups and cost nothing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Delay {
    pub(super) yields: u8,
    pub(super) sleep_ms: u8,
}

/// What a router puts in its output.
#[derive(Clone)]
pub(super) enum Route {
    /// Not a router, or a router that chooses nothing (in a branch pipeline it
    /// then follows its edges).
    Nothing,
    /// A bounded loop: reads the counter `key` (0 when missing), writes
    /// `key + 1`, and chooses `again` while the counter is below `times`, then
    /// `exit`.
    Loop {
        key: String,
        times: u8,
        again: Ix,
        exit: Ix,
    },
    /// `"choice": node`.
    Choice(Ix),
    /// `"choices": [nodes]`.
    Choices(Vec<Ix>),
    /// `"choice"`: the node at the length of the `"log"` array in the run
    /// state, modulo the number of nodes (so the path taken shows the state
    /// the router saw).
    ByLog(Vec<Ix>),
}

/// A failure injected at one call of a node.
#[derive(Clone, Copy, Debug)]
pub(super) struct Fail {
    /// The call (1-based, counted over the whole run) that fails.
    pub(super) at: u32,
    pub(super) how: FailHow,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FailHow {
    /// The node returns an error.
    Error,
    /// The node panics.
    Panic,
    /// A router returns neither `choice` nor `choices`.
    NoChoice,
    /// A router chooses a name that is not one of its destinations.
    UnknownChoice,
    /// A router's `choice` is not a string.
    NotAName,
}

/// What one call of a node gives.
pub(super) enum Call {
    Output(Map<String, Value>),
    Error,
    Panic,
}

impl Behaviour {
    /// A plain node that writes nothing.
    pub(super) fn new(tag: String) -> Self {
        Self {
            tag,
            writes: Vec::new(),
            extra: Vec::new(),
            log: false,
            delay: Delay::default(),
            route: Route::Nothing,
            fail: None,
        }
    }

    /// The node's `call`-th call (1-based) on a state read through `read`;
    /// `name` gives the name a router puts in its choice for a node.
    pub(super) fn call(
        &self,
        call: u32,
        read: impl Fn(&str) -> Option<Value>,
        name: impl Fn(Ix) -> String,
    ) -> Call {
        let failure = self.fail.filter(|f| f.at == call).map(|f| f.how);
        match failure {
            Some(FailHow::Error) => return Call::Error,
            Some(FailHow::Panic) => return Call::Panic,
            _ => {}
        }
        let mut out = Map::new();
        for key in &self.writes {
            out.insert(key.clone(), Value::String(self.tag.clone()));
        }
        for (key, value) in &self.extra {
            out.insert(key.clone(), value.clone());
        }
        if self.log {
            let mut log = match read("log") {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            };
            log.push(Value::String(self.tag.clone()));
            out.insert("log".into(), Value::Array(log));
        }
        match (failure, &self.route) {
            (Some(FailHow::NoChoice), _) | (_, Route::Nothing) => {}
            (Some(FailHow::UnknownChoice), _) => {
                out.insert("choice".into(), Value::String("nowhere".into()));
            }
            (Some(FailHow::NotAName), _) => {
                out.insert("choice".into(), Value::from(7));
            }
            (
                _,
                Route::Loop {
                    key,
                    times,
                    again,
                    exit,
                },
            ) => {
                let count = read(key).and_then(|v| v.as_i64()).unwrap_or(0);
                out.insert(key.clone(), Value::from(count + 1));
                let to = if count < i64::from(*times) {
                    *again
                } else {
                    *exit
                };
                out.insert("choice".into(), Value::String(name(to)));
            }
            (_, Route::Choice(to)) => {
                out.insert("choice".into(), Value::String(name(*to)));
            }
            (_, Route::ByLog(to)) => {
                let seen = match read("log") {
                    Some(Value::Array(items)) => items.len(),
                    _ => 0,
                };
                out.insert("choice".into(), Value::String(name(to[seen % to.len()])));
            }
            (_, Route::Choices(to)) => {
                let names = to.iter().map(|&i| Value::String(name(i))).collect();
                out.insert("choices".into(), Value::Array(names));
            }
        }
        Call::Output(out)
    }
}

impl GraphDesc {
    pub(super) fn name(&self, node: Ix) -> &str {
        &self.nodes[node].name
    }

    fn names(&self, nodes: &[Ix]) -> String {
        let names: Vec<&str> = nodes.iter().map(|&i| self.name(i)).collect();
        format!("[{}]", names.join(", "))
    }
}

/// One node a line, then the joins: the minimal graph a shrunk failure prints
/// should read like a wiring diagram.
impl fmt::Debug for GraphDesc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "graph (max_steps {}, input {:?}) {{",
            self.max_steps, self.input
        )?;
        for (i, node) in self.nodes.iter().enumerate() {
            let b = &node.behaviour;
            write!(f, "  {}", node.name)?;
            if i == 0 {
                write!(f, " start")?;
            }
            if node.end {
                write!(f, " end")?;
            }
            if node.router {
                write!(f, " router")?;
            }
            match &b.route {
                Route::Nothing if node.router => write!(f, " (chooses nothing)")?,
                Route::Nothing => {}
                Route::Loop {
                    key,
                    times,
                    again,
                    exit,
                } => write!(
                    f,
                    " (loop: {} while {key} < {times}, then {})",
                    self.name(*again),
                    self.name(*exit)
                )?,
                Route::Choice(to) => write!(f, " (choice {})", self.name(*to))?,
                Route::Choices(to) => write!(f, " (choices {})", self.names(to))?,
                Route::ByLog(to) => write!(f, " (choice by log length from {})", self.names(to))?,
            }
            match node.next.as_slice() {
                [] => {}
                [one] if !node.router => write!(f, " -> {}", self.name(*one))?,
                many if node.router => write!(f, " => {}", self.names(many))?,
                many => write!(f, " -> {}", self.names(many))?,
            }
            for branch in &node.branches {
                write!(f, " ~> {}", self.name(branch.to))?;
                if !branch.wait {
                    write!(f, " detached")?;
                }
                if let Some(key) = &branch.when {
                    write!(f, " if {key}")?;
                }
            }
            if !b.writes.is_empty() {
                write!(f, " | writes {}", b.writes.join(","))?;
            }
            for (key, value) in &b.extra {
                write!(f, " | {key}={value}")?;
            }
            if b.log {
                write!(f, " | log")?;
            }
            if b.delay != Delay::default() {
                write!(f, " | {}y{}ms", b.delay.yields, b.delay.sleep_ms)?;
            }
            if let Some(fail) = b.fail {
                write!(f, " | FAILS {:?} at call {}", fail.how, fail.at)?;
            }
            writeln!(f)?;
        }
        for (sources, destination) in &self.joins {
            writeln!(
                f,
                "  join {} -> {}",
                self.names(sources),
                self.name(*destination)
            )?;
        }
        write!(f, "}}")
    }
}
