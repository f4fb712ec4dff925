#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first [start]);
test_node!(left []);
test_node!(right []);

fn main() {
    let _ = graph! { first -> [left, right]; };
}
