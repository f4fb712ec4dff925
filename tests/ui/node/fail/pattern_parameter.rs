use graphai::{Value, json, node};

#[node]
async fn add((a, b): (u32, u32)) -> Value {
    json!({ "sum": a + b })
}

fn main() {}
