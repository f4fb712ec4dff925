#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

fn main() {
    let _ = graph! {};
}
