//! Tower layers every gRPC server runs behind: a span per call (continuing the caller's
//! trace), a failure log whose level follows the status, call metrics by method and
//! status, and INVALID_ARGUMENT for a request that is not protobuf.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::{HeaderValue, Request, Response};
use tower::{Layer, Service};
use tower_http::classify::{GrpcCode, GrpcFailureClass};
use tracing::Level;

use crate::telemetry;

/// The span of one incoming call, a child of the caller's `traceparent` when it sent one.
pub fn make_server_span<B>(request: &Request<B>) -> tracing::Span {
    let path = request.uri().path();
    let (service, method) = split_path(path);
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let span = tracing::info_span!(
        "grpc",
        otel.name = %path.trim_start_matches('/'),
        otel.kind = "server",
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
        request_id = %request_id,
    );
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    let _ = span.set_parent(telemetry::extract_from_headers(request.headers()));
    span
}

/// Logs a failed call at [`failure_level`].
pub fn log_failure(class: GrpcFailureClass, latency: Duration, _span: &tracing::Span) {
    let latency_ms = latency.as_millis();
    let code = match &class {
        GrpcFailureClass::Status(status) => status.code(),
        _ => None,
    };
    match failure_level(code) {
        Level::ERROR => tracing::error!(classification = %class, latency_ms, "call failed"),
        Level::WARN => tracing::warn!(classification = %class, latency_ms, "call failed"),
        Level::INFO => tracing::info!(classification = %class, latency_ms, "call failed"),
        _ => tracing::debug!(classification = %class, latency_ms, "call failed"),
    }
}

/// ERROR only for what is the server's fault (INTERNAL, UNKNOWN, DATA_LOSS), WARN for
/// overload, deadlines and broken streams (`None`: no status, usually a peer gone), INFO
/// for refusals worth a security review (UNAUTHENTICATED, PERMISSION_DENIED), DEBUG for
/// the rest of the caller's mistakes and the domain's answers (INVALID_ARGUMENT,
/// NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, …): a call's own lines are DEBUG, so an
/// alert on ERROR fires for bugs and a busy server's INFO stays readable.
pub fn failure_level(code: Option<GrpcCode>) -> Level {
    match code {
        Some(GrpcCode::Internal | GrpcCode::Unknown | GrpcCode::DataLoss) => Level::ERROR,
        None
        | Some(
            GrpcCode::Unavailable
            | GrpcCode::DeadlineExceeded
            | GrpcCode::ResourceExhausted
            | GrpcCode::Aborted,
        ) => Level::WARN,
        Some(GrpcCode::Unauthenticated | GrpcCode::PermissionDenied) => Level::INFO,
        Some(_) => Level::DEBUG,
    }
}

/// tonic answers a request body that is not the method's protobuf message with INTERNAL
/// "failed to decode Protobuf message"; it is the caller's mistake, so INVALID_ARGUMENT.
/// Only trailers-only answers (the status in the headers) carry it: the request is decoded
/// before any answer starts.
pub fn decode_failure_is_invalid_argument<B>(mut response: Response<B>) -> Response<B> {
    let decode_failure = tonic::Status::from_header_map(response.headers()).is_some_and(|s| {
        s.code() == tonic::Code::Internal
            && s.message().starts_with("failed to decode Protobuf message")
    });
    if decode_failure {
        response.headers_mut().insert(
            "grpc-status",
            HeaderValue::from(tonic::Code::InvalidArgument as i32),
        );
    }
    response
}

fn split_path(path: &str) -> (&str, &str) {
    let trimmed = path.trim_start_matches('/');
    trimmed.split_once('/').unwrap_or((trimmed, ""))
}

/// Records `xingfu_grpc_server_calls_total` and `xingfu_grpc_server_seconds` per method and
/// status (the status of unary errors travels in the response headers) and, as an access
/// log when asked (`log.access`), one INFO line per call.
#[derive(Clone, Debug, Default)]
pub struct GrpcMetricsLayer {
    access: bool,
}

impl GrpcMetricsLayer {
    /// Metrics, and an access log line per call when `access`.
    pub fn new(access: bool) -> Self {
        Self { access }
    }
}

impl<S> Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetrics {
            inner,
            access: self.access,
        }
    }
}

/// See [`GrpcMetricsLayer`].
#[derive(Clone, Debug)]
pub struct GrpcMetrics<S> {
    inner: S,
    access: bool,
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for GrpcMetrics<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqB>) -> Self::Future {
        let method = request.uri().path().trim_start_matches('/').to_owned();
        let started = Instant::now();
        let access = self.access;
        let future = self.inner.call(request);
        Box::pin(async move {
            let result = future.await;
            let code: &'static str = match &result {
                Ok(response) => response
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i32>().ok())
                    .map_or("OK", |c| code_name(tonic::Code::from_i32(c))),
                Err(_) => "UNAVAILABLE",
            };
            // Paths of no known method would grow the series without bound.
            let method = if code == "UNIMPLEMENTED" {
                "unknown".to_owned()
            } else {
                method
            };
            metrics::counter!("xingfu_grpc_server_calls_total", "method" => method.clone(), "code" => code)
                .increment(1);
            let elapsed = started.elapsed();
            if access {
                // Inside the call's span: the line carries its method and request id.
                tracing::info!(target: "xingfu::access", code, latency_ms = elapsed.as_millis(), "call");
            }
            metrics::histogram!("xingfu_grpc_server_seconds", "method" => method)
                .record(elapsed.as_secs_f64());
            result
        })
    }
}

/// The name of a gRPC status code, e.g. `INVALID_ARGUMENT`, as logs, metrics and the audit
/// write it.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_service_and_method() {
        assert_eq!(
            split_path("/xingfu.example.v1.ExampleService/GetThing"),
            ("xingfu.example.v1.ExampleService", "GetThing")
        );
        assert_eq!(split_path("/"), ("", ""));
    }

    #[test]
    fn only_the_servers_faults_are_errors() {
        for code in [GrpcCode::Internal, GrpcCode::Unknown, GrpcCode::DataLoss] {
            assert_eq!(failure_level(Some(code)), Level::ERROR, "{code:?}");
        }
        for code in [GrpcCode::Unavailable, GrpcCode::DeadlineExceeded] {
            assert_eq!(failure_level(Some(code)), Level::WARN, "{code:?}");
        }
        for code in [GrpcCode::PermissionDenied, GrpcCode::Unauthenticated] {
            assert_eq!(failure_level(Some(code)), Level::INFO, "{code:?}");
        }
        for code in [
            GrpcCode::InvalidArgument,
            GrpcCode::NotFound,
            GrpcCode::AlreadyExists,
            GrpcCode::FailedPrecondition,
            GrpcCode::Unimplemented,
        ] {
            assert_eq!(failure_level(Some(code)), Level::DEBUG, "{code:?}");
        }
    }
}
