use graphai::{Value, json, node};

#[node(start = true)]
async fn search(query: String) -> Value {
    json!({ "query": query })
}

fn main() {}
