use graphai::{Value, json, node};

struct Oops;

#[node]
async fn search(query: String) -> Result<Value, Oops> {
    if query.is_empty() {
        return Err(Oops);
    }
    Ok(json!({ "query": query }))
}

fn main() {}
