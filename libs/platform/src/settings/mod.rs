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
mod tests {
    use std::collections::HashMap;
    use std::net::SocketAddr;

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

    /// A service's defaults, as its crate's `settings.toml` would give them.
    const EXAMPLE: &str = "# The example service.\n[example]\nlisten = \"127.0.0.1:50099\"\n\
        # endpoint = \"http://example:50099\"\n# database.url = \"postgres://x@y/z\"\n\n\
        [example.things]\n# How many.\nsize = 3\n# What of.\n# kind = \"apples\"\n";
    const OTHER: &str = "[other]\nlisten = \"127.0.0.1:50098\"\n";

    /// The example service's own settings.
    #[derive(Debug, Deserialize)]
    struct Example {
        things: Things,
    }

    #[derive(Debug, Deserialize)]
    struct Things {
        size: u32,
        kind: Option<String>,
    }

    impl OwnSettings for Example {
        const SECTION: &'static str = "example";
        const DEFAULTS: &'static str = EXAMPLE;
    }

    fn load(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        Settings::load_with(None, &[EXAMPLE, OTHER], env(vars))
    }

    #[test]
    fn defaults_are_the_embedded_setup() {
        let s = load(&[]).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert!(s.database.url.is_none());
        assert!(s.nats.url.is_none());
        assert_eq!(s.services["example"].listen.port(), 50099);
        assert_eq!(s.services["other"].listen.port(), 50098);
        assert_eq!(s.http.listen.port(), 8080);
        // A service given no defaults listens on a free loopback port.
        let bare = Settings::defaults().unwrap();
        assert!(bare.services.is_empty());
        let unconfigured = bare.service(ServiceName::new("example")).listen;
        assert_eq!(unconfigured, SocketAddr::from(([127, 0, 0, 1], 0)));
    }

    #[test]
    fn environment_overrides_nested_keys() {
        let s = load(&[
            ("XINGFU__DATA_DIR", "/var/lib/xingfu"),
            ("XINGFU__DATABASE__URL", "postgres://root@127.0.0.1:5432"),
            ("XINGFU__OTHER__DATABASE__URL", "postgres://root@db/other"),
            ("XINGFU__NATS__URL", "nats://127.0.0.1:4222"),
            ("XINGFU__EXAMPLE__LISTEN", "0.0.0.0:9000"),
        ])
        .unwrap();
        assert_eq!(s.data_dir, PathBuf::from("/var/lib/xingfu"));
        assert_eq!(
            s.services["other"].database.url.as_ref().unwrap().expose(),
            "postgres://root@db/other"
        );
        assert_eq!(s.services["example"].listen.port(), 9000);
        assert!(s.nats.url.is_some());
    }

    #[test]
    fn a_file_sits_between_defaults_and_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("xingfu.toml");
        std::fs::write(
            &path,
            "[grpc]\nconcurrency_limit = 7\nrequest_timeout_secs = 9\n\
             [example.things]\nsize = 5\n",
        )
        .unwrap();
        let s = Settings::load_with(
            Some(&path),
            &[EXAMPLE],
            env(&[("XINGFU__GRPC__REQUEST_TIMEOUT_SECS", "3")]),
        )
        .unwrap();
        assert_eq!(s.grpc.concurrency_limit, 7);
        assert_eq!(s.grpc.request_timeout_secs, 3);
        assert_eq!(s.own::<Example>().unwrap().things.size, 5);
    }

    #[test]
    fn a_service_reads_its_own_keys_over_its_defaults() {
        let s = load(&[("XINGFU__EXAMPLE__THINGS__KIND", "pears")]).unwrap();
        let own: Example = s.own().unwrap();
        assert_eq!(
            (own.things.size, own.things.kind.as_deref()),
            (3, Some("pears"))
        );

        // Without the service's defaults loaded (a test's settings), its own still apply.
        let mut bare = Settings::defaults().unwrap();
        assert_eq!(bare.own::<Example>().unwrap().things.size, 3);
        bare.set("example.things.size", 8).unwrap();
        assert_eq!(bare.own::<Example>().unwrap().things.size, 8);
        bare.set("example.things.size", "many").unwrap();
        let err = bare.own::<Example>().unwrap_err().to_string();
        assert!(err.contains("example.things.size"), "{err}");
        // The typed fields are set as fields.
        assert!(bare.set("grpc.concurrency_limit", 3).is_err());
        assert!(bare.set("example.listen", "127.0.0.1:1").is_err());
    }

    #[test]
    fn a_section_nobody_reads_is_refused() {
        let err = load(&[("XINGFU__LIMITS__BURST", "3")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("limits") && err.contains("example"), "{err}");
        let err = load(&[("XINGFU__EXAMPLE__LISTN", "127.0.0.1:1")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("example.listn"), "{err}");
        // Its own tables are its; what is inside them its type checks.
        assert!(load(&[("XINGFU__EXAMPLE__THINGS__SIZE", "4")]).is_ok());
        let err = load(&[("XINGFU__AUTH__KEYS_FILE", "/k.toml")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("keys_file"), "{err}");
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = load(&[("XINGFU__EXAMPLE__LISTEN", "nowhere")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("example.listen"), "{err}");

        let err = load(&[("XINGFU__GRPC__CONCURRENCY_LIMIT", "lots")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("grpc.concurrency_limit"), "{err}");

        let err = load(&[("XINGFU__NATS__PREFIX", "a.b")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("nats.prefix"), "{err}");

        let err = load(&[("XINGFU__DATABASE__URL", "mysql://x")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("database.url"), "{err}");
    }

    #[test]
    fn every_documented_key_is_a_real_setting() {
        let keys = documented_keys(&[EXAMPLE, OTHER]);
        let names: Vec<&str> = keys.iter().map(|k| k.key.as_str()).collect();
        for expected in [
            "data_dir",
            "database.url",
            "nats.url",
            "pii.key",
            "auth.internal_token",
            "otel.endpoint",
            "<service>.listen",
            "<service>.endpoint",
            "<service>.database.url",
            "example.things.size",
            "example.things.kind",
        ] {
            assert!(names.contains(&expected), "{expected} in {names:?}");
        }
        let listen = keys.iter().find(|k| k.key == "<service>.listen").unwrap();
        assert_eq!(
            listen.default,
            "example=127.0.0.1:50099, other=127.0.0.1:50098"
        );
        // Setting each through the environment must be accepted (or fail on its value,
        // naming the key), which proves the key exists.
        for doc in &keys {
            let env_name = doc.env.replace("<SERVICE>", "EXAMPLE");
            let value = match doc.default.split_once('=') {
                _ if doc.default.is_empty() => "postgres://x@y/z".to_owned(),
                Some((_, first)) if doc.key.starts_with("<service>") => {
                    first.split(',').next().unwrap_or("").to_owned()
                }
                _ => doc.default.clone(),
            };
            let result = load(&[(&env_name, &value)]).and_then(|s| s.own::<Example>().map(|_| ()));
            if let Err(err) = result {
                assert!(
                    err.to_string()
                        .contains(&doc.key.replace("<service>", "example")),
                    "{}: {err}",
                    doc.key
                );
            }
        }
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        let err = Settings::load_with(Some(Path::new("/nonexistent/xingfu.toml")), &[], env(&[]));
        assert!(err.is_err());
    }
}
