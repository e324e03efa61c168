//! The suite on the embedded default: SQLite files and the in-process bus.

use xingfu_platform::db::Database;
use xingfu_platform::events::Envelope;
use xingfu_proto::projects as pb;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_testkit::{TestEnv, eventually_within, holds};

use crate::helpers::{
    assert_all_serving, gateway, inbox_count, new_project, wait_for_known_project,
};

#[tokio::test]
async fn the_embedded_suite_serves_creates_and_applies_events_once() {
    let env = TestEnv::embedded();
    assert!(env.settings.database.url.is_none() && env.settings.nats.url.is_none());
    let suite = xingfu::start(env.settings.clone(), &[])
        .await
        .expect("suite starts");
    assert_all_serving(&suite).await;
    for service in ["projects", "volunteers", "funds", "workshops", "gateway"] {
        assert!(
            env.settings.data_dir.join(format!("{service}.db")).exists(),
            "{service}.db"
        );
    }

    let mut client = ProjectsServiceClient::new(gateway(&suite).await);
    let project = client
        .create_project(new_project("emb-1"))
        .await
        .unwrap()
        .into_inner();
    let listed = client
        .list_projects(pb::ListProjectsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.projects, std::slice::from_ref(&project));

    let funds = Database::open(&env.settings, xingfu_funds::NAME)
        .await
        .unwrap();
    assert_eq!(wait_for_known_project(&funds, &project.id).await, 1);

    // Deliver the same event again on the bus the suite uses.
    let projects = Database::open(&env.settings, xingfu_projects::NAME)
        .await
        .unwrap();
    let (event_id, payload): (String, Vec<u8>) =
        sqlx::query_as("SELECT event_id, payload FROM outbox WHERE aggregate_id = $1")
            .bind(&project.id)
            .fetch_one(projects.pool())
            .await
            .unwrap();
    let duplicate = Envelope {
        id: event_id.clone(),
        subject: suite.bus().subject("projects.project_created.v1"),
        event_type: "xingfu.projects.v1.ProjectCreated".into(),
        source: "projects".into(),
        aggregate_id: project.id.clone(),
        time_micros: 0,
        traceparent: None,
        acting: Default::default(),
        payload: payload.into(),
    };
    assert_eq!(
        suite.bus().publish(&[duplicate]).await,
        1,
        "delivered and acknowledged"
    );
    let (_, revision) = xingfu_funds::storage::projects::known_project(funds.pool(), &project.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revision, 1, "the duplicate was not applied");
    assert_eq!(inbox_count(&funds, &event_id).await, 1);

    projects.close().await;
    funds.close().await;
    suite.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_subset_runs_alone_and_the_gateway_reports_unknown_services() {
    let env = TestEnv::embedded();
    let suite = xingfu::start(env.settings.clone(), &[xingfu_projects::NAME])
        .await
        .unwrap();
    assert!(suite.addr(xingfu_gateway::NAME).is_none());
    assert!(suite.addr(xingfu_funds::NAME).is_none());
    let mut client = ProjectsServiceClient::new(
        xingfu_testkit::channel(suite.addr(xingfu_projects::NAME).unwrap()).await,
    );
    client
        .create_project(new_project("subset-1"))
        .await
        .unwrap();
    suite.stop().await.unwrap();
}

#[tokio::test]
async fn on_shutdown_health_turns_not_serving_while_draining() {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;

    let mut env = TestEnv::embedded();
    env.settings.grpc.drain_delay_secs = 1;
    let suite = xingfu::start(env.settings.clone(), &[xingfu_projects::NAME])
        .await
        .unwrap();
    let channel = xingfu_testkit::channel(suite.addr(xingfu_projects::NAME).unwrap()).await;
    let mut health = HealthClient::new(channel);
    let check = HealthCheckRequest {
        service: "xingfu.projects.v1.ProjectsService".into(),
    };
    let status = health
        .check(check.clone())
        .await
        .unwrap()
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::Serving as i32);

    suite.shutdown_token().cancel();
    // Within the drain delay (1 s): after it the server stops answering.
    eventually_within(
        std::time::Duration::from_secs(1),
        "health to report NOT_SERVING during the drain delay",
        || async {
            match health.clone().check(check.clone()).await {
                Ok(answer) => holds(answer.get_ref().status == ServingStatus::NotServing as i32),
                Err(status) => panic!("the server stopped answering before draining: {status}"),
            }
        },
    )
    .await;
    let started = std::time::Instant::now();
    suite.wait().await.expect("clean exit");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
