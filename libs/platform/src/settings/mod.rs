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
pub const SHARED_SECTIONS: [&str; 10] = [
    "data_dir",
    "log",
    "database",
    "nats",
    "pii",
    "auth",
    "otel",
    "grpc",
    "http",
    "connections",
];

/// Everything every service is configured with; `defaults.toml` documents each key. A
/// service's own keys are in its section, read with [`Settings::own`].
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
    /// How the suite's parts trust each other.
    #[serde(default)]
    pub auth: AuthSettings,
    /// OpenTelemetry export.
    pub otel: OtelSettings,
    /// gRPC serving, common to every service.
    pub grpc: GrpcSettings,
    /// The HTTP port (metrics, liveness).
    pub http: HttpSettings,
    /// Timeouts and a cap on the connections of every port, gRPC and HTTP.
    pub connections: ConnectionSettings,
    /// Each service's place and database (`[projects]`, `XINGFU__PROJECTS__…`), by name:
    /// every top-level section that is not one of the above ([`SHARED_SECTIONS`]).
    #[serde(skip)]
    pub services: BTreeMap<String, ServiceSettings>,
    /// The whole configuration as read, for the keys a service owns ([`Settings::own`]).
    #[serde(skip)]
    raw: Raw,
}

/// The configuration as read. Its debug output names no value: secrets are among them.
#[derive(Clone, Default)]
struct Raw(Config);

impl std::fmt::Debug for Raw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Raw(..)")
    }
}

/// The keys of a service's section that every service has.
const SERVICE_KEYS: [&str; 3] = ["listen", "endpoint", "database"];

/// A service's own settings: the keys of its section beyond the ones every service has
/// (`listen`, `endpoint`, `database.url`), typed and documented by its crate.
pub trait OwnSettings: serde::de::DeserializeOwned {
    /// The service's section (`gateway`).
    const SECTION: &'static str;
    /// Its defaults: a TOML file of its section, each key documented (what `xingfu
    /// config-keys` lists); the same text as its [`crate::ServiceDef`]'s `settings`.
    const DEFAULTS: &'static str;
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

/// `err`, found inside `section`, naming its key from the top (`gateway.limits.burst`).
fn under(section: &str, err: config::ConfigError) -> config::ConfigError {
    use config::ConfigError::{At, NotFound, Type};
    let full = |key: Option<String>| match key {
        Some(key) => format!("{section}.{key}"),
        None => section.to_owned(),
    };
    match err {
        Type {
            origin,
            unexpected,
            expected,
            key,
        } => Type {
            origin,
            unexpected,
            expected,
            key: Some(full(key)),
        },
        At { error, origin, key } => At {
            error,
            origin,
            key: Some(full(key)),
        },
        NotFound(key) => NotFound(full(Some(key))),
        other => At {
            error: Box::new(other),
            origin: None,
            key: Some(section.to_owned()),
        },
    }
}

/// The sections a service's defaults give (its own, `gateway`), each with its keys.
fn sections_of(defaults: &str) -> Result<BTreeMap<String, Vec<String>>, SettingsError> {
    let config = Config::builder()
        .add_source(File::from_str(defaults, FileFormat::Toml))
        .build()?;
    let sections = config.try_deserialize::<BTreeMap<String, BTreeMap<String, config::Value>>>()?;
    Ok(sections
        .into_iter()
        .map(|(name, keys)| (name, keys.into_keys().collect()))
        .collect())
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
    /// The built-in defaults, then each of `services`' defaults (its [`OwnSettings`]
    /// text), then `file` (TOML) when given, then `XINGFU__…` environment variables.
    pub fn load(file: Option<&Path>, services: &[&str]) -> Result<Self, SettingsError> {
        Self::load_with(
            file,
            services,
            Environment::with_prefix("XINGFU").separator("__"),
        )
    }

    /// As [`Settings::load`], from an explicit environment (for tests).
    pub fn load_with(
        file: Option<&Path>,
        services: &[&str],
        env: Environment,
    ) -> Result<Self, SettingsError> {
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        // Each service's section, with the keys its defaults give.
        let mut known: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for defaults in services {
            builder = builder.add_source(File::from_str(defaults, FileFormat::Toml));
            known.extend(sections_of(defaults)?);
        }
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
            if SHARED_SECTIONS.contains(&name.as_str()) {
                continue;
            }
            // A section nobody reads is a mistake (a misspelt service, a key that moved):
            // refused, rather than silently ignored.
            if !services.is_empty() {
                let Some(owned) = known.get(&name) else {
                    let services: Vec<&str> = known.keys().map(String::as_str).collect();
                    return Err(SettingsError::Invalid {
                        reason: format!(
                            "not a section of xingfu: the shared ones are {} and the \
                             services' {}",
                            SHARED_SECTIONS.join(", "),
                            services.join(", ")
                        ),
                        key: name,
                    });
                };
                // A misspelt key is refused, not silently left at its default.
                let keys: BTreeMap<String, config::Value> = config.get(&name)?;
                let allowed =
                    |key: &String| SERVICE_KEYS.contains(&key.as_str()) || owned.contains(key);
                if let Some(unknown) = keys.keys().find(|key| !allowed(key)) {
                    return Err(SettingsError::Invalid {
                        key: format!("{name}.{unknown}"),
                        reason: format!("not a setting of the {name} service"),
                    });
                }
            }
            let service = service_section(&config, &name)?;
            settings.services.insert(name, service);
        }
        settings.raw = Raw(config);
        settings.validate()?;
        Ok(settings)
    }

