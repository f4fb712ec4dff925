#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first [start, end]);
test_node!(log_a []);
test_node!(log_b []);

fn main() {
    let _ = graph! { first ~> [log_a, log_b]; };
}
