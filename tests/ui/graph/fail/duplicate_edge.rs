#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first [start]);
test_node!(last [end]);

fn main() {
    let _ = graph! { first -> last; first -> last; };
}
