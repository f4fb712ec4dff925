use graphai::{State, Value, json, node};

#[node]
async fn counter(#[default(State::default())] state: State) -> Value {
    json!({ "count": state.get("count") })
}

fn main() {}
