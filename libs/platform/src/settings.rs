//! Typed settings: built-in defaults, then an optional file, then the environment
//! (`XINGFU__SECTION__KEY`). A bad value fails at start-up with the key in the message.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;

use crate::name::ServiceName;
use crate::secret::Secret;

const DEFAULTS: &str = include_str!("defaults.toml");

/// Everything xingfu can be configured with; `defaults.toml` documents each key.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Folder of the embedded default's SQLite files.
    pub data_dir: PathBuf,
    /// Logging.
    pub log: LogSettings,
    /// The shared PostgreSQL server, when there is one.
    pub database: DatabaseSettings,
    /// NATS JetStream, when configured.
    pub nats: NatsSettings,
    /// Personal data protection.
    pub pii: PiiSettings,
    /// Who may call: the internal token, API keys and the policy.
    #[serde(default)]
    pub auth: AuthSettings,
    /// The gateway's protection of the services behind it.
    pub limits: LimitSettings,
    /// TLS on the gateway's gRPC port.
    #[serde(default)]
    pub tls: TlsSettings,
    /// The charity ledger's rules.
    pub ledger: LedgerSettings,
    /// OpenTelemetry export.
    pub otel: OtelSettings,
    /// gRPC serving, common to every service.
    pub grpc: GrpcSettings,
    /// The HTTP port (metrics, liveness).
    pub http: HttpSettings,
    /// Timeouts and a cap on the connections of every port, gRPC and HTTP.
    pub connections: ConnectionSettings,
    /// The gateway.
    pub gateway: ServiceSettings,
    /// The projects service.
    pub projects: ServiceSettings,
    /// The volunteers service.
    pub volunteers: ServiceSettings,
    /// The funds service.
    pub funds: ServiceSettings,
    /// The workshops service.
    pub workshops: ServiceSettings,
}

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

/// Who may call xingfu.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthSettings {
    /// The token the services require from the gateway (at least 32 characters); unset
    /// means `<data_dir>/internal-token`, generated once.
    pub internal_token: Option<Secret>,
    /// The gateway's API keys (TOML, hashes only); unset means `<data_dir>/api-keys.toml`,
    /// created with a first admin key when missing.
    pub keys_file: Option<PathBuf>,
    /// The gateway's policy: each caller's scopes (TOML); unset means
    /// `<data_dir>/policy.toml`, created granting the first admin everything.
    pub policy_file: Option<PathBuf>,
    /// A JWKS file whose RS256/ES256 keys sign the bearer tokens the gateway accepts;
    /// unset means no bearer tokens.
    pub jwks_file: Option<PathBuf>,
    /// The issuer (`iss`) bearer tokens must name.
    pub jwt_issuer: Option<String>,
    /// The audience (`aud`) bearer tokens must name.
    pub jwt_audience: Option<String>,
    /// Seconds of clock skew allowed when checking `exp` and `nbf`.
    #[serde(default = "default_leeway")]
    pub jwt_leeway_secs: u64,
    /// Milliseconds between reloads of the principals, roles and keys managed through the
    /// API: how long a grant or a revocation made on another gateway replica takes here.
    #[serde(default = "default_refresh_ms")]
    pub refresh_ms: u64,
}

fn default_leeway() -> u64 {
    60
}

fn default_refresh_ms() -> u64 {
    1000
}

/// TLS on the gateway's gRPC port, and mutual TLS for callers with a certificate.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TlsSettings {
    /// The gateway's certificate chain (PEM); with `key_file`, the port speaks TLS only.
    pub cert_file: Option<PathBuf>,
    /// The gateway's private key (PEM).
    pub key_file: Option<PathBuf>,
    /// CA certificates (PEM) whose client certificates callers may present instead of a
    /// key; each certificate's SHA-256 is named in the key file.
    pub client_ca_file: Option<PathBuf>,
}

