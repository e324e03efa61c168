//! Assembles one service's gRPC server: its routes plus `grpc.health.v1` and reflection
//! (v1 and v1alpha), behind request-id, tracing, metrics and concurrency layers, with a
//! graceful shutdown: health turns NOT_SERVING, the listener closes after the drain
//! delay, in-flight calls get the grace period to finish.

use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Server, ServerTlsConfig};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use super::layers::{GrpcMetricsLayer, make_server_span};
use crate::settings::Settings;
use crate::trust::{InternalGuardLayer, InternalToken};

/// The standard health service's name.
pub const HEALTH_SERVICE: &str = "grpc.health.v1.Health";
const REFLECTION_SERVICES: [&str; 2] = [
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// A gRPC server ready to serve on a bound listener.
pub struct GrpcServer {
    label: String,
    listener: TcpListener,
    routes: Routes,
    reporter: HealthReporter,
    services: Vec<String>,
    guard: Option<InternalToken>,
    tls: Option<ServerTlsConfig>,
}

impl GrpcServer {
    /// A server for `routes`, reporting health for `services` and describing them by
    /// reflection from xingfu's descriptor set; with a `guard`, it answers only calls that
    /// carry the internal token (and health checks).
    pub async fn new(
        label: impl Into<String>,
        listener: TcpListener,
        routes: Routes,
        services: &[&str],
        guard: Option<InternalToken>,
    ) -> anyhow::Result<Self> {
        let (reporter, health) = tonic_health::server::health_reporter();
        for name in services {
            reporter
                .set_service_status(*name, ServingStatus::Serving)
                .await;
        }
        let reflection = || {
            let mut builder = tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(xingfu_proto::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
            for name in services
                .iter()
                .chain(&[HEALTH_SERVICE])
                .chain(&REFLECTION_SERVICES)
            {
                builder = builder.with_service_name(*name);
            }
            builder
        };
        let routes = routes
            .add_service(health)
            .add_service(reflection().build_v1().context("building reflection v1")?)
            .add_service(
                reflection()
                    .build_v1alpha()
                    .context("building reflection v1alpha")?,
            );
        Ok(Self {
            label: label.into(),
            listener,
            routes,
            reporter,
            services: services.iter().map(|s| (*s).to_owned()).collect(),
            guard,
            tls: None,
        })
    }

    /// Serves TLS (and, when the config names client CAs, mutual TLS) on the port.
    pub fn with_tls(mut self, tls: ServerTlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The health reporter, to change a service's status (a failing dependency).
    pub fn health(&self) -> HealthReporter {
        self.reporter.clone()
    }

    /// Serves until `shutdown`, then drains as described above.
    pub async fn serve(
        self,
        settings: &Settings,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let GrpcServer {
            label,
            listener,
            routes,
            reporter,
            services,
            guard,
            tls,
        } = self;
        let drain = Duration::from_secs(settings.grpc.drain_delay_secs);
        let grace = Duration::from_secs(settings.grpc.shutdown_grace_secs);
        let layers = ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(TraceLayer::new_for_grpc().make_span_with(make_server_span))
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(GrpcMetricsLayer)
            .layer(GlobalConcurrencyLimitLayer::new(
                settings.grpc.concurrency_limit,
            ))
            .option_layer(guard.map(InternalGuardLayer::new))
            .into_inner();
        let signal = {
            let shutdown = shutdown.clone();
            async move {
                shutdown.cancelled().await;
                reporter
                    .set_service_status("", ServingStatus::NotServing)
                    .await;
                for name in &services {
                    reporter
                        .set_service_status(name.as_str(), ServingStatus::NotServing)
                        .await;
                }
                tracing::info!(service = %label, "draining");
                tokio::time::sleep(drain).await;
            }
        };
        let mut builder = Server::builder();
        if let Some(tls) = tls {
            builder = builder.tls_config(tls).context("the TLS settings")?;
        }
        let server = builder
            .timeout(settings.request_timeout())
            .layer(layers)
            .add_routes(routes)
            // Without TCP_NODELAY an answer written in two segments waits for the peer's
            // delayed ACK: 40 ms on Linux, on every call whose answer is more than a packet.
            .serve_with_incoming_shutdown(
                TcpIncoming::from(listener).with_nodelay(Some(true)),
                signal,
            );
        let mut server = std::pin::pin!(server);
        tokio::select! {
            result = &mut server => return result.context("gRPC server failed"),
            _ = shutdown.cancelled() => {}
        }
        match tokio::time::timeout(drain + grace, server).await {
            Ok(result) => result.context("gRPC server failed"),
            Err(_) => {
                tracing::warn!("calls still running after the shutdown grace period; closing");
                Ok(())
            }
        }
    }
}
