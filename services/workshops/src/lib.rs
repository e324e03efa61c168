//! The workshops service (`xingfu.workshops.v1`): common-prosperity workshops (共富工坊)
//! and the income they bring.
//!
//! It runs today with its own database, health and reflection; its calls arrive with
//! its own issue, laid out like its siblings (`domain`, `storage`, `grpc`, `events`).

pub mod grpc;

use xingfu_platform::db::MigrationSource;
use xingfu_platform::{ServiceContext, ServiceDef, ServiceName, ServiceParts};
use xingfu_proto::workshops::workshops_service_server::{self, WorkshopsServiceServer};

/// The workshops database's migrations, for PostgreSQL and SQLite.
pub const MIGRATIONS: &[MigrationSource] = &[MigrationSource {
    version: 100,
    description: "workshops",
    postgres: include_str!("../migrations/postgres/0100_workshops.sql"),
    sqlite: include_str!("../migrations/sqlite/0100_workshops.sql"),
}];

/// The workshops service, as the binary's table of services lists it.
pub const SERVICE: ServiceDef = ServiceDef {
    name: ServiceName::Workshops,
    migrations: MIGRATIONS,
    build: |ctx| Box::pin(build(ctx)),
    subscriptions: |_| Vec::new(),
};

/// Builds the service on its migrated database.
pub async fn build(_ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    let routes = tonic::service::Routes::new(WorkshopsServiceServer::new(grpc::WorkshopsApi));
    let parts = ServiceParts::new(routes, vec![workshops_service_server::SERVICE_NAME]);
    Ok(parts)
}
