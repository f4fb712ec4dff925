//! W3: start -> 8 parallel branches -> join -> end, branch i returning
//! `{"b<i>": i}`.

use futures::future::join_all;
use graphai::{CompiledGraph, Graph, Map, Value, json, node};

use crate::chain::{FloorError, into_map, read_i64, time_sequential};
use crate::harness::{Bench, current_thread, ratio};

const RUNS: usize = 2_000;
const KEYS: [&str; 8] = ["b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7"];

#[node(start)]
async fn fan(x: i64) -> Value {
    json!({ "x": x })
}

macro_rules! branches {
    ($($name:ident => $key:literal : $i:literal),*) => {$(
        #[node]
        async fn $name() -> Value {
            json!({ $key: $i })
        }
    )*};
}
branches!(
    b0 => "b0": 0, b1 => "b1": 1, b2 => "b2": 2, b3 => "b3": 3,
    b4 => "b4": 4, b5 => "b5": 5, b6 => "b6": 6, b7 => "b7": 7
);

#[node]
async fn gather() -> Value {
    json!({ "joined": true })
}

#[node(end)]
async fn done() -> Value {
    json!({})
}

fn graph() -> CompiledGraph {
    let branches = [b0(), b1(), b2(), b3(), b4(), b5(), b6(), b7()];
    let names: Vec<String> = branches.iter().map(|b| b.name().to_owned()).collect();
    branches
        .into_iter()
        .fold(Graph::new().add_node(fan), Graph::add_node)
        .add_node(gather)
        .add_node(done)
        .add_parallel(fan, &names)
        .add_join(&names, gather)
        .add_edge(gather, done)
        .compile()
        .expect("the fan-out compiles")
}

// The floor: the same nodes as `async fn`s over a serde_json `Map`; the start
// node's output is merged into the state, the eight branch futures are polled
// together with `join_all`, their outputs merged in branch order, then the
// join and end nodes run.

async fn floor_fan(state: &Map<String, Value>) -> Result<Map<String, Value>, FloorError> {
    let x = read_i64(state, "x")?;
    let mut output = Map::new();
    output.insert("x".to_owned(), Value::from(x));
    Ok(output)
}

async fn floor_branch(i: usize) -> Map<String, Value> {
    let mut output = Map::new();
    output.insert(KEYS[i].to_owned(), Value::from(i));
    output
}

async fn floor_gather() -> Map<String, Value> {
    let mut output = Map::new();
    output.insert("joined".to_owned(), Value::Bool(true));
    output
}

async fn floor_run(mut state: Map<String, Value>) -> Result<Map<String, Value>, FloorError> {
    let output = floor_fan(&state).await?;
    state.extend(output);
    for output in join_all((0..KEYS.len()).map(floor_branch)).await {
        state.extend(output);
    }
    state.extend(floor_gather().await);
    state.extend(async { Map::new() }.await);
    Ok(state)
}

fn inputs() -> Vec<Value> {
    (0..RUNS).map(|_| json!({ "x": 0 })).collect()
}

fn check(output: &Map<String, Value>) {
    for (i, key) in KEYS.iter().enumerate() {
        assert_eq!(output[*key], i, "branch {i} merged");
    }
    assert_eq!(output["joined"], true);
}

/// W3, µs per execute.
pub fn w3(bench: &mut Bench) {
    let graph = graph();
    let (floor, engine) = current_thread().block_on(bench.interleave(
        9,
        async || {
            time_sequential(
                inputs(),
                async |input| floor_run(into_map(input)).await,
                check,
            )
            .await
        },
        async || time_sequential(inputs(), async |input| graph.execute(input).await, check).await,
    ));
    let per_run = |secs: f64| secs * 1e6 / RUNS as f64;
    let (floor, engine) = (per_run(floor), per_run(engine));
    bench.figure("W3", floor, engine, Some(ratio(floor, engine)));
}
