//! Node policies: retries with backoff, timeouts, and what a run reports.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use graphai::{Backoff, Callback, EventType, Graph, GraphError, Policy, Value, json, node};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

static FLAKY_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Fails until it has been called `succeed_on` times.
#[node(start, end, retries = 3)]
async fn flaky(succeed_on: usize) -> graphai::Result<Value> {
    let call = FLAKY_CALLS.fetch_add(1, Ordering::SeqCst) + 1;
    if call < succeed_on {
        return Err(format!("attempt {call} failed").into());
    }
    Ok(json!({ "calls": call }))
}

fn fast(graph: Graph, node: &str, retries: u32) -> Graph {
    graph.policy(
        node,
        Policy::new()
            .retries(retries)
            .backoff(Backoff::constant(Duration::from_millis(1))),
    )
}

#[tokio::test]
async fn a_failing_node_is_retried_until_it_succeeds_or_gives_up() {
    assert_eq!(
        <flaky as graphai::Node>::POLICY,
        Policy::new().retries(3),
        "the attribute sets the node's policy"
    );
    let graph = fast(Graph::new().add_node(flaky), "flaky", 3)
        .compile()
        .expect("compiles");

    FLAKY_CALLS.store(0, Ordering::SeqCst);
    let out = graph
        .execute(json!({ "succeed_on": 3 }))
        .await
        .expect("third time lucky");
    assert_eq!(out["calls"], 3);

    FLAKY_CALLS.store(0, Ordering::SeqCst);
    let err = graph
        .execute(json!({ "succeed_on": 10 }))
        .await
        .expect_err("never succeeds");
    assert_eq!(
        FLAKY_CALLS.load(Ordering::SeqCst),
        4,
        "one try and 3 retries"
    );
    assert_eq!(err.to_string(), "node `flaky` failed after 4 attempts");
    assert_eq!(err.node(), Some("flaky"));
    let GraphError::GaveUp { attempts, last, .. } = &err else {
        panic!("expected GaveUp, got {err:?}");
    };
    assert_eq!(*attempts, 4);
    assert!(matches!(&**last, GraphError::Node { node, .. } if node == "flaky"));
    let chain: Vec<String> = std::iter::successors(std::error::Error::source(&err), |e| e.source())
        .map(ToString::to_string)
        .collect();
    assert_eq!(chain, ["node `flaky` failed", "attempt 4 failed"]);
}

/// Only used by the test below, so its spans are its own.
#[node(start, end, retries = 3)]
async fn strict(needed: u32) -> Value {
    json!({ "needed": needed })
}

#[tokio::test]
async fn a_binding_error_is_never_retried() {
    let spans = spans();
    let graph = Graph::new()
        .add_node(strict)
        .policy(strict, Policy::new().retries(3).backoff(Backoff::none()))
        .compile()
        .expect("compiles");
    let err = graph.execute(json!({})).await.expect_err("no `needed`");
    assert!(
        matches!(&err, GraphError::MissingParameters { node, missing } if node == "strict" && missing == &["needed"]),
        "{err:?}"
    );
    assert_eq!(spans.attempts("strict"), ["1"], "one attempt, no retry");
}

static SLEEPER_DROPPED: AtomicBool = AtomicBool::new(false);

struct SetOnDrop;

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        SLEEPER_DROPPED.store(true, Ordering::SeqCst);
    }
}

/// Never finishes.
#[node(start, end, timeout = "50ms")]
async fn sleeper() -> Value {
    let _guard = SetOnDrop;
    std::future::pending::<()>().await;
    json!({})
}

