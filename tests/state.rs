//! The graph's shared state: visible to later nodes and later runs, safe under
//! concurrent runs (GraphAI's state tests, rewritten).

use graphai::{Graph, State, Value, json, node};

fn obj(value: Value) -> graphai::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("expected an object, got {other}"),
    }
}

#[node(start)]
async fn remember(name: String, state: State) -> Value {
    state.insert("last_name", json!(name));
    let visits = state.update_with(|map| {
        let visits = map.get("visits").and_then(Value::as_u64).unwrap_or(0) + 1;
        map.insert("visits".into(), json!(visits));
        visits
    });
    json!({ "visits": visits })
}

#[node(end)]
async fn recall(state: State) -> Value {
    json!({ "recalled": state.get("last_name"), "config": state.get("config") })
}

fn graph() -> graphai::CompiledGraph {
    Graph::new()
        .initial_state(json!({ "config": "from initial_state" }))
        .add_node(remember)
        .add_node(recall)
        .add_edge(remember, recall)
        .compile()
        .expect("compiles")
}

#[tokio::test]
async fn nodes_see_changes_made_earlier_in_the_run() {
    let graph = graph();
    let result = graph.execute(json!({ "name": "ada" })).await.expect("runs");
    assert_eq!(result["recalled"], "ada");
    assert_eq!(result["config"], "from initial_state");
}

#[tokio::test]
async fn state_persists_between_runs_and_is_readable_after() {
    let graph = graph();
    graph.execute(json!({ "name": "ada" })).await.expect("runs");
    let second = graph
        .execute(json!({ "name": "grace" }))
        .await
        .expect("runs");
    assert_eq!(second["visits"], 2);
    assert_eq!(
        Value::Object(graph.get_state()),
        json!({ "config": "from initial_state", "last_name": "grace", "visits": 2 })
    );
}

#[tokio::test]
async fn set_update_and_reset_change_what_the_next_run_sees() {
    let graph = graph();
    graph.update_state(obj(json!({ "visits": 41 })));
    let result = graph.execute(json!({ "name": "x" })).await.expect("runs");
    assert_eq!(result["visits"], 42);
    graph.set_state(obj(json!({ "config": "replaced" })));
    assert_eq!(
        Value::Object(graph.get_state()),
        json!({ "config": "replaced" })
    );
    let result = graph.execute(json!({ "name": "y" })).await.expect("runs");
    assert_eq!(result["visits"], 1);
    assert_eq!(result["config"], "replaced");
    graph
        .reset_state()
        .update_state(obj(json!({ "fresh": "start" })));
    assert_eq!(
        Value::Object(graph.get_state()),
        json!({ "fresh": "start" })
    );
}

#[test]
fn the_builder_chains_state_changes_like_graphai() {
    let graph = Graph::new()
        .initial_state(json!({ "counter": 0 }))
        .update_state(obj(json!({ "counter": 1, "name": "test" })))
        .update_state(obj(json!({ "counter": 2 })))
        .add_node(remember)
        .add_node(recall)
        .add_edge(remember, recall)
        .compile()
        .expect("compiles");
    assert_eq!(
        Value::Object(graph.get_state()),
        json!({ "counter": 2, "name": "test" })
    );
    let reset = Graph::new()
        .set_state(obj(json!({ "old": "data" })))
        .reset_state()
        .update_state(obj(json!({ "fresh": "start" })))
        .add_node(remember)
        .add_node(recall)
        .add_edge(remember, recall)
        .compile()
        .expect("compiles");
    assert_eq!(
        Value::Object(reset.get_state()),
        json!({ "fresh": "start" })
    );
}

#[node(start, end)]
async fn count(state: State) -> Value {
    let seen = state.update_with(|map| {
        let next = map.get("count").and_then(Value::as_u64).unwrap_or(0) + 1;
        map.insert("count".into(), json!(next));
        next
    });
    tokio::task::yield_now().await;
    json!({ "seen": seen })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_runs_update_one_counter_without_losing_a_write() {
    let graph = Graph::new().add_node(count).compile().expect("compiles");
    let runs: Vec<_> = (0..64)
        .map(|_| {
            let graph = graph.clone();
            tokio::spawn(async move { graph.execute(json!({})).await })
        })
        .collect();
    let mut seen = Vec::new();
    for run in runs {
        let result = run.await.expect("task").expect("run");
        seen.push(result["seen"].as_u64().expect("a number"));
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=64).collect::<Vec<u64>>(),
        "every run saw a distinct count"
    );
    assert_eq!(graph.get_state()["count"], 64);
}
