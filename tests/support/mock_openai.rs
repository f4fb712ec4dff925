//! A mock OpenAI chat-completions server for the `llm` tests: axum on
//! 127.0.0.1, started inside each test, answering with streams built byte
//! for byte the way the OpenAI API frames them.
//!
//! The shapes follow captured OpenAI responses: every chunk is
//! `data: {"id":..,"object":"chat.completion.chunk","created":..,"model":..,
//! "system_fingerprint":..,"choices":[{"index":0,"delta":{..},"logprobs":null,
//! "finish_reason":null}]}` (plus `"usage":null` when the request asked for
//! usage) and a blank line; a tool call's first delta is
//! `{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_..",
//! "type":"function","function":{"name":"..","arguments":""}}],"refusal":null}`,
//! later deltas `{"tool_calls":[{"index":0,"function":{"arguments":".."}}]}`;
//! the turn ends with `{"delta":{},..,"finish_reason":"tool_calls"}`, the
//! usage chunk (`"choices":[]`) and `data: [DONE]`.

#![allow(dead_code)] // Each test module uses a part.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use graphai::llm::ChatClient;
use graphai::{Callback, Value, json};

/// Runs `future`, failing the test if it takes more than ten seconds.
pub async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("timed out: the client or the mock server hung")
}

/// One write of the mock server's streamed body.
#[derive(Clone)]
pub enum Piece {
    /// These bytes, then a 20 ms pause so the next piece is a separate TCP write.
    Bytes(Vec<u8>),
    /// These bytes, then a 2 ms pause: for streams cut into many small writes.
    Fast(Vec<u8>),
    /// Break the connection: the body fails, so the server drops it mid-stream.
    Cut,
    /// Keep the connection open without sending anything more.
    Hang,
}

/// What the mock answers to `POST /v1/chat/completions`.
#[derive(Clone)]
pub enum Reply {
    /// `text/event-stream`, written piece by piece.
    Stream(Vec<Piece>),
    /// An error status with a JSON body.
    Status(StatusCode, &'static str),
    /// `200 OK` with this JSON body: a whole completion.
    Json(String),
}

/// A request the mock received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub authorization: Option<String>,
    pub accept: Option<String>,
    pub body: Value,
}

#[derive(Clone)]
struct Mock {
    replies: Arc<Vec<Reply>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// A running mock server; dropping it does not stop it (the test's runtime does).
pub struct Server {
    pub base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// A server that gives every request `reply`.
    pub async fn start(reply: Reply) -> Self {
        Self::start_many(vec![reply]).await
    }

    /// A server whose n-th request gets `replies[n]` (the last one again
    /// once they run out): a conversation of several turns.
    pub async fn start_many(replies: Vec<Reply>) -> Self {
        assert!(!replies.is_empty(), "the mock needs a reply");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mock = Mock {
            replies: Arc::new(replies),
            seen: Arc::clone(&seen),
        };
        let app = Router::new()
            .route("/v1/chat/completions", axum::routing::post(completions))
            .with_state(mock);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            base_url: format!("http://{addr}/v1"),
            seen,
        }
    }

    pub fn client(&self) -> ChatClient {
        ChatClient::new(&self.base_url, "mock-model").expect("a valid base URL")
    }

    pub fn endpoint(&self) -> String {
        format!("{}/chat/completions", self.base_url)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }
}

