//! What the runtime costs per step, and that a big run state costs the same
//! per step as a small one (no step copies the state).
//!
//! Run it with `cargo run --release --example overhead`. It prints figures;
//! compare the ratios, which hold on a noisy machine, more than the absolute
//! times.

use std::hint::black_box;
use std::time::{Duration, Instant};

use graphai::{CompiledGraph, Graph, Value, json, node};

#[node(start)]
async fn step_0(n: u64) -> Value {
    json!({ "n": n + 1 })
}

macro_rules! steps {
    ($($name:ident),*) => {$(
        #[node]
        async fn $name(n: u64) -> Value {
            json!({ "n": n + 1 })
        }
    )*};
}
steps!(
    step_1, step_2, step_3, step_4, step_5, step_6, step_7, step_8
);

#[node(end)]
async fn step_9(n: u64) -> Value {
    json!({ "n": n + 1 })
}

const STEPS: u32 = 10;

fn chain() -> CompiledGraph {
    let nodes = [
        step_0, step_1, step_2, step_3, step_4, step_5, step_6, step_7, step_8, step_9,
    ];
    let mut graph = Graph::new().max_steps(STEPS as usize);
    for node in nodes {
        graph = graph.add_node(node);
    }
    for pair in nodes.windows(2) {
        graph = graph.add_edge(pair[0], pair[1]);
    }
    graph.compile().expect("the chain compiles")
}

/// The same work without the graph: the node bodies called one after another.
async fn direct(mut n: u64) -> u64 {
    for _ in 0..STEPS {
        let out = step_1::call(n).await;
        n = out["n"].as_u64().unwrap_or(0);
    }
    n
}

fn big_input() -> Value {
    let mut map = serde_json::Map::new();
    map.insert("n".into(), json!(0));
    map.insert("document".into(), json!("x".repeat(1 << 20)));
    for i in 0..10_000 {
        map.insert(format!("key_{i}"), json!({ "i": i, "tags": ["a", "b"] }));
    }
    Value::Object(map)
}

async fn time<F, Fut>(runs: u32, mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..runs / 10 {
        f().await;
    }
    let start = Instant::now();
    for _ in 0..runs {
        f().await;
    }
    start.elapsed() / runs
}

fn per_step(d: Duration) -> f64 {
    d.as_nanos() as f64 / f64::from(STEPS) / 1000.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let graph = chain();
    let small = json!({ "n": 0 });
    let big = big_input();
    let runs = 20_000;

    let baseline = time(runs, || async {
        black_box(direct(0).await);
    })
    .await;
    let small_run = time(runs, || async {
        black_box(graph.execute(small.clone()).await.expect("runs"));
    })
    .await;
    // The input is moved into the run, so cloning it is part of what the
    // caller pays; time the clone alone and subtract it.
    let big_clone = time(200, || async {
        black_box(big.clone());
    })
    .await;
    let big_run = time(200, || async {
        black_box(graph.execute(big.clone()).await.expect("runs"));
    })
    .await;
    let big_steps = big_run.saturating_sub(big_clone);

    println!("10-node chain, {runs} runs each (current-thread runtime)");
    println!(
        "  node bodies called directly : {:>8.3} us per step",
        per_step(baseline)
    );
    println!(
        "  graph, small state          : {:>8.3} us per step",
        per_step(small_run)
    );
    println!(
        "  graph, 1 MiB + 10k keys     : {:>8.3} us per step (input clone of {:.1} ms subtracted)",
        per_step(big_steps),
        big_clone.as_secs_f64() * 1000.0
    );
    println!(
        "  runtime overhead per step   : {:>8.3} us",
        per_step(small_run.saturating_sub(baseline))
    );
    println!(
        "  big state / small state     : {:>8.2}x per step",
        big_steps.as_secs_f64() / small_run.as_secs_f64()
    );
}
