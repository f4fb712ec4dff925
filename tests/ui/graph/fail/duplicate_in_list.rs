#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first [start]);
test_node!(left [end]);

fn main() {
    let _ = graph! { first -> [left, left]; };
}
