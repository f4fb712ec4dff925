//! The callback queue on its own: GraphAI's exact string stream, the event
//! stream and its SSE encoding, back-pressure, and the errors of a closed or
//! abandoned stream.
//!
//! Expected strings marked "graphai-lib 0.0.12" were produced by running the
//! same calls on Python GraphAI 0.0.12's `Callback` / `EventCallback`.

use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use graphai::sse::GraphEventDecoder;
use graphai::{Callback, CallbackError, EventType, GraphEvent, json};

/// Runs `future`, failing the test if it takes more than five seconds.
async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(5), future)
        .await
        .expect("timed out: the callback stream hung")
}

async fn strings(callback: &Callback) -> Vec<String> {
    let stream = callback.aiter().expect("the stream is free");
    callback.close().await;
    within(stream.collect()).await
}

#[tokio::test]
async fn default_format_matches_graphai() {
    let callback = Callback::new();
    callback.start_node("node_a").await.unwrap();
    callback.acall("Hello").await.unwrap();
    callback.acall(" world").await.unwrap();
    callback.end_node("node_a").await.unwrap();
    // graphai-lib 0.0.12
    let python = [
        "<graphai:node_a:start:>",
        "<graphai:node_a:>",
        "Hello",
        " world",
        "<graphai:node_a:end:>",
        "<graphai:END:>",
    ];
    assert_eq!(strings(&callback).await, python);
}

#[tokio::test]
async fn custom_identifier_and_special_format_match_graphai() {
    let callback = Callback::builder()
        .identifier("myapp")
        .special_token_format("<[{identifier}|{token}|{params}]>")
        .build()
        .unwrap();
    callback.start_node("node_a").await.unwrap();
    callback.acall("Hello").await.unwrap();
    callback.end_node("node_a").await.unwrap();
    // graphai-lib 0.0.12
    let python = [
        "<[myapp|node_a:start|]>",
        "<[myapp|node_a|]>",
        "Hello",
        "<[myapp|node_a:end|]>",
        "<[myapp|END|]>",
    ];
    assert_eq!(strings(&callback).await, python);
}

#[tokio::test]
async fn more_special_formats_match_graphai() {
    // graphai-lib 0.0.12: Callback(identifier="", special_token_format="<{token}:{params}>")
    let callback = Callback::builder()
        .identifier("")
        .special_token_format("<{token}:{params}>")
        .build()
        .unwrap();
    callback.start_node("n").await.unwrap();
    callback.end_node("n").await.unwrap();
    assert_eq!(
        strings(&callback).await,
        ["<n:start:>", "<n:>", "<n:end:>", "<END:>"]
    );

    // graphai-lib 0.0.12: Callback(special_token_format="{{{identifier}}}{token}")
    let callback = Callback::builder()
        .special_token_format("{{{identifier}}}{token}")
        .build()
        .unwrap();
    callback.start_node("n").await.unwrap();
    assert_eq!(
        strings(&callback).await,
        ["{graphai}n:start", "{graphai}n", "{graphai}END"]
    );
}

#[tokio::test]
async fn token_format_is_applied_to_tokens_only() {
    // graphai-lib 0.0.12 accepts `token_format` but never applies it (its
    // stream holds "Hello"); the spec asks for it to be applied, so it is here.
    let callback = Callback::builder()
        .identifier("myapp")
        .special_token_format("<[{identifier}|{token}|{params}]>")
        .token_format("TOKEN: {token}")
        .build()
        .unwrap();
    callback.start_node("node_a").await.unwrap();
    callback.acall("Hello").await.unwrap();
    callback.call("{braces} stay").unwrap();
    callback.end_node("node_a").await.unwrap();
    assert_eq!(
        strings(&callback).await,
        [
            "<[myapp|node_a:start|]>",
            "<[myapp|node_a|]>",
            "TOKEN: Hello",
            "TOKEN: {braces} stay",
            "<[myapp|node_a:end|]>",
            "<[myapp|END|]>",
        ]
    );
}

#[tokio::test]
async fn inactive_nodes_send_no_markers_but_their_tokens_pass_as_in_graphai() {
    let callback = Callback::new();
    callback.start_node_inactive("quiet").await.unwrap();
    callback.acall("tok").await.unwrap();
    callback.end_node("quiet").await.unwrap();
    callback.start_node("b").await.unwrap();
    callback.call("sync").unwrap();
    callback.end_node("b").await.unwrap();
    // graphai-lib 0.0.12: start_node("quiet", active=False), acall("tok"),
    // end_node("quiet"), start_node("b"), callback("sync"), end_node("b"), close()
    let python = [
        "tok",
        "<graphai:b:start:>",
        "<graphai:b:>",
        "sync",
        "<graphai:b:end:>",
        "<graphai:END:>",
    ];
    assert_eq!(strings(&callback).await, python);
}

