use graphai::{Callback, Value, json, node};

#[node]
async fn writer(query: String, callback: Callback) -> Value {
    callback.call(query).ok();
    json!({})
}

fn main() {}
