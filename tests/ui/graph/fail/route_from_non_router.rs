use graphai::{Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[node]
async fn check() -> Value {
    json!({})
}

#[node(end)]
async fn yes() -> Value {
    json!({})
}

#[node(end)]
async fn no() -> Value {
    json!({})
}

fn main() {
    let _ = graph! { first -> check => [yes, no]; };
}
