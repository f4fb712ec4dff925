//! What the runtime costs per step, and that a big run state costs the same
//! per step as a small one (no step copies the run state).
//!
//! Run it with `cargo run --release --example overhead`. The graph is a router
//! that loops on itself `laps` times; the cost of a step is the difference
//! between a long and a short run divided by the extra steps, so the input
//! (moved into each run) and the run's set-up cancel out. Compare the ratios,
//! which hold on a noisy machine, more than the absolute times.

use std::hint::black_box;
use std::time::{Duration, Instant};

use graphai::{CompiledGraph, Graph, Value, json, node, router};

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

#[tokio::main(flavor = "current_thread")]
async fn main() {
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
}
