use graphai::{Value, json, node};

#[node]
async fn publish(#[key(summary)] text: String) -> Value {
    json!({ "text": text })
}

fn main() {}
