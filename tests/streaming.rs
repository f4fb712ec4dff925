//! Streaming through a graph: `execute_with` puts markers around streaming
//! nodes, reports a failure as one error event, always ends the stream, and
//! stops (never hangs) when the consumer goes away.

use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use graphai::{
    Callback, CallbackError, CompiledGraph, EventType, GraphError, GraphEvent, Value, json, node,
};

/// Runs `future`, failing the test if it takes more than ten seconds.
async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("timed out: the run or its stream hung")
}

mod chain {
    use super::*;

    #[node(start)]
    pub async fn receive() -> Value {
        json!({ "text": "Hello world" })
    }

    /// Streams the text word by word.
    #[node(stream)]
    pub async fn writer(text: String, callback: Callback) -> graphai::Result<Value> {
        for (i, word) in text.split(' ').enumerate() {
            let token = if i == 0 {
                word.to_owned()
            } else {
                format!(" {word}")
            };
            callback.acall(token).await?;
        }
        Ok(json!({ "written": true }))
    }

    #[node(end)]
    pub async fn finish(written: bool) -> Value {
        json!({ "done": written })
    }

    pub fn graph() -> CompiledGraph {
        graphai::Graph::new()
            .add_node(receive)
            .add_node(writer)
            .add_node(finish)
            .add_edge(receive, writer)
            .add_edge(writer, finish)
            .compile()
            .expect("compiles")
    }
}

#[tokio::test]
async fn markers_surround_streaming_nodes_exactly_as_in_graphai() {
    let graph = chain::graph();
    let callback = Callback::new();
    let consumer = tokio::spawn(callback.aiter().unwrap().collect::<Vec<String>>());
    let result = within(graph.execute_with(json!({}), &callback))
        .await
        .unwrap();
    assert_eq!(result["done"], true);
    // graphai-lib 0.0.12: the same graph (receive -> writer(stream=True) -> finish)
    // run with `execute(input, callback=cb)` while a task reads `cb.aiter()`.
    let python = [
        "<graphai:writer:start:>",
        "<graphai:writer:>",
        "Hello",
        " world",
        "<graphai:writer:end:>",
        "<graphai:END:>",
    ];
    assert_eq!(within(consumer).await.unwrap(), python);
    assert!(callback.is_closed(), "execute_with closes the callback");
}

#[tokio::test]
async fn the_event_view_of_a_run_names_the_node_of_every_event() {
    let graph = chain::graph();
    let callback = Callback::builder().identifier("run-7").build().unwrap();
    let consumer = tokio::spawn(callback.events().unwrap().collect::<Vec<GraphEvent>>());
    within(graph.execute_with(json!({}), &callback))
        .await
        .unwrap();
    let events = within(consumer).await.unwrap();
    let seen: Vec<(&str, Option<&str>, Option<&str>)> = events
        .iter()
        .map(|e| (e.r#type.as_str(), e.token.as_deref(), e.node.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            ("start_node", Some("writer"), Some("writer")),
            ("callback", Some("Hello"), Some("writer")),
            ("callback", Some(" world"), Some("writer")),
            ("end_node", Some("writer"), Some("writer")),
            ("end", None, None),
        ]
    );
    assert!(events.iter().all(|e| e.identifier == "run-7"));
}

mod failing {
    use super::*;

    #[node(start, stream)]
    pub async fn flaky(callback: Callback) -> graphai::Result<Value> {
        callback.acall("partial").await?;
        Err("the model went away".into())
    }

    #[node(end)]
    pub async fn after() -> Value {
        json!({})
    }

    pub fn graph() -> CompiledGraph {
        graphai::Graph::new()
            .add_node(flaky)
            .add_node(after)
            .add_edge(flaky, after)
            .compile()
            .expect("compiles")
    }
}

