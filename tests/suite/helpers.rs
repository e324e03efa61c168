use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use xingfu::Service;
use xingfu_platform::db::Database;
use xingfu_platform::runner::RunningSuite;
use xingfu_proto::projects as pb;
use xingfu_testkit::{Channel, eventually};

/// A request for a project the tests create.
pub fn new_project(request_id: &str) -> pb::CreateProjectRequest {
    pb::CreateProjectRequest {
        request_id: request_id.into(),
        title: "幸福敲门 · 老年食堂送餐".into(),
        category: pb::Category::Convenience as i32,
        community_ids: vec!["niaoyu-village".into()],
        description: "A 15-minute meal circle for the village's elderly".into(),
        ..Default::default()
    }
}

/// Asserts that every gRPC service of `name` reports SERVING.
pub async fn assert_serving(suite: &RunningSuite, name: Service, grpc_services: &[&str]) {
    let channel = xingfu_testkit::channel(suite.addr(name).expect("service runs")).await;
    let mut health = HealthClient::new(channel);
    for service in grpc_services.iter().chain(&[""]) {
        let status = health
            .check(HealthCheckRequest {
                service: (*service).to_owned(),
            })
            .await
            .unwrap_or_else(|e| panic!("{name} health of {service:?}: {e}"))
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{name}: {service:?}");
    }
}

/// Every service's health, as `xingfu serve` promises.
pub async fn assert_all_serving(suite: &RunningSuite) {
    assert_serving(
        suite,
        xingfu_projects::NAME,
        &["xingfu.projects.v1.ProjectsService"],
    )
    .await;
    assert_serving(
        suite,
        xingfu_volunteers::NAME,
        &["xingfu.volunteers.v1.VolunteersService"],
    )
    .await;
    assert_serving(suite, xingfu_funds::NAME, &["xingfu.funds.v1.FundsService"]).await;
    assert_serving(
        suite,
        xingfu_workshops::NAME,
        &["xingfu.workshops.v1.WorkshopsService"],
    )
    .await;
    assert_serving(
        suite,
        xingfu_gateway::NAME,
        &["xingfu.projects.v1.ProjectsService"],
    )
    .await;
}

/// A channel to the gateway.
pub async fn gateway(suite: &RunningSuite) -> Channel {
    xingfu_testkit::channel(suite.addr(xingfu_gateway::NAME).expect("gateway runs")).await
}

/// Waits until the funds read model knows `project_id`; returns its revision.
pub async fn wait_for_known_project(funds: &Database, project_id: &str) -> i64 {
    eventually(
        &format!("funds to learn of project {project_id}"),
        || async {
            xingfu_funds::storage::projects::known_project(funds.pool(), project_id)
                .await
                .expect("funds database answers")
                .map(|(_, revision)| revision)
        },
    )
    .await
}

/// How many times funds' consumer recorded `event_id` in its inbox.
pub async fn inbox_count(funds: &Database, event_id: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM inbox WHERE consumer = 'funds-projects' AND event_id = $1",
    )
    .bind(event_id)
    .fetch_one(funds.pool())
    .await
    .expect("inbox query")
}

/// `xingfu serve` with its data in `data`, JSON logs on stdout and every port 0.
pub fn serve_command(data: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_xingfu"));
    command
        .arg("serve")
        .env("XINGFU__DATA_DIR", data)
        .env("XINGFU__LOG__FORMAT", "json")
        .env("XINGFU__LOG__FILTER", "info")
        .env("XINGFU__HTTP__LISTEN", "127.0.0.1:0")
        .envs(
            ["GATEWAY", "PROJECTS", "VOLUNTEERS", "FUNDS", "WORKSHOPS"]
                .map(|s| (format!("XINGFU__{s}__LISTEN"), "127.0.0.1:0")),
        )
        .stdout(std::process::Stdio::piped());
    command
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
    channel: tonic::transport::Channel,
    key: &str,
) -> tonic::service::interceptor::InterceptedService<tonic::transport::Channel, ApiKey> {
    tonic::service::interceptor::InterceptedService::new(
        channel,
        ApiKey(key.parse().expect("an API key is ASCII")),
    )
}

