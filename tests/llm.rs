//! The `openai` feature's `ChatClient` against a mock OpenAI server (axum on
//! 127.0.0.1, started inside each test) that streams chunks the way the
//! OpenAI API does, plus ignored tests against a real local model.
//!
//! Run with `cargo test --features openai --test llm`.

#[path = "llm/local.rs"]
mod local;
#[path = "support/mock_openai.rs"]
mod mock_openai;
#[path = "llm/spans.rs"]
mod spans;
#[path = "llm/tools.rs"]
mod tools;

use axum::http::StatusCode;
use futures::StreamExt;
use graphai::llm::{ChatClient, LlmError, Message};
use graphai::{Callback, CallbackError, Graph, GraphError, Value, json, node};

use mock_openai::{ANSWERING_MODEL, Piece, Reply, Server, frame, tokens_of, within};

fn first() -> Piece {
    Piece::Bytes(frame(json!({ "role": "assistant", "content": "" }), None).into_bytes())
}

fn content(text: &str) -> Piece {
    Piece::Bytes(frame(json!({ "content": text }), None).into_bytes())
}

fn stop() -> Piece {
    Piece::Bytes(frame(json!({}), Some("stop")).into_bytes())
}

fn done() -> Piece {
    Piece::Bytes(b"data: [DONE]\n\n".to_vec())
}

/// A whole answer, streamed as OpenAI does, then `[DONE]`.
fn answer(tokens: &[&str]) -> Vec<Piece> {
    let mut pieces = vec![first()];
    pieces.extend(tokens.iter().map(|token| content(token)));
    pieces.extend([stop(), done()]);
    pieces
}

#[tokio::test]
async fn tokens_reach_the_callback_and_the_reply_is_whole() {
    let server = Server::start(Reply::Stream(answer(&["Hello", ",", " world"]))).await;
    let client = server.client().with_api_key("sk-test");
    let callback = Callback::new();
    let stream = callback.aiter().expect("free stream");

    let messages = [Message::system("Be brief."), Message::user("Say hello")];
    let reply = within(client.stream_chat(&messages, &callback))
        .await
        .expect("a complete reply");

    assert_eq!(reply.text, "Hello, world");
    assert_eq!(reply.finish_reason.as_deref(), Some("stop"));
    assert_eq!(reply.model.as_deref(), Some(ANSWERING_MODEL));
    assert_eq!(reply.usage, None, "the turn reported no usage");
    assert!(reply.tool_calls.is_empty());
    assert_eq!(
        tokens_of(&callback, stream).await,
        ["Hello", ",", " world", "<graphai:END:>"],
        "the role-only first chunk and the empty stop chunk send no token"
    );

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer sk-test"));
    assert_eq!(seen[0].accept.as_deref(), Some("text/event-stream"));
    assert_eq!(
        seen[0].body,
        json!({
            "model": "mock-model",
            "messages": [
                { "role": "system", "content": "Be brief." },
                { "role": "user", "content": "Say hello" },
            ],
            "stream": true,
            "stream_options": { "include_usage": true },
        })
    );
}

#[tokio::test]
async fn a_character_split_across_two_tcp_writes_arrives_whole() {
    let frame = frame(json!({ "content": "caf\u{e9} \u{1F600}!" }), None).into_bytes();
    let emoji = frame
        .windows(4)
        .position(|w| w == "\u{1F600}".as_bytes())
        .expect("the emoji is in the frame");
    let (head, tail) = frame.split_at(emoji + 2); // two of its four bytes in each write
    let pieces = vec![
        first(),
        Piece::Bytes(head.to_vec()),
        Piece::Bytes(tail.to_vec()),
        // And a two-byte character split at the end of a write, in the next frame.
        Piece::Bytes(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" \xc3".to_vec()),
        Piece::Bytes(b"\xa9t\xc3\xa9\"},\"finish_reason\":null}]}\n\n".to_vec()),
        stop(),
        done(),
    ];
    let server = Server::start(Reply::Stream(pieces)).await;
    let callback = Callback::new();
    let stream = callback.aiter().expect("free stream");

    let reply = within(
        server
            .client()
            .stream_chat(&[Message::user("hi")], &callback),
    )
    .await
    .expect("a complete reply");

    assert_eq!(reply.text, "caf\u{e9} \u{1F600}! \u{e9}t\u{e9}");
    assert_eq!(
        tokens_of(&callback, stream).await,
        ["caf\u{e9} \u{1F600}!", " \u{e9}t\u{e9}", "<graphai:END:>"]
    );
}

