#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(only [start, end]);

fn main() {
    let _ = graph! { max_steps: 5, max_steps: 6, only; };
}
