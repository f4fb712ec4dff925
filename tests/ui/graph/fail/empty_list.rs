use graphai::{Value, graph, json, node};

#[node(start, end)]
async fn first() -> Value {
    json!({})
}

fn main() {
    let _ = graph! { first -> []; };
}
