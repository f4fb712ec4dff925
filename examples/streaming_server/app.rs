//! The streaming server's app, shared by the example's `main` and by
//! `tests/streaming_server.rs`: a page at `/` and an SSE endpoint at
//! `/stream?q=..` that runs one graph per request.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use graphai::{Callback, CompiledGraph, Graph, GraphEvent, Value, json, node};
use serde::Deserialize;

/// The pause between two tokens, so the page shows them arriving.
const TOKEN_DELAY: Duration = Duration::from_millis(60);

/// Events a slow client may have waiting before the run is paused for it.
const EVENT_BUFFER: usize = 64;

/// Splits the query into words.
#[node(start)]
async fn receive(query: String) -> Value {
    let words: Vec<&str> = query.split_whitespace().collect();
    json!({ "words": words })
}

/// Sends `words` as tokens, one per word, with the space before each but the
/// first, at a pace a person can watch.
async fn send_words(words: &[String], callback: &Callback) -> Result<(), graphai::CallbackError> {
    for (i, word) in words.iter().enumerate() {
        tokio::time::sleep(TOKEN_DELAY).await;
        let token = if i == 0 {
            word.clone()
        } else {
            format!(" {word}")
        };
        callback.acall(token).await?;
    }
    Ok(())
}

/// Streams the words back, one token per word.
#[node(stream)]
async fn echo(words: Vec<String>, callback: Callback) -> graphai::Result<Value> {
    send_words(&words, &callback).await?;
    Ok(json!({ "echoed": words.join(" ") }))
}

/// Streams the words mirrored: last word first, each spelled backwards.
/// Fails after streaming when one of the words is `fail`, to show errors.
#[node(stream)]
async fn mirror(words: Vec<String>, callback: Callback) -> graphai::Result<Value> {
    let mirrored: Vec<String> = words
        .iter()
        .rev()
        .map(|word| word.chars().rev().collect())
        .collect();
    send_words(&mirrored, &callback).await?;
    if words.iter().any(|word| word == "fail") {
        return Err("asked to fail by the word `fail` in the query".into());
    }
    Ok(json!({ "mirrored": mirrored.join(" ") }))
}

/// Runs once both streams are done and sends their results as one custom event.
#[node(end, stream)]
async fn report(echoed: String, mirrored: String, callback: Callback) -> graphai::Result<Value> {
    let result = GraphEvent::new("result")
        .with_param("echoed", echoed.as_str())
        .with_param("mirrored", mirrored.as_str());
    callback.emit(result).await?;
    Ok(json!({ "echoed": echoed, "mirrored": mirrored }))
}

/// `receive`, then `echo` and `mirror` in parallel, joined into `report`.
pub fn graph() -> CompiledGraph {
    Graph::new()
        .add_node(receive)
        .add_node(echo)
        .add_node(mirror)
        .add_node(report)
        .add_parallel(receive, [echo, mirror])
        .add_join([echo, mirror], report)
        .compile()
        .unwrap_or_else(|err| panic!("the example's graph is wired wrong: {err}"))
}

/// The router: `/` serves the page, `/stream?q=..` streams a run.
pub fn app() -> Router {
    Router::new()
        .route("/", get(page))
        .route("/stream", get(stream))
        .with_state(graph())
}

async fn page() -> Html<&'static str> {
    Html(include_str!("page.html"))
}

#[derive(Deserialize)]
struct StreamParams {
    #[serde(default)]
    q: String,
}

/// Runs the graph on `q` and streams the callback's events as SSE frames.
async fn stream(
    State(graph): State<CompiledGraph>,
    Query(params): Query<StreamParams>,
) -> Response {
    let callback = Callback::builder().capacity(EVENT_BUFFER).build();
    let (callback, events) = match callback.and_then(|cb| cb.events().map(|events| (cb, events))) {
        Ok(pair) => pair,
        Err(err) => return (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
    };
    tokio::spawn(async move {
        // The client sees a failure as an `error` event; one that disconnects
        // makes the next token fail with `ConsumerGone`, which ends the run.
        if let Err(err) = graph
            .execute_with(json!({ "query": params.q }), &callback)
            .await
        {
            let mut message = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                message = format!("{message}: {cause}");
                source = cause.source();
            }
            eprintln!("run ended with an error: {message}");
        }
    });
    let frames = events.map(|event| Ok::<_, Infallible>(event.to_sse()));
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(frames),
    )
        .into_response()
}
