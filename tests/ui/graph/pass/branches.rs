//! `a ~> b` with its options: `detached`, `if` a closure, an async
//! closure or a function.

#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

use graphai::{Map, State, Value};

test_node!(first [start]);
test_node!(last [end]);
test_node!(log []);
test_node!(audit []);
test_node!(store []);

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
