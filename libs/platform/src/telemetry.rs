//! Logs and traces: `tracing` with pretty or JSON lines, OpenTelemetry spans exported over
//! OTLP/gRPC when an endpoint is configured, and W3C `traceparent` carried in gRPC
//! metadata and in NATS message headers so one trace follows a call across services.

use std::collections::HashMap;
use std::sync::OnceLock;

use anyhow::Context as _;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::settings::{LogFormat, Settings};

/// Keeps the tracer provider alive; [`Telemetry::shutdown`] flushes pending spans.
#[derive(Debug, Clone)]
pub struct Telemetry {
    provider: SdkTracerProvider,
}

static INSTALLED: OnceLock<Telemetry> = OnceLock::new();

/// Installs logging and tracing for the process. Only the first call installs; later
/// calls (several suites in one test binary) return the same handle.
pub fn init(settings: &Settings, service_name: &str) -> anyhow::Result<Telemetry> {
    if let Some(installed) = INSTALLED.get() {
        return Ok(installed.clone());
    }
    let resource = Resource::builder()
        .with_service_name(service_name.to_owned())
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if let Some(endpoint) = &settings.otel.endpoint {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .build()
            .context("building the OTLP exporter (otel.endpoint)")?;
        builder = builder.with_batch_exporter(exporter);
    }
    // Without an exporter spans still get ids, so trace context propagates either way.
    let provider = builder.build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    // Spans feed tracing at INFO whatever the log filter says, so trace context keeps
    // propagating when logs are quiet.
    let otel = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("xingfu"))
        .with_filter(tracing_subscriber::filter::LevelFilter::INFO);

    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.log.filter))
        .context("invalid log.filter")?;
    let fmt = match settings.log.format {
        LogFormat::Test => lines(LogFormat::Test, tracing_subscriber::fmt::TestWriter::new()),
        format => lines(format, std::io::stdout),
    };
    // Another subscriber may already be set (a test harness); then ours is not installed.
    let _ = tracing_subscriber::registry()
        .with(fmt.with_filter(filter))
        .with(otel)
        .try_init();
    let telemetry = Telemetry { provider };
    Ok(INSTALLED.get_or_init(|| telemetry).clone())
}

/// The log lines of `format`, written to `writer`. A line names the call's span once:
/// JSON lines carry the innermost span's fields (`span`), not the list of every span
/// again; text lines their span context.
fn lines<S, W>(format: LogFormat, writer: W) -> Box<dyn tracing_subscriber::Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let layer = tracing_subscriber::fmt::layer().with_writer(writer);
    match format {
        LogFormat::Json => layer
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
        LogFormat::Test => layer.compact().with_ansi(false).boxed(),
        LogFormat::Pretty => layer
            .compact()
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .boxed(),
    }
}

impl Telemetry {
    /// Flushes and stops span export.
    pub fn shutdown(&self) {
        if let Err(err) = self.provider.shutdown() {
            tracing::debug!(error = %err, "tracer provider shutdown");
        }
    }
}

/// The `traceparent` of the current span, if it belongs to a sampled trace.
pub fn current_traceparent() -> Option<String> {
    traceparent_of(&tracing::Span::current())
}

/// The `traceparent` of `span`.
pub fn traceparent_of(span: &tracing::Span) -> Option<String> {
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&span.context(), &mut carrier);
    carrier.remove("traceparent")
}

/// Makes `span` a child of the trace named by `traceparent`, when there is one.
pub fn set_parent_from_traceparent(span: &tracing::Span, traceparent: Option<&str>) {
    if let Some(traceparent) = traceparent {
        let carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
        let cx = TraceContextPropagator::new().extract(&carrier);
        let _ = span.set_parent(cx);
    }
}

/// The trace context carried by HTTP/2 (gRPC) request headers.
pub fn extract_from_headers(headers: &http::HeaderMap) -> Context {
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

/// Writes `span`'s trace context into outgoing HTTP/2 (gRPC) request headers.
pub fn inject_into_headers(span: &tracing::Span, headers: &mut http::HeaderMap) {
    TraceContextPropagator::new().inject_context(&span.context(), &mut HeaderInjector(headers));
}

/// The trace id of `span` in hex, for logs and audit records.
pub fn trace_id_of(span: &tracing::Span) -> Option<String> {
    use opentelemetry::trace::TraceContextExt as _;
    let cx = span.context();
    let span_ref = cx.span();
    let sc = span_ref.span_context();
    sc.is_valid().then(|| sc.trace_id().to_string())
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    /// Log output kept in memory.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::ErrorKind::Other)?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// One line logged inside a call's span, as `format` writes it.
    fn line(format: LogFormat) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::registry().with(lines(format, move || writer.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("grpc", rpc.method = "GetFund", request_id = "r-1");
            let _entered = span.enter();
            tracing::info!(fund_id = "f-1", "fund read");
        });
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn a_line_names_its_spans_fields_once() {
        for format in [LogFormat::Json, LogFormat::Test] {
            let line = line(format);
            assert_eq!(line.matches("r-1").count(), 1, "{format:?}: {line}");
            assert_eq!(line.matches("GetFund").count(), 1, "{format:?}: {line}");
            assert!(line.contains("f-1"), "{line}");
        }
    }
}
