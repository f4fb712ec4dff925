//! `graphai::otel` (feature `otel`) sends a run's spans to an OpenTelemetry
//! collector: here a stand-in on 127.0.0.1 (axum) that takes OTLP/HTTP
//! protobuf on `POST /v1/traces` and keeps what it got. The run calls the
//! LLM client (feature `openai`) against the mock OpenAI server, so its
//! `chat` span and GenAI attributes go out too.
//!
//! Run with `cargo test --features otel,openai --test otel`.

#[path = "support/mock_openai.rs"]
mod mock_openai;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use graphai::llm::{ChatClient, Message};
use graphai::tracing_fields::{NODE_SPAN, RUN_SPAN};
use graphai::{Callback, Graph, Res, Value, json, node};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;

use mock_openai::{Server, Turn, within};

/// What the collector stand-in received: one body per export request.
type Received = Arc<Mutex<Vec<Bytes>>>;

async fn traces(State(received): State<Received>, body: Bytes) -> impl IntoResponse {
    received.lock().expect("received").push(body);
    // An empty ExportTraceServiceResponse: everything accepted.
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/x-protobuf")],
        Vec::new(),
    )
}

/// Starts the stand-in on its own thread and runtime (the exporter's guard
/// blocks the test's thread while it sends) and returns its address.
fn collector() -> (String, Received) {
    let received = Received::default();
    let app = Router::new()
        .route("/v1/traces", axum::routing::post(traces))
        .with_state(Arc::clone(&received));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind 127.0.0.1:0");
            tx.send(listener.local_addr().expect("an address"))
                .expect("the test waits");
            axum::serve(listener, app).await.expect("serves");
        });
    });
    let addr = rx.recv().expect("the collector started");
    (format!("http://{addr}"), received)
}

#[node(start)]
async fn otel_ask(question: String) -> Value {
    json!({ "question": question })
}

#[node(stream, end)]
async fn otel_chat(
    question: String,
    client: Res<ChatClient>,
    callback: Callback,
) -> graphai::Result<Value> {
    let reply = client
        .stream_chat(&[Message::user(question)], &callback)
        .await?;
    Ok(json!({ "answer": reply.text }))
}

/// An attribute's value as text (ints and strings are all these spans hold).
fn text(value: &KeyValue) -> String {
    match value.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}

fn attributes(span: &Span) -> BTreeMap<String, String> {
    span.attributes
        .iter()
        .map(|kv| (kv.key.clone(), text(kv)))
        .collect()
}

#[tokio::test]
async fn a_run_s_spans_reach_the_collector_nested_and_with_gen_ai_attributes() {
    let (endpoint, received) = collector();
    let guard = graphai::otel::init(&endpoint, "graphai-otel-test").expect("the exporter starts");
    let again = graphai::otel::init(&endpoint, "a second one").expect_err("one global subscriber");
    assert!(
        matches!(again, graphai::otel::OtelError::AlreadyInstalled(_)),
        "{again:?}"
    );
    assert!(
        again
            .to_string()
            .starts_with("a global tracing subscriber is already installed"),
        "{again}"
    );
    graphai::logging::init(); // does nothing now, and does not panic

    let turn = Turn::with_usage(61, 16)
        .role()
        .content("Hello")
        .finish("stop");
    let server = Server::start(turn.reply()).await;
    let graph = Graph::new()
        .add_node(otel_ask)
        .add_node(otel_chat)
        .add_edge(otel_ask, otel_chat)
        .resource(server.client())
        .compile()
        .expect("compiles");
    let out = within(graph.execute(json!({ "question": "Say hello" })))
        .await
        .expect("runs");
    assert_eq!(out["answer"], "Hello");
    // Sends what is buffered, waiting for the collector.
    drop(guard);

    let bodies = received.lock().expect("received").clone();
    assert!(!bodies.is_empty(), "the collector got nothing");
    let mut spans = Vec::new();
    for body in &bodies {
        let request = ExportTraceServiceRequest::decode(body.as_ref()).expect("OTLP protobuf");
        for resource in request.resource_spans {
            let service = resource
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|kv| kv.key == "service.name")
                .map(text);
            assert_eq!(service.as_deref(), Some("graphai-otel-test"));
            for scope in resource.scope_spans {
                spans.extend(scope.spans);
            }
        }
    }
    let named = |name: &str| -> Vec<&Span> { spans.iter().filter(|s| s.name == name).collect() };

    let runs = named(RUN_SPAN);
    assert_eq!(runs.len(), 1, "{spans:#?}");
    let run = runs[0];
    let run_fields = attributes(run);
    assert_eq!(run_fields["outcome"], "ok");
    assert_eq!(run_fields["steps"], "2");
    assert!(run.parent_span_id.is_empty(), "the run is a root span");

    let nodes = named(NODE_SPAN);
    assert_eq!(nodes.len(), 2, "{nodes:#?}");
    for node in &nodes {
        assert_eq!(node.parent_span_id, run.span_id, "{node:#?}");
        assert_eq!(node.trace_id, run.trace_id);
        assert_eq!(attributes(node)["outcome"], "ok");
    }
    let chat_node = nodes
        .iter()
        .find(|s| attributes(s)["node"] == "otel_chat")
        .expect("the chat node's span");

    // The LLM request, inside the node that made it, named as the GenAI
    // conventions say (`otel.name`), with their attribute names.
    let chats = named("chat mock-model");
    assert_eq!(chats.len(), 1, "{spans:#?}");
    let chat = chats[0];
    assert_eq!(chat.parent_span_id, chat_node.span_id);
    assert_eq!(chat.trace_id, run.trace_id);
    let chat_fields = attributes(chat);
    for (key, value) in [
        ("gen_ai.operation.name", "chat"),
        ("gen_ai.request.model", "mock-model"),
        ("gen_ai.response.model", mock_openai::ANSWERING_MODEL),
        ("gen_ai.usage.input_tokens", "61"),
        ("gen_ai.usage.output_tokens", "16"),
    ] {
        assert_eq!(
            chat_fields.get(key).map(String::as_str),
            Some(value),
            "{key}: {chat_fields:?}"
        );
    }
}
