use graphai::{Value, json, node};

#[node]
async extern "C" fn search(query: String) -> Value {
    json!({ "query": query })
}

fn main() {}
