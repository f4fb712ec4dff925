//! `max_steps`, `strict` and `initial_state`, separated by `,` or `;`,
//! with expressions that use the caller's variables.

#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

test_node!(first [start]);
test_node!(last [end]);

const LIMIT: usize = 5;

fn main() {
    let user = "ada";
    let graph = graph! {
        max_steps: LIMIT * 2,
        strict: true;
        initial_state: { "user": user, "tags": ["a", "b"], "nested": { "n": 1 } },
        first -> last;
    };
    assert_eq!(graph.get_state()["user"], "ada");
    let _ = graph! { strict: false, first -> last; max_steps: 3 };
}