#[tokio::test]
async fn a_node_started_again_after_an_inactive_run_is_active() {
    let callback = Callback::new();
    callback.start_node_inactive("n").await.unwrap();
    callback.end_node("n").await.unwrap();
    callback.start_node_inactive("n").await.unwrap();
    callback.start_node("n").await.unwrap();
    callback.end_node("n").await.unwrap();
    assert_eq!(
        strings(&callback).await,
        [
            "<graphai:n:start:>",
            "<graphai:n:>",
            "<graphai:n:end:>",
            "<graphai:END:>"
        ]
    );
}

#[tokio::test]
async fn events_carry_type_token_and_node_and_encode_like_graphai() {
    let callback = Callback::new();
    let events = callback.events().unwrap();
    let node_a = callback.for_node("a");
    node_a.start_node("a").await.unwrap();
    node_a.acall("t").await.unwrap();
    node_a.end_node("a").await.unwrap();
    callback.close().await;
    let events: Vec<GraphEvent> = within(events.collect()).await;

    let kinds: Vec<&EventType> = events.iter().map(|e| &e.r#type).collect();
    assert_eq!(
        kinds,
        [
            &EventType::StartNode,
            &EventType::Callback,
            &EventType::EndNode,
            &EventType::End
        ]
    );
    let nodes: Vec<Option<&str>> = events.iter().map(|e| e.node.as_deref()).collect();
    assert_eq!(nodes, [Some("a"), Some("a"), Some("a"), None]);

    // graphai-lib 0.0.12: EventCallback: start_node("a"), acall("t"),
    // end_node("a"), close(), each event's `encode()`
    let python = [
        "data: {\"type\":\"start_node\",\"identifier\":\"graphai\",\"token\":\"a\",\"params\":null}\n\n",
        "data: {\"type\":\"callback\",\"identifier\":\"graphai\",\"token\":\"t\",\"params\":null}\n\n",
        "data: {\"type\":\"end_node\",\"identifier\":\"graphai\",\"token\":\"a\",\"params\":null}\n\n",
        "data: {\"type\":\"end\",\"identifier\":\"graphai\",\"token\":null,\"params\":null}\n\n",
    ];
    for (event, python) in events.iter().zip(python) {
        let node = match &event.node {
            Some(node) => format!("\"{node}\""),
            None => "null".to_owned(),
        };
        let expected = python.replace("}\n\n", &format!(",\"node\":{node}}}\n\n"));
        assert_eq!(event.to_sse(), expected);
    }
}

#[tokio::test]
async fn tokens_of_interleaved_nodes_carry_their_node() {
    let callback = Callback::new();
    let events = callback.events().unwrap();
    let (a, b) = (callback.for_node("a"), callback.for_node("b"));
    assert_eq!(
        (a.node(), b.node(), callback.node()),
        (Some("a"), Some("b"), None)
    );
    let send = |cb: Callback, words: &'static [&'static str]| async move {
        for word in words {
            cb.acall(*word).await.unwrap();
            tokio::task::yield_now().await;
        }
    };
    tokio::join!(send(a, &["a1", "a2", "a3"]), send(b, &["b1", "b2", "b3"]));
    callback.call("untagged").unwrap();
    callback.close().await;
    let events: Vec<GraphEvent> = within(events.collect()).await;
    let tagged: Vec<(String, Option<String>)> = events
        .into_iter()
        .filter(|e| e.r#type == EventType::Callback)
        .map(|e| (e.token.unwrap(), e.node))
        .collect();
    assert_eq!(tagged.len(), 7);
    assert!(
        tagged[..2]
            != [
                ("a1".into(), Some("a".into())),
                ("a2".into(), Some("a".into()))
            ],
        "the two nodes interleave"
    );
    for (token, node) in &tagged {
        let expected = match &token[..1] {
            "a" => Some("a"),
            "b" => Some("b"),
            _ => None,
        };
        assert_eq!(node.as_deref(), expected, "token {token}");
    }
}

#[tokio::test]
async fn emit_sends_custom_events_in_both_views() {
    let callback = Callback::new();
    let events = callback.events().unwrap();
    let node = callback.for_node("agent");
    node.emit(
        GraphEvent::new("tool_call")
            .with_token("search")
            .with_param("query", "rust"),
    )
    .await
    .unwrap();
    node.emit(
        GraphEvent::new("note")
            .with_identifier("other")
            .with_node("elsewhere"),
    )
    .await
    .unwrap();
    let err = callback
        .emit(GraphEvent::new(EventType::End))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`emit` cannot send an `end` event: the end of the stream is sent by `close()`"
    );
    callback.close().await;
    let events: Vec<GraphEvent> = within(events.collect()).await;
    assert_eq!(events.len(), 3);
    assert_eq!(
        events[0],
        GraphEvent::new("tool_call")
            .with_identifier("graphai")
            .with_token("search")
            .with_param("query", "rust")
            .with_node("agent")
    );
    assert_eq!(
        (events[1].identifier.as_str(), events[1].node.as_deref()),
        ("other", Some("elsewhere")),
        "what the event sets is kept"
    );

    let callback = Callback::new();
    callback
        .emit(
            GraphEvent::new("tool_call")
                .with_token("search")
                .with_param("query", "rust"),
        )
        .await
        .unwrap();
    callback
        .emit(GraphEvent::new("progress").with_param("done", 3))
        .await
        .unwrap();
    assert_eq!(
        strings(&callback).await,
        [
            "<graphai:tool_call:search:query=rust>",
            "<graphai:progress:done=3>",
            "<graphai:END:>"
        ]
    );
}

