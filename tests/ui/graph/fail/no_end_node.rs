use graphai::{Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[node]
async fn left() -> Value {
    json!({})
}

#[node]
async fn right() -> Value {
    json!({})
}

fn main() {
    let _ = graph! { first -> [left, right]; };
}
