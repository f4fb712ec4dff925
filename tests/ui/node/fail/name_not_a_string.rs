use graphai::{Value, json, node};

#[node(name = weather)]
async fn search(query: String) -> Value {
    json!({ "query": query })
}

fn main() {}
