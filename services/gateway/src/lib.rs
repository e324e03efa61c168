//! The gateway: one endpoint for every public xingfu gRPC API. It forwards each call to
//! the service that owns it, chosen by the gRPC service name in the path, keeping
//! metadata, deadlines, status codes and error details, and describes every API by its
//! own reflection so a client needs no `.proto` files.

pub mod proxy;

use xingfu_platform::db::MigrationSource;
use xingfu_platform::{ServiceContext, ServiceName, ServiceParts};

/// The gateway database's migrations.
pub const MIGRATIONS: &[MigrationSource] = &[MigrationSource {
    version: 100,
    description: "gateway",
    postgres: include_str!("../migrations/postgres/0100_gateway.sql"),
    sqlite: include_str!("../migrations/sqlite/0100_gateway.sql"),
}];

/// Every public gRPC service and the service that owns it.
pub const PUBLIC_SERVICES: &[(&str, ServiceName)] = &[
    ("xingfu.projects.v1.ProjectsService", ServiceName::Projects),
    (
        "xingfu.volunteers.v1.VolunteersService",
        ServiceName::Volunteers,
    ),
    ("xingfu.funds.v1.FundsService", ServiceName::Funds),
    (
        "xingfu.workshops.v1.WorkshopsService",
        ServiceName::Workshops,
    ),
];

/// Builds the gateway: a proxy to each service's endpoint (`<service>.endpoint`).
pub async fn build(ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    let proxy = proxy::Proxy::new(&ctx.settings, PUBLIC_SERVICES)?;
    let router = axum::Router::new().fallback_service(proxy);
    Ok(ServiceParts {
        routes: tonic::service::Routes::from(router),
        grpc_services: PUBLIC_SERVICES.iter().map(|(name, _)| *name).collect(),
        subscriptions: Vec::new(),
    })
}
