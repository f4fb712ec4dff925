use graphai::{Callback, Value, json, node};

#[node]
async fn writer(query: String, cb: Callback) -> Value {
    cb.call(query).ok();
    json!({})
}

fn main() {}
