//! `a -> b -> c;` and a last statement without `;`.

use graphai::{Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[node]
async fn second() -> Value {
    json!({})
}

#[node]
async fn third() -> Value {
    json!({})
}

#[node(end)]
async fn last() -> Value {
    json!({})
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let graph = graph! {
        first -> second -> third;
        third -> last
    };
    graph.execute(json!({})).await.unwrap();
}
