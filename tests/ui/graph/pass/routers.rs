//! `router => [..]` after its sources, apart from them, and a router
//! with no destinations, which may choose any node.

#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first [start]);
test_node!(choose [router]);
test_node!(anywhere [router]);
test_node!(yes []);
test_node!(no []);
test_node!(maybe []);
test_node!(last [end]);

fn main() {
    let _ = graph! {
        first -> choose => [yes, no];
        choose => maybe;
        [yes, no, maybe] -> anywhere;
        last;
    };
    let _ = graph! { first -> choose => yes -> last; };
}
