//! What xingfu's tests share: settings for a run on the real PostgreSQL (a fresh,
//! uniquely named database per service) and, when asked, the real NATS JetStream (a
//! unique subject and stream prefix), with every listener on port 0. `cleanup` drops what
//! a run created, so runs never see each other's data.

mod eventually;
mod refusals;
mod spawn;

use std::net::SocketAddr;
use std::str::FromStr;

use anyhow::Context as _;
use futures_util::TryStreamExt as _;
use sha2::Digest as _;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor};
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Endpoint;
use xingfu_platform::principal::Grant;
use xingfu_platform::secret::Secret;
use xingfu_platform::settings::LogFormat;
use xingfu_platform::trust::Caller;
use xingfu_platform::{ServiceName, Settings};

pub use eventually::{PATIENCE, eventually, eventually_within, holds};
pub use refusals::{assert_denied, denial_reason, violated_fields};
pub use spawn::{spawn_service, spawn_services};

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
    /// Whether the run's databases are on the test PostgreSQL server (and so dropped).
    postgres: bool,
    cleaned: bool,
    _data_dir: Option<tempfile::TempDir>,
}

impl TestEnv {
    /// The backend this run tests, for tests that hold on either: [`TestEnv::postgres`],
    /// or [`TestEnv::embedded`] (SQLite files) when `XINGFU_TEST_BACKEND=sqlite`.
    /// `scripts/test.sh` runs the services' API tests once on each.
    pub fn new() -> Self {
        match std::env::var("XINGFU_TEST_BACKEND").as_deref() {
            Ok("sqlite") => Self::embedded(),
            Ok("postgres") | Err(_) => Self::postgres(),
            Ok(other) => panic!("XINGFU_TEST_BACKEND={other}: expected postgres or sqlite"),
        }
    }

