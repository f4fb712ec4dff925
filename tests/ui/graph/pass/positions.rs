//! `graph!` where expressions go: in a generic fn, a closure, a static,
//! with nodes declared after it in the same block.

#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

use std::sync::LazyLock;

test_node!(first [start]);
test_node!(last [end]);

static GRAPH: LazyLock<graphai::CompiledGraph> = LazyLock::new(|| graph! { first -> last; });

fn generic<T: Default>() -> (T, graphai::CompiledGraph) {
    (T::default(), graph! { first -> last; })
}

fn main() {
    let _ = &*GRAPH;
    let _ = generic::<u8>();
    let make = || graph! { early -> late; };
    let _ = make();
    test_node!(early [start]);
    test_node!(late [end]);
}
