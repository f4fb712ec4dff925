//! `a -> b -> c;` and a last statement without `;`.

#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::{graph, json};

test_node!(first [start]);
test_node!(second []);
test_node!(third []);
test_node!(last [end]);

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let graph = graph! {
        first -> second -> third;
        third -> last
    };
    graph.execute(json!({})).await.unwrap();
}
