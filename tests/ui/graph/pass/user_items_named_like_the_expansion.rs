//! The expansion's items cannot clash with the caller's: user items named
//! like them, or like the runtime's types, or like the prelude, are in scope
//! and used in a branch condition, and nodes are named like the locals the
//! expansion binds. Everything of graphai is reached through
//! `::graphai::__private`, and `core` by its absolute path.
#![allow(dead_code, unused_macros, non_upper_case_globals, non_camel_case_types)]

use graphai::{Value, graph, json, node, router};

#[node(start)]
async fn problem() -> Value {
    json!({})
}

#[router]
async fn nodes() -> Value {
    json!({ "choice": "found" })
}

#[node(end)]
async fn found() -> Value {
    json!({})
}

#[node(end)]
async fn wire() -> Value {
    json!({})
}

const GRAPH: u8 = 1;
static TABLES: u8 = 2;
const OK: bool = true;
struct Nodes;
struct Wiring;
struct Checked;
struct Edge;
struct Graph;
struct Branch;
struct GraphNode;
enum Option {}
type Result = ();
mod serde_json {}
mod __private {}
macro_rules! panic {
    ($($t:tt)*) => {
        compile_error!("the user's `panic!` was called")
    };
}

fn main() {
    let compiled: u8 = 3;
    let _ = graph! {
        strict: true,
        max_steps: usize::from(compiled) * 2,
        initial_state: { "x": 1 },
        problem -> nodes => [found, wire];
        problem ~> found if move |_, _| OK && GRAPH + TABLES == compiled;
    };
    let _ = (Nodes, Wiring, Checked, Edge, Graph, Branch, GraphNode);
}
