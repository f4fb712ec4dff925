//! W6: start -> router; the router sends to `step` while `counter < 1000`,
//! else to the end; `step` returns `{"counter": counter + 1}` and leads back
//! to the router. The figure is per lap (one router call and one step).

use graphai::{CompiledGraph, Graph, Map, Route, Value, json, node, router};

use crate::chain::{FloorError, into_map, read_i64, time_sequential};
use crate::harness::{Bench, current_thread, ratio};

const LAPS: i64 = 1_000;
/// Executes per repetition.
const RUNS: usize = 200;

#[node(start)]
async fn begin(counter: i64) -> Value {
    json!({ "counter": counter })
}

/// The router as one writes it for speed: its answer by value.
#[router]
async fn route(counter: i64) -> Route {
    if counter < LAPS {
        Route::node::<step>()
    } else {
        Route::node::<finish>()
    }
}

/// The same router answering in JSON, GraphAI's way (`W6-json`).
#[router(name = "route")]
async fn route_json(counter: i64) -> Value {
    json!({ "choice": if counter < LAPS { "step" } else { "finish" } })
}

#[node]
async fn step(counter: i64) -> Value {
    json!({ "counter": counter + 1 })
}

#[node(end)]
async fn finish(counter: i64) -> Value {
    json!({ "counter": counter })
}

fn graph(router: fn() -> graphai::NodeDef) -> CompiledGraph {
    Graph::new()
        .max_steps(10 * LAPS as usize)
        .add_node(begin)
        .add_node(router)
        .add_node(step)
        .add_node(finish)
        .add_router([begin, step], "route", [step, finish])
        .compile()
        .expect("the loop compiles")
}

// The floor: the same four nodes as `async fn`s over a serde_json `Map`,
// driven by a loop. The router reads `counter` from the map and returns its
// decision as an enum (what one writes by hand; graphai's router returns a
// `Route` the runtime resolves by name, or in W6-json a JSON `choice`, which
// costs the allocations of a map).

enum Next {
    Step,
    Finish,
}

async fn floor_begin(state: &Map<String, Value>) -> Result<Map<String, Value>, FloorError> {
    let counter = read_i64(state, "counter")?;
    let mut output = Map::new();
    output.insert("counter".to_owned(), Value::from(counter));
    Ok(output)
}

async fn floor_route(state: &Map<String, Value>) -> Result<Next, FloorError> {
    let counter = read_i64(state, "counter")?;
    Ok(if counter < LAPS {
        Next::Step
    } else {
        Next::Finish
    })
}

async fn floor_step(state: &Map<String, Value>) -> Result<Map<String, Value>, FloorError> {
    let counter = read_i64(state, "counter")?;
    let mut output = Map::new();
    output.insert("counter".to_owned(), Value::from(counter + 1));
    Ok(output)
}

async fn floor_run(mut state: Map<String, Value>) -> Result<Map<String, Value>, FloorError> {
    let output = floor_begin(&state).await?;
    state.extend(output);
    while let Next::Step = floor_route(&state).await? {
        let output = floor_step(&state).await?;
        state.extend(output);
    }
    // The end node returns the counter as it is.
    let output = floor_begin(&state).await?;
    state.extend(output);
    Ok(state)
}

fn inputs() -> Vec<Value> {
    (0..RUNS).map(|_| json!({ "counter": 0 })).collect()
}

fn check(output: &Map<String, Value>) {
    assert_eq!(output["counter"], LAPS, "every lap ran");
}

/// W6, µs per lap: the router returning a `Route`.
pub fn w6(bench: &mut Bench) {
    w6_with(bench, "W6", route);
}

/// W6-json, µs per lap: the router returning `{"choice": ..}`.
pub fn w6_json(bench: &mut Bench) {
    w6_with(bench, "W6-json", route_json);
}

fn w6_with(bench: &mut Bench, key: &'static str, router: fn() -> graphai::NodeDef) {
    let graph = graph(router);
    let (floor, engine) = current_thread().block_on(bench.interleave(
        7,
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
    let per_lap = |secs: f64| secs * 1e6 / (RUNS as f64 * LAPS as f64);
    let (floor, engine) = (per_lap(floor), per_lap(engine));
    bench.figure(key, floor, engine, Some(ratio(floor, engine)));
}
