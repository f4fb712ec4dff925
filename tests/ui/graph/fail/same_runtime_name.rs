#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first [start]);
test_node!(web [end] as "search");
test_node!(search [end]);

fn main() {
    let _ = graph! { first -> [search, web]; };
}
