//! `graph!` where expressions go: in a generic fn, a closure, a static,
//! with nodes declared after it in the same block.

use std::sync::LazyLock;

use graphai::{Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[node(end)]
async fn last() -> Value {
    json!({})
}

static GRAPH: LazyLock<graphai::CompiledGraph> = LazyLock::new(|| graph! { first -> last; });

fn generic<T: Default>() -> (T, graphai::CompiledGraph) {
    (T::default(), graph! { first -> last; })
}

fn main() {
    let _ = &*GRAPH;
    let _ = generic::<u8>();
    let make = || graph! { early -> late; };
    let _ = make();
    #[node(start)]
    async fn early() -> Value {
        json!({})
    }

    #[node(end)]
    async fn late() -> Value {
        json!({})
    }
}
