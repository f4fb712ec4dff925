//! `max_steps`, `strict` and `initial_state`, separated by `,` or `;`,
//! with expressions that use the caller's variables.

use graphai::{Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[node(end)]
async fn last() -> Value {
    json!({})
}

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
