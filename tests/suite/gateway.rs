//! The gateway as the front door: API keys (missing, bad, expired, rotated), scopes
//! checked for every caller × service × access, the services refusing calls that did not
//! come through it, `pii:read` reaching the volunteers service, and the first admin key
//! of a fresh install.

use std::path::Path;

use sha2::Digest as _;
use tonic::Code;
use tonic::transport::Channel;
use xingfu::Service;
use xingfu_proto::funds::funds_service_client::FundsServiceClient;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_proto::volunteers as vpb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_proto::workshops::workshops_service_client::WorkshopsServiceClient;
use xingfu_proto::{funds, projects, workshops};
use xingfu_testkit::TestEnv;

use crate::helpers::with_key;

/// The callers of the matrix and their scopes.
const CALLERS: &[(&str, &[&str])] = &[
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

fn secret_of(caller: &str) -> String {
    format!("{caller}-secret-0123456789")
}

fn sha256(text: &str) -> String {
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes a key file (one key per caller, and for `admin` an expired one and a second,
/// overlapping one) and the policy; points `env` at them.
fn write_auth(env: &mut TestEnv, dir: &Path) {
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
    env.settings.auth.keys_file = Some(dir.join("keys.toml"));
    env.settings.auth.policy_file = Some(dir.join("policy.toml"));
}

/// The code a read (`write` false) or write call of `service` gets as the holder of `key`.
/// Each request is empty, so a call that passes the gateway is INVALID_ARGUMENT.
async fn outcome(channel: &Channel, key: &str, service: Service, write: bool) -> Code {
    let channel = with_key(channel.clone(), key);
    let status = match (service, write) {
        (Service::Projects, false) => ProjectsServiceClient::new(channel)
            .get_project(projects::GetProjectRequest::default())
            .await
            .err(),
        (Service::Projects, true) => ProjectsServiceClient::new(channel)
            .create_project(projects::CreateProjectRequest::default())
            .await
            .err(),
        (Service::Volunteers, false) => VolunteersServiceClient::new(channel)
            .get_volunteer(vpb::GetVolunteerRequest::default())
            .await
            .err(),
        (Service::Volunteers, true) => VolunteersServiceClient::new(channel)
            .register_volunteer(vpb::RegisterVolunteerRequest::default())
            .await
            .err(),
        (Service::Funds, false) => FundsServiceClient::new(channel)
            .get_fund(funds::GetFundRequest::default())
            .await
            .err(),
        (Service::Funds, true) => FundsServiceClient::new(channel)
            .donate(funds::DonateRequest::default())
            .await
            .err(),
        (Service::Workshops, false) => WorkshopsServiceClient::new(channel)
            .get_workshop(workshops::GetWorkshopRequest::default())
            .await
            .err(),
        (Service::Workshops, true) => WorkshopsServiceClient::new(channel)
            .create_workshop(workshops::CreateWorkshopRequest::default())
            .await
            .err(),
        (Service::Gateway, _) => unreachable!("the gateway has no API of its own here"),
    };
    status.map_or(Code::Ok, |s| s.code())
}

#[tokio::test]
async fn every_caller_gets_exactly_what_its_scopes_allow() {
    let mut env = TestEnv::embedded();
    let dir = env.settings.data_dir.clone();
    write_auth(&mut env, &dir);
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let gateway = xingfu_testkit::raw_channel(suite.addr(Service::Gateway).unwrap()).await;

    for (caller, scopes) in CALLERS {
        for service in [
            Service::Projects,
            Service::Volunteers,
            Service::Funds,
            Service::Workshops,
        ] {
            for write in [false, true] {
                let needed = format!("{service}:{}", if write { "write" } else { "read" });
                let allowed = scopes
                    .iter()
                    .any(|s| *s == "*" || *s == needed || *s == format!("{service}:*").as_str());
                let key = format!("{caller}.{}", secret_of(caller));
                let code = outcome(&gateway, &key, service, write).await;
                let expected = if allowed {
                    Code::InvalidArgument
                } else {
                    Code::PermissionDenied
                };
                assert_eq!(code, expected, "{caller} calling {needed}");
            }
        }
    }

    // No key, a malformed one, a wrong secret, an expired key: UNAUTHENTICATED.
    let no_key = ProjectsServiceClient::new(gateway.clone())
        .get_project(projects::GetProjectRequest::default())
        .await
        .unwrap_err();
    assert_eq!(no_key.code(), Code::Unauthenticated);
    for key in [
        "garbage",
        "admin.wrong-secret",
        "admin-expired.expired-secret",
    ] {
        let code = outcome(&gateway, key, Service::Projects, false).await;
        assert_eq!(code, Code::Unauthenticated, "{key}");
    }
    // Rotation: the old key and the new one both work until the old one's not_after.
    for key in [
        "admin-old.old-secret",
        &format!("admin.{}", secret_of("admin")),
    ] {
        let code = outcome(&gateway, key, Service::Funds, true).await;
        assert_eq!(code, Code::InvalidArgument, "{key}");
    }
    suite.stop().await.unwrap();
}

#[tokio::test]
async fn services_refuse_calls_that_did_not_come_through_the_gateway() {
    let env = TestEnv::embedded();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    for service in [
        Service::Projects,
        Service::Volunteers,
        Service::Funds,
        Service::Workshops,
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
    let direct = xingfu_testkit::raw_channel(suite.addr(Service::Volunteers).unwrap()).await;
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
        env.settings.projects.endpoint = Some("http://127.0.0.1:1".into());
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
async fn personal_data_is_shown_in_clear_to_pii_read_callers_only() {
    let mut env = TestEnv::embedded();
    let dir = env.settings.data_dir.clone();
    write_auth(&mut env, &dir);
    // The admin key of the testkit is not in this key file; register through `admin`.
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let gateway = xingfu_testkit::raw_channel(suite.addr(Service::Gateway).unwrap()).await;
    let admin = with_key(gateway.clone(), &format!("admin.{}", secret_of("admin")));
    let mut client = VolunteersServiceClient::new(admin);
    client
        .register_organisation(vpb::RegisterOrganisationRequest {
            id: "gw-org".into(),
            name: "机关党委".into(),
            kind: vpb::OrganisationKind::AgencyParty as i32,
            parent_id: String::new(),
        })
        .await
        .unwrap();
    client
        .register_community(vpb::RegisterCommunityRequest {
            id: "gw-cun".into(),
            name: "大门村".into(),
            kind: vpb::CommunityKind::Village as i32,
            township: "大门镇".into(),
        })
        .await
        .unwrap();
    let volunteer = client
        .register_volunteer(vpb::RegisterVolunteerRequest {
            request_id: "gw-1".into(),
            name: "林晓".into(),
            phone: "13811112222".into(),
            id_number: "11010519491231002X".into(),
            party_member: true,
            work_organisation_id: "gw-org".into(),
            home_community_id: "gw-cun".into(),
            skills: Vec::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        volunteer.phone.is_empty(),
        "admin holds * and is not asked to reveal on write"
    );
    let read = |caller: &str| {
        let channel = with_key(gateway.clone(), &format!("{caller}.{}", secret_of(caller)));
        let id = volunteer.id.clone();
        async move {
            VolunteersServiceClient::new(channel)
                .get_volunteer(vpb::GetVolunteerRequest { id })
                .await
                .unwrap()
                .into_inner()
        }
    };
    let masked = read("volunteers-reader").await;
    assert_eq!(
        (masked.phone.as_str(), masked.id_number.as_str()),
        ("", ""),
        "without pii:read, masked only"
    );
    assert_eq!(masked.phone_masked, "138****2222");
    let clear = read("pii").await;
    assert_eq!(
        (clear.phone.as_str(), clear.id_number.as_str()),
        ("13811112222", "11010519491231002X")
    );
    suite.stop().await.unwrap();
}

#[tokio::test]
async fn a_fresh_install_creates_one_admin_key_readable_by_its_owner_only() {
    let mut env = TestEnv::embedded();
    env.settings.auth.keys_file = None;
    env.settings.auth.policy_file = None;
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let path = env.settings.data_dir.join("admin-api-key");
    let key = std::fs::read_to_string(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let stored = std::fs::read_to_string(env.settings.data_dir.join("api-keys.toml")).unwrap();
    let secret = key.trim().split_once('.').unwrap().1;
    assert!(!stored.contains(secret), "only the hash is stored");
    assert!(stored.contains(&sha256(secret)));
    let gateway = xingfu_testkit::raw_channel(suite.addr(Service::Gateway).unwrap()).await;
    let code = outcome(&gateway, key.trim(), Service::Funds, true).await;
    assert_eq!(code, Code::InvalidArgument, "the admin key works at once");
    suite.stop().await.unwrap();

    // A restart keeps the key: nothing is regenerated.
    let again = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), key);
    again.stop().await.unwrap();
}

#[tokio::test]
async fn callers_over_their_rate_are_told_when_to_retry() {
    let mut env = TestEnv::embedded();
    let dir = env.settings.data_dir.clone();
    write_auth(&mut env, &dir);
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let gateway = xingfu_testkit::raw_channel(suite.addr(Service::Gateway).unwrap()).await;
    let slow = format!("slow.{}", secret_of("slow"));
    for _ in 0..2 {
        assert_eq!(
            outcome(&gateway, &slow, Service::Projects, false).await,
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
        outcome(&gateway, &admin, Service::Projects, false).await,
        Code::InvalidArgument
    );
    suite.stop().await.unwrap();
}

#[tokio::test]
async fn calls_beyond_capacity_are_shed_and_long_calls_cut_at_the_maximum_deadline() {
    let mut env = TestEnv::embedded();
    env.settings.limits.max_in_flight = 1;
    env.settings.limits.default_deadline_ms = 400;
    env.settings.limits.max_deadline_ms = 400;
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let gateway = xingfu_testkit::channel(suite.addr(Service::Gateway).unwrap()).await;

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
    suite.stop().await.unwrap();
}

#[tokio::test]
async fn writes_are_audited_in_the_store_and_on_jetstream_and_reads_are_not() {
    use xingfu_proto::gateway as gpb;
    use xingfu_proto::gateway::gateway_service_client::GatewayServiceClient;
    let env = TestEnv::postgres_jetstream();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let gateway = xingfu_testkit::channel(suite.addr(Service::Gateway).unwrap()).await;
    let mut projects_client = ProjectsServiceClient::new(gateway.clone());
    let created = projects_client
        .create_project(crate::helpers::new_project("audited-1"))
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

    let mut audit = GatewayServiceClient::new(gateway);
    let mut records = Vec::new();
    for _ in 0..100 {
        records = audit
            .list_audit_records(gpb::ListAuditRecordsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .records;
        if records.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
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
        .get_stream(env.stream_name(Service::Gateway))
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
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

/// Records are written in batches by one writer: many calls at once are each recorded
/// once, with their events, by the time the suite has stopped.
#[tokio::test]
async fn concurrent_writes_through_the_gateway_are_each_audited_once() {
    let env = TestEnv::embedded();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let gateway = crate::helpers::gateway(&suite).await;
    let calls = (0..40).map(|i| {
        let mut client = ProjectsServiceClient::new(gateway.clone());
        async move {
            client
                .create_project(crate::helpers::new_project(&format!("batched-{i}")))
                .await
                .unwrap()
                .into_inner()
                .id
        }
    });
    let mut created = futures_util::future::join_all(calls).await;
    suite.stop().await.unwrap();

    let db = xingfu_platform::db::Database::open(&env.settings, Service::Gateway)
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
            Service::Projects,
            Service::Volunteers,
            Service::Funds,
            Service::Gateway,
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

#[tokio::test]
async fn bearer_tokens_are_checked_for_signature_issuer_audience_and_time() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let mut env = TestEnv::embedded();
    let dir = env.settings.data_dir.clone();
    write_auth(&mut env, &dir);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jwt");
    // Token subjects have entries of their own in the policy: `jwt:<sub>`.
    let policy = dir.join("policy.toml");
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text += "[[caller]]\nid = \"jwt:volunteers-reader\"\nscopes = [\"volunteers:read\"]\n";
    text += "[[caller]]\nid = \"jwt:workshops-writer\"\nscopes = [\"workshops:write\", \"projects:read\"]\n";
    text += "[[caller]]\nid = \"jwt:wide\"\nscopes = [\"projects:*\"]\n";
    std::fs::write(&policy, text).unwrap();
    env.settings.auth.jwks_file = Some(fixtures.join("jwks.json"));
    env.settings.auth.jwt_issuer = Some("https://id.dongtou.test".into());
    env.settings.auth.jwt_audience = Some("xingfu".into());
    env.settings.auth.jwt_leeway_secs = 60;
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let gateway = xingfu_testkit::raw_channel(suite.addr(Service::Gateway).unwrap()).await;

    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    let der = |name: &str| std::fs::read(fixtures.join(name)).unwrap();
    let token = |alg: Algorithm, kid: &str, key_file: &str, claims: Value| {
        let mut header = Header::new(alg);
        header.kid = Some(kid.into());
        let key = match alg {
            Algorithm::ES256 => EncodingKey::from_ec_der(&der(key_file)),
            _ => EncodingKey::from_rsa_der(&der(key_file)),
        };
        jsonwebtoken::encode(&header, &claims, &key).unwrap()
    };
    let claims = |overrides: Value| {
        let mut claims = serde_json::json!({
            "sub": "volunteers-reader",
            "iss": "https://id.dongtou.test",
            "aud": "xingfu",
            "exp": now + 600,
        });
        for (k, v) in overrides.as_object().unwrap() {
            claims[k] = v.clone();
        }
        claims
    };
    let call = |token: String, service: Service, write: bool| {
        let gateway = gateway.clone();
        async move {
            let mut request = tonic::Request::new(vpb::GetVolunteerRequest::default());
            request
                .metadata_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
            let status = match (service, write) {
                (Service::Volunteers, false) => VolunteersServiceClient::new(gateway)
                    .get_volunteer(request)
                    .await
                    .err(),
                (Service::Volunteers, true) => {
                    let mut register =
                        tonic::Request::new(vpb::RegisterVolunteerRequest::default());
                    *register.metadata_mut() = request.metadata().clone();
                    VolunteersServiceClient::new(gateway)
                        .register_volunteer(register)
                        .await
                        .err()
                }
                _ => {
                    let mut get = tonic::Request::new(projects::GetProjectRequest::default());
                    *get.metadata_mut() = request.metadata().clone();
                    ProjectsServiceClient::new(gateway)
                        .get_project(get)
                        .await
                        .err()
                }
            };
            status.map_or(Code::Ok, |s| s.code())
        }
    };
    use serde_json::{Value, json};
    let good_rsa = token(
        Algorithm::RS256,
        "test-rsa",
        "rsa-private.der",
        claims(json!({})),
    );
    let good_ec = token(
        Algorithm::ES256,
        "test-ec",
        "ec-private.der",
        claims(json!({})),
    );
    for good in [good_rsa.clone(), good_ec] {
        assert_eq!(
            call(good, Service::Volunteers, false).await,
            Code::InvalidArgument
        );
    }
    assert_eq!(
        call(good_rsa, Service::Volunteers, true).await,
        Code::PermissionDenied,
        "the policy's scopes hold for tokens too"
    );
    let skewed = token(
        Algorithm::RS256,
        "test-rsa",
        "rsa-private.der",
        claims(json!({"exp": now - 30})),
    );
    assert_eq!(
        call(skewed, Service::Volunteers, false).await,
        Code::InvalidArgument,
        "within the allowed clock skew"
    );
    let refused = [
        (
            "expired",
            token(
                Algorithm::RS256,
                "test-rsa",
                "rsa-private.der",
                claims(json!({"exp": now - 120})),
            ),
        ),
        (
            "not yet valid",
            token(
                Algorithm::RS256,
                "test-rsa",
                "rsa-private.der",
                claims(json!({"nbf": now + 600})),
            ),
        ),
        (
            "another audience",
            token(
                Algorithm::RS256,
                "test-rsa",
                "rsa-private.der",
                claims(json!({"aud": "elsewhere"})),
            ),
        ),
        (
            "another issuer",
            token(
                Algorithm::RS256,
                "test-rsa",
                "rsa-private.der",
                claims(json!({"iss": "https://evil.test"})),
            ),
        ),
        (
            "a stranger's key",
            token(
                Algorithm::RS256,
                "test-rsa",
                "other-private.der",
                claims(json!({})),
            ),
        ),
        (
            "an unknown kid",
            token(
                Algorithm::RS256,
                "nobody",
                "rsa-private.der",
                claims(json!({})),
            ),
        ),
        ("garbage", "not.a.token".to_owned()),
    ];
    for (why, bad) in refused {
        assert_eq!(
            call(bad, Service::Volunteers, false).await,
            Code::Unauthenticated,
            "{why}"
        );
    }
    // A token may narrow its subject's scopes, never widen them.
    let narrowed = token(
        Algorithm::RS256,
        "test-rsa",
        "rsa-private.der",
        claims(json!({"sub": "workshops-writer", "scope": "projects:read volunteers:read"})),
    );
    assert_eq!(
        call(narrowed.clone(), Service::Projects, false).await,
        Code::InvalidArgument
    );
    assert_eq!(
        call(narrowed, Service::Volunteers, false).await,
        Code::PermissionDenied,
        "volunteers:read is not the subject's to ask for"
    );
    let wide = token(
        Algorithm::RS256,
        "test-rsa",
        "rsa-private.der",
        claims(json!({"sub": "wide", "scope": "projects:read"})),
    );
    assert_eq!(
        call(wide, Service::Projects, false).await,
        Code::InvalidArgument,
        "projects:* covers the projects:read a token asks for"
    );
    let impostor = token(
        Algorithm::RS256,
        "test-rsa",
        "rsa-private.der",
        claims(json!({"sub": "admin"})),
    );
    assert_eq!(
        call(impostor, Service::Projects, false).await,
        Code::PermissionDenied,
        "a token's subject is never an API-key caller"
    );
    suite.stop().await.unwrap();
}

/// The SHA-256 of `tests/fixtures/tls/client.pem`'s certificate (its DER).
const CLIENT_CERT_SHA256: &str = "de2b14db5190e4a45c3a47247dfb50f42438675d26121a7af1929deca627edc9";

#[tokio::test]
async fn systems_with_a_client_certificate_call_over_mutual_tls() {
    use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
    let read = |name: &str| std::fs::read(fixtures.join(name)).unwrap();
    let mut env = TestEnv::embedded();
    let dir = env.settings.data_dir.clone();
    write_auth(&mut env, &dir);
    let keys = dir.join("keys.toml");
    let mut text = std::fs::read_to_string(&keys).unwrap();
    text += &format!("[[cert]]\ncaller = \"projects-reader\"\nsha256 = \"{CLIENT_CERT_SHA256}\"\n");
    std::fs::write(&keys, text).unwrap();
    env.settings.tls.cert_file = Some(fixtures.join("server.pem"));
    env.settings.tls.key_file = Some(fixtures.join("server-key.pem"));
    env.settings.tls.client_ca_file = Some(fixtures.join("ca.pem"));
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let addr = suite.addr(Service::Gateway).unwrap();

    let connect = |identity: Option<(&str, &str)>| {
        let mut tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(read("ca.pem")))
            .domain_name("localhost");
        if let Some((cert, key)) = identity {
            tls = tls.identity(Identity::from_pem(read(cert), read(key)));
        }
        Endpoint::from_shared(format!("https://{addr}"))
            .unwrap()
            .tls_config(tls)
            .unwrap()
            .connect_lazy()
    };
    let get = |channel: Channel| async move {
        ProjectsServiceClient::new(channel)
            .get_project(projects::GetProjectRequest::default())
            .await
            .unwrap_err()
            .code()
    };
    let with_cert = connect(Some(("client.pem", "client-key.pem")));
    assert_eq!(
        get(with_cert.clone()).await,
        Code::InvalidArgument,
        "the certificate is the caller"
    );
    let write = ProjectsServiceClient::new(with_cert)
        .create_project(projects::CreateProjectRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        write.code(),
        Code::PermissionDenied,
        "with its caller's scopes"
    );

    assert_eq!(
        get(connect(None)).await,
        Code::Unauthenticated,
        "TLS alone is no identity"
    );
    let key = format!("admin.{}", secret_of("admin"));
    assert_eq!(
        outcome(&connect(None), &key, Service::Funds, true).await,
        Code::InvalidArgument,
        "an API key still works over TLS"
    );
    let stranger = get(connect(Some(("stranger.pem", "stranger-key.pem")))).await;
    assert_ne!(
        stranger,
        Code::InvalidArgument,
        "another CA's certificate is refused"
    );
    let plaintext = Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_lazy();
    assert_ne!(
        get(plaintext).await,
        Code::InvalidArgument,
        "the port speaks TLS only"
    );
    suite.stop().await.unwrap();
}

#[tokio::test]
async fn a_caller_limited_to_an_organisation_names_only_organisations_below_it() {
    let mut env = TestEnv::embedded();
    let dir = env.settings.data_dir.clone();
    write_auth(&mut env, &dir);
    let keys = dir.join("keys.toml");
    let mut text = std::fs::read_to_string(&keys).unwrap();
    text += &format!(
        "[[key]]\nid = \"beiao-only\"\ncaller = \"beiao-only\"\nsha256 = \"{}\"\n",
        sha256(&secret_of("beiao-only"))
    );
    std::fs::write(&keys, text).unwrap();
    let policy = dir.join("policy.toml");
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text += "[[caller]]\nid = \"beiao-only\"\nscopes = [\"volunteers:*\"]\norganisation = \"sub-beiao\"\n";
    std::fs::write(&policy, text).unwrap();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let gateway = xingfu_testkit::raw_channel(suite.addr(Service::Gateway).unwrap()).await;
    let admin = with_key(gateway.clone(), &format!("admin.{}", secret_of("admin")));
    let limited = with_key(
        gateway.clone(),
        &format!("beiao-only.{}", secret_of("beiao-only")),
    );

    let mut directory = VolunteersServiceClient::new(admin);
    for (id, parent) in [
        ("sub-district", ""),
        ("sub-beiao", "sub-district"),
        ("sub-branch", "sub-beiao"),
        ("sub-other", "sub-district"),
    ] {
        directory
            .register_organisation(vpb::RegisterOrganisationRequest {
                id: id.into(),
                name: format!("{id} 党委"),
                kind: vpb::OrganisationKind::AgencyParty as i32,
                parent_id: parent.into(),
            })
            .await
            .unwrap();
    }
    let team = |key: &str, organisation: &str| vpb::FormTeamRequest {
        request_id: key.into(),
        name: format!("{key} 服务队"),
        organisation_id: organisation.into(),
        skills: Vec::new(),
    };
    let mut client = VolunteersServiceClient::new(limited);
    // The gateway learns the hierarchy from the directory's events: wait for it.
    let mut below = Err(tonic::Status::unknown("not tried"));
    for _ in 0..100 {
        below = client.form_team(team("t-branch", "sub-branch")).await;
        if below.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(below.is_ok(), "{below:?}");
    client.form_team(team("t-own", "sub-beiao")).await.unwrap();
    let status = client
        .form_team(team("t-other", "sub-other"))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "a sibling is outside"
    );
    let status = client
        .form_team(team("t-up", "sub-district"))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "the parent is outside"
    );
    // A list without the filter passes the gateway; the service shows the subtree only.
    let mut unfiltered: Vec<String> = client
        .list_teams(vpb::ListTeamsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .teams
        .into_iter()
        .map(|t| t.organisation_id)
        .collect();
    unfiltered.sort();
    assert_eq!(unfiltered, ["sub-beiao", "sub-branch"]);
    let own = client
        .list_teams(vpb::ListTeamsRequest {
            organisation_id: "sub-beiao".into(),
            page: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.teams.len(), 1);
    // Nor can it move an organisation into its subtree, or register one outside it.
    let status = client
        .update_organisation(vpb::UpdateOrganisationRequest {
            id: "sub-other".into(),
            version: 1,
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["parent_id".into()],
            }),
            values: Some(vpb::RegisterOrganisationRequest {
                parent_id: "sub-beiao".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "moving a sibling in");
    let status = client
        .register_organisation(vpb::RegisterOrganisationRequest {
            id: "sub-new".into(),
            name: "新党支部".into(),
            kind: vpb::OrganisationKind::AgencyParty as i32,
            parent_id: "sub-district".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "registering outside");
    let status = client
        .import_directory(futures_util::stream::iter([vpb::ImportDirectoryChunk {
            data: b"type,id,name,kind\n".to_vec(),
        }]))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "a streamed import cannot be checked"
    );
    let by_id = client
        .get_volunteer(vpb::GetVolunteerRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        by_id.code(),
        Code::InvalidArgument,
        "calls naming no organisation are left to the scopes"
    );
    suite.stop().await.unwrap();
}
