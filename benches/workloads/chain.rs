//! W1 (a chain of 10 nodes), W1 under a tracing subscriber, W4 (the chain
//! with a yield in each middle node, under `execute_many`) and W5 (the chain
//! carrying a payload no node reads).

use std::sync::Arc;
use std::time::{Duration, Instant};

use graphai::{CompiledGraph, Graph, Map, NodeDef, Value, json};
use tokio::sync::Semaphore;

use crate::harness::{Bench, current_thread, ratio};

/// Sequential executes per repetition in W1.
const W1_RUNS: usize = 10_000;
/// Runs per repetition in W4, and how many run at once.
const W4_RUNS: usize = 20_000;
const W4_CONCURRENCY: usize = 64;
/// Executes per repetition in W5, at each payload size.
const W5_RUNS: usize = 200;
const W5_SIZES: [usize; 3] = [10, 1_000, 10_000];

/// The chain's nodes: each reads `x` and returns `{"x": x + 1}`.
mod plain {
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

/// W4's chain: the same nodes, the middle ones yielding to the scheduler once.
mod yielding {
    use graphai::{Value, json, node};

    #[node(start)]
    pub async fn y0(x: i64) -> Value {
        json!({ "x": x + 1 })
    }

    macro_rules! middle {
        ($($name:ident),*) => {$(
            #[node]
            pub async fn $name(x: i64) -> Value {
                tokio::task::yield_now().await;
                json!({ "x": x + 1 })
            }
        )*};
    }
    middle!(y1, y2, y3, y4, y5, y6, y7, y8);

