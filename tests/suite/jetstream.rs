//! The suite on PostgreSQL and NATS JetStream.

use std::time::Duration;

use async_nats::jetstream::consumer::pull;
use futures_util::StreamExt as _;
use prost::Message as _;
use tonic::metadata::MetadataValue;
use xingfu_platform::db::Database;
use xingfu_proto::projects as pb;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_testkit::{TestEnv, eventually, holds};

use crate::helpers::{
    assert_all_serving, gateway, inbox_count, new_project, wait_for_known_project,
};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[tokio::test]
async fn a_project_created_through_the_gateway_reaches_jetstream_and_funds_once() {
    let env = TestEnv::postgres_jetstream();
    let suite = xingfu::start(env.settings.clone(), &[])
        .await
        .expect("suite starts");
    assert_all_serving(&suite).await;

    // An independent reader of the projects stream, as an internal tool would be.
    let nats = async_nats::connect(xingfu_testkit::nats_url())
        .await
        .unwrap();
    let js = async_nats::jetstream::new(nats);
    let stream = js
        .get_stream(env.stream_name(xingfu_projects::NAME))
        .await
        .expect("stream exists");
    let reader = stream
        .create_consumer(pull::Config {
            name: Some("e2e-reader".into()),
            ..Default::default()
        })
        .await
        .unwrap();

    let mut client = ProjectsServiceClient::new(gateway(&suite).await);
    let mut request = tonic::Request::new(new_project("e2e-1"));
    let traceparent = format!("00-{TRACE_ID}-00f067aa0ba902b7-01");
    request.metadata_mut().insert(
        "traceparent",
        MetadataValue::try_from(traceparent.as_str()).unwrap(),
    );
    let project = client
        .create_project(request)
        .await
        .expect("create through the gateway")
        .into_inner();
    let read = client
        .get_project(pb::GetProjectRequest {
            id: project.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, project);

    let mut messages = reader.messages().await.unwrap();
    let message = tokio::time::timeout(Duration::from_secs(10), messages.next())
        .await
        .expect("the event arrives on JetStream")
        .unwrap()
        .unwrap();
    let headers = message.headers.clone().expect("the event has headers");
    let header = |name: &str| headers.get(name).map(|v| v.as_str().to_owned());
    let event_id = header("Nats-Msg-Id").expect("Nats-Msg-Id");
    assert_eq!(header("ce-id").as_deref(), Some(event_id.as_str()));
    assert_eq!(
        header("ce-type").as_deref(),
        Some("xingfu.projects.v1.ProjectCreated")
    );
    assert_eq!(header("ce-subject").as_deref(), Some(project.id.as_str()));
    assert_eq!(
        header("content-type").as_deref(),
        Some("application/protobuf")
    );
    // Who acted travels with the fact: the caller the gateway authenticated, and no one
    // acted for.
    assert_eq!(header("ce-xingfucaller").as_deref(), Some("test-admin"));
    assert_eq!(header("ce-xingfuonbehalfof"), None);
    let event_trace = header("traceparent").expect("traceparent");
    assert!(
        event_trace.starts_with(&format!("00-{TRACE_ID}-")),
        "the event continues the caller's trace: {event_trace}"
    );
    assert_eq!(
        message.subject.as_str(),
        format!("{}.projects.project_created.v1", env.token)
    );
    let event = pb::ProjectCreated::decode(message.payload.clone()).unwrap();
    assert_eq!(event.project_id, project.id);
    message.ack().await.unwrap();

    let funds = Database::open(&env.settings, xingfu_funds::NAME)
        .await
        .unwrap();
    assert_eq!(wait_for_known_project(&funds, &project.id).await, 1);

    // The same event again, as a redelivery after JetStream's de-duplication window
    // would bring it: a new message id, the same event id.
    let mut again = headers.clone();
    again.insert("Nats-Msg-Id", format!("{event_id}-redelivered").as_str());
    let ack = js
        .publish_with_headers(message.subject.clone(), again, message.payload.clone())
        .await
        .unwrap()
        .await
        .unwrap();
    let consumer_name = "funds-projects";
    eventually("funds to acknowledge the redelivery", || async {
        let mut consumer: async_nats::jetstream::consumer::PullConsumer =
            stream.get_consumer(consumer_name).await.unwrap();
        let info = consumer.info().await.unwrap();
        holds(info.ack_floor.stream_sequence >= ack.sequence)
    })
    .await;
    let (_, revision) = xingfu_funds::storage::projects::known_project(funds.pool(), &project.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revision, 1, "the duplicate was not applied");
    assert_eq!(inbox_count(&funds, &event_id).await, 1);

    funds.close().await;
    suite.stop().await.expect("clean shutdown");
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn one_server_url_gives_each_service_its_own_database() {
    let mut env = TestEnv::postgres();
    env.settings.nats.url = Some(xingfu_platform::secret::Secret::new(
        xingfu_testkit::nats_url(),
    ));
    env.settings.nats.prefix = env.token.clone();
    let suite = xingfu::start(env.settings.clone(), &[])
        .await
        .expect("suite starts");
    assert_all_serving(&suite).await;
    let mut client = ProjectsServiceClient::new(gateway(&suite).await);
    let project = client
        .create_project(new_project("shared-1"))
        .await
        .unwrap()
        .into_inner();

    let funds = Database::open(&env.settings, xingfu_funds::NAME)
        .await
        .unwrap();
    assert_eq!(wait_for_known_project(&funds, &project.id).await, 1);
    let databases: Vec<String> = sqlx::query_scalar(
        "SELECT datname::TEXT FROM pg_database WHERE datname LIKE $1 ORDER BY datname",
    )
    .bind(format!("xt_{}_%", env.token))
    .fetch_all(funds.pool())
    .await
    .unwrap();
    let expected: Vec<String> = ["funds", "gateway", "projects", "volunteers", "workshops"]
        .iter()
        .map(|s| format!("xt_{}_{s}", env.token))
        .collect();
    assert_eq!(databases, expected);
    let in_funds: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'projects'",
    )
    .fetch_one(funds.pool())
    .await
    .unwrap();
    assert_eq!(
        in_funds, 0,
        "funds' database holds no projects table of its own"
    );

    funds.close().await;
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
