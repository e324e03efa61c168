//! The harness: the gateway on port 0 in front of the domain services a test needs, each a
//! real server started by the platform's runner in this process; and the callers the
//! tests play, with their keys and the policy that grants them scopes.

use std::net::SocketAddr;
use std::path::Path;

use sha2::Digest as _;
use tonic::Code;
use tonic::transport::Channel;
use xingfu_platform::runner::{Runner, RunningSuite};
use xingfu_platform::{ServiceDef, ServiceName, Settings};
use xingfu_proto::funds::funds_service_client::FundsServiceClient;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_proto::volunteers as vpb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_proto::workshops::workshops_service_client::WorkshopsServiceClient;
use xingfu_proto::{funds, projects, workshops};
use xingfu_testkit::TestEnv;

/// The projects service, behind the gateway.
pub const PROJECTS: ServiceDef = xingfu_projects::SERVICE;
/// The volunteers service (and the directory), behind the gateway.
pub const VOLUNTEERS: ServiceDef = xingfu_volunteers::SERVICE;
/// The funds service, behind the gateway.
pub const FUNDS: ServiceDef = xingfu_funds::SERVICE;
/// The workshops service, behind the gateway.
pub const WORKSHOPS: ServiceDef = xingfu_workshops::SERVICE;
/// Every service the gateway fronts.
pub const ALL: &[ServiceDef] = &[PROJECTS, VOLUNTEERS, FUNDS, WORKSHOPS];

/// The gateway and the services behind it, running; the run's settings.
pub struct TestApp {
    pub suite: RunningSuite,
    pub env: TestEnv,
}

/// The gateway on `env`'s settings in front of `behind` (which it calls in-process).
pub async fn spawn_app(env: TestEnv, behind: &[ServiceDef]) -> TestApp {
    let suite = start(&env.settings, behind).await;
    TestApp { suite, env }
}

/// Starts `behind`, then the gateway (last, so that it learns where they listen), on
/// `settings`; returns once all listen.
pub async fn start(settings: &Settings, behind: &[ServiceDef]) -> RunningSuite {
    let mut runner = Runner::new(settings.clone()).await.expect("runner");
    for service in behind {
        runner
            .add(*service)
            .await
            .unwrap_or_else(|e| panic!("{} builds: {e:#}", service.name));
    }
    runner
        .add(xingfu_gateway::SERVICE)
        .await
        .expect("the gateway builds");
    runner.start().await.expect("suite starts")
}

impl TestApp {
    /// Where the gateway listens.
    pub fn addr(&self) -> SocketAddr {
        self.suite
            .addr(xingfu_gateway::NAME)
            .expect("the gateway runs")
    }

    /// Where the HTTP port (JSON routes, OpenAPI, dashboard) listens.
    pub fn http_addr(&self) -> SocketAddr {
        self.suite.http_addr()
    }

    /// A channel to the gateway carrying no credentials: a stranger's, or one a test gives
    /// a key of its own with [`with_key`].
    pub async fn raw_channel(&self) -> Channel {
        xingfu_testkit::raw_channel(self.addr()).await
    }

    /// A channel to the gateway calling as the testkit's admin (every scope).
    pub async fn channel(&self) -> xingfu_testkit::Channel {
        xingfu_testkit::channel(self.addr()).await
    }

    /// Stops the gateway and the services, then drops what the run created.
    pub async fn stop(self) {
        self.suite.stop().await.expect("clean shutdown");
        self.env.cleanup().await.expect("cleanup");
    }
}

/// The callers of the matrix and their scopes.
pub const CALLERS: &[(&str, &[&str])] = &[
    ("nobody", &[]),
    ("projects-reader", &["projects:read"]),
    ("projects-writer", &["projects:write"]),
    ("funds-all", &["funds:*"]),
    ("volunteers-reader", &["volunteers:read"]),
    ("workshops-writer", &["workshops:write", "projects:read"]),
    ("admin", &["*"]),
    ("pii", &["volunteers:read", "pii:read"]),
    ("slow", &["projects:read"]),
];

/// The secret of `caller`'s key (its key is `<caller>.<secret>`).
pub fn secret_of(caller: &str) -> String {
    format!("{caller}-secret-0123456789")
}

