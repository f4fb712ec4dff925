//! Every return form a node may have.

use std::fmt;

use graphai::{Graph, Map, Value, json, node};
use serde::Serialize;

#[node(start)]
async fn as_value(x: u32) -> Value {
    json!({ "value": x })
}

#[node]
async fn as_map(x: u32) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("map".to_owned(), json!(x));
    map
}

#[derive(Serialize)]
struct Answer {
    answer: u32,
}

#[node]
async fn as_struct(x: u32) -> Answer {
    Answer { answer: x }
}

#[node]
async fn graphai_result(x: u32) -> graphai::Result<Value> {
    Ok(json!({ "graphai_result": x }))
}

#[node]
async fn anyhow_result(x: u32) -> anyhow::Result<Value> {
    Ok(json!({ "anyhow_result": x }))
}

#[node]
async fn boxed_result(
    x: u32,
) -> Result<Map<String, Value>, Box<dyn std::error::Error + Send + Sync>> {
    let mut map = Map::new();
    map.insert("boxed_result".to_owned(), json!(x));
    Ok(map)
}

#[derive(Debug, thiserror::Error)]
enum LookupError {
    #[error("nothing found for {0}")]
    NotFound(u32),
}

#[node]
async fn thiserror_result(x: u32) -> Result<Answer, LookupError> {
    if x == 0 {
        return Err(LookupError::NotFound(x));
    }
    Ok(Answer { answer: x * 10 })
}

#[derive(Debug)]
struct Plain;

impl fmt::Display for Plain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("plain")
    }
}

impl std::error::Error for Plain {}

#[node(end)]
async fn io_result(x: u32) -> std::io::Result<Value> {
    Ok(json!({ "io_result": x }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(as_value::call(1).await, json!({ "value": 1 }));
    assert_eq!(as_struct::call(2).await.answer, 2);
    assert_eq!(
        anyhow_result::call(3).await.unwrap(),
        json!({ "anyhow_result": 3 })
    );
    assert!(thiserror_result::call(0).await.is_err());

    let graph = Graph::new()
        .add_node(as_value)
        .add_node(as_map)
        .add_node(as_struct)
        .add_node(graphai_result)
        .add_node(anyhow_result)
        .add_node(boxed_result)
        .add_node(thiserror_result)
        .add_node(io_result)
        .add_edge(as_value, as_map)
        .add_edge(as_map, as_struct)
        .add_edge(as_struct, graphai_result)
        .add_edge(graphai_result, anyhow_result)
        .add_edge(anyhow_result, boxed_result)
        .add_edge(boxed_result, thiserror_result)
        .add_edge(thiserror_result, io_result)
        .compile()
        .unwrap();
    let result = graph.execute(json!({ "x": 4 })).await.unwrap();
    for key in [
        "value",
        "map",
        "graphai_result",
        "anyhow_result",
        "boxed_result",
        "io_result",
    ] {
        assert_eq!(result[key], 4, "{key}");
    }
    assert_eq!(result["answer"], 40);

    let _ = Plain;
}
