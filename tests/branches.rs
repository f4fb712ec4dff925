//! Branch edges: side pipelines that never join the main path (GraphAI 0.0.12
//! `add_branch`, rewritten).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use graphai::{Branch, Graph, GraphError, Value, json, node, router};

#[node(start)]
async fn start(input: Value) -> Value {
    json!({ "input": input })
}

#[node]
async fn work(input: Value) -> Value {
    json!({ "input": input, "success": true, "node_output": { "rows": [1, 2] } })
}

#[node(end)]
async fn end(input: Value) -> Value {
    json!({ "input": input, "finished": true })
}

fn main_path() -> Graph {
    Graph::new()
        .add_node(start)
        .add_node(work)
        .add_node(end)
        .add_edge(start, work)
        .add_edge(work, end)
}

static SEEN: Mutex<Vec<Value>> = Mutex::new(Vec::new());

#[node]
async fn side(upstream: Option<Value>) -> Value {
    SEEN.lock()
        .expect("seen")
        .push(upstream.unwrap_or(Value::Null));
    json!({ "side": true })
}

#[tokio::test]
async fn a_branch_runs_after_its_source_and_never_leaks_into_the_main_path() {
    let graph = main_path()
        .add_node(side)
        .add_branch(work, side)
        .compile()
        .expect("side is reachable through the branch edge");
    let out = graph
        .execute_detailed(json!({ "input": {} }))
        .await
        .expect("runs");
    assert_eq!(out.state["finished"], true);
    assert!(!out.state.contains_key("side"));
    assert!(out.branch_errors.is_empty());
    let seen = SEEN.lock().expect("seen").clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["node"], "work");
    assert_eq!(seen[0]["output"]["node_output"], json!({ "rows": [1, 2] }));
}

static ORDER: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

#[node]
async fn step_one() -> Value {
    ORDER.lock().expect("order").push("one");
    json!({ "success": true })
}

#[node]
async fn step_two(upstream: Value) -> Value {
    assert_eq!(upstream["node"], "step_one");
    ORDER.lock().expect("order").push("two");
    json!({ "success": true })
}

#[node]
async fn never() -> Value {
    ORDER.lock().expect("order").push("never");
    json!({})
}

#[node]
async fn failing() -> Value {
    ORDER.lock().expect("order").push("failing");
    json!({ "success": false })
}

#[tokio::test]
async fn a_pipeline_follows_edges_to_a_terminal_and_stops_after_a_failed_step() {
    let graph = main_path()
        .add_node(step_one)
        .add_node(step_two)
        .add_node(failing)
        .add_node(never)
        .add_edge(step_one, step_two)
        .add_edge(failing, never)
        .add_branch(work, step_one)
        .add_branch(work, failing)
        .compile_strict()
        .expect("branch-only nodes are reachable, and there is no cycle");
    let out = graph
        .execute_detailed(json!({ "input": 1 }))
        .await
        .expect("runs");
    assert!(out.branch_errors.is_empty(), "{:?}", out.branch_errors);
    assert_eq!(*ORDER.lock().expect("order"), ["one", "two", "failing"]);
}

static CALLS: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

#[node]
async fn skipped() -> Value {
    CALLS.lock().expect("calls").push("skipped");
    json!({})
}

#[node]
async fn taken() -> Value {
    CALLS.lock().expect("calls").push("taken");
    json!({})
}

#[node]
async fn taken_async() -> Value {
    CALLS.lock().expect("calls").push("taken_async");
    json!({})
}

#[tokio::test]
async fn conditions_see_the_source_output_and_may_be_async() {
    let graph = main_path()
        .add_node(skipped)
        .add_node(taken)
        .add_node(taken_async)
        .add_branch(work, Branch::to(skipped).when(|_, _| false))
        .add_branch(
            work,
            Branch::to(taken).when(|output, _| output["node_output"]["rows"] == json!([1, 2])),
        )
        .add_branch(
            work,
            Branch::to(taken_async).when_async(|output, state| async move {
                tokio::task::yield_now().await;
                output["success"] == true && state.get("missing").is_none()
            }),
        )
        .compile()
        .expect("compiles");
    graph.execute(json!({ "input": 0 })).await.expect("runs");
    assert_eq!(*CALLS.lock().expect("calls"), ["taken", "taken_async"]);
}

#[node]
async fn explode() -> graphai::Result<Value> {
    Err("boom".into())
}