#[tokio::test]
async fn done_ends_the_reply_without_waiting_for_the_connection_to_close() {
    let mut pieces = answer(&["fast"]);
    pieces.push(Piece::Hang);
    let server = Server::start(Reply::Stream(pieces)).await;
    let reply = within(
        server
            .client()
            .stream_chat(&[Message::user("hi")], &Callback::new()),
    )
    .await
    .expect("`[DONE]` ends the reply");
    assert_eq!(reply.text, "fast");
}

#[tokio::test]
async fn an_error_status_carries_the_servers_message() {
    let server = Server::start(Reply::Status(
        StatusCode::UNAUTHORIZED,
        r#"{"error":{"message":"Incorrect API key provided: sk-wrong. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
    ))
    .await;
    let client = server.client().with_api_key("sk-wrong");
    let err = within(client.stream_chat(&[Message::user("hi")], &Callback::new()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, LlmError::Status { status: 401, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "the LLM server at {}/chat/completions answered HTTP 401: Incorrect API key provided: sk-wrong. You can find your API key at https://platform.openai.com/account/api-keys.; check `OPENAI_API_KEY`",
            server.base_url
        )
    );
}

#[tokio::test]
async fn a_connection_cut_mid_stream_says_the_stream_was_cut_before_done() {
    let pieces = vec![first(), content("Hel"), content("lo"), Piece::Cut];
    let server = Server::start(Reply::Stream(pieces)).await;
    let callback = Callback::new();
    let stream = callback.aiter().expect("free stream");

    let err = within(
        server
            .client()
            .stream_chat(&[Message::user("hi")], &callback),
    )
    .await
    .unwrap_err();

    match &err {
        LlmError::Incomplete {
            chunks,
            partial,
            source,
            ..
        } => {
            assert_eq!((*chunks, partial.as_str()), (3, "Hello"));
            assert!(source.is_some(), "the broken connection is the source");
        }
        other => panic!("expected Incomplete, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!(
            "the stream from {}/chat/completions was cut before `data: [DONE]` after 3 chunks: the server closed the connection before the model finished, so the reply is incomplete",
            server.base_url
        )
    );
    assert_eq!(
        tokens_of(&callback, stream).await,
        ["Hel", "lo", "<graphai:END:>"],
        "what came before the cut was streamed"
    );
}

#[tokio::test]
async fn a_stream_closed_early_is_incomplete_unless_the_model_had_finished() {
    let server = Server::start(Reply::Stream(vec![first(), content("Hel")])).await;
    let err = within(
        server
            .client()
            .stream_chat(&[Message::user("hi")], &Callback::new()),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, LlmError::Incomplete { chunks: 2, source: None, partial, .. } if partial == "Hel"),
        "{err:?}"
    );

    // A server that omits `[DONE]` but closes cleanly after the finish_reason
    // has sent the whole answer.
    let server = Server::start(Reply::Stream(vec![first(), content("Hi"), stop()])).await;
    let reply = within(
        server
            .client()
            .stream_chat(&[Message::user("hi")], &Callback::new()),
    )
    .await
    .expect("a finished reply");
    assert_eq!(
        (reply.text.as_str(), reply.finish_reason.as_deref()),
        ("Hi", Some("stop"))
    );
}

#[tokio::test]
async fn a_stream_that_sends_nothing_says_the_server_failed_after_answering() {
    // llama-cpp-python answers 200 and then fails when asked to stream an
    // automatic tool choice: the body ends before any chunk.
    let server = Server::start(Reply::Stream(Vec::new())).await;
    let err = within(
        server
            .client()
            .stream_chat(&[Message::user("hi")], &Callback::new()),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, LlmError::Incomplete { chunks: 0, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "the stream from {} ended before its first chunk: the server accepted the request but sent nothing, so it probably failed after answering (see its log)",
            server.endpoint()
        )
    );
}

#[tokio::test]
async fn a_malformed_chunk_is_quoted() {
    let pieces = vec![
        first(),
        Piece::Bytes(b"data: {\"choices\": [{\"delta\": oops}]}\n\n".to_vec()),
        done(),
    ];
    let server = Server::start(Reply::Stream(pieces)).await;
    let err = within(
        server
            .client()
            .stream_chat(&[Message::user("hi")], &Callback::new()),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "chunk 2 from {}/chat/completions is not a chat-completion chunk (expected value at line 1 column 24); it starts with `{{\"choices\": [{{\"delta\": oops}}]}}`",
            server.base_url
        )
    );
}

#[tokio::test]
async fn an_error_inside_the_stream_is_the_servers_error() {
    let pieces = vec![
        first(),
        content("Hel"),
        Piece::Bytes(
            b"data: {\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\"}}\n\n"
                .to_vec(),
        ),
    ];
    let server = Server::start(Reply::Stream(pieces)).await;
    let err = within(
        server
            .client()
            .stream_chat(&[Message::user("hi")], &Callback::new()),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the LLM server at {}/chat/completions reported an error mid-stream: The server had an error while processing your request.",
            server.base_url
        )
    );
}

