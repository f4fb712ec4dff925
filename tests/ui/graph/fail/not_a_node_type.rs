use graphai::{Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

struct Helper;

fn main() {
    let _ = graph! { first -> Helper; };
}
