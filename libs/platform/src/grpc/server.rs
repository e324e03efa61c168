//! Assembles one service's gRPC server: its routes plus `grpc.health.v1` and reflection
//! (v1 and v1alpha), behind request-id, tracing, metrics and concurrency layers, with a
//! graceful shutdown: health turns NOT_SERVING, the listener closes after the drain
//! delay, in-flight calls get the grace period to finish. The port speaks plaintext, TLS
//! (the gateway's), or the deployment's internal mutual TLS (a service behind it).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use futures_util::future::BoxFuture;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::body::Body;
use tonic::service::Routes;
use tonic::transport::{Server, ServerTlsConfig};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::{ServiceBuilder, ServiceExt as _};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use super::LocalService;
use super::layers::{
    GrpcMetricsLayer, decode_failure_is_invalid_argument, log_failure, make_server_span,
};
use crate::internal_tls::InternalTls;
use crate::net::{self, ActivityLayer, Limits};
use crate::rules::{Rules, RulesLayer};
use crate::settings::Settings;
use crate::trust::ActingLayer;
use crate::trust::InternalGuardLayer;

pub use crate::trust::HEALTH_SERVICE;
/// How long a connection to an internal mutual-TLS port lives before it is closed
/// gracefully (clients reconnect, shaking hands with the current certificates).
const INTERNAL_TLS_CONNECTION_AGE: Duration = Duration::from_secs(600);
const REFLECTION_SERVICES: [&str; 2] = [
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// A gRPC server ready to serve on a bound listener.
pub struct GrpcServer {
    label: String,
    listener: TcpListener,
    stack: LocalService,
    reporter: HealthReporter,
    services: Vec<String>,
    tls: Option<ServerTlsConfig>,
    internal_tls: Option<InternalTls>,
}

impl GrpcServer {
    /// A server for `routes`, reporting health for `services` and describing them by
    /// reflection from xingfu's descriptor set; with a `guard`, it answers only the calls
    /// the guard admits (and health checks), and with `rules`, only requests that keep
    /// the rules their protos declare.
    pub async fn new(
        label: impl Into<String>,
        listener: TcpListener,
        routes: Routes,
        services: &[&str],
        guard: Option<InternalGuardLayer>,
        rules: Option<Arc<Rules>>,
        settings: &Settings,
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
            stack: stack(routes, settings, guard, rules),
            reporter,
            services: services.iter().map(|s| (*s).to_owned()).collect(),
            tls: None,
            internal_tls: None,
        })
    }

    /// Serves TLS (and, when the config names client CAs, mutual TLS) on the port.
    pub fn with_tls(mut self, tls: ServerTlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Serves mutual TLS with the deployment's internal certificates, reloaded as they
    /// change (a service behind the gateway).
    pub fn with_internal_tls(mut self, tls: Option<InternalTls>) -> Self {
        self.internal_tls = tls;
        self
    }

    /// The health reporter, to change a service's status (a failing dependency).
    pub fn health(&self) -> HealthReporter {
        self.reporter.clone()
    }

    /// This server's stack, for calls from the same process (see [`LocalServices`]):
    /// the layers and routes its port serves, sharing its concurrency limit.
    ///
    /// [`LocalServices`]: super::LocalServices
    pub fn local(&self) -> LocalService {
        self.stack.clone()
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
            stack,
            reporter,
            services,
            tls,
            internal_tls,
        } = self;
        let drain = Duration::from_secs(settings.grpc.drain_delay_secs);
        let grace = Duration::from_secs(settings.grpc.shutdown_grace_secs);
        let routes = Routes::from(axum::Router::new().fallback_service(
            stack.map_request(|request: http::Request<axum::body::Body>| request.map(Body::new)),
        ));
        let limits = Limits::from(&settings.connections);
        let incoming = net::incoming(listener, limits, label.clone());
        let port = label.clone();
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
        let mut builder = Server::builder()
            .http2_keepalive_interval(Some(limits.keepalive_interval))
            .http2_keepalive_timeout(Some(limits.keepalive_timeout))
            .layer(ActivityLayer);
        if let Some(tls) = tls {
            builder = builder.tls_config(tls).context("the TLS settings")?;
        }
        if internal_tls.is_some() {
            // A client's certificate is checked once, at the handshake: connections are
            // renewed so that a removed CA or an expired certificate stops counting.
            builder = builder
                .max_connection_age(INTERNAL_TLS_CONNECTION_AGE)
                .max_connection_age_grace(grace);
        }
        let router = builder
            .timeout(settings.request_timeout())
            .add_routes(routes);
        let server: BoxFuture<'_, Result<(), tonic::transport::Error>> = match internal_tls {
            Some(tls) => Box::pin(router.serve_with_incoming_shutdown(
                tls.accept(
                    incoming,
                    limits.max_connections,
                    limits.header_read_timeout,
                    port,
                ),
                signal,
            )),
            None => Box::pin(router.serve_with_incoming_shutdown(incoming, signal)),
        };
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

/// `routes` behind the layers every call goes through, whether it came over the network
/// or from the same process.
fn stack(
    routes: Routes,
    settings: &Settings,
    guard: Option<InternalGuardLayer>,
    rules: Option<Arc<Rules>>,
) -> LocalService {
    let service = ServiceBuilder::new()
        .map_response(|response: http::Response<_>| response.map(Body::new))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(
            TraceLayer::new_for_grpc()
                .make_span_with(make_server_span)
                .on_failure(log_failure),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(GrpcMetricsLayer::new(settings.log.access))
        .map_response(decode_failure_is_invalid_argument)
        .layer(GlobalConcurrencyLimitLayer::new(
            settings.grpc.concurrency_limit,
        ))
        .option_layer(guard)
        .layer(ActingLayer)
        .option_layer(rules.map(RulesLayer::new))
        .service(routes);
    LocalService::new(service)
}
