use graphai::{Value, json, node};

#[node]
async unsafe fn search(query: String) -> Value {
    json!({ "query": query })
}

fn main() {}