#[tokio::test]
async fn a_failed_run_sends_one_error_event_then_the_end() {
    let graph = failing::graph();
    let callback = Callback::new();
    let consumer = tokio::spawn(callback.aiter().unwrap().collect::<Vec<String>>());
    let err = within(graph.execute_with(json!({}), &callback))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GraphError::Node { node, .. } if node == "flaky"),
        "{err:?}"
    );
    assert_eq!(
        within(consumer).await.unwrap(),
        [
            "<graphai:flaky:start:>",
            "<graphai:flaky:>",
            "partial",
            "<graphai:error:message=node `flaky` failed: the model went away,node=flaky>",
            "<graphai:END:>",
        ],
        "no end marker for the failed node, one error, then the end"
    );

    let callback = Callback::new();
    let consumer = tokio::spawn(callback.events().unwrap().collect::<Vec<GraphEvent>>());
    within(graph.execute_with(json!({}), &callback))
        .await
        .unwrap_err();
    let events = within(consumer).await.unwrap();
    let errors: Vec<&GraphEvent> = events
        .iter()
        .filter(|e| e.r#type == EventType::Error)
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].node.as_deref(), Some("flaky"));
    assert_eq!(
        errors[0].params.clone().map(Value::from),
        Some(json!({ "message": "node `flaky` failed: the model went away", "node": "flaky" }))
    );
    assert_eq!(events.last().map(|e| &e.r#type), Some(&EventType::End));
}

#[tokio::test]
async fn a_run_that_fails_before_any_node_still_ends_the_stream() {
    let graph = chain::graph();
    let callback = Callback::new();
    let consumer = tokio::spawn(callback.aiter().unwrap().collect::<Vec<String>>());
    let err = within(graph.execute_with(json!("not an object"), &callback))
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::InvalidInput { .. }), "{err:?}");
    let got = within(consumer).await.unwrap();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].starts_with("<graphai:error:message=the graph input must be a JSON object"));
    assert!(!got[0].contains(",node="), "no node to blame: {}", got[0]);
    assert_eq!(got[1], "<graphai:END:>");
}

mod chatty {
    use super::*;

    /// Sends `count` tokens, each followed by one sent from sync code when `sync` is set.
    #[node(start, end, stream)]
    pub async fn chatty(
        count: u64,
        sync: Option<bool>,
        callback: Callback,
    ) -> graphai::Result<Value> {
        for i in 0..count {
            callback.acall(i.to_string()).await?;
            if sync == Some(true) {
                callback.call("sync")?;
            }
        }
        Ok(json!({ "sent": count }))
    }

    pub fn graph() -> CompiledGraph {
        graphai::Graph::new()
            .add_node(chatty)
            .compile()
            .expect("compiles")
    }
}

