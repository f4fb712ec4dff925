use graphai::{Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[node]
async fn draft() -> Value {
    json!({})
}

#[node]
async fn review() -> Value {
    json!({})
}

#[node(end)]
async fn last() -> Value {
    json!({})
}

fn main() {
    let _ = graph! {
        strict: true,
        first -> draft -> review -> last;
        review -> draft;
    };
}
