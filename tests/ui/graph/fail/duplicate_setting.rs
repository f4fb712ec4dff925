use graphai::{Value, graph, json, node};

#[node(start, end)]
async fn only() -> Value {
    json!({})
}

fn main() {
    let _ = graph! { max_steps: 5, max_steps: 6, only; };
}
