//! A node named `summary` does not turn other `summary` bindings into patterns.

use graphai::{Graph, Value, json, node};

#[node(start)]
async fn summary(text: String) -> Value {
    let summary = text.to_uppercase();
    json!({ "summary": summary })
}

#[node(end)]
async fn publish(summary: String) -> Value {
    let length = summary.len();
    let summary = format!("{summary}!");
    json!({ "published": summary, "length": length })
}

fn describe(summary: &str) -> String {
    match Some(summary) {
        Some(summary) => summary.to_owned(),
        None => String::new(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let graph = Graph::new()
        .add_node(summary)
        .add_node(publish)
        .add_edge(summary, publish)
        .compile()
        .unwrap();
    let result = graph.execute(json!({ "text": "hi" })).await.unwrap();
    assert_eq!(result["published"], "HI!");
    assert_eq!(describe("x"), "x");
    assert_eq!(summary::call("a".into()).await["summary"], "A");
}
