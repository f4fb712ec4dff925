use graphai::{Value, graph, json, node};

#[node(start, end)]
async fn only() -> Value {
    json!({})
}

fn main() {
    let _ = graph! { steps: 5, only; };
}
