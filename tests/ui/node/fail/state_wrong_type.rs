use graphai::{Value, json, node};

#[node]
async fn counter(state: Value) -> Value {
    json!({ "state": state })
}

fn main() {}
