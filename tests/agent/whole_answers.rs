//! A server that cannot stream a request with tools, as llama-cpp-python
//! (`scripts/local-llm.sh`): it answers `200 OK` with an empty stream and
//! closes the connection. The LLM node then asks for whole answers.

use std::sync::{Arc, Mutex};

use graphai::llm::ChatClient;
use graphai::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::mock_openai::{ANSWERING_MODEL, COMPLETION_ID, Reply, Server};
use super::{CALL_A, agent, ask, graph, streamed_text, tool_results, tools};

/// A whole (non-streamed) completion with `message` and `finish_reason`.
fn whole(message: Value, finish_reason: &str) -> Reply {
    Reply::Json(
        json!({
            "id": COMPLETION_ID,
            "object": "chat.completion",
            "created": 1_727_895_263,
            "model": ANSWERING_MODEL,
            "choices": [{ "index": 0, "message": message, "logprobs": null, "finish_reason": finish_reason }],
            "usage": { "prompt_tokens": 180, "completion_tokens": 12, "total_tokens": 192 },
        })
        .to_string(),
    )
}

/// llama-cpp-python answers a streamed request with tools `200 OK` and an
/// empty body; the LLM node asks again for a whole answer, and from then on
/// asks for whole answers only.
#[tokio::test]
async fn a_server_that_cannot_stream_tool_turns_is_asked_for_whole_answers() {
    let call = whole(
        json!({
            "role": "assistant", "content": null,
            "tool_calls": [{ "id": CALL_A, "type": "function", "function": { "name": "clock", "arguments": "{}" } }],
        }),
        "tool_calls",
    );
    let answer = whole(
        json!({ "role": "assistant", "content": "It is morning." }),
        "stop",
    );
    let server = Server::start_many(vec![Reply::Stream(Vec::new()), call, answer]).await;
    let graph = agent(&server, 1);

    let (result, events) = ask(&graph, "What time is it?").await;
    assert_eq!(result.expect("answered").state["answer"], "It is morning.");
    let streamed: Vec<Value> = server
        .seen()
        .iter()
        .map(|seen| seen.body["stream"].clone())
        .collect();
    assert_eq!(
        streamed,
        [true, false, false],
        "one try at streaming, then whole answers"
    );
    assert_eq!(
        streamed_text(&events),
        ["It is morning."],
        "the whole answer's text still reaches the callback"
    );
    let (name, _, result, ok) = &tool_results(&events)[0];
    assert_eq!(name, "clock");
    assert!(*ok && result.ends_with("day)"), "{result}");
    assert_eq!(graph.get_state()[graph::NO_STREAMING], true);

    // The next run remembers: its first request is already a whole one.
    let (result, _) = ask(&graph, "And now?").await;
    assert_eq!(result.expect("answered").state["answer"], "It is morning.");
    let seen = server.seen();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[3].body["stream"], false);
}

/// What the raw server saw: per request, the connection it came on (0 for
/// the first) and whether it asked for a stream.
type Requests = Arc<Mutex<Vec<(usize, bool)>>>;

/// A raw HTTP/1.1 server that behaves as llama-cpp-python does: on the
/// first connection, a streamed request gets `200 OK` with an empty chunked
/// body and the connection kept alive, and the next request on it gets the
/// connection closed without an answer; on later connections every request
/// gets `answer`, whole.
async fn closing_server(answer: String) -> (String, Requests) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/v1", listener.local_addr().expect("address"));
    let requests = Requests::default();
    let seen = Arc::clone(&requests);
    tokio::spawn(async move {
        for connection in 0.. {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (seen, answer) = (Arc::clone(&seen), answer.clone());
            tokio::spawn(async move {
                while let Some(body) = read_request(&mut socket).await {
                    let streamed = body["stream"] == true;
                    let first = seen.lock().expect("lock").is_empty();
                    seen.lock().expect("lock").push((connection, streamed));
                    let response = if connection == 0 && first {
                        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: keep-alive\r\n\r\n0\r\n\r\n".to_owned()
                    } else if connection == 0 {
                        return; // closed, unanswered
                    } else {
                        format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
                            answer.len()
                        )
                    };
                    if socket.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, requests)
}

/// Reads one request from `socket`; returns its JSON body, or `None` once
/// the client has closed the connection.
async fn read_request(socket: &mut TcpStream) -> Option<Value> {
    let mut data = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse().ok())
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return serde_json::from_slice(&data[end + 4..end + 4 + length]).ok();
            }
        }
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => data.extend_from_slice(&buffer[..n]),
        }
    }
}

/// The request after the failed stream goes out on the connection the server
/// is closing, and fails to connect: the node sends it once more, on a new
/// connection, and the run answers.
#[tokio::test]
async fn the_request_on_the_closing_connection_is_sent_again() {
    let answer = json!({
        "id": COMPLETION_ID, "object": "chat.completion", "created": 1_727_895_263,
        "model": ANSWERING_MODEL,
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": "Hello." }, "finish_reason": "stop" }],
    });
    let (url, requests) = closing_server(answer.to_string()).await;
    let client = ChatClient::new(url, "mock-model")
        .expect("a valid URL")
        .with_null_content(false);
    let graph = graph::build(client, tools::tools(), 1).expect("compiles");

    let (result, events) = ask(&graph, "Say hello.").await;
    assert_eq!(result.expect("answered").state["answer"], "Hello.");
    assert_eq!(streamed_text(&events), ["Hello."]);
    assert_eq!(
        *requests.lock().expect("lock"),
        [(0, true), (0, false), (1, false)],
        "the stream, the whole request on the closing connection, the same on a new one"
    );
}
