//! The plumbing every xingfu service shares, written once: typed settings, telemetry,
//! databases and migrations, gRPC serving, the error-to-status mapping, and events
//! (transactional outbox, relay, consumers with an inbox) over NATS JetStream or an
//! in-process bus.

pub mod acting;
pub mod checked;
pub mod counters;
pub mod date;
pub mod db;
pub mod error;
pub mod events;
pub mod files;
pub mod grpc;
pub mod hex;
pub mod http;
pub mod internal_tls;
pub mod name;
pub mod named;
pub mod net;
pub mod paging;
pub mod pii;
pub mod principal;
pub mod rules;
pub mod runner;
pub mod secret;
pub mod service;
pub mod settings;
pub mod shutdown;
pub mod telemetry;
pub mod time;
pub mod trust;
pub mod validate;

pub use error::{AllParsed, Error, FieldViolation, Violations};
pub use service::{Background, FrontDoor, ServiceContext, ServiceDef, ServiceName, ServiceParts};
pub use settings::Settings;
