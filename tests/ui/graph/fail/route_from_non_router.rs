#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first [start]);
test_node!(check []);
test_node!(yes [end]);
test_node!(no [end]);

fn main() {
    let _ = graph! { first -> check => [yes, no]; };
}
