use graphai::{Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[node(end, name = "search")]
async fn web() -> Value {
    json!({})
}

#[node(end)]
async fn search() -> Value {
    json!({})
}

fn main() {
    let _ = graph! { first -> [search, web]; };
}
