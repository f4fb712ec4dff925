#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

mod tools {
    test_node!(pub search [end]);
}
test_node!(first [start]);

use tools::search;

fn main() {
    let _ = graph! { first -> [search, tools::search]; };
}