    /// Every service on its own fresh PostgreSQL database, `xt_<token>_<service>`, created
    /// on the test server when the service opens it (as production creates them on
    /// `database.url`); events on the in-process bus.
    pub fn postgres() -> Self {
        let token = unique_token();
        let mut settings = base_settings();
        settings.database.url = Some(Secret::new(postgres_url()));
        settings.database.name_prefix = format!("xt_{token}");
        Self {
            settings,
            token,
            postgres: true,
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
            postgres: false,
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
        remove(self.database_prefix(), self.stream_prefix()).await
    }

    /// The prefix of the run's PostgreSQL databases' names, when it has some.
    fn database_prefix(&self) -> Option<String> {
        self.postgres.then(|| format!("xt_{}_", self.token))
    }

    fn stream_prefix(&self) -> Option<String> {
        self.settings
            .nats
            .url
            .is_some()
            .then(|| format!("{}_", self.settings.nats.prefix.to_uppercase()))
    }
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        let databases = self.database_prefix();
        let prefix = self.stream_prefix();
        if self.cleaned || (databases.is_none() && prefix.is_none()) {
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

/// Drops the databases whose names start with `database_prefix` (a run's token: letters
/// and digits) and deletes the streams whose names start with `stream_prefix`.
async fn remove(
    database_prefix: Option<String>,
    stream_prefix: Option<String>,
) -> anyhow::Result<()> {
    if let Some(database_prefix) = database_prefix {
        let options = PgConnectOptions::from_str(&postgres_url())?.database("postgres");
        let mut conn = options
            .connect()
            .await
            .context("connecting to PostgreSQL")?;
        let databases: Vec<String> =
            sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
                .bind(&database_prefix)
                .fetch_all(&mut conn)
                .await?;
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
    // No service has a section of its own, so each listens on a free loopback port.
    let mut settings = Settings::defaults().expect("built-in settings load");
    settings.http.listen = ([127, 0, 0, 1], 0).into();
    settings.grpc.shutdown_grace_secs = 2;
    settings.log.filter = "warn".into();
    settings.log.format = LogFormat::Test;
    let key: String = (0..2)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect();
    settings.pii.key = Some(Secret::new(key));
    settings.auth.internal_token = Some(Secret::new(INTERNAL_TOKEN));
    // A test run's streams hold a few hundred events: a small limit keeps the server's
    // storage from being reserved away when many runs (or runs a failure left) coexist.
    settings.nats.max_megabytes = 16;
    let (keys, policy) = auth_files();
    for (key, file) in [
        ("gateway.auth.keys_file", keys),
        ("gateway.auth.policy_file", policy),
    ] {
        let file = file.to_str().expect("a UTF-8 temporary folder").to_owned();
        settings
            .set(key, file)
            .expect("the gateway's key and policy files");
    }
    let _ = xingfu_platform::telemetry::init(&settings, "xingfu-test");
    settings
}

/// The internal token of every test run's services.
pub const INTERNAL_TOKEN: &str = "xingfu-test-internal-token-0123456789abcdef";
/// The API key of every test run's gateway: the caller `test-admin`, granted `*`.
pub const API_KEY: &str = "test-admin.5ecret0f7he7e57adm1n0000000000000000000000000000";

/// Writes (once per process) the key file and policy every test run's gateway reads:
/// [`API_KEY`] for `test-admin` with every scope.
fn auth_files() -> &'static (std::path::PathBuf, std::path::PathBuf) {
    static FILES: std::sync::OnceLock<(std::path::PathBuf, std::path::PathBuf)> =
        std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("xingfu-testkit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder for the test keys");
        let secret = API_KEY.split_once('.').map(|(_, s)| s).unwrap_or_default();
        let hash: String = sha2::Sha256::digest(secret.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let keys = dir.join("api-keys.toml");
        let policy = dir.join("policy.toml");
        std::fs::write(
            &keys,
            format!("[[key]]\nid = \"test-admin\"\ncaller = \"test-admin\"\nsha256 = \"{hash}\"\n"),
        )
        .expect("writing the test keys");
        // The benchmarks drive the gateway faster than any real caller: the test admin's
        // rate is out of their way (the rate test has a caller of its own).
        std::fs::write(
            &policy,
            format!(
                "[[caller]]\nid = \"test-admin\"\nscopes = [\"*\"]\nroles = [{}]\n\
                 rate_per_second = 1000000\nburst = 2000000\n",
                ADMIN_ROLES
                    .split_whitespace()
                    .map(|r| format!("\"{r}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .expect("writing the test policy");
        (keys, policy)
    })
}

/// The roles of the test admin, programme-wide: everything but the auditor's and the
/// integrator's, so one key can drive a flow (four-eyes still needs a second person).
pub const ADMIN_ROLES: &str = "programme_admin delegate grant_requester grant_approver \
     activity_organiser evaluator commissioner problem_handler";

/// A channel as the suite's own parts and trusted test clients call: every call carries
/// the internal token (so the services behind the gateway answer) and [`API_KEY`] (so the
/// gateway does); a service called directly sees the test admin with [`ADMIN_ROLES`], as
/// the gateway vouches for it.
pub type Channel = InterceptedService<tonic::transport::Channel, Credentials>;

/// Adds the test credentials to every call: the test admin, or the principal given.
#[derive(Clone, Debug)]
pub struct Credentials {
    caller: Caller,
    api_key: Option<MetadataValue<tonic::metadata::Ascii>>,
}

impl Default for Credentials {
    fn default() -> Self {
        Self {
            caller: Caller {
                id: "test-admin".into(),
                scopes: ["*".to_owned()].into(),
                organisation: None,
                township: None,
                roles: ADMIN_ROLES
                    .split_whitespace()
                    .filter_map(Grant::from_token)
                    .collect(),
                volunteer: None,
            },
            api_key: None,
        }
    }
}

impl Credentials {
    /// The credentials of `caller`, as the gateway would vouch for it to a service.
    pub fn of(caller: Caller) -> Self {
        Self {
            caller,
            api_key: None,
        }
    }
}

impl Interceptor for Credentials {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        let mut headers = http::HeaderMap::new();
        self.caller.stamp(&mut headers);
        let metadata = request.metadata_mut();
        for (name, value) in &headers {
            if let Ok(value) = MetadataValue::try_from(value.as_bytes()) {
                metadata.insert(
                    tonic::metadata::MetadataKey::from_bytes(name.as_str().as_bytes())
                        .expect("a header name is a metadata key"),
                    value,
                );
            }
        }
        metadata.insert(
            xingfu_platform::trust::INTERNAL_HEADER,
            MetadataValue::from_static(INTERNAL_TOKEN),
        );
        metadata.insert(
            "x-api-key",
            self.api_key
                .clone()
                .unwrap_or_else(|| MetadataValue::from_static(API_KEY)),
        );
        Ok(request)
    }
}

/// A principal for a test acting as someone other than the test admin: `roles` as
/// `role@organisation` tokens, limited to `organisation`'s subtree when given.
pub fn principal(id: &str, roles: &[&str], organisation: Option<&str>) -> Caller {
    Caller {
        id: id.into(),
        scopes: ["*".to_owned()].into(),
        organisation: organisation.map(str::to_owned),
        township: None,
        roles: roles.iter().filter_map(|t| Grant::from_token(t)).collect(),
        volunteer: None,
    }
}

/// The caller `id` holding `roles`, limited to `township` (镇 / 街道).
pub fn township_principal(id: &str, roles: &[&str], township: &str) -> Caller {
    Caller {
        township: Some(township.to_owned()),
        ..principal(id, roles, None)
    }
}

/// A gRPC channel to a server bound at `addr`, carrying the test credentials.
pub async fn channel(addr: SocketAddr) -> Channel {
    InterceptedService::new(raw_channel(addr).await, Credentials::default())
}

/// A gRPC channel to the gateway bound at `addr` calling with `api_key` instead of the
/// test admin's (a key issued to another principal through the gateway's API).
pub async fn channel_with_key(addr: SocketAddr, api_key: &str) -> Channel {
    let credentials = Credentials {
        api_key: Some(api_key.parse().expect("an API key is ASCII")),
        ..Credentials::default()
    };
    InterceptedService::new(raw_channel(addr).await, credentials)
}

/// A gRPC channel to a service bound at `addr` that vouches for `caller`, as the gateway
/// does (the service trusts the internal token).
pub async fn channel_as(addr: SocketAddr, caller: Caller) -> Channel {
    InterceptedService::new(raw_channel(addr).await, Credentials::of(caller))
}

/// A gRPC channel to a server bound at `addr`, with no credentials: a stranger's.
pub async fn raw_channel(addr: SocketAddr) -> tonic::transport::Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .expect("a valid URL")
        .connect()
        .await
        .expect("the server accepts connections")
}
