//! `a -> [b, c]`, `[b, c] -> join(d)`, both in one chain, and a fan-in
//! `[b, c] -> d` without a join.

#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first [start]);
test_node!(left []);
test_node!(right []);
test_node!(last [end]);

fn main() {
    let _ = graph! { first -> [left, right] -> join(last); };
    let _ = graph! { first -> [left, right]; [left, right] -> join(last); };
    let _ = graph! { first -> [left, right] -> last; };
}
