//! The funds service (`xingfu.funds.v1`): the charity ledger of money raised from society
//! (社会爱心资金) and granted to children and projects.
//!
//! Laid out like its siblings: `domain`, `storage`, `grpc`, `events`. For now it keeps
//! its read model of the projects it may fund; the ledger arrives with its own issue.

pub mod domain;
pub mod events;
pub mod grpc;
pub mod storage;

use xingfu_platform::db::MigrationSource;
use xingfu_platform::{ServiceContext, ServiceDef, ServiceName, ServiceParts};
use xingfu_proto::funds::funds_service_server::{self, FundsServiceServer};

/// The funds database's migrations, for PostgreSQL and SQLite.
pub const MIGRATIONS: &[MigrationSource] = &[MigrationSource {
    version: 100,
    description: "known projects",
    postgres: include_str!("../migrations/postgres/0100_known_projects.sql"),
    sqlite: include_str!("../migrations/sqlite/0100_known_projects.sql"),
}];

/// The funds service, as the binary's table of services lists it.
pub const SERVICE: ServiceDef = ServiceDef {
    name: ServiceName::Funds,
    migrations: MIGRATIONS,
    build: |ctx| Box::pin(build(ctx)),
};

/// Builds the service on its migrated database.
pub async fn build(ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    let routes = tonic::service::Routes::new(FundsServiceServer::new(grpc::FundsApi));
    let mut parts = ServiceParts::new(routes, vec![funds_service_server::SERVICE_NAME]);
    parts.subscriptions = events::subscriptions(&ctx.db);
    Ok(parts)
}
