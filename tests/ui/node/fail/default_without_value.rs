use graphai::{Value, json, node};

#[node]
async fn search(#[default] limit: u32) -> Value {
    json!({ "limit": limit })
}

fn main() {}
