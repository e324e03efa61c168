//! The HTTP port: Prometheus metrics at `/metrics`, liveness at `/healthz` and readiness
//! at `/readyz`, plus the routes services add (the gateway's JSON API), behind the same
//! connection hygiene as the gRPC ports (see [`crate::net`]).

use std::sync::OnceLock;

use axum::Router;
use axum::routing::get;
use futures_util::StreamExt as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tower::ServiceBuilder;
use tower_http::timeout::TimeoutLayer;

use crate::grpc::LocalService;
use crate::name::ServiceName;
use crate::net::{self, ActivityLayer, Limits};
use crate::settings::Settings;

/// How long `/readyz` waits for each service's health check.
const READINESS_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// How long the HTTP port waits for open connections after shutdown.
const HTTP_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's metrics recorder, installed on first use.
pub fn metrics_handle() -> PrometheusHandle {
    RECORDER
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Fails only when another recorder is installed (a test harness); ours then
            // renders nothing, which is all we can do.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// The platform's routes of the HTTP port, each bounded by the gRPC request timeout. A
/// service's own routes (the gateway's JSON API) bring their own bound.
pub fn router(settings: &Settings) -> Router {
    let handle = metrics_handle();
    Router::new()
        .route("/metrics", get(move || std::future::ready(handle.render())))
        .route("/healthz", get(|| std::future::ready("ok")))
        .layer(timeout(settings.request_timeout()))
}

/// `/readyz`: 200 when every service of this process answers SERVING to its overall
/// health check (as a gRPC probe would ask its port), 503 naming the others. A probe that
/// cannot speak TLS (Kubernetes' gRPC probe, when `auth.internal_tls` is on) uses it.
pub fn readiness(services: Vec<(ServiceName, LocalService)>) -> Router {
    Router::new().route(
        "/readyz",
        get(move || {
            let services = services.clone();
            async move {
                let mut not_ready = Vec::new();
                for (name, stack) in services {
                    let mut client = HealthClient::new(stack);
                    let check = client.check(HealthCheckRequest {
                        service: String::new(),
                    });
                    // A service too busy to answer in time is not ready for more.
                    let answer = tokio::time::timeout(READINESS_CHECK_TIMEOUT, check).await;
                    let serving = answer.is_ok_and(|answer| {
                        answer.is_ok_and(|reply| {
                            reply.into_inner().status == ServingStatus::Serving as i32
                        })
                    });
                    if !serving {
                        not_ready.push(name.to_string());
                    }
                }
                if not_ready.is_empty() {
                    (http::StatusCode::OK, "ready".to_owned())
                } else {
                    (
                        http::StatusCode::SERVICE_UNAVAILABLE,
                        format!("not serving: {}", not_ready.join(", ")),
                    )
                }
            }
        }),
    )
}

/// Bounds a request, its body included: one whose body trickles in is a call in flight,
/// so the idle timeout does not see it; past `longest` it gets 408.
pub fn timeout(longest: std::time::Duration) -> TimeoutLayer {
    TimeoutLayer::with_status_code(http::StatusCode::REQUEST_TIMEOUT, longest)
}

/// Serves `router` on `listener` until `shutdown`, then gives open connections a short
/// grace period.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: &Settings,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let limits = Limits::from(&settings.connections);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // hyper enforces its HTTP/1 header timeout (each request's, not only the first) and
    // HTTP/2 pings only with a timer.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(limits.keepalive_interval))
        .keep_alive_timeout(limits.keepalive_timeout);
    let graceful = GracefulShutdown::new();
    {
        let mut incoming = std::pin::pin!(net::incoming(listener, limits, "http".to_owned()));
        loop {
            let accepted = tokio::select! {
                accepted = incoming.next() => accepted,
                _ = shutdown.cancelled() => break,
            };
            let connection = match accepted {
                Some(Ok(connection)) => connection,
                Some(Err(err)) => {
                    tracing::debug!(error = %err, "accepting an HTTP connection failed");
                    continue;
                }
                None => break,
            };
            let info = connection.info();
            let service = ServiceBuilder::new()
                .map_request(move |request: http::Request<Incoming>| {
                    let mut request = request.map(axum::body::Body::new);
                    request.extensions_mut().insert(info.clone());
                    request
                })
                .layer(ActivityLayer)
                .service(router.clone());
            let served = builder
                .serve_connection(TokioIo::new(connection), TowerToHyperService::new(service))
                .into_owned();
            let served = graceful.watch(served);
            tokio::spawn(async move {
                if let Err(err) = served.await {
                    tracing::debug!(error = %err, "HTTP connection ended with an error");
                }
            });
        }
        // The listener closes here, before the grace period: no new connection waits.
    }
    if tokio::time::timeout(HTTP_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::debug!("HTTP connections still open after the grace period; closing");
    }
    Ok(())
}