#[tokio::test]
async fn a_timed_out_attempt_is_cancelled_and_retried() {
    let spans = spans();
    let alone = Graph::new().add_node(sleeper).compile().expect("compiles");
    let err = alone.execute(json!({})).await.expect_err("times out");
    assert_eq!(
        err.to_string(),
        "node `sleeper` timed out after 50ms (attempt 1)"
    );
    assert!(
        SLEEPER_DROPPED.load(Ordering::SeqCst),
        "the attempt was dropped"
    );

    let retried = Graph::new()
        .add_node(sleeper)
        .policy(
            sleeper,
            Policy::new()
                .retries(2)
                .timeout(Duration::from_millis(20))
                .backoff(Backoff::none()),
        )
        .compile()
        .expect("compiles");
    let err = retried
        .execute(json!({}))
        .await
        .expect_err("times out 3 times");
    let GraphError::GaveUp {
        attempts: 3, last, ..
    } = &err
    else {
        panic!("expected 3 attempts, got {err:?}");
    };
    assert!(
        matches!(&**last, GraphError::Timeout { attempt: 3, .. }),
        "{last:?}"
    );
    assert_eq!(spans.attempts("sleeper"), ["1", "1", "2", "3"]);
    assert_eq!(spans.outcomes("sleeper"), ["timeout"; 4]);
}

#[tokio::test]
async fn each_retry_is_an_event_on_the_callback() {
    let graph = fast(Graph::new().add_node(flaky), "flaky", 3)
        .compile()
        .expect("compiles");
    FLAKY_CALLS.store(0, Ordering::SeqCst);
    let callback = Callback::new();
    let events = callback.events().expect("stream");
    graph
        .execute_with(json!({ "succeed_on": 3 }), &callback)
        .await
        .expect("succeeds on the third attempt");
    let retries: Vec<(String, Value)> = events
        .filter(|e| std::future::ready(e.r#type == EventType::from("retry")))
        .map(|e| {
            let params = e.params.unwrap_or_default();
            (e.node.unwrap_or_default(), params["attempt"].clone())
        })
        .collect()
        .await;
    assert_eq!(
        retries,
        [
            ("flaky".to_owned(), json!(1)),
            ("flaky".to_owned(), json!(2))
        ]
    );
}

#[test]
fn a_policy_for_an_unknown_node_does_not_compile() {
    let err = Graph::new()
        .add_node(flaky)
        .policy("fetch", Policy::new().retries(1))
        .compile()
        .expect_err("no such node");
    assert!(err.to_string().contains("`fetch`"), "{err}");
}

/// The process's subscriber, installed once: a thread-local one would miss
/// spans whose callsite another test thread registered first.
fn spans() -> Spans {
    static SPANS: std::sync::OnceLock<Spans> = std::sync::OnceLock::new();
    SPANS
        .get_or_init(|| {
            let spans = Spans::default();
            let subscriber = tracing_subscriber::registry().with(spans.clone());
            tracing::subscriber::set_global_default(subscriber).expect("the first subscriber");
            spans
        })
        .clone()
}

/// Records the `attempt` and `outcome` of every `graphai.node` span.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<SpanRecord>>>);

/// A span's id, node, attempt and outcome.
type SpanRecord = (u64, String, String, String);

impl Spans {
    fn field(&self, node: &str, pick: fn(&SpanRecord) -> &String) -> Vec<String> {
        let spans = self.0.lock().expect("spans");
        spans
            .iter()
            .filter(|s| s.1 == node)
            .map(|s| pick(s).clone())
            .collect()
    }

    fn attempts(&self, node: &str) -> Vec<String> {
        self.field(node, |s| &s.2)
    }

    fn outcomes(&self, node: &str) -> Vec<String> {
        self.field(node, |s| &s.3)
    }
}

#[derive(Default)]
struct Fields {
    node: String,
    attempt: String,
    outcome: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}").trim_matches('"').to_owned();
        match field.name() {
            "node" => self.node = text,
            "attempt" => self.attempt = text,
            "outcome" => self.outcome = text,
            _ => {}
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _ctx: Context<'_, S>) {
        if attrs.metadata().name() != "graphai.node" {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        self.0.lock().expect("spans").push((
            id.into_u64(),
            fields.node,
            fields.attempt,
            fields.outcome,
        ));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        let mut spans = self.0.lock().expect("spans");
        if let Some(span) = spans.iter_mut().rev().find(|s| s.0 == id.into_u64())
            && !fields.outcome.is_empty()
        {
            span.3 = fields.outcome;
        }
    }
}
