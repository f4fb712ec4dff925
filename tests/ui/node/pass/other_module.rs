//! Nodes defined in another module are used by path.

mod tools {
    use graphai::{Value, json, node};

    /// Searches.
    #[node(start)]
    pub async fn search(query: String) -> Value {
        json!({ "results": [query] })
    }

    #[node(end)]
    pub(crate) async fn answer(results: Vec<String>) -> Value {
        json!({ "answer": results.join(",") })
    }
}

use graphai::{Graph, Node, json};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let graph = Graph::new()
        .add_node(tools::search)
        .add_node(tools::answer)
        .add_edge(tools::search, tools::answer)
        .compile()
        .unwrap();
    let result = graph.execute(json!({ "query": "q" })).await.unwrap();
    assert_eq!(result["answer"], "q");
    assert_eq!(<tools::search as Node>::DOC, "Searches.");
    assert_eq!(tools::search::call("x".into()).await["results"][0], "x");
}
