use graphai::{Value, node};

#[node]
const fn search() -> Value {
    Value::Null
}

fn main() {}
