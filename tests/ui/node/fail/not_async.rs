use graphai::{Value, json, node};

#[node]
fn search(query: String) -> Value {
    json!({ "query": query })
}

fn main() {}
