//! The executor's side: every generated node is a
//! [`dynamic_node`](crate::tests_support::dynamic_node) whose calls all go to
//! [`invoke`], which finds what the node does by its name in a registry.
//!
//! Names carry a per-case prefix (`case17.n3`), so cases running on parallel
//! test threads never see each other's nodes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::desc::{Behaviour, Call, Delay, GraphDesc, Ix};
use crate::sync::lock;
use crate::tests_support::dynamic_node;
use crate::{Branch, CompiledGraph, Context, Graph, GraphError, NodeFuture};

/// A node of a live case: its behaviour and its calls so far.
struct Live {
    behaviour: Behaviour,
    index: Ix,
    case: Arc<Case>,
    calls: AtomicU32,
}

/// What the nodes of one case share.
struct Case {
    /// The full (prefixed) name of each node.
    names: Vec<String>,
    /// 0: each node takes its own delay; otherwise delays are drawn from
    /// this seed, the node and the call.
    jitter: AtomicU64,
    /// Nodes in the order their calls finished.
    finished: Mutex<Vec<Ix>>,
}

static REGISTRY: LazyLock<Mutex<HashMap<String, Arc<Live>>>> = LazyLock::new(Default::default);
static CASES: AtomicU64 = AtomicU64::new(0);

/// The one entry point of every generated node.
fn invoke(ctx: Context<'_>) -> NodeFuture<'_> {
    Box::pin(async move {
        let live = lock(&REGISTRY).get(ctx.node()).cloned();
        let live = live.unwrap_or_else(|| panic!("node `{}` is not in the registry", ctx.node()));
        let call = live.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let delay = live.delay(call);
        for _ in 0..delay.yields {
            tokio::task::yield_now().await;
        }
        if delay.sleep_ms > 0 {
            tokio::time::sleep(Duration::from_millis(delay.sleep_ms.into())).await;
        }
        lock(&live.case.finished).push(live.index);
        let names = &live.case.names;
        match live
            .behaviour
            .call(call, |key| ctx.get(key).cloned(), |i| names[i].clone())
        {
            Call::Output(output) => Ok(output),
            Call::Error => Err(GraphError::Node {
                node: ctx.node().to_owned(),
                source: "injected failure".into(),
            }),
            // Unwinds without the panic hook, so the test output stays quiet.
            Call::Panic => std::panic::resume_unwind(Box::new("injected panic")),
        }
    })
}

impl Live {
    fn delay(&self, call: u32) -> Delay {
        match self.case.jitter.load(Ordering::SeqCst) {
            0 => self.behaviour.delay,
            seed => {
                let h = splitmix(seed ^ ((self.index as u64) << 32) ^ u64::from(call));
                Delay {
                    yields: (h % 4) as u8,
                    sleep_ms: ((h >> 8) % 4) as u8,
                }
            }
        }
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A [`GraphDesc`] built with the builder, its nodes in the registry until
/// this is dropped.
pub(super) struct LiveGraph {
    pub(super) graph: CompiledGraph,
    prefix: String,
    case: Arc<Case>,
    lives: Vec<Arc<Live>>,
}

impl LiveGraph {
    pub(super) fn build(desc: &GraphDesc) -> Self {
        let prefix = format!("case{}.", CASES.fetch_add(1, Ordering::SeqCst));
        let names: Vec<String> = desc
            .nodes
            .iter()
            .map(|n| format!("{prefix}{}", n.name))
            .collect();
        let case = Arc::new(Case {
            names: names.clone(),
            jitter: AtomicU64::new(0),
            finished: Mutex::new(Vec::new()),
        });
        let lives: Vec<Arc<Live>> = desc
            .nodes
            .iter()
            .enumerate()
            .map(|(index, node)| {
                Arc::new(Live {
                    behaviour: node.behaviour.clone(),
                    index,
                    case: case.clone(),
                    calls: AtomicU32::new(0),
                })
            })
            .collect();
        let mut registry = lock(&REGISTRY);
        for (name, live) in names.iter().zip(&lives) {
            registry.insert(name.clone(), live.clone());
        }
        drop(registry);

        let name = |i: Ix| names[i].as_str();
        let mut graph = Graph::new().max_steps(desc.max_steps);
        for (i, node) in desc.nodes.iter().enumerate() {
            let def = dynamic_node(names[i].clone(), i == 0, node.end, node.router, invoke);
            graph = graph.add_node(def);
        }
        for (i, node) in desc.nodes.iter().enumerate() {
            let next = node.next.iter().map(|&d| name(d));
            graph = match (node.router, node.next.as_slice()) {
                (true, _) => graph.add_router(std::iter::empty::<&str>(), name(i), next),
                (false, []) => graph,
                (false, [one]) => graph.add_edge(name(i), name(*one)),
                (false, _) => graph.add_parallel(name(i), next),
            };
        }
        for (sources, destination) in &desc.joins {
            graph = graph.add_join(sources.iter().map(|&s| name(s)), name(*destination));
        }
        for (i, node) in desc.nodes.iter().enumerate() {
            for edge in &node.branches {
                let mut branch = Branch::to(name(edge.to));
                if let Some(key) = edge.when.clone() {
                    branch =
                        branch.when(move |output, _| output.get(&key) == Some(&Value::Bool(true)));
                }
                if !edge.wait {
                    branch = branch.detached();
                }
                graph = graph.add_branch(name(i), branch);
            }
        }
        let graph = graph
            .compile()
            .unwrap_or_else(|e| panic!("a generated graph must compile: {e}\n{desc:?}"));
        Self {
            graph,
            prefix,
            case,
            lives,
        }
    }

    /// Calls per node since the last [`reset`](Self::reset).
    pub(super) fn counts(&self) -> Vec<u32> {
        self.lives
            .iter()
            .map(|l| l.calls.load(Ordering::SeqCst))
            .collect()
    }

    /// Nodes in the order their calls finished since the last reset.
    pub(super) fn finished(&self) -> Vec<Ix> {
        lock(&self.case.finished).clone()
    }

    /// Zeroes the call counts; `jitter` 0 keeps each node's own delay, any
    /// other value draws delays from it.
    pub(super) fn reset(&self, jitter: u64) {
        for live in &self.lives {
            live.calls.store(0, Ordering::SeqCst);
        }
        lock(&self.case.finished).clear();
        self.case.jitter.store(jitter, Ordering::SeqCst);
    }

    /// A node's name without the case prefix.
    pub(super) fn short<'a>(&self, name: &'a str) -> &'a str {
        name.strip_prefix(&self.prefix).unwrap_or(name)
    }
}

impl Drop for LiveGraph {
    fn drop(&mut self) {
        let mut registry = lock(&REGISTRY);
        for name in &self.case.names {
            registry.remove(name);
        }
    }
}
