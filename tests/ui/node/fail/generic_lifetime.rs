use graphai::{Value, json, node};

#[node]
async fn search<'a>(query: String) -> Value {
    json!({ "query": query })
}

fn main() {}
