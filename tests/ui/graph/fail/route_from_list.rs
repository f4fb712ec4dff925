use graphai::{Value, graph, json, node, router};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[router]
async fn a() -> Value {
    json!({})
}

#[router]
async fn b() -> Value {
    json!({})
}

#[node(end)]
async fn last() -> Value {
    json!({})
}

fn main() {
    let _ = graph! { first -> [a, b]; [a, b] => last; };
}
