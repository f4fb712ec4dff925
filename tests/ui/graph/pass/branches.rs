//! `a ~> b` with its options: `detached`, `if` a closure, an async
//! closure or a function.

use graphai::{Map, State, Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[node(end)]
async fn last() -> Value {
    json!({})
}

#[node]
async fn log() -> Value {
    json!({})
}

#[node]
async fn audit() -> Value {
    json!({})
}

#[node]
async fn store() -> Value {
    json!({})
}

fn worth_keeping(output: &Map<String, Value>, _: &State) -> bool {
    !output.is_empty()
}

fn main() {
    let _ = graph! {
        first -> last;
        first ~> log -> store;
        last ~> audit detached;
    };
    let _ = graph! {
        first -> last;
        first ~> log if |output, _state| output.contains_key("x");
        first ~> audit detached if async |_output, state| state.get("audit").is_some();
        last ~> store if worth_keeping;
    };
}
