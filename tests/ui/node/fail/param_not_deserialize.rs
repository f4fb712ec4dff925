use graphai::{Value, json, node};

struct Query {
    text: String,
}

#[node]
async fn search(query: Query) -> Value {
    json!({ "text": query.text })
}

fn main() {}
