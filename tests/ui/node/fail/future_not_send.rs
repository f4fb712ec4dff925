use std::rc::Rc;

use graphai::{Value, json, node};

async fn pause() {}

#[node]
async fn search(query: String) -> Value {
    let shared = Rc::new(query);
    pause().await;
    json!({ "query": *shared })
}

fn main() {}
