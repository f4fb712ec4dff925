use graphai::{Value, json, node};

#[node(stream)]
async fn writer(query: String) -> Value {
    json!({ "query": query })
}

fn main() {}