#[tokio::test]
async fn a_failing_branch_is_recorded_not_raised() {
    let graph = main_path()
        .add_node(explode)
        .add_branch(work, explode)
        .compile()
        .expect("compiles");
    let out = graph
        .execute_detailed(json!({ "input": 0 }))
        .await
        .expect("main path succeeds");
    assert_eq!(out.state["finished"], true);
    assert_eq!(out.branch_errors.len(), 1);
    let err = &out.branch_errors[0];
    assert_eq!(
        (err.source.as_str(), err.destination.as_str()),
        ("work", "explode")
    );
    assert!(matches!(&*err.error, GraphError::Node { node, .. } if node == "explode"));
    let last = graph.branch_errors();
    assert_eq!(last.len(), 1);
    // A `std::error::Error`: the branch, then the node's error as its source.
    assert_eq!(last[0].to_string(), "branch `work` ~> `explode` failed");
    let source = std::error::Error::source(&last[0]).expect("the node's error");
    assert_eq!(source.to_string(), "node `explode` failed");
    assert_eq!(
        source.source().map(ToString::to_string).as_deref(),
        Some("boom")
    );
}

static SLOW_DONE: AtomicBool = AtomicBool::new(false);

#[node]
async fn slow() -> Value {
    tokio::time::sleep(Duration::from_millis(50)).await;
    SLOW_DONE.store(true, Ordering::SeqCst);
    json!({})
}

#[tokio::test]
async fn execute_waits_for_detached_branches_before_it_returns() {
    let graph = main_path()
        .add_node(slow)
        .add_branch(work, Branch::to(slow).detached())
        .compile()
        .expect("compiles");
    graph.execute(json!({ "input": 0 })).await.expect("runs");
    assert!(SLOW_DONE.load(Ordering::SeqCst));
}

mod router_loop {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    pub static TURNS: AtomicUsize = AtomicUsize::new(0);
    pub static LOGGED: Mutex<Vec<String>> = Mutex::new(Vec::new());

    #[node(start)]
    pub async fn begin() -> Value {
        json!({})
    }

    #[router]
    pub async fn brain() -> Value {
        let turn = TURNS.fetch_add(1, Ordering::SeqCst) + 1;
        json!({ "choice": if turn == 1 { "tool" } else { "finish" } })
    }

    #[node]
    pub async fn tool() -> Value {
        json!({ "success": true, "node_output": { "sent": true } })
    }

    #[node]
    pub async fn log(upstream: Value) -> Value {
        LOGGED
            .lock()
            .expect("logged")
            .push(upstream["node"].as_str().unwrap_or("").to_owned());
        json!({})
    }

    #[node(end)]
    pub async fn finish() -> Value {
        json!({ "finished": true })
    }
}

#[tokio::test]
async fn a_branch_off_a_tool_inside_a_router_loop_keeps_the_loop_alive() {
    use router_loop::*;
    let graph = Graph::new()
        .add_node(begin)
        .add_node(brain)
        .add_node(tool)
        .add_node(log)
        .add_node(finish)
        .add_edge(begin, brain)
        .add_edge(brain, tool)
        .add_edge(brain, finish)
        .add_edge(tool, brain)
        .add_branch(tool, log)
        .compile()
        .expect("compiles");
    let result = graph.execute(json!({})).await.expect("runs");
    assert_eq!(result["finished"], true);
    assert_eq!(TURNS.load(Ordering::SeqCst), 2);
    assert_eq!(*LOGGED.lock().expect("logged"), ["tool"]);
}

static NESTED: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

#[node]
async fn first() -> Value {
    NESTED.lock().expect("nested").push("first");
    json!({})
}

#[node]
async fn left() -> Value {
    NESTED.lock().expect("nested").push("left");
    json!({})
}

#[node]
async fn right() -> Value {
    NESTED.lock().expect("nested").push("right");
    json!({})
}

#[node]
async fn nested() -> Value {
    NESTED.lock().expect("nested").push("nested");
    json!({})
}

#[tokio::test]
async fn pipelines_fan_out_and_branches_nest() {
    let graph = main_path()
        .add_node(first)
        .add_node(left)
        .add_node(right)
        .add_node(nested)
        .add_parallel(first, [left, right])
        .add_branch(work, first)
        .add_branch(left, nested)
        .compile()
        .expect("compiles");
    graph.execute(json!({ "input": 0 })).await.expect("runs");
    let mut calls = NESTED.lock().expect("nested").clone();
    assert_eq!(calls[0], "first");
    calls[1..].sort_unstable();
    assert_eq!(calls[1..], ["left", "nested", "right"]);
}

static PROBED: Mutex<Vec<String>> = Mutex::new(Vec::new());

#[node]
async fn probe(upstream: Option<Value>) -> Value {
    let from = upstream.map(|u| u["node"].as_str().unwrap_or("").to_owned());
    PROBED
        .lock()
        .expect("probed")
        .push(from.unwrap_or_default());
    json!({})
}

#[tokio::test]
async fn upstream_is_the_previous_node_and_is_not_in_the_result() {
    let graph = Graph::new()
        .add_node(start)
        .add_node(probe)
        .add_node(work)
        .add_node(end)
        .add_edge(start, probe)
        .add_edge(probe, work)
        .add_edge(work, end)
        .compile()
        .expect("compiles");
    let result = graph.execute(json!({ "input": 0 })).await.expect("runs");
    assert_eq!(*PROBED.lock().expect("probed"), ["start"]);
    assert!(!result.contains_key("upstream"));
}
