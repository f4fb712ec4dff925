#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first [start]);

fn main() {
    let _ = graph! { first -> "last"; };
}
