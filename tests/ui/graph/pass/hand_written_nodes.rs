//! Any type implementing `graphai::Node` is a node, also a unit struct
//! with a CamelCase name, which a `let` binding could not shadow.

use graphai::{Context, Map, Node, NodeFuture, ParamInfo, Value, graph, json, node};

struct Summarize;

impl Node for Summarize {
    const NAME: &'static str = "summarize";
    const DOC: &'static str = "";
    const IS_START: bool = true;
    const IS_END: bool = false;
    const IS_STREAM: bool = false;
    const IS_ROUTER: bool = false;
    const PARAMS: &'static [ParamInfo] = &[];
    fn invoke(_: Context<'_>) -> NodeFuture<'_> {
        Box::pin(async { Ok(Map::new()) })
    }
}

#[node(end)]
async fn last() -> Value {
    json!({})
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let graph = graph! { Summarize -> last; };
    graph.execute(json!({})).await.unwrap();
}
