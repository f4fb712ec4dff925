use graphai::{Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[node(end)]
async fn last() -> Value {
    json!({})
}

fn main() {
    let _ = graph! { first -> last; first -> last; };
}