/// Waits (10 s at most per event) until every fact in `expected` (`project_created`, …)
/// has been seen on `service`'s stream of the run `env`.
pub async fn facts_reach_the_stream(
    env: &xingfu_testkit::TestEnv,
    service: xingfu::Service,
    expected: &std::collections::BTreeSet<&str>,
) {
    use futures_util::StreamExt as _;
    let js = async_nats::jetstream::new(
        async_nats::connect(xingfu_testkit::nats_url())
            .await
            .unwrap(),
    );
    let stream = js.get_stream(env.stream_name(service)).await.unwrap();
    let reader = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config::default())
        .await
        .unwrap();
    let mut messages = reader.messages().await.unwrap();
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < expected.len() {
        let message = tokio::time::timeout(std::time::Duration::from_secs(10), messages.next())
            .await
            .unwrap_or_else(|_| panic!("events missing from the stream; saw {seen:?}"))
            .unwrap()
            .unwrap();
        let fact = message
            .subject
            .as_str()
            .split('.')
            .nth(2)
            .unwrap()
            .to_owned();
        message.ack().await.unwrap();
        if expected.contains(fact.as_str()) {
            seen.insert(fact);
        }
    }
}

/// Every message of `stream`, from the start.
pub async fn read_all(
    js: &async_nats::jetstream::Context,
    stream: &str,
) -> Vec<async_nats::jetstream::Message> {
    let Ok(stream) = js.get_stream(stream).await else {
        return Vec::new();
    };
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            deliver_policy: async_nats::jetstream::consumer::DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut batch = consumer
        .fetch()
        .max_messages(1000)
        .expires(std::time::Duration::from_secs(1))
        .messages()
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(Ok(message)) = futures_util::StreamExt::next(&mut batch).await {
        out.push(message);
    }
    out
}

/// A second grant approver (`deputy-head`), registered through the gateway's API with a
/// key of its own: four-eyes needs two persons.
pub async fn second_approver(suite: &RunningSuite) -> Channel {
    use xingfu_proto::gateway as gw;
    let addr = suite.addr(xingfu_gateway::NAME).expect("gateway runs");
    let mut admin = gw::gateway_service_client::GatewayServiceClient::new(gateway(suite).await);
    admin
        .register_principal(gw::RegisterPrincipalRequest {
            id: "deputy-head".into(),
            kind: gw::PrincipalKind::Person as i32,
            display_name: "副主任".into(),
            ..Default::default()
        })
        .await
        .expect("registering the second approver");
    admin
        .grant_role(gw::RoleRequest {
            principal_id: "deputy-head".into(),
            role: "grant_approver".into(),
            organisation_id: String::new(),
        })
        .await
        .expect("granting the second approver its role");
    let key = admin
        .issue_api_key(gw::IssueApiKeyRequest {
            key_id: format!("deputy-head-{}", xingfu_testkit::unique_token()),
            principal_id: "deputy-head".into(),
            not_after: None,
        })
        .await
        .expect("issuing the second approver's key")
        .into_inner();
    xingfu_testkit::channel_with_key(addr, &key.api_key).await
}

/// Creates the project of `request_id` as a caller that retries does: again, with the
/// same request id, while the answer is UNAVAILABLE (a replica or a node lost), for 30 s
/// at most; any other refusal fails the test.
pub async fn create_retrying(
    client: &xingfu_proto::projects::projects_service_client::ProjectsServiceClient<Channel>,
    request_id: &str,
) -> pb::Project {
    xingfu_testkit::eventually_within(
        std::time::Duration::from_secs(30),
        "a create answered",
        || {
            let mut client = client.clone();
            let request = new_project(request_id);
            async move {
                match client.create_project(request).await {
                    Ok(answer) => Some(answer.into_inner()),
                    Err(status) if status.code() == tonic::Code::Unavailable => None,
                    Err(status) => panic!("{request_id}: {status:?}"),
                }
            }
        },
    )
    .await
}

/// What the HTTP port at `port` on loopback answers to `GET path`: status line, headers
/// and body as one text.
pub async fn http_get(port: u16, path: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nhost: xingfu\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).await.unwrap();
    text
}
