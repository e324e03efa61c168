//! The projects service (`xingfu.projects.v1`): the shared library of "happiness matters"
//! (幸福要事), public-benefit projects in seven categories for villages and communities.
//!
//! Layout, shared by every service: `domain` holds the types and rules (no SQL, no
//! gRPC), `storage` the only SQL, `grpc` the API translating to and from the domain,
//! `events` what the service publishes and consumes.

pub mod domain;
pub mod events;
pub mod grpc;
pub mod storage;

use xingfu_platform::db::MigrationSource;
use xingfu_platform::{ServiceContext, ServiceDef, ServiceName, ServiceParts};
use xingfu_proto::projects::projects_service_server::{self, ProjectsServiceServer};

/// The projects database's migrations, for PostgreSQL and SQLite.
pub const MIGRATIONS: &[MigrationSource] = &[MigrationSource {
    version: 100,
    description: "projects",
    postgres: include_str!("../migrations/postgres/0100_projects.sql"),
    sqlite: include_str!("../migrations/sqlite/0100_projects.sql"),
}];

/// The projects service, as the binary's table of services lists it.
pub const SERVICE: ServiceDef = ServiceDef {
    name: ServiceName::Projects,
    migrations: MIGRATIONS,
    build: |ctx| Box::pin(build(ctx)),
};

/// Builds the service on its migrated database.
pub async fn build(ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    let api = grpc::ProjectsApi::new(ctx.db, ctx.outbox);
    let routes = tonic::service::Routes::new(ProjectsServiceServer::new(api));
    let mut parts = ServiceParts::new(routes, vec![projects_service_server::SERVICE_NAME]);
    parts.subscriptions = events::subscriptions();
    Ok(parts)
}
