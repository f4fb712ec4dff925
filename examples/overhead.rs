//! What the runtime costs per step, that a big run state costs the same per
//! step as a small one (no step copies the run state), and what tracing costs.
//!
//! Run it with `cargo run --release --example overhead`. The graph is a router
//! that loops on itself `laps` times; the cost of a step is the difference
//! between a long and a short run divided by the extra steps, so the input
//! (moved into each run) and the run's set-up cancel out. Compare the ratios,
//! which hold on a noisy machine, more than the absolute times.
//!
//! Then W1 (a chain of ten nodes, 10,000 executes) with no subscriber, with a
//! subscriber that filters GraphAI's spans out, and with one that formats
//! everything at `debug` into a sink. `--features tracing-off` builds the same
//! with every span and event compiled out (`tracing/max_level_off`), for the
//! figure to compare "no subscriber" with:
//!
//! ```text
//! cargo run --release --example overhead
//! cargo run --release --example overhead --features tracing-off
//! ```
//!
//! `-- w1` measures only W1's floor and its first line (no subscriber, or
//! compiled out): quick to repeat, and what `valgrind --tool=callgrind` counts
//! the instructions of. `GRAPHAI_LOG_LEVEL` / `RUST_LOG`, when set, install
//! their subscriber for the whole run, and W1's first line is measured under it.

use std::hint::black_box;
use std::time::{Duration, Instant};

use graphai::{CompiledGraph, Graph, NodeDef, Value, json, node, router};

#[node(start)]
async fn begin(n: u64) -> Value {
    json!({ "n": n })
}

/// One step of work: count, and go round again until `laps`.
#[router]
async fn lap(n: u64, laps: u64) -> Value {
    json!({ "n": n + 1, "choice": if n + 1 >= laps { "finish" } else { "lap" } })
}

#[node(end)]
async fn finish(n: u64) -> Value {
    json!({ "n": n })
}

fn graph() -> CompiledGraph {
    Graph::new()
        .max_steps(1_000_000)
        .add_node(begin)
        .add_node(lap)
        .add_node(finish)
        .add_edge(begin, lap)
        .add_router(Vec::<&str>::new(), lap, [lap, finish])
        .compile()
        .expect("the loop compiles")
}

fn input(laps: u64, big: bool) -> Value {
    let mut map = serde_json::Map::new();
    map.insert("n".into(), json!(0));
    map.insert("laps".into(), json!(laps));
    if big {
        map.insert("document".into(), json!("x".repeat(1 << 20)));
        for i in 0..2_000 {
            map.insert(format!("key_{i}"), json!({ "i": i, "tags": ["a", "b"] }));
        }
    }
    Value::Object(map)
}

async fn time_run(graph: &CompiledGraph, input: &Value, runs: u32) -> Duration {
    let start = Instant::now();
    for _ in 0..runs {
        black_box(graph.execute(input.clone()).await.expect("runs"));
    }
    start.elapsed() / runs
}

/// Nanoseconds per step: (long run - short run) / extra steps.
async fn per_step(graph: &CompiledGraph, big: bool, runs: u32) -> f64 {
    const SHORT: u64 = 10;
    const LONG: u64 = 2_010;
    let (short, long) = (input(SHORT, big), input(LONG, big));
    time_run(graph, &long, runs / 10).await; // warm up
    let short_time = time_run(graph, &short, runs).await;
    let long_time = time_run(graph, &long, runs).await;
    (long_time.as_nanos() as f64 - short_time.as_nanos() as f64) / (LONG - SHORT) as f64
}

/// The same work without a graph: the router's body called in a loop.
async fn direct_per_step(steps: u64) -> f64 {
    let start = Instant::now();
    let mut n = 0;
    while n < steps {
        let out = lap::call(n, steps).await;
        n = out["n"].as_u64().unwrap_or(steps);
    }
    start.elapsed().as_nanos() as f64 / steps as f64
}

/// W1's chain: ten nodes, each reads `x` and returns `{"x": x + 1}`.
mod chain {
    use graphai::{Value, json, node};

    #[node(start)]
    pub async fn n0(x: i64) -> Value {
        json!({ "x": x + 1 })
    }

    macro_rules! middle {
        ($($name:ident),*) => {$(
            #[node]
            pub async fn $name(x: i64) -> Value {
                json!({ "x": x + 1 })
            }
        )*};
    }
    middle!(n1, n2, n3, n4, n5, n6, n7, n8);

    #[node(end)]
    pub async fn n9(x: i64) -> Value {
        json!({ "x": x + 1 })
    }
}

