use std::cell::RefCell;

use graphai::{Res, Value, json, node};

struct Cache {
    hits: RefCell<u32>,
}

#[node(start, end)]
async fn lookup(key: String, cache: Res<Cache>) -> Value {
    *cache.hits.borrow_mut() += 1;
    json!({ "key": key })
}

fn main() {}
