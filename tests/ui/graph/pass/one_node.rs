//! A node alone is a statement: a one-node graph, or a node that a
//! router with no destinations reaches.

#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::{graph, json};

test_node!(only [start, end]);

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let graph = graph! { only; };
    assert_eq!(graph.execute(json!({ "x": 1 })).await.unwrap()["x"], 1);
}
