//! The gateway: one endpoint for every public xingfu gRPC API. It forwards each call to
//! the service that owns it, chosen by the gRPC service name in the path, keeping
//! metadata, deadlines, status codes and error details, and describes every API by its
//! own reflection so a client needs no `.proto` files.

pub mod api;
pub mod audit;
pub mod auth;
pub mod descriptors;
pub mod health;
pub mod http;
pub mod jwt;
pub mod labels;
pub mod layers;
pub mod limits;
pub mod overview;
pub mod principals;
pub mod proxy;
pub mod settings;
pub mod subtree;

use anyhow::Context as _;
use xingfu_platform::db::MigrationSource;
use xingfu_platform::{FrontDoor, ServiceContext, ServiceDef, ServiceName, ServiceParts};

/// The gateway database's migrations.
pub const MIGRATIONS: &[MigrationSource] = xingfu_platform::migrations![
    "0100_gateway",
    "0101_audit",
    "0102_directory",
    "0103_principals",
    "0104_audit_on_behalf_of",
    "0105_principal_township",
];

/// Every public gRPC service and the service that owns it.
pub const PUBLIC_SERVICES: &[(&str, ServiceName)] = &[
    (
        "xingfu.projects.v1.ProjectsService",
        ServiceName::new("projects"),
    ),
    (
        "xingfu.volunteers.v1.VolunteersService",
        ServiceName::new("volunteers"),
    ),
    ("xingfu.funds.v1.FundsService", ServiceName::new("funds")),
    (
        "xingfu.workshops.v1.WorkshopsService",
        ServiceName::new("workshops"),
    ),
];

/// This service's name: its folder, database, stream and Kubernetes name.
pub const NAME: ServiceName = ServiceName::new("gateway");

/// Its settings' defaults, each key documented.
pub const SETTINGS: &str = include_str!("../settings.toml");

/// The gateway, as the binary's table of services lists it.
pub const SERVICE: ServiceDef = ServiceDef {
    name: NAME,
    settings: SETTINGS,
    migrations: MIGRATIONS,
    build: |ctx| Box::pin(build(ctx)),
    subscriptions,
};

/// What the gateway consumes: the directory, to check organisation subtrees.
pub fn subscriptions(
    db: &xingfu_platform::db::Database,
) -> Vec<xingfu_platform::events::Subscription> {
    vec![xingfu_directory::directory_subscription(
        "gateway-directory",
        db,
    )]
}

/// Builds the gateway: its [`layers`] around a proxy to each service's endpoint
/// (`<service>.endpoint`).
pub async fn build(ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    let own = settings::GatewaySettings::of(&ctx.settings)?;
    let principals = principals::Principals::load(
        ctx.db.clone(),
        ctx.outbox.clone(),
        std::time::Duration::from_millis(own.auth.refresh_ms.max(50)),
    )
    .await?;
    let auth =
        auth::Auth::load(&ctx.settings.data_dir, &own.auth)?.with_principals(principals.clone());
    let upstreams =
        proxy::Upstreams::new(&ctx.settings, PUBLIC_SERVICES, ctx.internal_tls.as_ref())?;
    let channel = |owner| {
        upstreams
            .channel(owner)
            .ok_or_else(|| anyhow::anyhow!("no upstream for {owner}"))
    };
    let sources = overview::Sources::new(
        ctx.internal.clone(),
        channel(ServiceName::new("projects"))?,
        channel(ServiceName::new("volunteers"))?,
        channel(ServiceName::new("funds"))?,
        channel(ServiceName::new("workshops"))?,
    );
    let (auditor, audit_writer) = audit::Auditor::new(ctx.db.clone(), ctx.outbox.clone());
    let proxy = proxy::Proxy::new(
        upstreams.clone(),
        ctx.local.clone(),
        api::GatewayApi::new(
            sources,
            auditor.clone(),
            api::principals::PrincipalsApi::new(principals.clone(), ctx.db.clone()),
        ),
    );
    let gateway = layers::Layers {
        upstreams: upstreams.clone(),
        limits: limits::Limits::new(&own.limits, auth.rates()),
        auth,
        internal: ctx.internal.clone(),
        auditor,
        subtrees: subtree::Subtrees::new(ctx.db.clone()),
    }
    .around(proxy);
    // A JSON call may take as long as the longest deadline a caller may ask for.
    let longest = ctx
        .settings
        .request_timeout()
        .max(std::time::Duration::from_millis(own.limits.max_deadline_ms));
    let http = http::rest::router(gateway.clone())
        .merge(http::dashboard::router())
        .route(
            "/openapi.json",
            axum::routing::get(|| async {
                http::rest::json_response(::http::StatusCode::OK, &http::openapi::document())
            }),
        )
        .layer(xingfu_platform::http::timeout(longest));
    let router = axum::Router::new().fallback_service(gateway);
    let names = PUBLIC_SERVICES
        .iter()
        .map(|(name, _)| *name)
        .chain([xingfu_proto::gateway::gateway_service_server::SERVICE_NAME])
        .collect();
    let mut parts = ServiceParts::new(tonic::service::Routes::from(router), names);
    parts.http = Some(http);
    parts.front_door = Some(FrontDoor {
        tls: port_tls(&own.tls)?,
    });
    parts.subscriptions = subscriptions(&ctx.db);
    parts.background.push(Box::new(move |reporter, shutdown| {
        Box::pin(health::watch_upstreams(
            upstreams.channels(),
            reporter,
            shutdown,
        ))
    }));
    parts.background.push(Box::new(move |_, shutdown| {
        Box::pin(principals.run(shutdown))
    }));
    parts.until_drained.push(Box::new(move |_, drained| {
        Box::pin(audit_writer.run(drained))
    }));
    Ok(parts)
}

/// This port's TLS, when `gateway.tls.cert_file` and `gateway.tls.key_file` are set.
fn port_tls(
    tls: &settings::TlsSettings,
) -> anyhow::Result<Option<tonic::transport::ServerTlsConfig>> {
    use tonic::transport::{Certificate, Identity, ServerTlsConfig};
    let (Some(cert), Some(key)) = (&tls.cert_file, &tls.key_file) else {
        anyhow::ensure!(
            tls.cert_file.is_none() && tls.key_file.is_none() && tls.client_ca_file.is_none(),
            "gateway.tls.cert_file and gateway.tls.key_file go together (and \
             gateway.tls.client_ca_file needs them)"
        );
        return Ok(None);
    };
    let read = |path: &std::path::PathBuf, key: &str| {
        std::fs::read(path).with_context(|| format!("reading {key} {}", path.display()))
    };
    let mut config = ServerTlsConfig::new().identity(Identity::from_pem(
        read(cert, "gateway.tls.cert_file")?,
        read(key, "gateway.tls.key_file")?,
    ));
    if let Some(ca) = &tls.client_ca_file {
        config = config
            .client_ca_root(Certificate::from_pem(read(
                ca,
                "gateway.tls.client_ca_file",
            )?))
            .client_auth_optional(true);
    }
    Ok(Some(config))
}
