use graphai::{Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[node(start)]
async fn second() -> Value {
    json!({})
}

#[node(start)]
async fn third() -> Value {
    json!({})
}

#[node(end)]
async fn last() -> Value {
    json!({})
}

fn main() {
    let _ = graph! { first -> last; second -> last; third -> last; };
}
