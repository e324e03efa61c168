//! The sections of the configuration, one type each; `defaults.toml` documents each key.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::secret::Secret;

/// Log output.
#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    /// Line format.
    pub format: LogFormat,
    /// A `tracing` filter directive (`RUST_LOG` wins when set).
    pub filter: String,
    /// One INFO line per call (method, code, latency, request id): an access log. Off by
    /// default; a call's own lines are at DEBUG, so a busy server stays quiet.
    pub access: bool,
}

/// How log lines look.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
    /// Lines captured by the test harness (shown only for failing tests).
    Test,
}

/// The shared database server.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// PostgreSQL server URL; each service uses its own database `xingfu_<service>` on it.
    pub url: Option<Secret>,
    /// Database names on that server are `<name_prefix>_<service>`.
    pub name_prefix: String,
    /// Pool size per service.
    pub max_connections: u32,
    /// Seconds to wait for a pooled connection.
    pub acquire_timeout_secs: u64,
}

/// NATS JetStream.
#[derive(Debug, Clone, Deserialize)]
pub struct NatsSettings {
    /// Server URL; unset means the in-process bus.
    pub url: Option<Secret>,
    /// First subject token and stream-name prefix.
    pub prefix: String,
    /// Deliveries before a consumer gives an event up.
    pub max_deliver: i64,
    /// Seconds before an unacknowledged event is redelivered.
    pub ack_wait_secs: u64,
    /// Days an event is kept in its stream.
    pub max_age_days: u64,
    /// Megabytes a stream may hold before its oldest events go.
    pub max_megabytes: i64,
    /// Stream replicas.
    pub replicas: usize,
}

/// Personal data protection.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PiiSettings {
    /// 64 hex digits; unset means `<data_dir>/pii.key`, generated once.
    pub key: Option<Secret>,
}

/// How the suite's own parts trust each other.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// The token the services require from the gateway (at least 32 characters); unset
    /// means `<data_dir>/internal-token`, generated once.
    pub internal_token: Option<Secret>,
    /// Mutual TLS between the gateway and the services behind it.
    #[serde(default)]
    pub internal_tls: InternalTlsSettings,
}

/// Mutual TLS between the suite's pods: off until all three files are set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InternalTlsSettings {
    /// The CA (PEM) that signs every pod's certificate, and the only one trusted.
    pub ca_file: Option<PathBuf>,
    /// This pod's certificate chain (PEM).
    pub cert_file: Option<PathBuf>,
    /// This pod's private key (PEM).
    pub key_file: Option<PathBuf>,
    /// DNS names (comma-separated) a client certificate must carry one of for a call to be
    /// trusted as the gateway's without the internal token.
    pub trusted_peers: String,
    /// Seconds between looks at the files; changed files serve new connections.
    pub reload_secs: u64,
    /// Whether the port also takes plaintext connections (whose calls need the token):
    /// for the steps of a move to mutual TLS, not to stay.
    pub accept_plaintext: bool,
}

impl Default for InternalTlsSettings {
    fn default() -> Self {
        Self {
            ca_file: None,
            cert_file: None,
            key_file: None,
            trusted_peers: "gateway".to_owned(),
            reload_secs: 10,
            accept_plaintext: false,
        }
    }
}

/// OpenTelemetry export.
#[derive(Debug, Clone, Deserialize)]
pub struct OtelSettings {
    /// OTLP/gRPC endpoint; unset means no export (trace context still propagates).
    pub endpoint: Option<String>,
}

/// gRPC serving.
#[derive(Debug, Clone, Deserialize)]
pub struct GrpcSettings {
    /// Longest time a call may take.
    pub request_timeout_secs: u64,
    /// Calls served at once per service.
    pub concurrency_limit: usize,
    /// Seconds between NOT_SERVING and closing the listener.
    pub drain_delay_secs: u64,
    /// Seconds in-flight calls get after the listener closes.
    pub shutdown_grace_secs: u64,
    /// The gateway calls a service running in the same process in-process, without the
    /// loopback HTTP/2 hop; false sends every call over the network, as between pods.
    pub in_process: bool,
}

/// The HTTP port.
#[derive(Debug, Clone, Deserialize)]
pub struct HttpSettings {
    /// Listen address; port 0 picks a free port.
    pub listen: SocketAddr,
}

/// Connection hygiene on every port: what an unauthenticated client may hold open.
#[derive(Debug, Clone, Deserialize)]
pub struct ConnectionSettings {
    /// Seconds a new connection gets to send its first complete request.
    pub header_read_timeout_secs: u64,
    /// Seconds a connection may stay open with no call in flight.
    pub idle_timeout_secs: u64,
    /// Seconds between HTTP/2 pings (and the TCP keepalive idle time).
    pub keepalive_interval_secs: u64,
    /// Seconds an HTTP/2 ping may go unanswered before the connection is closed.
    pub keepalive_timeout_secs: u64,
    /// Connections open at once per port; beyond it new ones are closed at once.
    pub max_connections: usize,
}

/// One service's own settings (`XINGFU__<SERVICE>__…`).
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceSettings {
    /// gRPC listen address; port 0 picks a free port.
    pub listen: SocketAddr,
    /// How the gateway and other services reach it (`http://projects:50061`); defaults to
    /// the listen address when the service runs in the same process.
    pub endpoint: Option<String>,
    /// This service's own database.
    #[serde(default)]
    pub database: ServiceDatabaseSettings,
}

impl ServiceSettings {
    /// What a service without a section of its own gets: a free port on the loopback
    /// interface, reached where it listens, on the shared database settings.
    pub fn unconfigured() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            endpoint: None,
            database: ServiceDatabaseSettings::default(),
        }
    }
}

/// A service's own database, overriding the shared server.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServiceDatabaseSettings {
    /// Full PostgreSQL URL of this service's database (created if missing).
    pub url: Option<Secret>,
}
