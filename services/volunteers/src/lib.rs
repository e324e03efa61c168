//! The volunteers service (`xingfu.volunteers.v1`): the programme's directory of
//! organisations (党组织 / 机关单位) and communities (村社 / 小区) that every other service
//! refers to; with its issue, Party-member volunteers (党员志愿者) and the service they give.
//!
//! Laid out like its siblings: `domain` holds the types and rules (no SQL, no gRPC),
//! `storage` the only SQL, `ops` the operations, reads and writes (each write one
//! transaction with its outbox event, built in `events` from the domain), `grpc` the API
//! (a route table and a module per area), `access` the checks on the caller alone.

pub mod access;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod ops;
pub mod storage;

use xingfu_platform::db::MigrationSource;
use xingfu_platform::{ServiceContext, ServiceDef, ServiceName, ServiceParts};
use xingfu_proto::volunteers::volunteers_service_server::{self, VolunteersServiceServer};

/// The volunteers database's migrations, for PostgreSQL and SQLite.
pub const MIGRATIONS: &[MigrationSource] = xingfu_platform::migrations![
    "0100_volunteers",
    "0101_directory",
    "0102_activities",
    "0103_register",
    "0104_service",
    "0105_volunteer_lifecycle",
    "0106_activity_changes",
];

/// This service's name: its folder, database, stream and Kubernetes name.
pub const NAME: ServiceName = ServiceName::new("volunteers");

/// Its settings' defaults, each key documented.
pub const SETTINGS: &str = include_str!("../settings.toml");

/// The volunteers service, as the binary's table of services lists it.
pub const SERVICE: ServiceDef = ServiceDef {
    name: NAME,
    settings: SETTINGS,
    migrations: MIGRATIONS,
    build: |ctx| Box::pin(build(ctx)),
    subscriptions: |_| Vec::new(),
};

/// Builds the service on its migrated database.
pub async fn build(ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    let volunteers = ops::Volunteers::new(ctx.db, ctx.outbox, ctx.pii);
    let routes = tonic::service::Routes::new(VolunteersServiceServer::new(
        grpc::VolunteersApi::new(volunteers),
    ));
    Ok(ServiceParts::new(
        routes,
        vec![volunteers_service_server::SERVICE_NAME],
    ))
}
