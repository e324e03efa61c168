//! What a domain service hands to the runner: its gRPC routes, the names it reports
//! health for, and the event subscriptions it consumes.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic_health::server::HealthReporter;

use crate::db::{Database, MigrationSource};
use crate::events::{Outbox, Subscription};
use crate::grpc::LocalServices;
use crate::pii::Protector;
use crate::settings::Settings;
use crate::trust::InternalToken;

pub use crate::name::ServiceName;

/// What a domain service is built from: its database (migrated), its outbox, settings.
#[derive(Clone)]
pub struct ServiceContext {
    /// Which service this is.
    pub name: ServiceName,
    /// Its own database, migrated.
    pub db: Database,
    /// Its outbox, for writes that emit events.
    pub outbox: Outbox,
    /// Seals personal data at rest.
    pub pii: Protector,
    /// The token calls between the gateway and the services carry.
    pub internal: InternalToken,
    /// The deployment's internal TLS, when on: what the gateway presents to the services.
    pub internal_tls: Option<crate::internal_tls::InternalTls>,
    /// The services running in this process, for calls that need not leave it.
    pub local: LocalServices,
    /// The whole configuration.
    pub settings: Arc<Settings>,
}

/// What a built service hands to the runner.
pub struct ServiceParts {
    /// Its gRPC services.
    pub routes: Routes,
    /// Full names of its gRPC services (`xingfu.projects.v1.ProjectsService`), reported
    /// by the health service and listed by reflection.
    pub grpc_services: Vec<&'static str>,
    /// The events it consumes from other services.
    pub subscriptions: Vec<Subscription>,
    /// Work it does in the background (expiry sweeps, health watches) until shutdown.
    pub background: Vec<Background>,
    /// Work that must go on until its port has drained, not just until shutdown begins
    /// (the gateway's audit writer, which the calls in flight still feed): its token is
    /// cancelled once the service has stopped serving.
    pub until_drained: Vec<Background>,
    /// Routes it adds to the process's HTTP port (the gateway's JSON API and dashboard).
    pub http: Option<axum::Router>,
    /// Set when this service is the suite's front door (see [`FrontDoor`]); every other
    /// service stands behind it.
    pub front_door: Option<FrontDoor>,
}

/// What makes a service the front door, rather than one standing behind it: it
/// authenticates its callers itself (the others admit only calls carrying the internal
/// token), it serves TLS when given it, its health per API follows the services behind
/// it (not its own database), it is never called in-process, and it drains before the
/// services behind it stop, so a call in flight through it finds them still answering.
#[derive(Default)]
pub struct FrontDoor {
    /// Its port's TLS (and mutual TLS), if any.
    pub tls: Option<tonic::transport::ServerTlsConfig>,
}

impl ServiceParts {
    /// Parts with `routes` serving `grpc_services`, and nothing else yet.
    pub fn new(routes: Routes, grpc_services: Vec<&'static str>) -> Self {
        Self {
            routes,
            grpc_services,
            subscriptions: Vec::new(),
            background: Vec::new(),
            until_drained: Vec::new(),
            http: None,
            front_door: None,
        }
    }
}

/// A background task of a service: given the service's health reporter, it runs until
/// the token is cancelled.
pub type Background =
    Box<dyn FnOnce(HealthReporter, CancellationToken) -> BoxFuture<'static, ()> + Send>;

/// How to build a service: what the binary's table of services holds.
#[derive(Clone, Copy)]
pub struct ServiceDef {
    /// Which service.
    pub name: ServiceName,
    /// Its settings' defaults: a TOML file of its own section (`[projects]`, and nested
    /// tables for keys of its own), each key documented; its crate's `settings.toml`.
    pub settings: &'static str,
    /// Its database migrations.
    pub migrations: &'static [MigrationSource],
    /// Builds it on its migrated database.
    pub build: fn(ServiceContext) -> BoxFuture<'static, anyhow::Result<ServiceParts>>,
    /// The events it consumes, on its database (what `build` wires, and what
    /// `xingfu events replay` rebuilds).
    pub subscriptions: fn(&Database) -> Vec<Subscription>,
}
