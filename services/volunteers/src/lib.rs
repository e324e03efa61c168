//! The volunteers service (`xingfu.volunteers.v1`): the programme's directory of
//! organisations (党组织 / 机关单位) and communities (村社 / 小区) that every other service
//! refers to; with its issue, Party-member volunteers (党员志愿者) and the service they give.
//!
//! Laid out like its siblings: `domain`, `storage`, `ops`, `grpc`.

pub mod domain;
pub mod grpc;
pub mod ops;
pub mod storage;

use xingfu_platform::db::MigrationSource;
use xingfu_platform::{ServiceContext, ServiceDef, ServiceName, ServiceParts};
use xingfu_proto::volunteers::volunteers_service_server::{self, VolunteersServiceServer};

/// The volunteers database's migrations, for PostgreSQL and SQLite.
pub const MIGRATIONS: &[MigrationSource] = &[
    MigrationSource {
        version: 100,
        description: "volunteers",
        postgres: include_str!("../migrations/postgres/0100_volunteers.sql"),
        sqlite: include_str!("../migrations/sqlite/0100_volunteers.sql"),
    },
    MigrationSource {
        version: 101,
        description: "directory",
        postgres: include_str!("../migrations/postgres/0101_directory.sql"),
        sqlite: include_str!("../migrations/sqlite/0101_directory.sql"),
    },
    MigrationSource {
        version: 102,
        description: "activities",
        postgres: include_str!("../migrations/postgres/0102_activities.sql"),
        sqlite: include_str!("../migrations/sqlite/0102_activities.sql"),
    },
    MigrationSource {
        version: 103,
        description: "register",
        postgres: include_str!("../migrations/postgres/0103_register.sql"),
        sqlite: include_str!("../migrations/sqlite/0103_register.sql"),
    },
    MigrationSource {
        version: 104,
        description: "service",
        postgres: include_str!("../migrations/postgres/0104_service.sql"),
        sqlite: include_str!("../migrations/sqlite/0104_service.sql"),
    },
];

/// The volunteers service, as the binary's table of services lists it.
pub const SERVICE: ServiceDef = ServiceDef {
    name: ServiceName::Volunteers,
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