#[tokio::test]
async fn events_round_trip_through_sse_in_any_chunks() {
    let callback = Callback::new();
    let events = callback.events().unwrap();
    let node = callback.for_node("writer");
    node.start_node("writer").await.unwrap();
    for token in [
        "plain",
        "line\nbreak",
        "crlf\r\nend",
        "lone\rcr",
        "\n\n",
        "data: not a field",
        "h\u{e9}llo w\u{f6}rld \u{4f60}\u{597d} \u{1F680}",
        "",
    ] {
        node.acall(token).await.unwrap();
    }
    node.emit(
        GraphEvent::new("meta").with_params(
            json!({"nested": {"list": [1, "\u{e9}"]}, "quote": "\"q\""})
                .as_object()
                .unwrap()
                .clone(),
        ),
    )
    .await
    .unwrap();
    node.end_node("writer").await.unwrap();
    callback.close().await;
    let events: Vec<GraphEvent> = within(events.collect()).await;

    let body: String = events.iter().map(GraphEvent::to_sse).collect();
    assert!(
        body.contains("h\u{e9}llo w\u{f6}rld \u{4f60}\u{597d} \u{1F680}"),
        "non-ASCII is kept"
    );
    for frame in body.split_terminator("\n\n") {
        assert!(
            frame.starts_with("data: {") && !frame.contains(['\n', '\r']),
            "{frame:?}"
        );
    }
    let bytes = body.as_bytes();
    for chunk_size in [1, 2, 3, 5, 7, 64, bytes.len()] {
        let mut decoder = GraphEventDecoder::new();
        let decoded: Vec<GraphEvent> = bytes
            .chunks(chunk_size)
            .flat_map(|chunk| decoder.push(chunk))
            .collect::<Result<_, _>>()
            .expect("valid frames");
        decoder.finish().expect("the body ends after a frame");
        assert_eq!(decoded, events, "chunks of {chunk_size} bytes");
    }
    for event in &events {
        assert_eq!(GraphEvent::from_sse(&event.to_sse()).as_ref(), Ok(event));
    }
}

#[tokio::test]
async fn bounded_acall_waits_until_the_consumer_reads() {
    let callback = Callback::builder().capacity(1).build().unwrap();
    assert_eq!(callback.capacity(), Some(1));
    let mut tokens = callback.aiter().unwrap();
    within(callback.acall("first")).await.unwrap();

    let mut second = Box::pin(callback.acall("second"));
    assert!(
        futures::poll!(second.as_mut()).is_pending(),
        "the queue is full"
    );
    assert!(futures::poll!(second.as_mut()).is_pending(), "still full");
    assert_eq!(within(tokens.next()).await.as_deref(), Some("first"));
    within(second).await.expect("room was made");

    callback.close().await;
    assert_eq!(within(tokens.next()).await.as_deref(), Some("second"));
    assert_eq!(
        within(tokens.next()).await.as_deref(),
        Some("<graphai:END:>")
    );
    assert_eq!(within(tokens.next()).await, None);
}

