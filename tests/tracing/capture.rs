//! The capturing layer of `tests/tracing.rs`: every span (its fields, its
//! parent) and every event (its fields, the span it is in), installed once as
//! the global default, and the look-ups the tests make in what it saw.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use graphai::tracing_fields::{NODE_SPAN, RUN_SPAN};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A span as the layer saw it. `serial` is the layer's own number for it:
/// span ids are reused once a span closes, serials never are.
#[derive(Debug, Clone)]
pub struct SeenSpan {
    pub serial: u64,
    pub parent: Option<u64>,
    pub name: String,
    pub target: String,
    pub fields: BTreeMap<String, String>,
}

/// An event, with the serial of the span it is inside.
#[derive(Debug, Clone)]
pub struct SeenEvent {
    pub span: Option<u64>,
    pub level: tracing::Level,
    pub target: String,
    pub fields: BTreeMap<String, String>,
}

impl SeenEvent {
    pub fn message(&self) -> &str {
        self.fields.get("message").map_or("", String::as_str)
    }
}

#[derive(Default)]
pub struct Seen {
    pub spans: Vec<SeenSpan>,
    pub events: Vec<SeenEvent>,
}

/// Records every span (fields at creation and recorded later, parent) and
/// every event (fields, the span it is in).
#[derive(Clone, Default)]
pub struct Capture {
    pub seen: Arc<Mutex<Seen>>,
    pub serials: Arc<AtomicU64>,
}

/// The serial a span carries in its extensions.
struct Serial(u64);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

fn serial_of<S: Subscriber + for<'a> LookupSpan<'a>>(
    span: Option<tracing_subscriber::registry::SpanRef<'_, S>>,
) -> Option<u64> {
    span.and_then(|span| span.extensions().get::<Serial>().map(|s| s.0))
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let serial = self.serials.fetch_add(1, Ordering::Relaxed) + 1;
        let span = ctx.span(id).expect("the registry knows a new span");
        let parent = serial_of(span.parent());
        span.extensions_mut().insert(Serial(serial));
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let seen = SeenSpan {
            serial,
            parent,
            name: attrs.metadata().name().to_owned(),
            target: attrs.metadata().target().to_owned(),
            fields,
        };
        self.seen.lock().expect("seen").spans.push(seen);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(serial) = serial_of(ctx.span(id)) else {
            return;
        };
        let mut seen = self.seen.lock().expect("seen");
        if let Some(span) = seen.spans.iter_mut().find(|s| s.serial == serial) {
            values.record(&mut Fields(&mut span.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let seen = SeenEvent {
            span: serial_of(ctx.event_span(event)),
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields,
        };
        self.seen.lock().expect("seen").events.push(seen);
    }
}

/// The one capture, installed as the global default for the whole test
/// binary: a thread-local default would miss spans whose callsite interest
/// another test's thread cached while it had no subscriber.
pub fn capture() -> Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let capture = Capture::default();
            let subscriber = tracing_subscriber::registry().with(capture.clone());
            tracing::subscriber::set_global_default(subscriber).expect("the first subscriber");
            capture
        })
        .clone()
}

/// What one run left: its span, the spans and events inside it.
pub struct Trace {
    pub run: SeenSpan,
    pub nodes: Vec<SeenSpan>,
    pub events: Vec<SeenEvent>,
    /// Events inside the run's node spans, with the node span's serial.
    pub node_events: Vec<SeenEvent>,
}

impl Capture {
    /// The run whose span has `pick` true.
    pub fn trace(&self, pick: impl Fn(&SeenSpan, &[SeenSpan]) -> bool) -> Trace {
        let seen = self.seen.lock().expect("seen");
        let runs: Vec<&SeenSpan> = seen
            .spans
            .iter()
            .filter(|s| s.name == RUN_SPAN && pick(s, &seen.spans))
            .collect();
        assert_eq!(runs.len(), 1, "one run matches: {runs:?}");
        let run = runs[0].clone();
        let nodes: Vec<SeenSpan> = seen
            .spans
            .iter()
            .filter(|s| s.name == NODE_SPAN && s.parent == Some(run.serial))
            .cloned()
            .collect();
        let events = seen
            .events
            .iter()
            .filter(|e| e.span == Some(run.serial))
            .cloned()
            .collect();
        let node_events = seen
            .events
            .iter()
            .filter(|e| nodes.iter().any(|n| e.span == Some(n.serial)))
            .cloned()
            .collect();
        Trace {
            run,
            nodes,
            events,
            node_events,
        }
    }
}

impl Trace {
    /// The attempts of `node`, in order.
    pub fn attempts(&self, node: &str) -> Vec<&SeenSpan> {
        let mut spans: Vec<&SeenSpan> = self
            .nodes
            .iter()
            .filter(|s| s.fields.get("node").map(String::as_str) == Some(node))
            .collect();
        spans.sort_by_key(|s| s.fields["attempt"].parse::<u32>().expect("a number"));
        spans
    }

    pub fn only(&self, node: &str) -> &SeenSpan {
        let spans = self.attempts(node);
        assert_eq!(spans.len(), 1, "one attempt of `{node}`: {spans:?}");
        spans[0]
    }

    pub fn events(&self, message: &str) -> Vec<&SeenEvent> {
        self.events
            .iter()
            .filter(|e| e.message() == message)
            .collect()
    }
}

pub fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The fields of `span` without the ones that vary from run to run.
pub fn steady(span: &SeenSpan) -> BTreeMap<String, String> {
    let mut fields = span.fields.clone();
    let duration = fields
        .remove("duration_us")
        .expect("a duration is recorded");
    duration.parse::<u64>().expect("microseconds");
    fields
}