/// The gateway's protection of the services behind it.
#[derive(Debug, Clone, Deserialize)]
pub struct LimitSettings {
    /// Calls a second per caller (a caller's `rate_per_second` in the policy wins).
    pub rate_per_second: f64,
    /// Calls a caller may make at once above its rate.
    pub burst: f64,
    /// Calls in flight through the gateway before new ones are shed (UNAVAILABLE).
    pub max_in_flight: usize,
    /// Milliseconds a call may take when the caller sets no deadline.
    pub default_deadline_ms: u64,
    /// Milliseconds a call may take at most, whatever the caller's deadline.
    pub max_deadline_ms: u64,
}

/// The charity ledger's rules.
#[derive(Debug, Clone, Deserialize)]
pub struct LedgerSettings {
    /// Grants above this many fen need two approvers.
    pub dual_approval_fen: i64,
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

/// A service's own database, overriding the shared server.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServiceDatabaseSettings {
    /// Full PostgreSQL URL of this service's database (created if missing).
    pub url: Option<Secret>,
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The sources could not be read or a value has the wrong type (the message names it).
    #[error("invalid configuration: {0}")]
    Load(#[from] config::ConfigError),
    /// A value has the right type but is not allowed.
    #[error("invalid configuration: {key}: {reason}")]
    Invalid {
        /// The dotted key, e.g. `nats.prefix`.
        key: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl Settings {
    /// Defaults, then `file` (TOML) when given, then `XINGFU__…` environment variables.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        Self::load_with(file, Environment::with_prefix("XINGFU").separator("__"))
    }

    /// As [`Settings::load`], from an explicit environment (for tests).
    pub fn load_with(file: Option<&Path>, env: Environment) -> Result<Self, SettingsError> {
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        if let Some(file) = file {
            builder = builder.add_source(File::from(file).required(true));
        }
        let settings: Settings = builder.add_source(env).build()?.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    /// The built-in defaults alone.
    pub fn defaults() -> Result<Self, SettingsError> {
        Self::load_with(
            None,
            Environment::with_prefix("XINGFU")
                .separator("__")
                .source(Some(Default::default())),
        )
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let token_ok = !self.nats.prefix.is_empty()
            && self
                .nats
                .prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !token_ok {
            return Err(SettingsError::Invalid {
                key: "nats.prefix",
                reason: "must be one subject token of letters, digits, '_' or '-'".into(),
            });
        }
        let name_ok = !self.database.name_prefix.is_empty()
            && self.database.name_prefix.len() <= 40
            && self
                .database
                .name_prefix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !name_ok {
            return Err(SettingsError::Invalid {
                key: "database.name_prefix",
                reason: "must be 1 to 40 lower-case letters, digits or '_'".into(),
            });
        }
        if self.limits.rate_per_second.is_nan()
            || self.limits.rate_per_second <= 0.0
            || self.limits.burst < 1.0
        {
            return Err(SettingsError::Invalid {
                key: "limits.rate_per_second",
                reason: "the rate must be above 0 and the burst at least 1".into(),
            });
        }
        if self.limits.max_in_flight == 0
            || self.limits.default_deadline_ms == 0
            || self.limits.max_deadline_ms < self.limits.default_deadline_ms
        {
            return Err(SettingsError::Invalid {
                key: "limits.max_deadline_ms",
                reason: "max_in_flight and default_deadline_ms must be above 0, and \
                         max_deadline_ms at least default_deadline_ms"
                    .into(),
            });
        }
        if self.nats.max_deliver < 1 {
            return Err(SettingsError::Invalid {
                key: "nats.max_deliver",
                reason: "must be at least 1".into(),
            });
        }
        if self.grpc.concurrency_limit == 0 {
            return Err(SettingsError::Invalid {
                key: "grpc.concurrency_limit",
                reason: "must be at least 1".into(),
            });
        }
        let c = &self.connections;
        if c.header_read_timeout_secs == 0
            || c.idle_timeout_secs < c.header_read_timeout_secs
            || c.keepalive_interval_secs == 0
            || c.keepalive_timeout_secs == 0
            || c.max_connections == 0
        {
            return Err(SettingsError::Invalid {
                key: "connections.idle_timeout_secs",
                reason: "every connections setting must be above 0, and idle_timeout_secs \
                         at least header_read_timeout_secs"
                    .into(),
            });
        }
        if self.database.max_connections == 0 {
            return Err(SettingsError::Invalid {
                key: "database.max_connections",
                reason: "must be at least 1".into(),
            });
        }
        for (key, url) in [
            ("database.url", &self.database.url),
            ("projects.database.url", &self.projects.database.url),
            ("volunteers.database.url", &self.volunteers.database.url),
            ("funds.database.url", &self.funds.database.url),
            ("workshops.database.url", &self.workshops.database.url),
            ("gateway.database.url", &self.gateway.database.url),
        ] {
            if let Some(url) = url {
                let url = url.expose();
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err(SettingsError::Invalid {
                        key,
                        reason: "must be a postgres:// URL (leave unset for SQLite)".into(),
                    });
                }
            }
        }
        Ok(())
    }

    /// One service's own settings.
    pub fn service(&self, name: ServiceName) -> &ServiceSettings {
        match name {
            ServiceName::Gateway => &self.gateway,
            ServiceName::Projects => &self.projects,
            ServiceName::Volunteers => &self.volunteers,
            ServiceName::Funds => &self.funds,
            ServiceName::Workshops => &self.workshops,
        }
    }

    /// Mutable access to one service's settings (the suite fills in endpoints it bound).
    pub fn service_mut(&mut self, name: ServiceName) -> &mut ServiceSettings {
        match name {
            ServiceName::Gateway => &mut self.gateway,
            ServiceName::Projects => &mut self.projects,
            ServiceName::Volunteers => &mut self.volunteers,
            ServiceName::Funds => &mut self.funds,
            ServiceName::Workshops => &mut self.workshops,
        }
    }

    /// Longest time one gRPC call may take.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.grpc.request_timeout_secs)
    }
}

/// One configuration key as `defaults.toml` documents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDoc {
    /// Dotted key, e.g. `nats.url`; per-service keys as `<service>.listen`.
    pub key: String,
    /// The environment variable, e.g. `XINGFU__NATS__URL`.
    pub env: String,
    /// The built-in default as written in the file; empty when the key is unset by default.
    pub default: String,
}

