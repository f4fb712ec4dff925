use graphai::{Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

fn main() {
    let _ = graph! { first -> "last"; };
}
