//! The expansion shadows nothing the caller wrote: locals, consts and
//! types named like the nodes or like the expansion's own items.
#![allow(non_upper_case_globals)]

use graphai::{Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[node]
async fn threshold() -> Value {
    json!({})
}

#[node(end)]
async fn last() -> Value {
    json!({})
}

struct Nodes;
const GRAPH: &str = "mine";

fn main() {
    let threshold = 0.5;
    let problem = 2;
    let _ = graph! {
        max_steps: problem * 5,
        first -> threshold -> last;
        first ~> last if move |_, _| threshold > 0.1 && GRAPH == "mine";
    };
    let _ = (Nodes, threshold);
}