/// Every key `defaults.toml` names, set or commented out, in file order. Per-service
/// sections are listed once, as `<service>`.
pub fn documented_keys() -> Vec<KeyDoc> {
    let mut keys: Vec<KeyDoc> = Vec::new();
    let mut section = String::new();
    let mut service = "";
    for line in DEFAULTS.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            service = ServiceName::ALL
                .iter()
                .map(|s| s.as_str())
                .find(|s| *s == name)
                .unwrap_or("");
            section = if service.is_empty() {
                name.to_owned()
            } else {
                "<service>".into()
            };
            continue;
        }
        let (set, body) = match line.strip_prefix('#') {
            Some(rest) => (false, rest.trim()),
            None => (true, line),
        };
        let Some((name, value)) = body.split_once('=') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
        {
            continue;
        }
        let key = if section.is_empty() {
            name.to_owned()
        } else {
            format!("{section}.{name}")
        };
        let value = value.trim().trim_matches('"');
        // Per-service defaults differ by service: listed as `gateway=…, projects=…`.
        let default = match (set, service.is_empty()) {
            (false, _) => String::new(),
            (true, true) => value.to_owned(),
            (true, false) => format!("{service}={value}"),
        };
        if let Some(existing) = keys.iter_mut().find(|k| k.key == key) {
            if !default.is_empty() {
                if !existing.default.is_empty() {
                    existing.default.push_str(", ");
                }
                existing.default.push_str(&default);
            }
            continue;
        }
        let env = format!("XINGFU__{}", key.replace('.', "__").to_uppercase());
        keys.push(KeyDoc { key, env, default });
    }
    keys
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(vars: &[(&str, &str)]) -> Environment {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Environment::with_prefix("XINGFU")
            .separator("__")
            .source(Some(map))
    }

    #[test]
    fn defaults_are_the_embedded_setup() {
        let s = Settings::load_with(None, env(&[])).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert!(s.database.url.is_none());
        assert!(s.nats.url.is_none());
        assert_eq!(s.gateway.listen.port(), 50051);
        assert_eq!(s.projects.listen.port(), 50061);
        assert_eq!(s.workshops.listen.port(), 50064);
        assert_eq!(s.http.listen.port(), 8080);
    }

    #[test]
    fn environment_overrides_nested_keys() {
        let s = Settings::load_with(
            None,
            env(&[
                ("XINGFU__DATA_DIR", "/var/lib/xingfu"),
                ("XINGFU__DATABASE__URL", "postgres://root@127.0.0.1:5432"),
                ("XINGFU__FUNDS__DATABASE__URL", "postgres://root@db/funds"),
                ("XINGFU__NATS__URL", "nats://127.0.0.1:4222"),
                ("XINGFU__PROJECTS__LISTEN", "0.0.0.0:9000"),
            ]),
        )
        .unwrap();
        assert_eq!(s.data_dir, PathBuf::from("/var/lib/xingfu"));
        assert_eq!(
            s.funds.database.url.as_ref().unwrap().expose(),
            "postgres://root@db/funds"
        );
        assert_eq!(s.projects.listen.port(), 9000);
        assert!(s.nats.url.is_some());
    }

    #[test]
    fn a_file_sits_between_defaults_and_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("xingfu.toml");
        std::fs::write(
            &path,
            "[grpc]\nconcurrency_limit = 7\nrequest_timeout_secs = 9\n",
        )
        .unwrap();
        let s = Settings::load_with(
            Some(&path),
            env(&[("XINGFU__GRPC__REQUEST_TIMEOUT_SECS", "3")]),
        )
        .unwrap();
        assert_eq!(s.grpc.concurrency_limit, 7);
        assert_eq!(s.grpc.request_timeout_secs, 3);
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = Settings::load_with(None, env(&[("XINGFU__PROJECTS__LISTEN", "nowhere")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("projects.listen"), "{err}");

        let err = Settings::load_with(None, env(&[("XINGFU__GRPC__CONCURRENCY_LIMIT", "lots")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("grpc.concurrency_limit"), "{err}");

        let err = Settings::load_with(None, env(&[("XINGFU__NATS__PREFIX", "a.b")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("nats.prefix"), "{err}");

        let err = Settings::load_with(None, env(&[("XINGFU__DATABASE__URL", "mysql://x")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("database.url"), "{err}");
    }

    #[test]
    fn every_documented_key_is_a_real_setting() {
        let keys = documented_keys();
        let names: Vec<&str> = keys.iter().map(|k| k.key.as_str()).collect();
        for expected in [
            "data_dir",
            "database.url",
            "nats.url",
            "pii.key",
            "otel.endpoint",
            "<service>.listen",
            "<service>.endpoint",
            "<service>.database.url",
        ] {
            assert!(names.contains(&expected), "{expected} in {names:?}");
        }
        // Setting each through the environment must be accepted (or fail on its value,
        // naming the key), which proves the key exists.
        for doc in &keys {
            let env_name = doc.env.replace("<SERVICE>", "PROJECTS");
            let value = match doc.default.split_once('=') {
                _ if doc.default.is_empty() => "postgres://x@y/z".to_owned(),
                Some((_, first)) if doc.key.starts_with("<service>") => {
                    first.split(',').next().unwrap_or("").to_owned()
                }
                _ => doc.default.clone(),
            };
            let result = Settings::load_with(None, env(&[(&env_name, &value)]));
            if let Err(err) = result {
                assert!(
                    err.to_string()
                        .contains(&doc.key.replace("<service>", "projects")),
                    "{}: {err}",
                    doc.key
                );
            }
        }
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        let err = Settings::load_with(Some(Path::new("/nonexistent/xingfu.toml")), env(&[]));
        assert!(err.is_err());
    }
}
