use graphai::{Value, graph, json, node, router};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[router]
async fn choose() -> Value {
    json!({})
}

#[node(end)]
async fn last() -> Value {
    json!({})
}

fn main() {
    let _ = graph! { first -> choose -> last; };
}
