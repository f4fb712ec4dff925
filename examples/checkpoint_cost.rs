//! What checkpoints cost: the bytes a long chat stores, and the time per step
//! of each store, as ratios to the same run without a store.
//!
//! ```text
//! cargo run --release --example checkpoint_cost
//! eval "$(scripts/pg-test-server.sh start)"       # to measure PostgreSQL too
//! cargo run --release --example checkpoint_cost --features postgres
//! ```
//!
//! Size: a chat graph that appends one message per turn, 500 turns in one
//! thread run; graphai stores each step's change (the new message), next to
//! what storing the whole state at every step (as LangGraph does) would take.
//! Time: W1 of the benchmarks (a chain of 10 nodes, `x -> x + 1`), each run a
//! new thread, with no store, `MemoryStore`, `SqliteStore` in `Sync` and
//! `Async` durability, and `PostgresStore` when `GRAPHAI_TEST_POSTGRES_URL` is set.

use std::sync::Arc;
use std::time::Instant;

use graphai::checkpoint::{CheckpointStore, MemoryStore, SqliteStore};
use graphai::{CompiledGraph, Durability, Graph, Value, json, node, router};

#[node(start)]
async fn open_chat() -> Value {
    json!({ "messages": [], "turn": 0 })
}

/// One turn: the next message of the conversation.
#[router]
async fn turn(messages: Vec<Value>, turn: u64, turns: u64) -> Value {
    let mut messages = messages;
    let role = if turn.is_multiple_of(2) {
        "user"
    } else {
        "assistant"
    };
    messages.push(
        json!({ "role": role, "content": format!("message {turn}: {}", "lorem ipsum ".repeat(8)) }),
    );
    let next = if turn + 1 >= turns {
        "close_chat"
    } else {
        "turn"
    };
    json!({ "messages": messages, "turn": turn + 1, "choice": next })
}

#[node(end)]
async fn close_chat(turn: u64) -> Value {
    json!({ "turns": turn })
}

fn chat(store: Arc<dyn CheckpointStore>) -> CompiledGraph {
    Graph::new()
        .max_steps(10_000)
        .checkpointer(store)
        .add_node(open_chat)
        .add_node(turn)
        .add_node(close_chat)
        .add_edge(open_chat, turn)
        .add_router(Vec::<&str>::new(), turn, [turn, close_chat])
        .compile()
        .expect("the chat compiles")
}

async fn sizes(turns: u64) -> (usize, usize) {
    let store = Arc::new(MemoryStore::new());
    chat(store.clone())
        .run(json!({ "turns": turns }))
        .thread("chat")
        .execute()
        .await
        .expect("the chat runs");
    let chain = store
        .chain("chat", None)
        .await
        .expect("reads")
        .expect("a thread");
    let stored: usize = chain
        .checkpoints
        .iter()
        .map(|c| c.delta.to_string().len() + c.position.to_string().len())
        .sum();
    // Whole-state snapshots: the state after each step, rebuilt from the deltas.
    let mut messages: Vec<Value> = Vec::new();
    let mut snapshots = 0;
    for checkpoint in &chain.checkpoints {
        if let Some(Value::Array(ops)) = checkpoint.delta.get("out") {
            for op in ops {
                match (op[0].as_str(), op[1].as_str(), &op[2]) {
                    (Some("messages"), Some("+"), Value::Array(added)) => {
                        messages.extend(added.iter().cloned());
                    }
                    (Some("messages"), Some("="), Value::Array(all)) => messages.clone_from(all),
                    _ => {}
                }
            }
        }
        snapshots += json!({ "messages": messages, "turn": messages.len() })
            .to_string()
            .len()
            + checkpoint.position.to_string().len();
    }
    (stored, snapshots)
}

#[node(start)]
async fn n0(x: i64) -> Value {
    json!({ "x": x + 1 })
}
#[node]
async fn n1(x: i64) -> Value {
    json!({ "x": x + 1 })
}
#[node]
async fn n2(x: i64) -> Value {
    json!({ "x": x + 1 })
}
#[node]
async fn n3(x: i64) -> Value {
    json!({ "x": x + 1 })
}
#[node]
async fn n4(x: i64) -> Value {
    json!({ "x": x + 1 })
}
#[node]
async fn n5(x: i64) -> Value {
    json!({ "x": x + 1 })
}
#[node]
async fn n6(x: i64) -> Value {
    json!({ "x": x + 1 })
}
#[node]
async fn n7(x: i64) -> Value {
    json!({ "x": x + 1 })
}
#[node]
async fn n8(x: i64) -> Value {
    json!({ "x": x + 1 })
}
#[node(end)]
async fn n9(x: i64) -> Value {
    json!({ "x": x + 1 })
}