#[tokio::test]
async fn streaming_nodes_under_plain_execute_never_block() {
    let graph = chatty::graph();
    let input = json!({ "count": 20_000, "sync": true });
    let result = within(graph.execute(input)).await.unwrap();
    assert_eq!(result["sent"], 20_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounded_callback_paces_the_run_to_its_consumer() {
    let graph = chatty::graph();
    let callback = Callback::builder().capacity(1).build().unwrap();
    let mut tokens = callback.aiter().unwrap();
    let run = tokio::spawn({
        let callback = callback.clone();
        async move { graph.execute_with(json!({ "count": 50 }), &callback).await }
    });
    let mut got = Vec::new();
    while let Some(token) = within(tokens.next()).await {
        got.push(token);
    }
    assert_eq!(within(run).await.unwrap().unwrap()["sent"], 50);
    let mut expected = vec![
        "<graphai:chatty:start:>".to_owned(),
        "<graphai:chatty:>".to_owned(),
    ];
    expected.extend((0..50).map(|i| i.to_string()));
    expected.extend([
        "<graphai:chatty:end:>".to_owned(),
        "<graphai:END:>".to_owned(),
    ]);
    assert_eq!(got, expected);
}

#[tokio::test]
async fn a_consumer_gone_before_the_run_fails_it_at_the_first_marker() {
    for callback in [
        Callback::new(),
        Callback::builder().capacity(1).build().unwrap(),
    ] {
        drop(callback.aiter().unwrap());
        let err = within(chain::graph().execute_with(json!({}), &callback))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "streaming callback failed at node `writer`"
        );
        match &err {
            GraphError::Callback { node, source } => {
                assert_eq!(
                    (node.as_str(), source),
                    ("writer", &CallbackError::ConsumerGone)
                );
            }
            other => panic!("expected a callback error, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_leaves_mid_stream_stops_the_run() {
    for callback in [
        Callback::new(),
        Callback::builder().capacity(2).build().unwrap(),
    ] {
        let mut tokens = callback.aiter().unwrap();
        let run = tokio::spawn({
            let callback = callback.clone();
            async move {
                chatty::graph()
                    .execute_with(json!({ "count": u64::MAX }), &callback)
                    .await
            }
        });
        for _ in 0..5 {
            within(tokens.next()).await.expect("a token");
        }
        drop(tokens);
        let err = within(run).await.unwrap().unwrap_err();
        let GraphError::Node { node, source } = &err else {
            panic!("expected the node's error, got {err:?}");
        };
        assert_eq!(node, "chatty");
        assert_eq!(
            source.downcast_ref::<CallbackError>(),
            Some(&CallbackError::ConsumerGone)
        );
    }
}

mod fan_out {
    use super::*;
    use std::time::Duration;

    #[node(start)]
    pub async fn split() -> Value {
        json!({})
    }

    async fn stream(callback: &Callback, prefix: &str) -> graphai::Result<()> {
        for i in 0..5 {
            callback.acall(format!("{prefix}{i}")).await?;
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        Ok(())
    }

    #[node(stream)]
    pub async fn left(callback: Callback) -> graphai::Result<Value> {
        stream(&callback, "L").await?;
        Ok(json!({ "left_done": true }))
    }

    #[node(stream)]
    pub async fn right(callback: Callback) -> graphai::Result<Value> {
        stream(&callback, "R").await?;
        Ok(json!({ "right_done": true }))
    }

    #[node(end)]
    pub async fn merge(left_done: bool, right_done: bool) -> Value {
        json!({ "both": left_done && right_done })
    }

    pub fn graph() -> CompiledGraph {
        graphai::Graph::new()
            .add_node(split)
            .add_node(left)
            .add_node(right)
            .add_node(merge)
            .add_parallel(split, [left, right])
            .add_join([left, right], merge)
            .compile()
            .expect("compiles")
    }
}

#[tokio::test]
async fn tokens_of_parallel_streaming_nodes_carry_their_node() {
    let graph = fan_out::graph();
    let callback = Callback::new();
    let consumer = tokio::spawn(callback.events().unwrap().collect::<Vec<GraphEvent>>());
    let result = within(graph.execute_with(json!({}), &callback))
        .await
        .unwrap();
    assert_eq!(result["both"], true);
    let events = within(consumer).await.unwrap();

    let tokens: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e.r#type == EventType::Callback)
        .map(|e| (e.token.as_deref().unwrap(), e.node.as_deref().unwrap()))
        .collect();
    assert_eq!(tokens.len(), 10);
    for (token, node) in &tokens {
        let expected = if token.starts_with('L') {
            "left"
        } else {
            "right"
        };
        assert_eq!(*node, expected, "token {token}");
    }
    let order: String = tokens.iter().map(|(t, _)| &t[..1]).collect();
    assert!(
        order.contains("LR") || order.contains("RL"),
        "the nodes ran concurrently: {order}"
    );

    for node in ["left", "right"] {
        let markers: Vec<&str> = events
            .iter()
            .filter(|e| e.node.as_deref() == Some(node) && e.r#type != EventType::Callback)
            .map(|e| e.r#type.as_str())
            .collect();
        assert_eq!(markers, ["start_node", "end_node"], "markers of `{node}`");
    }
    assert_eq!(events.last().map(|e| &e.r#type), Some(&EventType::End));
}
