//! What xingfu's tests share: settings for a run on the real PostgreSQL (a fresh,
//! uniquely named database per service) and, when asked, the real NATS JetStream (a
//! unique subject and stream prefix), with every listener on port 0. `cleanup` drops what
//! a run created, so runs never see each other's data.

use std::net::SocketAddr;
use std::str::FromStr;

use anyhow::Context as _;
use futures_util::TryStreamExt as _;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor};
use tonic::transport::{Channel, Endpoint};
use xingfu_platform::secret::Secret;
use xingfu_platform::settings::LogFormat;
use xingfu_platform::{ServiceName, Settings};

/// The PostgreSQL server tests use (`XINGFU_TEST_POSTGRES_URL`, default the local one).
pub fn postgres_url() -> String {
    std::env::var("XINGFU_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// The NATS server tests use (`XINGFU_TEST_NATS_URL`, default the local one).
pub fn nats_url() -> String {
    std::env::var("XINGFU_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// A short unique token for names: `t` and 16 hex digits.
pub fn unique_token() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("t{}", &id[..16])
}

/// Settings for one test run, and what to clean up after it.
pub struct TestEnv {
    /// The settings to start services with.
    pub settings: Settings,
    /// The run's unique token (database names and NATS prefix derive from it).
    pub token: String,
    databases: Vec<String>,
    cleaned: bool,
    _data_dir: Option<tempfile::TempDir>,
}

impl TestEnv {
    /// Every service on its own fresh PostgreSQL database; events on the in-process bus.
    pub fn postgres() -> Self {
        let token = unique_token();
        let mut settings = base_settings();
        let mut databases = Vec::new();
        for name in ServiceName::ALL {
            let database = format!("xt_{token}_{name}");
            settings.service_mut(name).database.url =
                Some(Secret::new(format!("{}/{database}", postgres_url())));
            databases.push(database);
        }
        Self {
            settings,
            token,
            databases,
            cleaned: false,
            _data_dir: None,
        }
    }

    /// Every service on the one PostgreSQL server URL (`database.url`), each creating its
    /// own database `<unique prefix>_<service>` there, as production does.
    pub fn postgres_shared_server() -> Self {
        let token = unique_token();
        let mut settings = base_settings();
        settings.database.url = Some(Secret::new(postgres_url()));
        settings.database.name_prefix = format!("xt_{token}");
        let databases = ServiceName::ALL
            .iter()
            .map(|name| format!("xt_{token}_{name}"))
            .collect();
        Self {
            settings,
            token,
            databases,
            cleaned: false,
            _data_dir: None,
        }
    }

    /// As [`TestEnv::postgres`], with events on the real JetStream under a unique prefix.
    pub fn postgres_jetstream() -> Self {
        let mut env = Self::postgres();
        env.settings.nats.url = Some(Secret::new(nats_url()));
        env.settings.nats.prefix = env.token.clone();
        env
    }

    /// The embedded default: SQLite files in a temporary folder, the in-process bus.
    pub fn embedded() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut settings = base_settings();
        settings.data_dir = dir.path().to_path_buf();
        Self {
            settings,
            token: unique_token(),
            databases: Vec::new(),
            cleaned: false,
            _data_dir: Some(dir),
        }
    }

    /// The JetStream stream name of `service` in this run.
    pub fn stream_name(&self, service: ServiceName) -> String {
        format!("{}_{}", self.settings.nats.prefix, service.as_str()).to_uppercase()
    }

    /// Drops the run's databases and deletes its streams. Dropping a `TestEnv` that was
    /// not cleaned up (a failed test) does the same.
    pub async fn cleanup(mut self) -> anyhow::Result<()> {
        self.cleaned = true;
        remove(std::mem::take(&mut self.databases), self.stream_prefix()).await
    }

    fn stream_prefix(&self) -> Option<String> {
        self.settings
            .nats
            .url
            .is_some()
            .then(|| format!("{}_", self.settings.nats.prefix.to_uppercase()))
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        let databases = std::mem::take(&mut self.databases);
        let prefix = self.stream_prefix();
        if self.cleaned || (databases.is_empty() && prefix.is_none()) {
            return;
        }
        // Drop may run inside a runtime (or while unwinding a failed test): clean up on a
        // thread of its own.
        let cleaner = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(remove(databases, prefix))
        });
        if let Ok(Err(err)) = cleaner.join() {
            eprintln!("test cleanup failed: {err:#}");
        }
    }
}

async fn remove(databases: Vec<String>, stream_prefix: Option<String>) -> anyhow::Result<()> {
    if !databases.is_empty() {
        let options = PgConnectOptions::from_str(&postgres_url())?.database("postgres");
        let mut conn = options
            .connect()
            .await
            .context("connecting to PostgreSQL")?;
        for database in &databases {
            let drop = format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
            conn.execute(sqlx::AssertSqlSafe(drop)).await?;
        }
        conn.close().await?;
    }
    if let Some(prefix) = stream_prefix {
        let client = async_nats::connect(nats_url()).await?;
        let js = async_nats::jetstream::new(client);
        let names: Vec<String> = js.stream_names().try_collect().await?;
        for name in names.into_iter().filter(|n| n.starts_with(&prefix)) {
            js.delete_stream(&name).await?;
        }
    }
    Ok(())
}

fn base_settings() -> Settings {
    let mut settings = Settings::defaults().expect("built-in settings load");
    let any_port: SocketAddr = ([127, 0, 0, 1], 0).into();
    for name in ServiceName::ALL {
        settings.service_mut(name).listen = any_port;
    }
    settings.http.listen = any_port;
    settings.grpc.shutdown_grace_secs = 2;
    settings.log.filter = "warn".into();
    settings.log.format = LogFormat::Test;
    let key: String = (0..2)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect();
    settings.pii.key = Some(Secret::new(key));
    let _ = xingfu_platform::telemetry::init(&settings, "xingfu-test");
    settings
}

/// A gRPC channel to a server bound at `addr`.
pub async fn channel(addr: SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .expect("a valid URL")
        .connect()
        .await
        .expect("the server accepts connections")
}
