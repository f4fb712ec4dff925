use graphai::{Value, json, node};

#[node(name = "")]
async fn search(query: String) -> Value {
    json!({ "query": query })
}

fn main() {}
