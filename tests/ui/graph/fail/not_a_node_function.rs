use graphai::{Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

fn helper() {}

fn main() {
    helper();
    let _ = graph! { first -> helper; };
}
