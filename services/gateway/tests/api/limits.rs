//! What protects the services behind the gateway: a rate per caller, a ceiling on calls in
//! flight beyond which calls are shed, a maximum deadline, and a maximum message size.

use tonic::Code;
use xingfu_proto::projects;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_proto::volunteers as vpb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_testkit::TestEnv;

use crate::helpers::{PROJECTS, VOLUNTEERS, outcome, secret_of, spawn_app, with_key, write_auth};

#[tokio::test]
async fn callers_over_their_rate_are_told_when_to_retry() {
    let mut env = TestEnv::embedded();
    let dir = env.settings.data_dir.clone();
    write_auth(&mut env, &dir);
    let app = spawn_app(env, &[PROJECTS]).await;
    let gateway = app.raw_channel().await;
    let slow = format!("slow.{}", secret_of("slow"));
    for _ in 0..2 {
        assert_eq!(
            outcome(&gateway, &slow, xingfu_projects::NAME, false).await,
            Code::InvalidArgument
        );
    }
    let channel = with_key(gateway.clone(), &slow);
    let refused = ProjectsServiceClient::new(channel)
        .get_project(projects::GetProjectRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted);
    use tonic_types::StatusExt as _;
    let wait = refused
        .get_error_details()
        .retry_info()
        .and_then(|r| r.retry_delay)
        .unwrap();
    assert!(wait > std::time::Duration::ZERO && wait <= std::time::Duration::from_secs(2));
    // Another caller is not slowed by it.
    let admin = format!("admin.{}", secret_of("admin"));
    assert_eq!(
        outcome(&gateway, &admin, xingfu_projects::NAME, false).await,
        Code::InvalidArgument
    );
    app.stop().await;
}

#[tokio::test]
async fn calls_beyond_capacity_are_shed_and_long_calls_cut_at_the_maximum_deadline() {
    let mut env = TestEnv::embedded();
    env.settings.set("gateway.limits.max_in_flight", 1).unwrap();
    env.settings
        .set("gateway.limits.default_deadline_ms", 400)
        .unwrap();
    env.settings
        .set("gateway.limits.max_deadline_ms", 400)
        .unwrap();
    let app = spawn_app(env, &[PROJECTS, VOLUNTEERS]).await;
    let gateway = app.channel().await;

    // A client-streaming import held open is a call in flight until its stream ends.
    let (sender, chunks) = tokio::sync::mpsc::channel::<vpb::ImportDirectoryChunk>(1);
    let mut held = VolunteersServiceClient::new(gateway.clone());
    let mut request = tonic::Request::new(tokio_stream::wrappers::ReceiverStream::new(chunks));
    // The caller asks for an hour; the gateway allows 400 ms.
    request.set_timeout(std::time::Duration::from_secs(3600));
    let in_flight = tokio::spawn(async move { held.import_directory(request).await });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;

    let shed = ProjectsServiceClient::new(gateway.clone())
        .get_project(projects::GetProjectRequest::default())
        .await
        .unwrap_err();
    assert_eq!(shed.code(), Code::Unavailable, "{shed:?}");

    let cut = in_flight.await.unwrap().unwrap_err();
    assert_eq!(cut.code(), Code::DeadlineExceeded, "{cut:?}");
    drop(sender);
    // With the place free again, calls pass.
    let status = ProjectsServiceClient::new(gateway.clone())
        .get_project(projects::GetProjectRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);

    // A message over 4 MiB is refused by the decoder of the service behind (tonic reports
    // it OUT_OF_RANGE), never handed to a handler.
    let huge = projects::CreateProjectRequest {
        request_id: "huge".into(),
        title: "x".repeat(5 * 1024 * 1024),
        ..Default::default()
    };
    let status = ProjectsServiceClient::new(gateway)
        .create_project(huge)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    app.stop().await;
}