    /// The built-in defaults alone: no service configured, so each listens on a free
    /// loopback port, with its own settings' defaults.
    pub fn defaults() -> Result<Self, SettingsError> {
        Self::load_with(
            None,
            &[],
            Environment::with_prefix("XINGFU")
                .separator("__")
                .source(Some(Default::default())),
        )
    }

    /// A service's own settings: its section as configured, over its crate's defaults.
    /// A bad value names its key (`gateway.limits.burst`).
    pub fn own<T: OwnSettings>(&self) -> Result<T, SettingsError> {
        let config = Config::builder()
            .add_source(File::from_str(T::DEFAULTS, FileFormat::Toml))
            .add_source(self.raw.0.clone())
            .build()?;
        // The keys every service has are read into `services`; the type holds the rest.
        let mut section: BTreeMap<String, config::Value> = config.get(T::SECTION)?;
        for common in SERVICE_KEYS {
            section.remove(common);
        }
        config::Value::from(config::Map::from_iter(section))
            .try_deserialize()
            .map_err(|err| SettingsError::Load(under(T::SECTION, err)))
    }

    /// Unsets one of a service's own keys, as if no file or variable named it (its crate's
    /// default, if any, applies).
    pub fn unset(&mut self, key: &str) -> Result<(), SettingsError> {
        self.set(key, config::ValueKind::Nil)
    }

    /// Sets one of a service's own keys (`gateway.limits.max_in_flight`), as a file or the
    /// environment would; what [`Settings::own`] reads. The shared settings and each
    /// service's place are typed fields: set those directly.
    pub fn set(&mut self, key: &str, value: impl Into<config::Value>) -> Result<(), SettingsError> {
        let (section, rest) = key.split_once('.').unwrap_or((key, ""));
        if SHARED_SECTIONS.contains(&section)
            || SERVICE_KEYS.contains(&rest)
            || rest == "database.url"
        {
            return Err(SettingsError::Invalid {
                key: key.to_owned(),
                reason: "a typed field of Settings: set it directly".into(),
            });
        }
        self.raw = Raw(Config::builder()
            .add_source(self.raw.0.clone())
            .set_override(key, value)?
            .build()?);
        Ok(())
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
mod tests;
