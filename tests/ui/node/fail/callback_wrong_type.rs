use graphai::{Value, json, node};

#[node(stream)]
async fn writer(query: String, callback: String) -> Value {
    json!({ "query": query, "callback": callback })
}

fn main() {}
