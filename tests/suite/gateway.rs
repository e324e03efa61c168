//! The gateway in the whole suite, in one process: the services refusing calls that did
//! not come through it, its calls to the services in this process made without the
//! network, and the overview gathering every service's figures. The gateway's own
//! behaviour (keys, tokens, scopes, rates, shedding, deadlines, audit, the subtree wall)
//! is tested in `services/gateway/tests/api`.

use tonic::Code;
use xingfu_proto::funds::funds_service_client::FundsServiceClient;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_proto::volunteers as vpb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_proto::{funds, projects};
use xingfu_testkit::TestEnv;

use crate::helpers::with_key;

#[tokio::test]
async fn services_refuse_calls_that_did_not_come_through_the_gateway() {
    let env = TestEnv::embedded();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    for service in [
        xingfu_projects::NAME,
        xingfu_volunteers::NAME,
        xingfu_funds::NAME,
        xingfu_workshops::NAME,
    ] {
        let addr = suite.addr(service).unwrap();
        let stranger = xingfu_testkit::raw_channel(addr).await;
        // Even with a valid API key: the services take the gateway's word only.
        let stranger = with_key(stranger, xingfu_testkit::API_KEY);
        let status = VolunteersServiceClient::new(stranger.clone())
            .get_volunteer(vpb::GetVolunteerRequest::default())
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{service}");
        // Kubernetes probes still get an answer.
        let mut health = tonic_health::pb::health_client::HealthClient::new(stranger);
        let serving = health
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(
            serving,
            tonic_health::pb::health_check_response::ServingStatus::Serving as i32
        );
    }
    // A caller cannot pass as the gateway by sending its headers.
    let mut forged = tonic::Request::new(vpb::GetVolunteerRequest::default());
    forged.metadata_mut().insert(
        "x-xingfu-internal",
        "guess-guess-guess-guess-guess-guess".parse().unwrap(),
    );
    let direct = xingfu_testkit::raw_channel(suite.addr(xingfu_volunteers::NAME).unwrap()).await;
    let status = VolunteersServiceClient::new(direct)
        .get_volunteer(forged)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    suite.stop().await.unwrap();
}

/// In one process the gateway hands calls to the services in-process: with the projects
/// service's endpoint pointing where nothing listens, calls through the gateway still
/// reach it; with `grpc.in_process = false` the same calls go over the network and find
/// nothing there.
#[tokio::test]
async fn in_one_process_the_gateway_calls_the_services_without_the_network() {
    for in_process in [true, false] {
        let mut env = TestEnv::embedded();
        env.settings.grpc.in_process = in_process;
        env.settings.service_mut(xingfu_projects::NAME).endpoint =
            Some("http://127.0.0.1:1".into());
        let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
        let mut client = ProjectsServiceClient::new(crate::helpers::gateway(&suite).await);
        let created = client
            .create_project(crate::helpers::new_project("in-process"))
            .await;
        if in_process {
            let created = created.unwrap().into_inner();
            let got = client
                .get_project(projects::GetProjectRequest {
                    id: created.id.clone(),
                })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(got, created);
            // Errors keep their code and details on the way.
            let refused = client
                .create_project(projects::CreateProjectRequest::default())
                .await
                .unwrap_err();
            assert_eq!(refused.code(), Code::InvalidArgument);
            assert!(!refused.details().is_empty(), "field violations travel");
        } else {
            let status = created.unwrap_err();
            assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        }
        suite.stop().await.unwrap();
    }
}

#[tokio::test]
async fn the_overview_gathers_every_services_figures_and_names_the_missing() {
    use xingfu_proto::gateway as gpb;
    use xingfu_proto::gateway::gateway_service_client::GatewayServiceClient;
    let env = TestEnv::embedded();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let channel = crate::helpers::gateway(&suite).await;
    crate::projects_flow::flow(channel.clone()).await;
    crate::funds_flow::flow(
        channel.clone(),
        crate::helpers::second_approver(&suite).await,
    )
    .await;
    crate::volunteers_flow::flow(channel.clone()).await;
    let workshops = crate::workshops_flow::flow(channel.clone()).await;
    let volunteers = VolunteersServiceClient::new(channel.clone())
        .get_stats(vpb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    let projects = ProjectsServiceClient::new(channel.clone())
        .get_project_stats(projects::GetProjectStatsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let report = FundsServiceClient::new(channel.clone())
        .get_transparency_report(funds::GetTransparencyReportRequest {})
        .await
        .unwrap()
        .into_inner();

    let overview = GatewayServiceClient::new(channel)
        .get_overview(gpb::GetOverviewRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(
        overview.unavailable.is_empty(),
        "{:?}",
        overview.unavailable
    );
    assert_eq!(overview.projects, projects.total);
    assert_eq!(overview.visit_person_times, projects.person_times);
    assert_eq!(
        overview
            .projects_by_category
            .iter()
            .map(|c| c.count)
            .sum::<i64>(),
        projects.total
    );
    assert_eq!(overview.raised, report.raised);
    assert_eq!(overview.granted, report.disbursed);
    assert_eq!(overview.children_funded, report.children_supported);
    assert_eq!(overview.volunteers, volunteers.volunteers);
    assert_eq!(overview.volunteer_hours, volunteers.verified_minutes / 60);
    assert_eq!(
        (
            overview.events,
            overview.participants,
            overview.meals_served
        ),
        (
            volunteers.events,
            volunteers.participants,
            volunteers.meals_served
        )
    );
    assert_eq!(overview.wishes_adopted, volunteers.wishes_adopted);
    let agency = overview
        .organisations_by_kind
        .iter()
        .find(|k| k.key == "AGENCY_PARTY")
        .unwrap();
    assert!(agency.count >= 2, "{:?}", overview.organisations_by_kind);
    assert_eq!(
        (
            overview.workshops,
            overview.beneficiaries,
            overview.commissioners
        ),
        (
            workshops.workshops,
            workshops.beneficiaries,
            workshops.commissioners
        )
    );
    assert_eq!(
        overview.average_monthly_uplift,
        workshops.average_monthly_uplift
    );
    assert_eq!(overview.problems_resolved, workshops.problems_resolved);
    suite.stop().await.unwrap();

    // Without the workshops service, the rest still answers and the gap is named.
    let partial = xingfu::start(
        env.settings.clone(),
        &[
            xingfu_projects::NAME,
            xingfu_volunteers::NAME,
            xingfu_funds::NAME,
            xingfu_gateway::NAME,
        ],
    )
    .await
    .unwrap();
    let overview = GatewayServiceClient::new(crate::helpers::gateway(&partial).await)
        .get_overview(gpb::GetOverviewRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(overview.unavailable, ["workshops"]);
    assert_eq!(overview.projects, projects.total, "the rest still answers");
    partial.stop().await.unwrap();
}
