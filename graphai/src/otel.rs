//! Sends the spans to an OpenTelemetry collector: OTLP over HTTP (protobuf),
//! through `tracing-opentelemetry`.
//!
//! ```no_run
//! # fn main() -> Result<(), graphai::otel::OtelError> {
//! // A collector (or Jaeger, Tempo, ..) listening for OTLP/HTTP on port 4318.
//! let _otel = graphai::otel::init("http://localhost:4318", "my-agent")?;
//! // .. run graphs: each run, node attempt and LLM request becomes a span.
//! # Ok(()) }
//! // Dropping the guard sends what is still buffered.
//! ```
//!
//! [`init`] installs the global subscriber: the console logging of
//! [`logging::init`](crate::logging::init) (which `RUST_LOG` and
//! `GRAPHAI_LOG_LEVEL` filter) and the exporter, which takes GraphAI's spans
//! down to `DEBUG` (every node attempt) and everything else from `INFO`, as
//! [`EXPORT_DIRECTIVES`] says. The spans' names and attributes are listed in
//! [`tracing_fields`](crate::tracing_fields); the LLM client's `chat` spans carry
//! OpenTelemetry's GenAI attribute names.
//!
//! Spans are batched and sent from a background thread, over the same HTTP
//! client as the LLM client (reqwest with rustls: no OpenSSL, no gRPC).
//! The `OTEL_EXPORTER_OTLP_HEADERS` variable adds headers (an API key, ..).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// What the exporter takes: GraphAI's spans from `DEBUG`, the rest from `INFO`.
pub const EXPORT_DIRECTIVES: &str = "info,graphai=debug";

/// The path of the OTLP/HTTP traces endpoint, added to the collector's address.
pub const TRACES_PATH: &str = "/v1/traces";

/// How long one export may take before it is given up.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the exporter could not start, or flush.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OtelError {
    /// The HTTP client could not be built (its TLS set-up failed).
    #[error("the OTLP exporter's HTTP client could not be built: {0}")]
    Client(#[source] reqwest::Error),
    /// The exporter refused its configuration (an endpoint that is not a URL, ..).
    #[error("the OTLP exporter for `{endpoint}` could not be built: {source}")]
    Exporter {
        /// The traces endpoint it was given.
        endpoint: String,
        /// What the exporter said.
        #[source]
        source: opentelemetry_otlp::ExporterBuildError,
    },
    /// The program already installed a global subscriber.
    #[error(
        "a global tracing subscriber is already installed: call graphai::otel::init once, \
         instead of another subscriber's init"
    )]
    AlreadyInstalled(#[source] tracing_subscriber::util::TryInitError),
    /// Sending the buffered spans failed.
    #[error("the spans could not be sent: {0}")]
    Flush(#[source] opentelemetry_sdk::error::OTelSdkError),
}

/// Keeps the exporter running; dropping it sends the spans still buffered
/// (waiting for the collector up to its timeout) and stops it.
#[must_use = "dropping the guard stops the exporter"]
#[derive(Debug)]
pub struct OtelGuard {
    provider: SdkTracerProvider,
}

impl OtelGuard {
    /// Sends the buffered spans now, and waits until they are sent.
    ///
    /// # Errors
    /// [`OtelError::Flush`] when the collector could not be reached or refused them.
    pub fn flush(&self) -> Result<(), OtelError> {
        self.provider.force_flush().map_err(OtelError::Flush)
    }
}

impl Drop for OtelGuard {
    fn drop(&mut self) {
        // Nothing to tell anyone this late: a collector that is gone loses the last batch.
        let _ = self.provider.shutdown();
    }
}

/// Installs a global subscriber that logs to stderr and sends spans to the
/// collector at `endpoint` (its address, such as `http://localhost:4318`;
/// [`TRACES_PATH`] is added unless it is there), as the service `service_name`.
///
/// # Errors
/// [`OtelError::Exporter`] for an endpoint that is not a URL,
/// [`OtelError::AlreadyInstalled`] if a global subscriber is already set,
/// [`OtelError::Client`] if the HTTP client cannot be built.
pub fn init(endpoint: &str, service_name: &str) -> Result<OtelGuard, OtelError> {
    let provider = provider(endpoint, service_name)?;
    let exporter = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("graphai"))
        .with_filter(EnvFilter::new(EXPORT_DIRECTIVES));
    let (console_filter, problem) = crate::logging::console_filter();
    let console = tracing_subscriber::fmt::layer()
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(console_filter);
    let guard = OtelGuard { provider };
    tracing_subscriber::registry()
        .with(console)
        .with(exporter)
        .try_init()
        .map_err(OtelError::AlreadyInstalled)?;
    crate::logging::report(problem);
    Ok(guard)
}

/// A tracer provider batching spans to `endpoint`'s traces path.
fn provider(endpoint: &str, service_name: &str) -> Result<SdkTracerProvider, OtelError> {
    let endpoint = traces_endpoint(endpoint);
    // reqwest's blocking client starts a runtime of its own, which it may not
    // do from inside one (as `init` often is, under `#[tokio::main]`): build
    // it on a thread of its own. It is used, and dropped, on the exporter's.
    let build = || {
        reqwest::blocking::Client::builder()
            .timeout(EXPORT_TIMEOUT)
            .build()
    };
    let client = std::thread::scope(|scope| scope.spawn(build).join())
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        .map_err(OtelError::Client)?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(Blocking(client))
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(&endpoint)
        .with_timeout(EXPORT_TIMEOUT)
        .build()
        .map_err(|source| OtelError::Exporter { endpoint, source })?;
    let resource = Resource::builder()
        .with_service_name(service_name.to_owned())
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// `endpoint` with [`TRACES_PATH`] once at its end.
fn traces_endpoint(endpoint: &str) -> String {
    let base = endpoint.trim_end_matches('/');
    if base.ends_with(TRACES_PATH) {
        base.to_owned()
    } else {
        format!("{base}{TRACES_PATH}")
    }
}

/// The exporter's HTTP client: reqwest's blocking client (rustls), which the
/// batch processor's own thread may block on.
#[derive(Debug)]
struct Blocking(reqwest::blocking::Client);

impl Blocking {
    fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let request = reqwest::blocking::Request::try_from(request)?;
        let mut response = self.0.execute(request)?;
        let headers = std::mem::take(response.headers_mut());
        let status = response.status();
        let mut reply = Response::builder().status(status).body(response.bytes()?)?;
        *reply.headers_mut() = headers;
        Ok(reply)
    }
}

impl HttpClient for Blocking {
    fn send_bytes<'life0, 'async_trait>(
        &'life0 self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, HttpError>> + Send + 'async_trait>>
    where
        Self: 'async_trait,
        'life0: 'async_trait,
    {
        Box::pin(async move { self.send(request) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_traces_path_is_added_once() {
        for (given, expected) in [
            ("http://localhost:4318", "http://localhost:4318/v1/traces"),
            ("http://localhost:4318/", "http://localhost:4318/v1/traces"),
            ("http://collector/v1/traces", "http://collector/v1/traces"),
            (
                "https://otel.example.com/api/",
                "https://otel.example.com/api/v1/traces",
            ),
        ] {
            assert_eq!(traces_endpoint(given), expected, "{given}");
        }
    }

    #[test]
    fn an_endpoint_that_is_not_a_url_is_refused_by_name() {
        let err = provider("not a url", "svc").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the OTLP exporter for `not a url/v1/traces` could not be built: "),
            "{err}"
        );
    }
}