/// The hex SHA-256 of `text`, as the key file stores secrets.
pub fn sha256(text: &str) -> String {
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes a key file (one key per caller, and for `admin` an expired one and a second,
/// overlapping one) and the policy; points `env` at them.
pub fn write_auth(env: &mut TestEnv, dir: &Path) {
    let mut keys = String::new();
    for (caller, _) in CALLERS {
        keys += &format!(
            "[[key]]\nid = \"{caller}\"\ncaller = \"{caller}\"\nsha256 = \"{}\"\n",
            sha256(&secret_of(caller))
        );
    }
    keys += &format!(
        "[[key]]\nid = \"admin-old\"\ncaller = \"admin\"\nsha256 = \"{}\"\n\
         not_after = \"2099-01-01T00:00:00Z\"\n\
         [[key]]\nid = \"admin-expired\"\ncaller = \"admin\"\nsha256 = \"{}\"\n\
         not_after = \"2020-01-01T00:00:00Z\"\n",
        sha256("old-secret"),
        sha256("expired-secret")
    );
    let mut policy = String::new();
    for (caller, scopes) in CALLERS {
        let scopes: Vec<String> = scopes.iter().map(|s| format!("\"{s}\"")).collect();
        policy += &format!(
            "[[caller]]\nid = \"{caller}\"\nscopes = [{}]\n",
            scopes.join(", ")
        );
        if *caller == "slow" {
            policy += "rate_per_second = 0.5\nburst = 2\n";
        }
    }
    std::fs::write(dir.join("keys.toml"), keys).unwrap();
    std::fs::write(dir.join("policy.toml"), policy).unwrap();
    env.settings
        .set(
            "gateway.auth.keys_file",
            dir.join("keys.toml").display().to_string(),
        )
        .unwrap();
    env.settings
        .set(
            "gateway.auth.policy_file",
            dir.join("policy.toml").display().to_string(),
        )
        .unwrap();
}

/// The code a read (`write` false) or write call of `service` gets as the holder of `key`.
/// Each request is empty, so a call that passes the gateway is INVALID_ARGUMENT.
pub async fn outcome(channel: &Channel, key: &str, service: ServiceName, write: bool) -> Code {
    let channel = with_key(channel.clone(), key);
    let status = match (service, write) {
        (xingfu_projects::NAME, false) => ProjectsServiceClient::new(channel)
            .get_project(projects::GetProjectRequest::default())
            .await
            .err(),
        (xingfu_projects::NAME, true) => ProjectsServiceClient::new(channel)
            .create_project(projects::CreateProjectRequest::default())
            .await
            .err(),
        (xingfu_volunteers::NAME, false) => VolunteersServiceClient::new(channel)
            .get_volunteer(vpb::GetVolunteerRequest::default())
            .await
            .err(),
        (xingfu_volunteers::NAME, true) => VolunteersServiceClient::new(channel)
            .register_volunteer(vpb::RegisterVolunteerRequest::default())
            .await
            .err(),
        (xingfu_funds::NAME, false) => FundsServiceClient::new(channel)
            .get_fund(funds::GetFundRequest::default())
            .await
            .err(),
        (xingfu_funds::NAME, true) => FundsServiceClient::new(channel)
            .donate(funds::DonateRequest::default())
            .await
            .err(),
        (xingfu_workshops::NAME, false) => WorkshopsServiceClient::new(channel)
            .get_workshop(workshops::GetWorkshopRequest::default())
            .await
            .err(),
        (xingfu_workshops::NAME, true) => WorkshopsServiceClient::new(channel)
            .create_workshop(workshops::CreateWorkshopRequest::default())
            .await
            .err(),
        _ => unreachable!("{service} has no API called here"),
    };
    status.map_or(Code::Ok, |s| s.code())
}

/// Adds an API key to every call.
#[derive(Clone, Debug)]
pub struct ApiKey(tonic::metadata::MetadataValue<tonic::metadata::Ascii>);

impl tonic::service::Interceptor for ApiKey {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        request.metadata_mut().insert("x-api-key", self.0.clone());
        Ok(request)
    }
}

/// `channel`, calling as the holder of `key`.
pub fn with_key(
    channel: Channel,
    key: &str,
) -> tonic::service::interceptor::InterceptedService<Channel, ApiKey> {
    tonic::service::interceptor::InterceptedService::new(
        channel,
        ApiKey(key.parse().expect("an API key is ASCII")),
    )
}

/// A request for a project the tests create.
pub fn new_project(request_id: &str) -> projects::CreateProjectRequest {
    projects::CreateProjectRequest {
        request_id: request_id.into(),
        title: "幸福敲门 · 老年食堂送餐".into(),
        category: projects::Category::Convenience as i32,
        community_ids: vec!["niaoyu-village".into()],
        description: "A 15-minute meal circle for the village's elderly".into(),
        ..Default::default()
    }
}
