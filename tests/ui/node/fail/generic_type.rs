use graphai::{Value, json, node};

#[node]
async fn search<T: serde::de::DeserializeOwned>(query: T) -> Value {
    let _ = query;
    json!({})
}

fn main() {}
