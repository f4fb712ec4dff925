//! `callback` and `state` are injected, whatever else the node reads.

use futures::StreamExt;
use graphai::{Callback, Graph, State, Value, json, node};

#[node(start, stream)]
async fn writer(query: String, callback: Callback, state: State) -> graphai::Result<Value> {
    for word in query.split(' ') {
        callback.acall(word).await?;
    }
    state.insert("seen", query.len());
    Ok(json!({ "written": true }))
}

#[node(end)]
async fn counter(state: State, #[key("written")] done: bool) -> Value {
    let seen = state.get("seen").unwrap_or_default();
    json!({ "seen": seen, "done": done })
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let graph = Graph::new()
        .add_node(writer)
        .add_node(counter)
        .add_edge(writer, counter)
        .compile()
        .unwrap();
    let result = graph.execute(json!({ "query": "a b" })).await.unwrap();
    assert_eq!(result["seen"], 3);
    assert_eq!(result["done"], true);
    assert_eq!(graph.get_state()["seen"], 3);

    // Called directly, the body takes a callback and a state like any arguments.
    let callback = Callback::new();
    let tokens = callback.aiter().unwrap();
    let state = State::default();
    writer::call("x y".into(), callback.clone(), state.clone())
        .await
        .unwrap();
    callback.close().await;
    let tokens: Vec<String> = tokens.collect().await;
    assert!(tokens.iter().any(|t| t.contains('x')), "{tokens:?}");
    assert_eq!(state.get("seen"), Some(json!(3)));
}
