//! The volunteers service (`xingfu.volunteers.v1`): the directory of organisations and
//! communities, Party-member volunteers (党员志愿者) and the service they give.
//!
//! It runs today with its own database, health and reflection; its calls arrive with
//! its own issue, laid out like its siblings (`domain`, `storage`, `grpc`, `events`).

pub mod grpc;

use xingfu_platform::db::MigrationSource;
use xingfu_platform::{ServiceContext, ServiceDef, ServiceName, ServiceParts};
use xingfu_proto::volunteers::volunteers_service_server::{self, VolunteersServiceServer};

/// The volunteers database's migrations, for PostgreSQL and SQLite.
pub const MIGRATIONS: &[MigrationSource] = &[MigrationSource {
    version: 100,
    description: "volunteers",
    postgres: include_str!("../migrations/postgres/0100_volunteers.sql"),
    sqlite: include_str!("../migrations/sqlite/0100_volunteers.sql"),
}];

/// The volunteers service, as the binary's table of services lists it.
pub const SERVICE: ServiceDef = ServiceDef {
    name: ServiceName::Volunteers,
    migrations: MIGRATIONS,
    build: |ctx| Box::pin(build(ctx)),
    subscriptions: |_| Vec::new(),
};

/// Builds the service on its migrated database.
pub async fn build(_ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    let routes = tonic::service::Routes::new(VolunteersServiceServer::new(grpc::VolunteersApi));
    let parts = ServiceParts::new(routes, vec![volunteers_service_server::SERVICE_NAME]);
    Ok(parts)
}
