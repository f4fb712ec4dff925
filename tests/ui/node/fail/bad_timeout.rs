use graphai::{Value, json, node};

#[node(start, end, timeout = "30 seconds")]
async fn fetch(url: String) -> Value {
    json!({ "url": url })
}

fn main() {}
