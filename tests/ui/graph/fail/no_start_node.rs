#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first []);
test_node!(last [end]);

fn main() {
    let _ = graph! { first -> last; };
}
