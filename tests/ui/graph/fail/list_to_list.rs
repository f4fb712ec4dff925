use graphai::{Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[node]
async fn a() -> Value {
    json!({})
}

#[node]
async fn b() -> Value {
    json!({})
}

#[node(end)]
async fn c() -> Value {
    json!({})
}

#[node(end)]
async fn d() -> Value {
    json!({})
}

fn main() {
    let _ = graph! { first -> [a, b] -> [c, d]; };
}
