use graphai::{Value, json, node};

#[node]
async fn search(query: &str) -> Value {
    json!({ "query": query })
}

fn main() {}
