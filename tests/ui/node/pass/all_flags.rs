//! Every argument combination of `#[node]` and `#[router]` sets the consts.

use graphai::{Callback, Graph, Node, Value, json, node, router};

#[node]
async fn plain(x: u32) -> Value {
    json!({ "x": x })
}

#[node(start)]
async fn first(x: u32) -> Value {
    json!({ "x": x })
}

#[node(end)]
async fn last(x: u32) -> Value {
    json!({ "x": x })
}

#[node(stream)]
async fn streaming(x: u32, callback: Callback) -> Value {
    callback.call(x.to_string()).ok();
    json!({ "x": x })
}

#[node(name = "renamed")]
async fn with_name(x: u32) -> Value {
    json!({ "x": x })
}

#[node(start, end)]
async fn alone(x: u32) -> Value {
    json!({ "x": x + 1 })
}

#[node(end, stream, start, name = "everything")]
async fn all(x: u32, callback: Callback) -> Value {
    callback.call(x.to_string()).ok();
    json!({ "x": x })
}

#[router]
async fn route(x: u32) -> Value {
    json!({ "choice": if x > 1 { "last" } else { "plain" } })
}

#[router(start)]
async fn route_first(x: u32) -> Value {
    json!({ "choice": x.to_string() })
}

#[router(end, name = "route_renamed")]
async fn route_last(x: u32) -> Value {
    json!({ "choice": x.to_string() })
}

#[router(stream)]
async fn route_streaming(x: u32, callback: Callback) -> Value {
    callback.call("thinking").ok();
    json!({ "choice": x.to_string() })
}

fn flags<N: Node>() -> (&'static str, bool, bool, bool, bool) {
    (N::NAME, N::IS_START, N::IS_END, N::IS_STREAM, N::IS_ROUTER)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(flags::<plain>(), ("plain", false, false, false, false));
    assert_eq!(flags::<first>(), ("first", true, false, false, false));
    assert_eq!(flags::<last>(), ("last", false, true, false, false));
    assert_eq!(
        flags::<streaming>(),
        ("streaming", false, false, true, false)
    );
    assert_eq!(
        flags::<with_name>(),
        ("renamed", false, false, false, false)
    );
    assert_eq!(flags::<alone>(), ("alone", true, true, false, false));
    assert_eq!(flags::<all>(), ("everything", true, true, true, false));
    assert_eq!(flags::<route>(), ("route", false, false, false, true));
    assert_eq!(
        flags::<route_first>(),
        ("route_first", true, false, false, true)
    );
    assert_eq!(
        flags::<route_last>(),
        ("route_renamed", false, true, false, true)
    );
    assert_eq!(
        flags::<route_streaming>(),
        ("route_streaming", false, false, true, true)
    );

    // `#[node(start, end)]` is a graph of one node.
    let graph = Graph::new().add_node(alone).compile().unwrap();
    let result = graph.execute(json!({ "x": 1 })).await.unwrap();
    assert_eq!(result["x"], 2);

    // Routers route.
    let graph = Graph::new()
        .add_node(first)
        .add_node(route)
        .add_node(plain)
        .add_node(last)
        .add_router([first], route, [plain, last])
        .add_edge(plain, last)
        .compile()
        .unwrap();
    let result = graph.execute(json!({ "x": 2 })).await.unwrap();
    assert_eq!(result["x"], 2);
}