fn w1(store: Option<(Arc<dyn CheckpointStore>, Durability)>) -> CompiledGraph {
    let mut graph = Graph::new().max_steps(20);
    if let Some((store, durability)) = store {
        graph = graph.checkpointer(store).durability(durability);
    }
    graph
        .add_node(n0)
        .add_node(n1)
        .add_node(n2)
        .add_node(n3)
        .add_node(n4)
        .add_node(n5)
        .add_node(n6)
        .add_node(n7)
        .add_node(n8)
        .add_node(n9)
        .add_edge(n0, n1)
        .add_edge(n1, n2)
        .add_edge(n2, n3)
        .add_edge(n3, n4)
        .add_edge(n4, n5)
        .add_edge(n5, n6)
        .add_edge(n6, n7)
        .add_edge(n7, n8)
        .add_edge(n8, n9)
        .compile()
        .expect("W1 compiles")
}

/// Microseconds per run of W1: `runs` runs, each a new thread when `durable`.
async fn per_run(graph: &CompiledGraph, runs: usize, durable: bool, prefix: &str) -> f64 {
    let started = Instant::now();
    for i in 0..runs {
        let run = graph.run(json!({ "x": 0 }));
        let run = if durable {
            run.thread(format!("{prefix}-{i}"))
        } else {
            run
        };
        let state = run.execute().await.expect("W1 runs");
        assert_eq!(state["x"], 10);
    }
    started.elapsed().as_secs_f64() * 1e6 / runs as f64
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Honour the variables like every example, but only when they are set:
    // the figures are meant to have no subscriber at all.
    if ["GRAPHAI_LOG_LEVEL", "RUST_LOG"]
        .iter()
        .any(|name| std::env::var_os(name).is_some())
    {
        graphai::logging::init();
    }
    println!("Size of a chat thread (one message per turn), bytes stored:");
    println!(
        "{:>6} {:>14} {:>18} {:>8}",
        "turns", "graphai", "whole-state", "ratio"
    );
    for turns in [50, 100, 250, 500] {
        let (stored, snapshots) = sizes(turns).await;
        println!(
            "{turns:>6} {stored:>14} {snapshots:>18} {:>7.1}x",
            snapshots as f64 / stored as f64
        );
    }

    let dir = tempfile::tempdir()?;
    let prefix = format!("w1-{}", std::process::id());
    let mut stores: Vec<(String, Arc<dyn CheckpointStore>, Durability, usize)> = vec![
        (
            "MemoryStore".into(),
            Arc::new(MemoryStore::new()),
            Durability::Sync,
            2_000,
        ),
        (
            "SqliteStore, Sync".into(),
            Arc::new(SqliteStore::open(dir.path().join("sync.db"))?),
            Durability::Sync,
            300,
        ),
        (
            "SqliteStore, Async".into(),
            Arc::new(SqliteStore::open(dir.path().join("async.db"))?),
            Durability::Async,
            300,
        ),
        (
            "SqliteStore, Exit".into(),
            Arc::new(SqliteStore::open(dir.path().join("exit.db"))?),
            Durability::Exit,
            300,
        ),
    ];
    #[cfg(feature = "postgres")]
    if let Ok(url) = std::env::var("GRAPHAI_TEST_POSTGRES_URL") {
        stores.push((
            "PostgresStore, Sync".into(),
            Arc::new(graphai::checkpoint::PostgresStore::connect(&url).await?),
            Durability::Sync,
            100,
        ));
    }
    let plain = w1(None);
    per_run(&plain, 2_000, false, &prefix).await;
    let floor = per_run(&plain, 20_000, false, &prefix).await;
    println!("\nW1 (10 steps a run; 12 checkpoints: input, 10 steps, done):");
    println!(
        "{:<22} {:>12} {:>12} {:>10}",
        "store", "us/run", "us/step", "ratio"
    );
    println!(
        "{:<22} {floor:>12.2} {:>12.3} {:>9.1}x",
        "no store",
        floor / 10.0,
        1.0
    );
    for (name, store, durability, runs) in stores.drain(..) {
        let graph = w1(Some((store, durability)));
        let tag = format!("{prefix}-{}", name.replace([' ', ','], ""));
        per_run(&graph, runs / 10 + 1, true, &format!("{tag}-warm")).await;
        let us = per_run(&graph, runs, true, &tag).await;
        println!(
            "{name:<22} {us:>12.2} {:>12.3} {:>9.1}x",
            us / 10.0,
            us / floor
        );
    }
    Ok(())
}