fn w1_graph() -> CompiledGraph {
    use chain::*;
    let nodes: Vec<NodeDef> = vec![n0(), n1(), n2(), n3(), n4(), n5(), n6(), n7(), n8(), n9()];
    let names: Vec<String> = nodes.iter().map(|n| n.name().to_owned()).collect();
    let graph = nodes.into_iter().fold(Graph::new(), Graph::add_node);
    names
        .windows(2)
        .fold(graph, |graph, pair| graph.add_edge(&pair[0], &pair[1]))
        .compile()
        .expect("the chain compiles")
}

const W1_EXECUTES: u32 = 10_000;
const W1_REPEATS: usize = 5;

/// Microseconds per execute of W1: the median of [`W1_REPEATS`] rounds of
/// [`W1_EXECUTES`] executes.
async fn w1(graph: &CompiledGraph) -> f64 {
    let input = json!({ "x": 0 });
    let mut rounds = Vec::with_capacity(W1_REPEATS);
    for _ in 0..W1_REPEATS {
        let start = Instant::now();
        for _ in 0..W1_EXECUTES {
            let out = graph.execute(input.clone()).await.expect("runs");
            black_box(out);
        }
        rounds.push(start.elapsed().as_secs_f64() * 1e6 / f64::from(W1_EXECUTES));
    }
    median(rounds)
}

/// The floor: W1's ten node bodies called one after the other by hand.
async fn w1_floor() -> f64 {
    use chain::*;
    let x = |out: Value| out["x"].as_i64().expect("x");
    let mut rounds = Vec::with_capacity(W1_REPEATS);
    for _ in 0..W1_REPEATS {
        let start = Instant::now();
        for _ in 0..W1_EXECUTES {
            let mut v = black_box(0);
            v = x(n0::call(v).await);
            v = x(n1::call(v).await);
            v = x(n2::call(v).await);
            v = x(n3::call(v).await);
            v = x(n4::call(v).await);
            v = x(n5::call(v).await);
            v = x(n6::call(v).await);
            v = x(n7::call(v).await);
            v = x(n8::call(v).await);
            v = x(n9::call(v).await);
            black_box(v);
        }
        rounds.push(start.elapsed().as_secs_f64() * 1e6 / f64::from(W1_EXECUTES));
    }
    median(rounds)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// W1 under no subscriber, one that filters GraphAI out, one at `debug`
/// (only the first with tracing compiled out: subscribers see nothing then).
/// Runs last: a subscriber, once seen, changes tracing's callsite caches.
async fn w1_tracing(from_env: bool, only_first: bool) {
    let graph = w1_graph();
    w1(&graph).await; // warm up
    let floor = w1_floor().await;
    let first = w1(&graph).await;
    let label = if cfg!(feature = "tracing-off") {
        "tracing compiled out (tracing-off)"
    } else if from_env {
        "subscriber from GRAPHAI_LOG_LEVEL/RUST_LOG"
    } else {
        "no subscriber"
    };
    let mut figures = vec![(label, first)];
    if !cfg!(feature = "tracing-off") && !only_first {
        for (label, directives) in [
            ("subscriber at warn (GraphAI filtered)", "warn"),
            ("subscriber at debug, into a sink", "debug"),
        ] {
            let subscriber = tracing_subscriber::fmt()
                .with_env_filter(directives)
                .with_writer(std::io::sink)
                .finish();
            let _default = tracing::subscriber::set_default(subscriber);
            figures.push((label, w1(&graph).await));
        }
    }
    println!("\nW1: a chain of 10 nodes, {W1_EXECUTES} executes, median of {W1_REPEATS} rounds");
    println!("  floor (the 10 node bodies by hand)   : {floor:>6.2} µs per execute");
    for (label, figure) in figures {
        println!(
            "  {label:<37}: {figure:>6.2} µs per execute, {:>5.2}x the floor",
            figure / floor
        );
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Honour the variables like every example, but only when they are set:
    // W1's first figure is meant to have no subscriber at all.
    let from_env = ["GRAPHAI_LOG_LEVEL", "RUST_LOG"]
        .iter()
        .any(|name| std::env::var_os(name).is_some());
    if from_env {
        graphai::logging::init();
    }
    if std::env::args().nth(1).as_deref() == Some("w1") {
        return w1_tracing(from_env, true).await;
    }
    let graph = graph();
    let direct = direct_per_step(1_000_000).await;
    let small = per_step(&graph, false, 200).await;
    let big = per_step(&graph, true, 200).await;
    println!("graphai step overhead (router loop, current-thread runtime)");
    println!("  node body called directly      : {direct:>8.0} ns per step");
    println!("  graph step, 2-key state        : {small:>8.0} ns per step");
    println!("  graph step, 1 MiB + 2k-key state: {big:>7.0} ns per step");
    println!(
        "  runtime cost per step          : {:>8.0} ns",
        small - direct
    );
    println!(
        "  big state / small state        : {:>8.2}x per step",
        big / small
    );
    w1_tracing(from_env, false).await;
}