#[tokio::test]
async fn an_unreachable_server_is_a_connection_error() {
    // A port that was free a moment ago: nothing listens there now.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("local address");
    drop(listener);
    let client = ChatClient::new(format!("http://{addr}/v1"), "m").expect("valid");
    let err = within(client.chat(&[Message::user("hi")]))
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Connect { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "cannot reach the LLM server at http://{addr}/v1/chat/completions: start the server, or point `OPENAI_BASE_URL` at one that runs"
        )
    );
    let source = std::error::Error::source(&err).expect("the HTTP client's error");
    assert!(
        format!("{source:?}").contains("ConnectionRefused"),
        "{source:?}"
    );
}

#[tokio::test]
async fn streaming_stops_when_the_consumer_goes_away() {
    let mut pieces = vec![first(), content("a"), content("b")];
    pieces.push(Piece::Hang);
    let server = Server::start(Reply::Stream(pieces)).await;
    let callback = Callback::new();
    drop(callback.aiter().expect("free stream"));

    let err = within(
        server
            .client()
            .stream_chat(&[Message::user("hi")], &callback),
    )
    .await
    .unwrap_err();
    match &err {
        LlmError::Callback { source } => assert_eq!(*source, CallbackError::ConsumerGone),
        other => panic!("expected a callback error, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "streaming stopped: the callback refused a token"
    );
}

#[node(start)]
pub(crate) async fn receive(question: String) -> Value {
    json!({ "query": question.trim() })
}

/// The node the module docs show, with the server's URL from the run state.
#[node(stream, end)]
async fn llm(query: String, base_url: String, callback: Callback) -> graphai::Result<Value> {
    let client = ChatClient::new(base_url, "mock-model")?;
    let messages = [Message::system("Be brief."), Message::user(query)];
    let reply = client.stream_chat(&messages, &callback).await?;
    Ok(json!({ "answer": reply.text, "finish_reason": reply.finish_reason }))
}

fn llm_graph() -> graphai::CompiledGraph {
    Graph::new()
        .add_node(receive)
        .add_node(llm)
        .add_edge(receive, llm)
        .compile()
        .expect("compiles")
}

#[tokio::test]
async fn a_graph_streams_its_llm_node_to_a_consumer() {
    let server = Server::start(Reply::Stream(answer(&["Rust", " is", " fast."]))).await;
    let graph = llm_graph();
    let callback = Callback::new();
    let stream = callback.aiter().expect("free stream");
    let input = json!({ "question": " Why Rust? ", "base_url": server.base_url });

    let (result, tokens) = within(async {
        tokio::join!(
            graph.execute_with(input, &callback),
            stream.collect::<Vec<String>>()
        )
    })
    .await;

    let state = result.expect("the run succeeds");
    assert_eq!(state["answer"], "Rust is fast.");
    assert_eq!(state["finish_reason"], "stop");
    assert_eq!(
        tokens,
        [
            "<graphai:llm:start:>",
            "<graphai:llm:>",
            "Rust",
            " is",
            " fast.",
            "<graphai:llm:end:>",
            "<graphai:END:>",
        ]
    );
    assert_eq!(server.seen()[0].body["messages"][1]["content"], "Why Rust?");
}

#[tokio::test]
async fn an_llm_error_fails_the_node_and_reaches_the_consumer() {
    let server = Server::start(Reply::Status(
        StatusCode::UNAUTHORIZED,
        r#"{"error":{"message":"Missing bearer authentication in header"}}"#,
    ))
    .await;
    let graph = llm_graph();
    let callback = Callback::new();
    let events = callback.events().expect("free stream");
    let input = json!({ "question": "hi", "base_url": server.base_url });

    let (result, events) = within(async {
        tokio::join!(
            graph.execute_with(input, &callback),
            events.collect::<Vec<_>>()
        )
    })
    .await;

    let err = result.unwrap_err();
    assert!(
        matches!(&err, GraphError::Node { node, .. } if node == "llm"),
        "{err:?}"
    );
    let cause = std::error::Error::source(&err)
        .and_then(|source| source.downcast_ref::<LlmError>())
        .expect("the node's error is the LlmError");
    assert!(
        matches!(cause, LlmError::Status { status: 401, message, .. } if message == "Missing bearer authentication in header"),
        "{cause:?}"
    );
    let error = events
        .iter()
        .find(|event| event.r#type == graphai::EventType::Error)
        .expect("the consumer sees an error event");
    assert_eq!(
        error.params.as_ref().and_then(|p| p.get("node")),
        Some(&json!("llm"))
    );
}
