//! The expansion shadows nothing the caller wrote: locals, consts and
//! types named like the nodes or like the expansion's own items.
#![allow(non_upper_case_globals)]

#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first [start]);
test_node!(threshold []);
test_node!(last [end]);

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
