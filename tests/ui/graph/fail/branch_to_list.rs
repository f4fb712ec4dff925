use graphai::{Value, graph, json, node};

#[node(start, end)]
async fn first() -> Value {
    json!({})
}

#[node]
async fn log_a() -> Value {
    json!({})
}

#[node]
async fn log_b() -> Value {
    json!({})
}

fn main() {
    let _ = graph! { first ~> [log_a, log_b]; };
}
