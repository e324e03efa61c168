//! The projects service (`xingfu.projects.v1`): the shared library of "happiness matters"
//! (幸福要事). Residents' needs become public-benefit projects in seven categories;
//! organisations claim and lead them; visits deliver them into villages and communities;
//! teams keep service contracts with communities.
//!
//! Layout, shared by every service: `domain` holds the types and rules (no SQL, no
//! gRPC), `storage` the only SQL, `ops` the operations, reads and writes (each write one
//! transaction with its outbox event), `grpc` the API (a route table and one module per
//! area, translating to and from the domain), `access` who may touch what, `events` what
//! the service consumes, `wire` the domain's enums as proto numbers for both directions.

pub mod access;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod ops;
pub mod storage;
pub mod wire;

use xingfu_platform::db::MigrationSource;
use xingfu_platform::{ServiceContext, ServiceDef, ServiceName, ServiceParts};
use xingfu_proto::projects::projects_service_server::{self, ProjectsServiceServer};

/// The projects database's migrations, for PostgreSQL and SQLite.
pub const MIGRATIONS: &[MigrationSource] = xingfu_platform::migrations![
    "0100_projects",
    "0101_library",
    "0102_versions",
    "0103_count_shards",
    "0104_milestones",
];

/// This service's name: its folder, database, stream and Kubernetes name.
pub const NAME: ServiceName = ServiceName::new("projects");

/// Its settings' defaults, each key documented.
pub const SETTINGS: &str = include_str!("../settings.toml");

/// The projects service, as the binary's table of services lists it.
pub const SERVICE: ServiceDef = ServiceDef {
    name: NAME,
    settings: SETTINGS,
    migrations: MIGRATIONS,
    build: |ctx| Box::pin(build(ctx)),
    subscriptions: events::subscriptions,
};

/// Builds the service on its migrated database.
pub async fn build(ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    let library = ops::Library::new(ctx.db.clone(), ctx.outbox, ctx.pii);
    let routes = tonic::service::Routes::new(ProjectsServiceServer::new(grpc::ProjectsApi::new(
        library.clone(),
    )));
    let mut parts = ServiceParts::new(routes, vec![projects_service_server::SERVICE_NAME]);
    parts.subscriptions = events::subscriptions(&ctx.db);
    parts.background.push(Box::new(move |_health, shutdown| {
        Box::pin(library.sweep_expired_contracts(shutdown))
    }));
    Ok(parts)
}
