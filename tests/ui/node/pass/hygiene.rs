//! The expansion names nothing the user's scope can shadow.

#![allow(dead_code)]

mod serde_json {}
mod serde {}

type Result<T> = std::result::Result<T, std::io::Error>;

struct Option;
struct Some;
struct Box;
struct Map;
struct Value;

#[graphai::node(start, end)]
async fn node_a(x: u32, maybe: std::option::Option<u32>) -> Result<graphai::Value> {
    Ok(graphai::json!({ "x": x, "maybe": maybe }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let graph = graphai::Graph::new().add_node(node_a).compile().unwrap();
    let result = graph.execute(graphai::json!({ "x": 1 })).await.unwrap();
    assert_eq!(result["x"], 1);
}
