//! `a -> [b, c]`, `[b, c] -> join(d)`, both in one chain, and a fan-in
//! `[b, c] -> d` without a join.

use graphai::{Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[node]
async fn left() -> Value {
    json!({})
}

#[node]
async fn right() -> Value {
    json!({})
}

#[node(end)]
async fn last() -> Value {
    json!({})
}

fn main() {
    let _ = graph! { first -> [left, right] -> join(last); };
    let _ = graph! { first -> [left, right]; [left, right] -> join(last); };
    let _ = graph! { first -> [left, right] -> last; };
}
