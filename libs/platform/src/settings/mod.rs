//! Typed settings: built-in defaults, then an optional file, then the environment
//! (`XINGFU__SECTION__KEY`). A bad value fails at start-up with the key in the message.

mod keys;
mod sections;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;

use crate::name::ServiceName;

pub use keys::{KeyDoc, documented_keys};
pub use sections::*;

const DEFAULTS: &str = include_str!("../defaults.toml");

/// The top-level sections every service shares; any other is a service's own.
pub const SHARED_SECTIONS: [&str; 13] = [
    "data_dir",
    "log",
    "database",
    "nats",
    "pii",
    "auth",
    "limits",
    "tls",
    "ledger",
    "otel",
    "grpc",
    "http",
    "connections",
];

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
    /// Each service's own section (`[projects]`, `XINGFU__PROJECTS__…`), by name: every
    /// top-level section that is not one of the above ([`SHARED_SECTIONS`]).
    #[serde(skip)]
    pub services: BTreeMap<String, ServiceSettings>,
}

/// Service `name`'s section, key by key, so that a bad value names its key
/// (`projects.listen`); what it leaves out is [`ServiceSettings::unconfigured`]'s.
fn service_section(config: &Config, name: &str) -> Result<ServiceSettings, SettingsError> {
    fn optional<T: serde::de::DeserializeOwned>(
        config: &Config,
        key: String,
    ) -> Result<Option<T>, SettingsError> {
        match config.get::<T>(&key) {
            Ok(value) => Ok(Some(value)),
            Err(config::ConfigError::NotFound(_)) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }
    let mut service = ServiceSettings::unconfigured();
    if let Some(listen) = optional(config, format!("{name}.listen"))? {
        service.listen = listen;
    }
    service.endpoint = optional(config, format!("{name}.endpoint"))?;
    service.database.url = optional(config, format!("{name}.database.url"))?;
    Ok(service)
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
        key: String,
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
        let config = builder.add_source(env).build()?;
        let mut settings: Settings = config.clone().try_deserialize()?;
        // Read one by one, so that a bad value names its key (`projects.listen`).
        let sections = config
            .clone()
            .try_deserialize::<BTreeMap<String, config::Value>>()?;
        for name in sections.into_keys() {
            if !SHARED_SECTIONS.contains(&name.as_str()) {
                let service = service_section(&config, &name)?;
                settings.services.insert(name, service);
            }
        }
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
                key: "nats.prefix".into(),
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
                key: "database.name_prefix".into(),
                reason: "must be 1 to 40 lower-case letters, digits or '_'".into(),
            });
        }
        if self.limits.rate_per_second.is_nan()
            || self.limits.rate_per_second <= 0.0
            || self.limits.burst < 1.0
        {
            return Err(SettingsError::Invalid {
                key: "limits.rate_per_second".into(),
                reason: "the rate must be above 0 and the burst at least 1".into(),
            });
        }
        if self.limits.max_in_flight == 0
            || self.limits.default_deadline_ms == 0
            || self.limits.max_deadline_ms < self.limits.default_deadline_ms
        {
            return Err(SettingsError::Invalid {
                key: "limits.max_deadline_ms".into(),
                reason: "max_in_flight and default_deadline_ms must be above 0, and \
                         max_deadline_ms at least default_deadline_ms"
                    .into(),
            });
        }
        if self.nats.max_deliver < 1 {
            return Err(SettingsError::Invalid {
                key: "nats.max_deliver".into(),
                reason: "must be at least 1".into(),
            });
        }
        if self.grpc.concurrency_limit == 0 {
            return Err(SettingsError::Invalid {
                key: "grpc.concurrency_limit".into(),
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
                key: "connections.idle_timeout_secs".into(),
                reason: "every connections setting must be above 0, and idle_timeout_secs \
                         at least header_read_timeout_secs"
                    .into(),
            });
        }
        if self.database.max_connections == 0 {
            return Err(SettingsError::Invalid {
                key: "database.max_connections".into(),
                reason: "must be at least 1".into(),
            });
        }
        let urls = std::iter::once(("database.url".to_owned(), &self.database.url)).chain(
            self.services
                .iter()
                .map(|(name, service)| (format!("{name}.database.url"), &service.database.url)),
        );
        for (key, url) in urls {
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

    /// One service's own settings; a service without a section listens on a free port of
    /// the loopback interface.
    pub fn service(&self, name: ServiceName) -> &ServiceSettings {
        static UNCONFIGURED: std::sync::LazyLock<ServiceSettings> =
            std::sync::LazyLock::new(ServiceSettings::unconfigured);
        self.services.get(name.as_str()).unwrap_or(&UNCONFIGURED)
    }

    /// Mutable access to one service's settings (the suite fills in endpoints it bound).
    pub fn service_mut(&mut self, name: ServiceName) -> &mut ServiceSettings {
        self.services
            .entry(name.as_str().to_owned())
            .or_insert_with(ServiceSettings::unconfigured)
    }

    /// Longest time one gRPC call may take.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.grpc.request_timeout_secs)
    }
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
        assert_eq!(s.services["gateway"].listen.port(), 50051);
        assert_eq!(s.services["projects"].listen.port(), 50061);
        assert_eq!(s.services["workshops"].listen.port(), 50064);
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
            s.services["funds"].database.url.as_ref().unwrap().expose(),
            "postgres://root@db/funds"
        );
        assert_eq!(s.services["projects"].listen.port(), 9000);
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