    #[node(end)]
    pub async fn y9(x: i64) -> Value {
        json!({ "x": x + 1 })
    }
}

/// `nodes` wired in a line, first to last.
fn chain(nodes: Vec<NodeDef>) -> CompiledGraph {
    let names: Vec<String> = nodes.iter().map(|n| n.name().to_owned()).collect();
    let graph = nodes.into_iter().fold(Graph::new(), Graph::add_node);
    names
        .windows(2)
        .fold(graph, |graph, pair| graph.add_edge(&pair[0], &pair[1]))
        .compile()
        .expect("the chain compiles")
}

pub fn plain_chain() -> CompiledGraph {
    use plain::*;
    chain(vec![
        n0(),
        n1(),
        n2(),
        n3(),
        n4(),
        n5(),
        n6(),
        n7(),
        n8(),
        n9(),
    ])
}

fn yielding_chain() -> CompiledGraph {
    use yielding::*;
    chain(vec![
        y0(),
        y1(),
        y2(),
        y3(),
        y4(),
        y5(),
        y6(),
        y7(),
        y8(),
        y9(),
    ])
}

// ---------------------------------------------------------------------------
// The floor: the same chain written by hand. Each node is an `async fn` that
// reads `x` from the run state (a serde_json `Map`, as graphai's nodes do),
// fails on a missing key, and returns a fresh output map `{"x": x + 1}` that
// the driver merges into the state; ten of them run in sequence. No boxing,
// no tracing, no catch_unwind: what one writes without a framework.

/// A floor node's error: the key it could not read.
#[derive(Debug)]
pub struct FloorError(
    #[expect(dead_code, reason = "shown by `Debug` when a floor run fails")] pub &'static str,
);

pub fn into_map(input: Value) -> Map<String, Value> {
    match input {
        Value::Object(map) => map,
        _ => unreachable!("every input is an object"),
    }
}

pub fn read_i64(state: &Map<String, Value>, key: &'static str) -> Result<i64, FloorError> {
    state
        .get(key)
        .and_then(Value::as_i64)
        .ok_or(FloorError(key))
}

/// One node of the floor's chain.
async fn floor_inc(state: &Map<String, Value>) -> Result<Map<String, Value>, FloorError> {
    let x = read_i64(state, "x")?;
    let mut output = Map::new();
    output.insert("x".to_owned(), Value::from(x + 1));
    Ok(output)
}

/// The floor's W1/W5 run: ten nodes threading the state through.
async fn floor_chain(mut state: Map<String, Value>) -> Result<Map<String, Value>, FloorError> {
    for _ in 0..10 {
        let output = floor_inc(&state).await?;
        state.extend(output);
    }
    Ok(state)
}

/// The floor's W4 run: the same, the eight middle nodes yielding once.
async fn floor_yielding_chain(
    mut state: Map<String, Value>,
) -> Result<Map<String, Value>, FloorError> {
    for i in 0..10 {
        if (1..=8).contains(&i) {
            tokio::task::yield_now().await;
        }
        let output = floor_inc(&state).await?;
        state.extend(output);
    }
    Ok(state)
}

// ---------------------------------------------------------------------------

fn inputs(n: usize) -> Vec<Value> {
    (0..n).map(|_| json!({ "x": 0 })).collect()
}

/// Runs `run` on every input in turn and returns the time of the runs only:
/// the inputs are built before, the outputs dropped after (and checked by `check`).
///
/// Building the inputs can evict the caches (W5's are 200 MB), the code
/// about to be timed among them, and fetching it back is a one-off per batch
/// that is no part of a run; so first `run` goes once, untimed, on a copy of
/// the last input (the one the build left in the cache).
pub async fn time_sequential<R, E: std::fmt::Debug>(
    inputs: Vec<Value>,
    mut run: impl AsyncFnMut(Value) -> Result<R, E>,
    check: impl Fn(&R),
) -> Duration {
    if let Some(last) = inputs.last() {
        let warm = run(last.clone()).await;
        check(warm.as_ref().expect("the warm-up run succeeds"));
    }
    let mut outputs = Vec::with_capacity(inputs.len());
    let start = Instant::now();
    for input in inputs {
        outputs.push(run(input).await);
    }
    let elapsed = start.elapsed();
    for output in &outputs {
        check(output.as_ref().expect("the run succeeds"));
    }
    drop(outputs);
    elapsed
}

fn x_is_10(output: &Map<String, Value>) {
    assert_eq!(output["x"], 10, "ten increments");
}

/// W1's two sides, µs per execute.
async fn w1_figures(bench: &Bench, graph: &CompiledGraph) -> (f64, f64) {
    let (floor, engine) = bench
        .interleave(
            7,
            async || {
                time_sequential(
                    inputs(W1_RUNS),
                    async |input| floor_chain(into_map(input)).await,
                    x_is_10,
                )
                .await
            },
            async || {
                time_sequential(inputs(W1_RUNS), async |i| graph.execute(i).await, x_is_10).await
            },
        )
        .await;
    let per_run = |secs: f64| secs * 1e6 / W1_RUNS as f64;
    (per_run(floor), per_run(engine))
}

pub fn w1(bench: &mut Bench) {
    let graph = plain_chain();
    let (floor, engine) = current_thread().block_on(w1_figures(bench, &graph));
    bench.figure("W1", floor, engine, Some(ratio(floor, engine)));
}

/// W1 with a `tracing_subscriber::fmt` subscriber installed for the run
/// (filtering at INFO, writing to a sink): graphai's per-run span is enabled,
/// its per-node debug spans are not. Run last: installing a subscriber
/// changes tracing's global caches for the rest of the process.
pub fn w1_tracing(bench: &mut Bench) {
    let graph = plain_chain();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(std::io::sink)
        .finish();
    let (floor, engine) = {
        let _installed = tracing::subscriber::set_default(subscriber);
        current_thread().block_on(w1_figures(bench, &graph))
    };
    bench.figure("W1-tracing", floor, engine, Some(ratio(floor, engine)));
}

/// W4 on a 2-worker multi-thread runtime, kexec/s. The floor spawns each run
/// as a task once it holds one of 64 semaphore permits (released when the
/// run ends), then awaits the join handles in input order.
pub fn w4(bench: &mut Bench) {
    let graph = yielding_chain();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a multi-thread runtime");
    let (floor, engine) = runtime.block_on(bench.interleave(
        5,
        async || {
            let inputs = inputs(W4_RUNS);
            let permits = Arc::new(Semaphore::new(W4_CONCURRENCY));
            let start = Instant::now();
            let mut handles = Vec::with_capacity(inputs.len());
            for input in inputs {
                let permit = Arc::clone(&permits)
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed");
                handles.push(tokio::spawn(async move {
                    let result = floor_yielding_chain(into_map(input)).await;
                    drop(permit);
                    result
                }));
            }
            let mut results = Vec::with_capacity(handles.len());
            for handle in handles {
                results.push(handle.await.expect("no run panics"));
            }
            let elapsed = start.elapsed();
            results
                .iter()
                .for_each(|r| x_is_10(r.as_ref().expect("runs")));
            elapsed
        },
        async || {
            let inputs = inputs(W4_RUNS);
            let start = Instant::now();
            let results = graph.execute_many(inputs, W4_CONCURRENCY).await;
            let elapsed = start.elapsed();
            results
                .iter()
                .for_each(|r| x_is_10(r.as_ref().expect("runs")));
            elapsed
        },
    ));
    let rate = |secs: f64| W4_RUNS as f64 / secs / 1e3;
    let (floor, engine) = (rate(floor), rate(engine));
    bench.figure("W4", floor, engine, Some(ratio(floor, engine)));
}

/// `{"x": 0, "payload": [K strings of 100 bytes]}`, `n` times.
fn payload_inputs(n: usize, k: usize) -> Vec<Value> {
    (0..n)
        .map(|_| {
            let payload: Vec<Value> = (0..k).map(|_| Value::String("p".repeat(100))).collect();
            json!({ "x": 0, "payload": payload })
        })
        .collect()
}

/// W5: W1's chain (graph and floor) with a payload no node reads, µs per
/// execute at each K, and how the time at K=10,000 compares with K=10.
pub fn w5(bench: &mut Bench) {
    let graph = plain_chain();
    let runtime = current_thread();
    let check = |k: usize| {
        move |output: &Map<String, Value>| {
            x_is_10(output);
            assert_eq!(output["payload"].as_array().map(Vec::len), Some(k));
        }
    };
    let medians = runtime.block_on(bench.interleave_cases(
        15,
        &W5_SIZES,
        async |k| {
            time_sequential(
                payload_inputs(W5_RUNS, k),
                async |input| floor_chain(into_map(input)).await,
                check(k),
            )
            .await
        },
        async |k| {
            time_sequential(
                payload_inputs(W5_RUNS, k),
                async |input| graph.execute(input).await,
                check(k),
            )
            .await
        },
    ));
    let per_run = |secs: f64| secs * 1e6 / W5_RUNS as f64;
    let mut figures = Vec::new();
    for (k, (floor, engine)) in W5_SIZES.into_iter().zip(medians) {
        let (floor, engine) = (per_run(floor), per_run(engine));
        bench.figure(
            &format!("W5-k{k}"),
            floor,
            engine,
            Some(ratio(floor, engine)),
        );
        figures.push((floor, engine));
    }
    let (small, big) = (figures[0], figures[W5_SIZES.len() - 1]);
    bench.figure("W5-scaling", big.0 / small.0, big.1 / small.1, None);
    // What graphai adds to the same work by hand: the input's own cost (its
    // top map read cold, more so when it sits among a megabyte of payload)
    // is in both sides, and cancels out.
    // No figure when graphai adds nothing at K=10 (then there is nothing to scale).
    let added = small.1 - small.0;
    let engine = if added > 0.0 {
        (big.1 - big.0) / added
    } else {
        f64::NAN
    };
    bench.figure("W5-engine", f64::NAN, engine, None);
}
