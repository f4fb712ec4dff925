#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first [start]);
test_node!(second [start]);
test_node!(third [start]);
test_node!(last [end]);

fn main() {
    let _ = graph! { first -> last; second -> last; third -> last; };
}
