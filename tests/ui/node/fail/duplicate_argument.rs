use graphai::{Value, json, node};

#[node(start, end, start)]
async fn search(query: String) -> Value {
    json!({ "query": query })
}

fn main() {}
