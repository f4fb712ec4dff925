#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first [start]);
test_node!(a []);
test_node!(b []);
test_node!(c [end]);
test_node!(d [end]);

fn main() {
    let _ = graph! { first -> [a, b] -> [c, d]; };
}
