//! A node alone is a statement: a one-node graph, or a node that a
//! router with no destinations reaches.

use graphai::{Value, graph, json, node};

#[node(start, end)]
async fn only() -> Value {
    json!({})
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let graph = graph! { only; };
    assert_eq!(graph.execute(json!({ "x": 1 })).await.unwrap()["x"], 1);
}
