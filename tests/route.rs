//! `graphai::Route`: a router's answer by value. Every path a run can take
//! (called in place, beside others, under a policy, recorded in a
//! checkpoint, resumed) must treat it as the JSON answer it stands for.

use std::sync::Arc;

use graphai::checkpoint::{CheckpointStore, MemoryStore};
use graphai::{CompiledGraph, Graph, Map, Route, RunOutcome, Value, json, node, router};

mod nodes {
    use super::*;

    #[node(start)]
    pub async fn begin(to: Value) -> Value {
        json!({ "to": to })
    }

    /// Answers in JSON: `choice` for a name, `choices` for a list.
    #[router(name = "pick")]
    pub async fn pick_json(to: Value) -> Value {
        match to {
            Value::Array(_) => json!({ "choices": to }),
            _ => json!({ "choice": to }),
        }
    }

    /// The `Route` for `to`: every name of a list, or the one name.
    fn route_for(to: Value) -> Route {
        match to {
            Value::Array(names) => Route::all(
                names
                    .into_iter()
                    .map(|name| name.as_str().unwrap_or_default().to_owned()),
            ),
            Value::String(name) => Route::to(name),
            _ => Route::to(""),
        }
    }

    /// Answers the same with a `Route`.
    #[router(name = "pick")]
    pub async fn pick_route(to: Value) -> Route {
        route_for(to)
    }

    /// The same with retries: the run takes the general path, not the quick one.
    #[router(name = "pick", retries = 2)]
    pub async fn pick_route_with_policy(to: Value) -> graphai::Result<Route> {
        Ok(route_for(to))
    }

    #[node(end)]
    pub async fn one() -> Value {
        json!({ "one": true })
    }

    #[node(end)]
    pub async fn two() -> Value {
        json!({ "two": true })
    }
}

use nodes::*;

/// The graph with `router` as its router; checkpointed when `store` is given.
fn graph(router: fn() -> graphai::NodeDef, store: Option<Arc<MemoryStore>>) -> CompiledGraph {
    let mut graph = Graph::new();
    if let Some(store) = store {
        graph = graph.checkpointer(store);
    }
    graph
        .add_node(begin)
        .add_node(router)
        .add_node(one)
        .add_node(two)
        .add_router([begin], "pick", [one, two])
        .compile()
        .expect("compiles")
}

/// What a run with input `to` gives: its state, or its error's message.
async fn outcome(
    graph: &CompiledGraph,
    to: &Value,
    thread: Option<&str>,
) -> Result<Map<String, Value>, String> {
    let run = graph.run(json!({ "to": to }));
    let run = match thread {
        Some(thread) => run.thread(thread),
        None => run,
    };
    run.execute().await.map_err(|error| error.to_string())
}

fn answers() -> Vec<Value> {
    vec![
        json!("one"),
        json!("two"),
        json!(["one", "two"]),
        json!(["two"]),
        json!("nowhere"),
        json!(["one", "one"]),
        json!([]),
    ]
}

#[tokio::test]
async fn a_route_goes_where_the_json_answer_it_stands_for_goes() {
    let by_json = graph(pick_json, None);
    for router in [pick_route, pick_route_with_policy] {
        let by_route = graph(router, None);
        for to in answers() {
            let expected = outcome(&by_json, &to, None).await;
            assert_eq!(outcome(&by_route, &to, None).await, expected, "answer {to}");
        }
    }
    // The answers themselves: the runs above compare like with like.
    assert_eq!(
        outcome(&by_json, &json!("one"), None).await,
        Ok(graphai::Map::from_iter([
            ("to".to_owned(), json!("one")),
            ("one".to_owned(), json!(true)),
        ]))
    );
    let fanned = outcome(&by_json, &json!(["one", "two"]), None)
        .await
        .expect("a fan-out");
    assert_eq!(
        (&fanned["one"], &fanned["two"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(
        outcome(&by_json, &json!("nowhere"), None).await,
        Err(
            "router `pick` chose `nowhere`, which is not one of its destinations: `one`, `two`"
                .to_owned()
        )
    );
}

#[tokio::test]
async fn a_checkpointed_route_is_recorded_and_resumed_as_its_json_answer() {
    for (n, to) in answers().into_iter().enumerate() {
        let thread = format!("t{n}");
        let mut results = Vec::new();
        for router in [pick_json, pick_route] {
            let store = Arc::new(MemoryStore::new());
            let graph = graph(router, Some(store.clone()));
            results.push(outcome(&graph, &to, Some(&thread)).await);
            let history = store.history(&thread).await.expect("a history");
            results.push(Ok(Map::from_iter([(
                "checkpoints".to_owned(),
                json!(history.len()),
            )])));
        }
        assert_eq!(results[0..2], results[2..4], "answer {to}");
    }
    // Stopped before the chosen node and resumed from the store.
    for router in [pick_json, pick_route] {
        let store = Arc::new(MemoryStore::new());
        let graph = Graph::new()
            .checkpointer(store)
            .interrupt_before(two)
            .add_node(begin)
            .add_node(router)
            .add_node(one)
            .add_node(two)
            .add_router([begin], "pick", [one, two])
            .compile()
            .expect("compiles");
        let stopped = graph
            .run(json!({ "to": "two" }))
            .thread("stop")
            .outcome()
            .await
            .expect("runs");
        assert!(
            matches!(&stopped, RunOutcome::Interrupted { node, .. } if node == "two"),
            "{stopped:?}"
        );
        let done = graph.resume("stop").execute().await.expect("resumes");
        assert_eq!(done["two"], true);
        assert!(!done.contains_key("choice"), "{done:?}");
    }
}

mod typed {
    use super::*;

    #[node(start)]
    pub async fn ask(question: String) -> Value {
        json!({ "question": question })
    }

    /// Names its destinations by type: a misspelt node does not compile.
    #[router]
    pub async fn triage(question: String) -> Route {
        if question.ends_with('?') {
            Route::node::<search>()
        } else {
            Route::node::<note>()
        }
    }

    #[node(end)]
    pub async fn search(question: String) -> Value {
        json!({ "found": question })
    }

    #[node(end)]
    pub async fn note(question: String) -> Value {
        json!({ "noted": question })
    }

    /// Not a router: its `Route` is output like any other value.
    #[node(end)]
    pub async fn plain() -> Route {
        Route::to("elsewhere")
    }
}

#[tokio::test]
async fn route_node_names_the_destination_by_its_type() {
    use typed::*;
    let graph = Graph::new()
        .add_node(ask)
        .add_node(triage)
        .add_node(search)
        .add_node(note)
        .add_router([ask], triage, [search, note])
        .compile()
        .expect("compiles");
    let found = graph
        .execute(json!({ "question": "why?" }))
        .await
        .expect("runs");
    assert_eq!(found["found"], "why?");
    let noted = graph
        .execute(json!({ "question": "because" }))
        .await
        .expect("runs");
    assert_eq!(noted["noted"], "because");
    assert!(!noted.contains_key("choice"), "{noted:?}");
}

#[tokio::test]
async fn a_route_from_a_node_that_is_not_a_router_is_its_output() {
    let graph = Graph::new()
        .add_node(typed::ask)
        .add_node(typed::plain)
        .add_edge(typed::ask, typed::plain)
        .compile()
        .expect("compiles");
    let result = graph
        .execute(json!({ "question": "?" }))
        .await
        .expect("runs");
    assert_eq!(result["choice"], "elsewhere");
}
