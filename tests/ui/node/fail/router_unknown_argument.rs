use graphai::{Value, json, router};

#[router(destinations = "a")]
async fn decide(query: String) -> Value {
    json!({ "choice": query })
}

fn main() {}