#[tokio::test]
async fn bounded_producer_and_consumer_on_separate_tasks() {
    let callback = Callback::builder().capacity(2).build().unwrap();
    let tokens = callback.aiter().unwrap();
    let producer = {
        let callback = callback.for_node("p");
        tokio::spawn(async move {
            for i in 0..100 {
                callback.acall(i.to_string()).await?;
            }
            callback.close().await;
            Ok::<(), CallbackError>(())
        })
    };
    let got: Vec<String> = within(tokens.collect()).await;
    within(producer).await.unwrap().unwrap();
    let mut expected: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    expected.push("<graphai:END:>".into());
    assert_eq!(got, expected);
}

#[tokio::test]
async fn call_on_a_full_bounded_queue_is_a_full_error() {
    let callback = Callback::builder().capacity(2).build().unwrap();
    let mut tokens = callback.aiter().unwrap();
    callback.call("a").unwrap();
    callback.call("b").unwrap();
    let err = callback.call("c").unwrap_err();
    assert_eq!(err, CallbackError::Full { capacity: 2 });
    assert_eq!(
        err.to_string(),
        "the callback queue is full (2 events wait for the consumer): use `acall(..).await` to wait for room, or raise `capacity`"
    );
    assert_eq!(within(tokens.next()).await.as_deref(), Some("a"));
    callback.call("d").expect("room again");
    callback.close().await;
    let rest: Vec<String> = within(tokens.collect()).await;
    assert_eq!(
        rest,
        ["b", "d", "<graphai:END:>"],
        "the refused token was not sent"
    );
}

#[tokio::test]
async fn a_dropped_consumer_makes_sends_fail_unbounded() {
    let callback = Callback::new();
    drop(callback.aiter().unwrap());
    let gone = CallbackError::ConsumerGone;
    assert_eq!(within(callback.acall("x")).await, Err(gone.clone()));
    assert_eq!(callback.call("x"), Err(gone.clone()));
    assert_eq!(within(callback.start_node("n")).await, Err(gone.clone()));
    assert_eq!(
        within(callback.emit(GraphEvent::new("x"))).await,
        Err(gone.clone())
    );
    assert_eq!(
        gone.to_string(),
        "the consumer of the callback stream went away: nobody reads its tokens any more, so streaming stops here"
    );
    within(callback.close()).await;
}

#[tokio::test]
async fn a_dropped_consumer_makes_sends_fail_bounded_even_while_waiting() {
    let callback = Callback::builder().capacity(1).build().unwrap();
    let events = callback.events().unwrap();
    callback.acall("fills the queue").await.unwrap();
    let waiting = tokio::spawn({
        let callback = callback.clone();
        async move { callback.acall("waits for room").await }
    });
    tokio::task::yield_now().await;
    drop(events);
    assert_eq!(
        within(waiting).await.unwrap(),
        Err(CallbackError::ConsumerGone),
        "the waiting producer is released"
    );
    assert_eq!(
        within(callback.acall("x")).await,
        Err(CallbackError::ConsumerGone)
    );
    assert_eq!(callback.call("x"), Err(CallbackError::ConsumerGone));
}

#[tokio::test]
async fn everything_after_close_is_an_error_and_close_is_idempotent() {
    let callback = Callback::new();
    let tokens = callback.aiter().unwrap();
    callback.acall("before").await.unwrap();
    callback.close().await;
    callback.close().await;
    assert!(callback.is_closed());
    let closed = |action: &str| {
        Err(CallbackError::Closed {
            action: action.to_owned(),
        })
    };
    assert_eq!(callback.acall("x").await, closed("send a token"));
    assert_eq!(callback.call("x"), closed("send a token"));
    assert_eq!(callback.start_node("n").await, closed("start node `n`"));
    assert_eq!(
        callback.start_node_inactive("n").await,
        closed("start node `n`")
    );
    assert_eq!(callback.end_node("n").await, closed("end node `n`"));
    assert_eq!(
        callback.for_node("n").emit(GraphEvent::new("tool")).await,
        closed("emit a `tool` event")
    );
    assert_eq!(
        callback.acall("x").await.unwrap_err().to_string(),
        "cannot send a token: the callback stream is closed (the run ended or `close()` was called)"
    );
    let got: Vec<String> = within(tokens.collect()).await;
    assert_eq!(
        got,
        ["before", "<graphai:END:>"],
        "one end, after what was sent"
    );
}

