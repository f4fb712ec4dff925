use graphai::{Value, json, node};

#[node(strat)]
async fn search(query: String) -> Value {
    json!({ "query": query })
}

fn main() {}
