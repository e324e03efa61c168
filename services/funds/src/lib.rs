//! The funds service (`xingfu.funds.v1`): the charity ledger of money raised from society
//! (社会爱心资金) and granted to children and projects.
//!
//! A double-entry ledger: every fund is an account; donations, refunds and grant payments
//! are journal transactions whose entries sum to zero, are append-only (the database
//! refuses to change them) and hash-chained, so tampering shows. No fund goes below zero.
//!
//! Laid out like its siblings: `domain` holds the types and rules (no SQL, no gRPC),
//! `storage` the only SQL, `ops` the operations and reads (one transaction per write, with
//! its outbox event built from the domain), `grpc` the API (a route table and a module per
//! area), `access` who may touch what, `events` what the service consumes, `wire` the
//! domain's enums as proto numbers.

pub mod access;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod ops;
pub mod settings;
pub mod storage;
mod wire;

use xingfu_platform::db::MigrationSource;
use xingfu_platform::{ServiceContext, ServiceDef, ServiceName, ServiceParts};
use xingfu_proto::funds::funds_service_server::{self, FundsServiceServer};

/// The funds database's migrations, for PostgreSQL and SQLite.
pub const MIGRATIONS: &[MigrationSource] = xingfu_platform::migrations![
    "0100_known_projects",
    "0101_ledger"(dialects),
    "0102_head_guard"(dialects),
    "0103_fund_owner",
];

/// This service's name: its folder, database, stream and Kubernetes name.
pub const NAME: ServiceName = ServiceName::new("funds");

/// Its settings' defaults, each key documented.
pub const SETTINGS: &str = include_str!("../settings.toml");

/// The funds service, as the binary's table of services lists it.
pub const SERVICE: ServiceDef = ServiceDef {
    name: NAME,
    settings: SETTINGS,
    migrations: MIGRATIONS,
    build: |ctx| Box::pin(build(ctx)),
    subscriptions: events::subscriptions,
};

/// Builds the service on its migrated database.
pub async fn build(ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    let ledger = ops::Ledger::new(
        ctx.db.clone(),
        ctx.outbox,
        ctx.pii,
        settings::FundsSettings::of(&ctx.settings)?
            .ledger
            .dual_approval_fen,
    );
    let routes = tonic::service::Routes::new(FundsServiceServer::new(grpc::FundsApi::new(ledger)));
    let mut parts = ServiceParts::new(routes, vec![funds_service_server::SERVICE_NAME]);
    parts.subscriptions = events::subscriptions(&ctx.db);
    Ok(parts)
}
