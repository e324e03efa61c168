//! The workshops service (`xingfu.workshops.v1`): common-prosperity workshops (共富工坊),
//! the people around them and what they do for people's income.
//!
//! Laid out like its siblings: `domain` holds the types and rules (no SQL, no gRPC),
//! `storage` the only SQL, `ops` the operations (reads, admission, and writes in one
//! transaction each with its outbox event; it never reaches into `grpc`), `grpc` the API
//! (a route table and one handler module per area), `access` who may touch what, `events`
//! what the service consumes.

pub mod access;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod ops;
pub mod storage;

use xingfu_platform::db::MigrationSource;
use xingfu_platform::{ServiceContext, ServiceDef, ServiceName, ServiceParts};
use xingfu_proto::workshops::workshops_service_server::{self, WorkshopsServiceServer};

/// The workshops database's migrations, for PostgreSQL and SQLite.
pub const MIGRATIONS: &[MigrationSource] =
    xingfu_platform::migrations!["0100_workshops", "0101_workshops", "0102_order_changes",];

/// This service's name: its folder, database, stream and Kubernetes name.
pub const NAME: ServiceName = ServiceName::new("workshops");

/// Its settings' defaults, each key documented.
pub const SETTINGS: &str = include_str!("../settings.toml");

/// The workshops service, as the binary's table of services lists it.
pub const SERVICE: ServiceDef = ServiceDef {
    name: NAME,
    settings: SETTINGS,
    migrations: MIGRATIONS,
    build: |ctx| Box::pin(build(ctx)),
    subscriptions: events::subscriptions,
};

/// Builds the service on its migrated database.
pub async fn build(ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    let workshops = ops::Workshops::new(ctx.db.clone(), ctx.outbox, ctx.pii);
    let routes = tonic::service::Routes::new(WorkshopsServiceServer::new(grpc::WorkshopsApi::new(
        workshops,
    )));
    let mut parts = ServiceParts::new(routes, vec![workshops_service_server::SERVICE_NAME]);
    parts.subscriptions = events::subscriptions(&ctx.db);
    Ok(parts)
}
