//! The HTTP port: Prometheus metrics at `/metrics` and liveness at `/healthz`.

use std::sync::OnceLock;

use anyhow::Context as _;
use axum::Router;
use axum::routing::get;
use axum::serve::ListenerExt as _;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::runner::HTTP_GRACE;

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

/// The routes of the HTTP port.
pub fn router() -> Router {
    let handle = metrics_handle();
    Router::new()
        .route("/metrics", get(move || std::future::ready(handle.render())))
        .route("/healthz", get(|| std::future::ready("ok")))
}

/// Serves `router` on `listener` until `shutdown`, then gives open connections a short
/// grace period.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let stopped = shutdown.clone();
    // TCP_NODELAY, as on the gRPC port: no answer waits for a delayed ACK.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(error = %err, "TCP_NODELAY not set");
        }
    });
    let server = axum::serve(listener, router)
        .with_graceful_shutdown(async move { stopped.cancelled().await });
    tokio::select! {
        result = server => result.context("HTTP server failed"),
        _ = async { shutdown.cancelled().await; tokio::time::sleep(HTTP_GRACE).await } => Ok(()),
    }
}
