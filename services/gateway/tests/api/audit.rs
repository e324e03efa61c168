//! The audit trail: writes (and refused writes) recorded in the gateway's store and
//! published on its stream, reads not; many writes at once each recorded once.

use tonic::Code;
use xingfu_proto::projects;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_testkit::{TestEnv, eventually};

use crate::helpers::{PROJECTS, TestApp, new_project, spawn_app};

#[tokio::test]
async fn writes_are_audited_in_the_store_and_on_jetstream_and_reads_are_not() {
    use xingfu_proto::gateway as gpb;
    use xingfu_proto::gateway::gateway_service_client::GatewayServiceClient;
    let env = TestEnv::postgres_jetstream();
    let app = spawn_app(env, &[PROJECTS]).await;
    let gateway = app.channel().await;
    let mut projects_client = ProjectsServiceClient::new(gateway.clone());
    let created = projects_client
        .create_project(new_project("audited-1"))
        .await
        .unwrap()
        .into_inner();
    projects_client
        .get_project(projects::GetProjectRequest {
            id: created.id.clone(),
        })
        .await
        .unwrap();
    let refused = projects_client
        .create_project(projects::CreateProjectRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);

    let audit = GatewayServiceClient::new(gateway);
    let records = eventually("both writes to be audited", || async {
        let records = audit
            .clone()
            .list_audit_records(gpb::ListAuditRecordsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .records;
        (records.len() >= 2).then_some(records)
    })
    .await;
    let summary: Vec<(&str, &str, &str, &str)> = records
        .iter()
        .map(|r| {
            (
                r.caller.as_str(),
                r.method.as_str(),
                r.resource_id.as_str(),
                r.outcome.as_str(),
            )
        })
        .collect();
    let method = "xingfu.projects.v1.ProjectsService/CreateProject";
    assert_eq!(
        summary,
        [
            ("test-admin", method, "", "INVALID_ARGUMENT"),
            ("test-admin", method, created.id.as_str(), "OK"),
        ],
        "two writes, newest first; the read is not audited"
    );
    assert!(
        records
            .iter()
            .all(|r| r.trace_id.len() == 32 && r.time.is_some())
    );

    // The same records as events, for tools that watch the gateway's stream.
    let js = async_nats::jetstream::new(
        async_nats::connect(xingfu_testkit::nats_url())
            .await
            .unwrap(),
    );
    let stream = js
        .get_stream(app.env.stream_name(xingfu_gateway::NAME))
        .await
        .unwrap();
    let reader = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config::default())
        .await
        .unwrap();
    let mut messages = futures_util::StreamExt::take(reader.messages().await.unwrap(), 2);
    let mut audited = Vec::new();
    while let Some(message) = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        futures_util::StreamExt::next(&mut messages),
    )
    .await
    .unwrap()
    {
        let message = message.unwrap();
        let event: gpb::CallAudited = prost::Message::decode(message.payload.clone()).unwrap();
        message.ack().await.unwrap();
        audited.push(event.audit_id);
    }
    let mut stored: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
    stored.sort();
    audited.sort();
    assert_eq!(audited, stored);
    app.stop().await;
}

/// Records are written in batches by one writer: many calls at once are each recorded
/// once, with their events, by the time the suite has stopped.
#[tokio::test]
async fn concurrent_writes_through_the_gateway_are_each_audited_once() {
    let env = TestEnv::embedded();
    let app = spawn_app(env, &[PROJECTS]).await;
    let gateway = app.channel().await;
    let calls = (0..40).map(|i| {
        let mut client = ProjectsServiceClient::new(gateway.clone());
        async move {
            client
                .create_project(new_project(&format!("batched-{i}")))
                .await
                .unwrap()
                .into_inner()
                .id
        }
    });
    let mut created = futures_util::future::join_all(calls).await;
    let TestApp { suite, env } = app;
    suite.stop().await.unwrap();

    let db = xingfu_platform::db::Database::open(&env.settings, xingfu_gateway::NAME)
        .await
        .unwrap();
    let mut recorded: Vec<String> = sqlx::query_scalar(
        "SELECT resource_id FROM audit_records \
         WHERE method = 'xingfu.projects.v1.ProjectsService/CreateProject' AND outcome = 'OK'",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE event_type = 'xingfu.gateway.v1.CallAudited'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    db.close().await;
    created.sort();
    recorded.sort();
    assert_eq!(recorded, created, "each create recorded once, none lost");
    assert_eq!(events, 40, "each record with its event");
    env.cleanup().await.unwrap();
}