#[tokio::test]
async fn the_stream_ends_when_every_handle_is_dropped_without_close() {
    let callback = Callback::new();
    let tokens = callback.aiter().unwrap();
    callback.for_node("a").acall("x").await.unwrap();
    drop(callback);
    let got: Vec<String> = within(tokens.collect()).await;
    assert_eq!(got, ["x", "<graphai:END:>"]);
}

#[tokio::test]
async fn a_consumer_on_another_task_sees_everything_then_the_end() {
    let callback = Callback::new();
    let consumer = tokio::spawn({
        let tokens = callback.aiter().unwrap();
        async move { tokens.collect::<Vec<String>>().await }
    });
    callback.start_node("a").await.unwrap();
    for word in ["one", "two"] {
        callback.acall(word).await.unwrap();
        tokio::task::yield_now().await;
    }
    callback.end_node("a").await.unwrap();
    callback.close().await;
    assert_eq!(
        within(consumer).await.unwrap(),
        [
            "<graphai:a:start:>",
            "<graphai:a:>",
            "one",
            "two",
            "<graphai:a:end:>",
            "<graphai:END:>"
        ]
    );
}

#[test]
fn the_stream_can_be_taken_once() {
    let callback = Callback::new();
    let _events = callback.events().unwrap();
    let err = callback.aiter().unwrap_err();
    assert_eq!(err, CallbackError::AlreadyTaken { by: "events" });
    assert_eq!(
        err.to_string(),
        "the callback stream was already taken by `events()`: a callback has one consumer, which reads either `aiter()` or `events()`, once"
    );
    assert_eq!(
        callback.clone().events().unwrap_err(),
        CallbackError::AlreadyTaken { by: "events" },
        "clones share the one stream"
    );

    let callback = Callback::new();
    drop(callback.aiter().unwrap());
    assert_eq!(
        callback.aiter().unwrap_err(),
        CallbackError::AlreadyTaken { by: "aiter" }
    );
}

#[test]
fn bad_formats_fail_at_build_naming_the_problem() {
    let err = Callback::builder()
        .special_token_format("<{identifier}:{bogus}>")
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid `special_token_format` \"<{identifier}:{bogus}>\": unknown placeholder `{bogus}`: use `{identifier}`, `{token}`, `{params}` (write `{{` and `}}` for literal braces)"
    );

    let err = Callback::builder()
        .token_format("{identifier} {token}")
        .build()
        .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "invalid `token_format` \"{identifier} {token}\": unknown placeholder `{identifier}`: use `{token}`"
        ),
        "{err}"
    );

    let err = Callback::builder()
        .special_token_format("<{token>")
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, CallbackError::InvalidFormat { option: "special_token_format", reason, .. } if reason.contains("never closed")),
        "{err}"
    );

    let err = Callback::builder()
        .token_format("token}")
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, CallbackError::InvalidFormat { option: "token_format", reason, .. } if reason.starts_with("unmatched `}`")),
        "{err}"
    );

    let err = Callback::builder().capacity(0).build().unwrap_err();
    assert_eq!(
        err.to_string(),
        "`capacity(0)` would never accept a token: give a capacity of at least 1"
    );
}

#[test]
fn a_tight_acall_loop_lets_the_consumer_run_on_a_single_thread() {
    // A producer that never waits would starve a current-thread runtime, and
    // a timeout inside it could never fire; so the runtime runs on its own
    // thread and this thread fails the test if it does not finish in time.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let outcome = runtime.block_on(async {
            let callback = Callback::new();
            let mut tokens = callback.aiter().unwrap();
            let producer = tokio::spawn(async move {
                let mut sent = 0_u64;
                loop {
                    if let Err(err) = callback.acall("token").await {
                        return (sent, err);
                    }
                    sent += 1;
                }
            });
            for _ in 0..5 {
                tokens.next().await.expect("a token");
            }
            drop(tokens);
            producer.await.expect("the producer ends")
        });
        let _ = done.send(outcome);
    });
    let (sent, err) = finished
        .recv_timeout(Duration::from_secs(10))
        .expect("timed out: the producer starved the consumer");
    assert!(sent >= 5);
    assert_eq!(err, CallbackError::ConsumerGone);
}
