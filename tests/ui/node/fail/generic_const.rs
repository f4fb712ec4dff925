use graphai::{Value, json, node};

#[node]
async fn search<const N: usize>(query: String) -> Value {
    json!({ "query": query, "n": N })
}

fn main() {}
