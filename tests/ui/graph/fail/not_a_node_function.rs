#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first [start]);

fn helper() {}

fn main() {
    helper();
    let _ = graph! { first -> helper; };
}
