//! Unit tests of the callback queue.

use super::*;
use futures::StreamExt;
use std::time::Duration;

async fn within<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(5), future)
        .await
        .expect("timed out")
}

/// An error with an optional source, like `GraphError::Node`.
#[derive(Debug)]
struct Failure(&'static str, Option<Box<Failure>>);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.1.as_deref().map(|e| e as _)
    }
}

fn failure(message: &'static str, source: Option<Failure>) -> Failure {
    Failure(message, source.map(Box::new))
}

#[tokio::test]
async fn discard_accepts_everything_without_blocking_and_has_no_stream() {
    let callback = Callback::discard().for_node("n");
    for i in 0..10_000 {
        within(callback.acall(i.to_string())).await.unwrap();
        callback.call("sync").unwrap();
    }
    within(callback.start_node("n")).await.unwrap();
    within(callback.emit(GraphEvent::new("x"))).await.unwrap();
    within(callback.end_node("n")).await.unwrap();
    assert_eq!(callback.aiter().unwrap_err(), CallbackError::NoStream);
    assert_eq!(callback.events().unwrap_err(), CallbackError::NoStream);
    callback.close().await;
    assert!(matches!(
        callback.acall("late").await,
        Err(CallbackError::Closed { .. })
    ));
}

#[tokio::test]
async fn a_run_error_comes_after_the_tokens_and_before_the_end() {
    let callback = Callback::builder().capacity(1).build().unwrap();
    let tokens = callback.aiter().unwrap();
    callback.for_node("a").acall("partial").await.unwrap();
    // The queue is full and nobody reads yet: recording the error must not wait.
    callback.send_error(&failure("node `a` failed", None), Some("a"));
    callback.close().await;
    callback.send_error(&failure("ignored once closed", None), None);
    let got: Vec<String> = within(tokens.collect()).await;
    assert_eq!(
        got,
        [
            "partial",
            "<graphai:error:message=node `a` failed,node=a>",
            "<graphai:END:>"
        ]
    );
}

#[tokio::test]
async fn a_run_error_is_one_error_event_with_message_and_node() {
    let callback = Callback::new();
    let events = callback.events().unwrap();
    let cause = failure("boom", Some(failure("the root cause", None)));
    callback.send_error(&failure("the input must be an object", None), None);
    callback.close().await;
    let events: Vec<GraphEvent> = within(events.collect()).await;
    assert_eq!(
        events,
        [
            GraphEvent::new(EventType::Error)
                .with_identifier("graphai")
                .with_param("message", "the input must be an object"),
            GraphEvent::new(EventType::End).with_identifier("graphai"),
        ]
    );
    let callback = Callback::new();
    let events = callback.events().unwrap();
    callback.send_error(&failure("node `b` failed", Some(cause)), Some("b"));
    callback.close().await;
    let events: Vec<GraphEvent> = within(events.collect()).await;
    assert_eq!(events[0].node.as_deref(), Some("b"));
    assert_eq!(
        events[0].params.as_ref().unwrap()["message"],
        "node `b` failed: boom: the root cause",
        "the message carries the error's sources"
    );
    assert_eq!(events[0].params.as_ref().unwrap()["node"], "b");
}

#[test]
fn debug_shows_the_configuration() {
    let callback = Callback::builder()
        .identifier("app")
        .capacity(3)
        .build()
        .unwrap()
        .for_node("n");
    assert_eq!(
        format!("{callback:?}"),
        "Callback { identifier: \"app\", node: Some(\"n\"), capacity: Some(3), discard: false, closed: false }"
    );
}

#[tokio::test]
async fn tokens_are_attributed_to_their_node_also_when_a_node_joins_mid_stream() {
    let callback = Callback::new();
    let mut events = callback.events().unwrap();
    let (a, b) = (callback.for_node("a"), callback.for_node("b"));
    a.acall("1").await.unwrap();
    b.acall("2").await.unwrap();
    // Read before `c` exists: the stream learns its name later.
    let first = within(events.next()).await.unwrap();
    let c = callback.for_node("c");
    c.acall("3").await.unwrap();
    // The same name twice is one tag.
    callback.for_node("a").acall("4").await.unwrap();
    callback.acall("5").await.unwrap();
    callback.close().await;
    let mut seen = vec![first];
    while let Some(event) = within(events.next()).await {
        seen.push(event);
    }
    let attributed: Vec<(Option<&str>, Option<&str>)> = seen
        .iter()
        .filter(|event| event.r#type == EventType::Callback)
        .map(|event| (event.token.as_deref(), event.node.as_deref()))
        .collect();
    assert_eq!(
        attributed,
        [
            (Some("1"), Some("a")),
            (Some("2"), Some("b")),
            (Some("3"), Some("c")),
            (Some("4"), Some("a")),
            (Some("5"), None),
        ]
    );
    assert_eq!(c.node(), Some("c"));
    assert_eq!(
        callback.shared.names.snapshot().len(),
        3,
        "one name per node"
    );
}
