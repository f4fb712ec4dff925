use graphai::{Value, json, node};

#[node]
async fn search(#[default(Some(5))] limit: Option<u32>) -> Value {
    json!({ "limit": limit })
}

fn main() {}
