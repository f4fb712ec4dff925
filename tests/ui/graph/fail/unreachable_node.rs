use graphai::{Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[node(end)]
async fn last() -> Value {
    json!({})
}

#[node]
async fn orphan() -> Value {
    json!({})
}

fn main() {
    let _ = graph! { first -> last; orphan -> last; };
}
