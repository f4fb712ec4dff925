#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first [start]);

struct Helper;

fn main() {
    let _ = graph! { first -> Helper; };
}
