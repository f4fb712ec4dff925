#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(only [start, end]);

fn main() {
    let _ = graph! { initial_state: json!({ "a": 1 }), only; };
}
