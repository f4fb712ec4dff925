//! The client's tracing span, seen by a small capturing layer: its name and
//! OpenTelemetry GenAI fields, for a tool-calling turn and a failed request.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use graphai::Callback;
use graphai::llm::Message;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Subscriber, subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

use super::mock_openai::{ANSWERING_MODEL, COMPLETION_ID, Reply, Server, Turn, tool, within};

/// A span as the layer saw it: target, name, and every field recorded.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
    name: String,
    fields: BTreeMap<String, String>,
}

/// Records each span's fields, at creation and when recorded later.
#[derive(Clone, Default)]
struct Capture {
    spans: Arc<Mutex<Vec<(Id, Seen)>>>,
}

impl Capture {
    fn spans(&self) -> Vec<Seen> {
        let spans = self.spans.lock().expect("spans");
        spans.iter().map(|(_, seen)| seen.clone()).collect()
    }
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let seen = Seen {
            target: attrs.metadata().target().to_owned(),
            name: attrs.metadata().name().to_owned(),
            fields,
        };
        self.spans.lock().expect("spans").push((id.clone(), seen));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut spans = self.spans.lock().expect("spans");
        if let Some((_, seen)) = spans.iter_mut().rev().find(|(known, _)| known == id) {
            values.record(&mut Fields(&mut seen.fields));
        }
    }
}

/// The one `chat` span the client opened.
fn chat_span(capture: &Capture) -> Seen {
    let spans: Vec<Seen> = capture
        .spans()
        .into_iter()
        .filter(|span| span.target == "graphai::llm")
        .collect();
    assert_eq!(spans.len(), 1, "one span per request: {spans:?}");
    spans[0].clone()
}

#[tokio::test]
async fn the_request_span_carries_the_gen_ai_attributes() {
    let capture = Capture::default();
    // The test runtime has one thread, so the default holds for the client.
    let _default = subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));

    let turn = Turn::with_usage(61, 16)
        .role_and_call(0, "call_1", "get_weather", "{\"city\":\"Paris\"}")
        .finish("tool_calls");
    let server = Server::start(turn.reply()).await;
    let client = server.client().with_param("temperature", 0.25);
    let messages = [Message::user("Weather in Paris?")];
    within(
        client
            .request(&messages)
            .tools([tool("get_weather", "city")])
            .param("max_tokens", 64)
            .stream(&Callback::new()),
    )
    .await
    .expect("a reply");

    let span = chat_span(&capture);
    assert_eq!(span.name, "chat");
    let port = server
        .base_url
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.split('/').next())
        .expect("a port")
        .to_owned();
    let expected: BTreeMap<String, String> = [
        ("otel.name", "chat mock-model"),
        ("otel.kind", "client"),
        ("gen_ai.operation.name", "chat"),
        ("gen_ai.request.model", "mock-model"),
        ("gen_ai.request.temperature", "0.25"),
        ("gen_ai.request.max_tokens", "64"),
        ("gen_ai.response.model", ANSWERING_MODEL),
        ("gen_ai.response.id", COMPLETION_ID),
        ("gen_ai.response.finish_reasons", "tool_calls"),
        ("gen_ai.usage.input_tokens", "61"),
        ("gen_ai.usage.output_tokens", "16"),
        ("server.address", "127.0.0.1"),
        ("server.port", port.as_str()),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect();
    assert_eq!(span.fields, expected);
}

#[tokio::test]
async fn a_failed_request_marks_its_span_with_the_error_type() {
    let capture = Capture::default();
    let _default = subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));

    let server = Server::start(Reply::Status(
        StatusCode::TOO_MANY_REQUESTS,
        r#"{"error":{"message":"Rate limit reached"}}"#,
    ))
    .await;
    let err = within(server.client().chat(&[Message::user("hi")]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "http_429");

    let span = chat_span(&capture);
    assert_eq!(span.fields["error.type"], "http_429");
    assert_eq!(span.fields["otel.status_code"], "ERROR");
    assert_eq!(span.fields["gen_ai.request.model"], "mock-model");
    assert!(
        !span.fields.contains_key("gen_ai.response.model"),
        "{span:?}"
    );
    assert!(
        !span.fields.contains_key("gen_ai.usage.input_tokens"),
        "{span:?}"
    );
}
