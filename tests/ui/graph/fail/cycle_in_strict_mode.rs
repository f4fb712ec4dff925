#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first [start]);
test_node!(draft []);
test_node!(review []);
test_node!(last [end]);

fn main() {
    let _ = graph! {
        strict: true,
        first -> draft -> review -> last;
        review -> draft;
    };
}
