use graphai::{Value, json, node};

#[node(start, end, retries = "three")]
async fn fetch(url: String) -> Value {
    json!({ "url": url })
}

fn main() {}
