//! `router => [..]` after its sources, apart from them, and a router
//! with no destinations, which may choose any node.

use graphai::{Value, graph, json, node, router};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[router]
async fn choose() -> Value {
    json!({})
}

#[router]
async fn anywhere() -> Value {
    json!({})
}

#[node]
async fn yes() -> Value {
    json!({})
}

#[node]
async fn no() -> Value {
    json!({})
}

#[node]
async fn maybe() -> Value {
    json!({})
}

#[node(end)]
async fn last() -> Value {
    json!({})
}

fn main() {
    let _ = graph! {
        first -> choose => [yes, no];
        choose => maybe;
        [yes, no, maybe] -> anywhere;
        last;
    };
    let _ = graph! { first -> choose => yes -> last; };
}