async fn completions(State(mock): State<Mock>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let turn = {
        let mut seen = mock.seen.lock().expect("seen");
        seen.push(Seen {
            authorization: header(header::AUTHORIZATION),
            accept: header(header::ACCEPT),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        });
        seen.len() - 1
    };
    let reply = mock.replies[turn.min(mock.replies.len() - 1)].clone();
    match reply {
        Reply::Status(status, body) => {
            (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Reply::Json(body) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        Reply::Stream(pieces) => {
            let body = futures::stream::iter(pieces).then(|piece| async move {
                match piece {
                    Piece::Bytes(bytes) => {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok(bytes)
                    }
                    Piece::Fast(bytes) => {
                        tokio::time::sleep(Duration::from_millis(2)).await;
                        Ok(bytes)
                    }
                    Piece::Cut => {
                        // Pause first so the pieces before the cut are flushed.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Err(io::Error::other("the mock cuts the connection"))
                    }
                    Piece::Hang => {
                        futures::future::pending::<Infallible>().await;
                        unreachable!("pending never resolves")
                    }
                }
            });
            (
                [(header::CONTENT_TYPE, "text/event-stream; charset=utf-8")],
                Body::from_stream(body),
            )
                .into_response()
        }
    }
}

/// The `id` of the mock's completions.
pub const COMPLETION_ID: &str = "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT";
/// The model the mock says answered (a dated name, as OpenAI's answers have).
pub const ANSWERING_MODEL: &str = "mock-model-2024-07-18";

/// One SSE frame as the OpenAI API sends it (for a request without usage).
pub fn frame(delta: Value, finish_reason: Option<&str>) -> String {
    Turn::new().chunk(delta, finish_reason)
}

/// The frames of one streamed turn, written the way OpenAI writes them.
#[derive(Clone, Default)]
pub struct Turn {
    frames: Vec<String>,
    usage: Option<(u64, u64)>,
}

impl Turn {
    /// A turn for a request without `stream_options.include_usage`.
    pub fn new() -> Self {
        Self::default()
    }

    /// A turn for a request with `stream_options.include_usage`: every
    /// chunk has `"usage":null`, and a last chunk without choices reports
    /// the tokens.
    pub fn with_usage(prompt_tokens: u64, completion_tokens: u64) -> Self {
        Self {
            frames: Vec::new(),
            usage: Some((prompt_tokens, completion_tokens)),
        }
    }

    fn chunk(&self, delta: Value, finish_reason: Option<&str>) -> String {
        let mut chunk = json!({
            "id": COMPLETION_ID,
            "object": "chat.completion.chunk",
            "created": 1_727_895_263,
            "model": ANSWERING_MODEL,
            "system_fingerprint": "fp_f85bea6784",
            "choices": [{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason }],
        });
        if self.usage.is_some() {
            chunk["usage"] = Value::Null;
        }
        format!("data: {chunk}\n\n")
    }

    fn push(mut self, delta: Value, finish_reason: Option<&str>) -> Self {
        let frame = self.chunk(delta, finish_reason);
        self.frames.push(frame);
        self
    }

    /// The first chunk of a text answer: the role, empty content.
    pub fn role(self) -> Self {
        self.push(
            json!({ "role": "assistant", "content": "", "refusal": null }),
            None,
        )
    }

    /// A piece of text.
    pub fn content(self, text: &str) -> Self {
        self.push(json!({ "content": text }), None)
    }

    /// The first chunk of a turn that starts with a tool call: the role and
    /// the call's first delta.
    pub fn role_and_call(self, index: u64, id: &str, name: &str, arguments: &str) -> Self {
        self.push(
            json!({
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "index": index, "id": id, "type": "function",
                    "function": { "name": name, "arguments": arguments },
                }],
                "refusal": null,
            }),
            None,
        )
    }

    /// A call's first delta, after the turn's first chunk.
    pub fn call(self, index: u64, id: &str, name: &str, arguments: &str) -> Self {
        self.push(
            json!({
                "tool_calls": [{
                    "index": index, "id": id, "type": "function",
                    "function": { "name": name, "arguments": arguments },
                }],
            }),
            None,
        )
    }

    /// A further piece of a call's arguments.
    pub fn arguments(self, index: u64, piece: &str) -> Self {
        self.push(
            json!({ "tool_calls": [{ "index": index, "function": { "arguments": piece } }] }),
            None,
        )
    }

    /// Any delta, for malformed ones.
    pub fn delta(self, delta: Value) -> Self {
        self.push(delta, None)
    }

    /// The chunk with the finish reason: `"stop"`, `"tool_calls"`, ..
    pub fn finish(self, reason: &str) -> Self {
        self.push(json!({}), Some(reason))
    }

    /// The whole body: the frames, the usage chunk and `data: [DONE]`.
    pub fn bytes(&self) -> Vec<u8> {
        let mut body = self.frames.concat();
        if let Some((prompt, completion)) = self.usage {
            let usage = json!({
                "id": COMPLETION_ID,
                "object": "chat.completion.chunk",
                "created": 1_727_895_263,
                "model": ANSWERING_MODEL,
                "system_fingerprint": "fp_f85bea6784",
                "choices": [],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                    "prompt_tokens_details": { "cached_tokens": 0 },
                    "completion_tokens_details": { "reasoning_tokens": 0 },
                },
            });
            body.push_str(&format!("data: {usage}\n\n"));
        }
        body.push_str("data: [DONE]\n\n");
        body.into_bytes()
    }

    /// The body as OpenAI writes it: one TCP write per frame.
    pub fn pieces(&self) -> Vec<Piece> {
        let body = String::from_utf8(self.bytes()).expect("frames are UTF-8");
        body.split_inclusive("\n\n")
            .map(|frame| Piece::Bytes(frame.as_bytes().to_vec()))
            .collect()
    }

    /// The body cut into writes of `size` bytes, wherever that cuts: inside
    /// frames, inside JSON strings, inside characters.
    pub fn split_every(&self, size: usize) -> Vec<Piece> {
        self.bytes()
            .chunks(size)
            .map(|bytes| Piece::Fast(bytes.to_vec()))
            .collect()
    }

    pub fn reply(&self) -> Reply {
        Reply::Stream(self.pieces())
    }
}

/// Collects what a callback's consumer reads, after the producer is done.
pub async fn tokens_of(callback: &Callback, stream: graphai::TokenStream) -> Vec<String> {
    callback.close().await;
    within(stream.collect()).await
}

/// A chat-completions tool definition with one string parameter.
pub fn tool(name: &str, parameter: &str) -> Value {
    json!({
        "type": "function",
        "function": {
            "name": name,
            "description": format!("The tool `{name}`."),
            "parameters": {
                "type": "object",
                "properties": { parameter: { "type": "string" } },
                "required": [parameter],
            },
        },
    })
}
