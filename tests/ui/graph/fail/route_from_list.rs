#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first [start]);
test_node!(a [router]);
test_node!(b [router]);
test_node!(last [end]);

fn main() {
    let _ = graph! { first -> [a, b]; [a, b] => last; };
}
