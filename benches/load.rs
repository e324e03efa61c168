//! Load benchmark: N concurrent callers drive the suite over gRPC on PostgreSQL and
//! JetStream, each figure beside the ceiling it is measured against on the same machine
//! (see docs/benchmarks.md). Run with `scripts/bench.sh`; `BENCH_CALLERS` (32) and
//! `BENCH_SECONDS` (5 per figure) tune it.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // a benchmark reports and fails loudly

mod support;

use std::net::SocketAddr;

use tonic::transport::Server;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use xingfu_platform::db::Database;
use xingfu_proto::funds as fpb;
use xingfu_proto::funds::funds_service_client::FundsServiceClient;
use xingfu_proto::projects as pb;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_proto::volunteers as vpb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_testkit::Channel;
use xingfu_testkit::TestEnv;

use support::{Figure, TABLE_HEADER, drive, env_number, gets};

fn create(request_id: String) -> pb::CreateProjectRequest {
    pb::CreateProjectRequest {
        request_id,
        title: "幸福敲门 · 老年食堂送餐".into(),
        category: pb::Category::Convenience as i32,
        community_ids: vec!["niaoyu-village".into()],
        description: "A 15-minute meal circle for the village's elderly".into(),
        ..Default::default()
    }
}

/// The ceiling of a create: the project row and its outbox row in one transaction, the
/// same statements the service runs, straight through sqlx.
async fn raw_create(db: Database, caller: usize, n: u64) {
    let id = format!("raw-{caller}-{n}");
    let now = xingfu_platform::time::now_micros();
    let mut tx = db.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO projects (id, request_id, request_hash, title, category, community_id, \
         description, status, version, created_at, updated_at, planned_budget_fen, search_text) \
         VALUES ($1, $1, 'h', 'title', 'CONVENIENCE', 'niaoyu-village', 'd', 'DRAFT', 1, $2, $2, 0, 'title d') \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(&id)
    .bind(now)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO outbox (event_id, subject, event_type, aggregate_id, payload, traceparent, created_at) \
         VALUES ($1, 'bench.projects.project_created.v1', 'xingfu.projects.v1.ProjectCreated', $1, $2, NULL, $3)",
    )
    .bind(&id)
    .bind(vec![0u8; 64])
    .bind(now)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// A child-support fund holding enough for every grant of the run.
async fn child_support_fund(mut funds: FundsServiceClient<Channel>) -> String {
    let fund = funds
        .create_fund(fpb::CreateFundRequest {
            request_id: "bench-children".into(),
            name: "资助困难儿童".into(),
            purpose: fpb::Purpose::ChildSupport as i32,
            organisation_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .id;
    funds
        .donate(fpb::DonateRequest {
            idempotency_key: "bench-endowment".into(),
            fund_id: fund.clone(),
            donor_kind: fpb::DonorKind::Company as i32,
            donor_name: "洞头海产有限公司".into(),
            amount_fen: 10_000_000_000,
            channel: fpb::DonationChannel::BankTransfer as i32,
            received_on: None,
        })
        .await
        .unwrap();
    fund
}

/// One grant below the dual-approval amount, from request to payment: three calls. The
/// caller (a delegate) requests for a caseworker and approves in person.
async fn grant(mut funds: FundsServiceClient<Channel>, fund_id: String, request_id: String) {
    let id = funds
        .request_grant(fpb::RequestGrantRequest {
            request_id,
            fund_id,
            kind: fpb::GrantKind::ChildSupport as i32,
            beneficiary_ref: "case-bench".into(),
            amount_fen: 50_000,
            requested_by: "caseworker".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .id;
    funds
        .approve_grant(fpb::ApproveGrantRequest {
            id: id.clone(),
            approver: String::new(),
        })
        .await
        .unwrap();
    funds
        .disburse_grant(fpb::DisburseGrantRequest { id })
        .await
        .unwrap();
}

/// One activity per caller, with room for every sign-up of the run.
async fn activities(
    mut volunteers: VolunteersServiceClient<Channel>,
    callers: usize,
) -> Vec<String> {
    support::register_beiao(&mut volunteers).await;
    let mut ids = Vec::new();
    for caller in 0..callers {
        let activity = volunteers
            .create_activity(vpb::CreateActivityRequest {
                request_id: format!("bench-activity-{caller}"),
                title: "红色星期天".into(),
                kind: vpb::ActivityKind::RedSunday as i32,
                community_id: "beiao-xiaoqu".into(),
                project_id: String::new(),
                start_time: Some(prost_types::Timestamp {
                    seconds: 1_795_000_000,
                    nanos: 0,
                }),
                capacity: 10_000,
                organisation_id: String::new(),
                co_organiser_ids: Vec::new(),
            })
            .await
            .unwrap()
            .into_inner();
        ids.push(activity.id);
    }
    ids
}

/// A new volunteer's hour logged and verified: five calls, registration included.
async fn hours(
    mut volunteers: VolunteersServiceClient<Channel>,
    activity_id: String,
    caller: usize,
    n: u64,
) {
    let volunteer_id = support::register_volunteer(
        &mut volunteers,
        &format!("bench-volunteer-{caller}-{n}"),
        &format!("3303{caller:02}{n:011}"),
        &format!("139{caller:02}{n:06}"),
    )
    .await;
    volunteers
        .sign_up(vpb::SignUpRequest {
            activity_id: activity_id.clone(),
            volunteer_id: volunteer_id.clone(),
        })
        .await
        .unwrap();
    let check = |seconds| vpb::CheckRequest {
        activity_id: activity_id.clone(),
        volunteer_id: volunteer_id.clone(),
        time: Some(prost_types::Timestamp { seconds, nanos: 0 }),
    };
    volunteers.check_in(check(1_795_000_000)).await.unwrap();
    volunteers.check_out(check(1_795_003_600)).await.unwrap();
    volunteers
        .verify_hours(vpb::VerifyHoursRequest {
            activity_id,
            verifier: "beiao-party".into(),
        })
        .await
        .unwrap();
}

/// A bare tonic server answering health checks: the ceiling of a unary call.
async fn echo_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_, health) = tonic_health::server::health_reporter();
    tokio::spawn(Server::builder().add_service(health).serve_with_incoming(
        tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
    ));
    addr
}

/// `CreateProject` through `channel`, a new project each call, after a pause.
async fn creates(name: &str, channel: &Channel, callers: usize, seconds: u64) -> Figure {
    settle().await;
    let client = ProjectsServiceClient::new(channel.clone());
    let prefix = name.to_owned();
    drive(name, callers, seconds, move |c, n| {
        let mut client = client.clone();
        let request = create(format!("{prefix}-{c}-{n}"));
        async move {
            client.create_project(request).await.unwrap();
        }
    })
    .await
}

/// Lets the relays, consumers and audit writer finish what the figure before left, so the
/// next figure does not share the cores with it.
async fn settle() {
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
}

#[tokio::main]
async fn main() {
    let callers = env_number("BENCH_CALLERS", 32) as usize;
    let seconds = env_number("BENCH_SECONDS", 5);
    let mut env = TestEnv::postgres_jetstream();
    // A benchmark's streams hold far more than a test's.
    env.settings.nats.max_megabytes = 256;
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let gateway = xingfu_testkit::channel(suite.addr(xingfu_gateway::NAME).unwrap()).await;
    let direct = xingfu_testkit::channel(suite.addr(xingfu_projects::NAME).unwrap()).await;
    let echo = xingfu_testkit::channel(echo_server().await).await;
    // The ceiling's own database: the projects schema with nothing running on it.
    let ceiling = TestEnv::postgres();
    xingfu::migrate(ceiling.settings.clone(), &[xingfu_projects::NAME])
        .await
        .unwrap();
    let raw = Database::open(&ceiling.settings, xingfu_projects::NAME)
        .await
        .unwrap();

    let projects = |channel: &Channel| ProjectsServiceClient::new(channel.clone());
    let mut figures = Vec::new();
    figures.push(
        drive("create, raw PostgreSQL (ceiling)", callers, seconds, {
            let raw = raw.clone();
            move |c, n| raw_create(raw.clone(), c, n)
        })
        .await,
    );
    for (name, channel) in [("create, gateway", &gateway), ("create, direct", &direct)] {
        figures.push(creates(name, channel, callers, seconds).await);
    }
    let sample = projects(&gateway)
        .create_project(create("bench-sample".into()))
        .await
        .unwrap()
        .into_inner()
        .id;
    settle().await;
    let health = HealthClient::new(echo.clone());
    figures.push(
        drive(
            "unary echo, bare tonic (ceiling)",
            callers,
            seconds,
            move |_, _| {
                let mut health = health.clone();
                async move {
                    health.check(HealthCheckRequest::default()).await.unwrap();
                }
            },
        )
        .await,
    );
    for (name, channel) in [("get, gateway", &gateway), ("get, direct", &direct)] {
        figures.push(gets(name, channel, &sample, callers, seconds).await);
    }
    // The same through a gateway that reaches the service over loopback HTTP/2, as it does
    // from its own pod in Kubernetes: a suite of its own with in-process calls off, each
    // figure beside direct calls to that suite's service.
    let mut network_env = TestEnv::postgres_jetstream();
    network_env.settings.nats.max_megabytes = 256;
    network_env.settings.grpc.in_process = false;
    let network = xingfu::start(network_env.settings.clone(), &[])
        .await
        .unwrap();
    let network_gateway =
        xingfu_testkit::channel(network.addr(xingfu_gateway::NAME).unwrap()).await;
    let network_direct =
        xingfu_testkit::channel(network.addr(xingfu_projects::NAME).unwrap()).await;
    let loopback = [
        ("gateway over loopback", &network_gateway),
        ("direct, beside it", &network_direct),
    ];
    for (name, channel) in loopback {
        figures.push(creates(&format!("create, {name}"), channel, callers, seconds).await);
    }
    let id = projects(&network_gateway)
        .create_project(create("loopback-sample".into()))
        .await
        .unwrap()
        .into_inner()
        .id;
    settle().await;
    for (name, channel) in loopback {
        figures.push(gets(&format!("get, {name}"), channel, &id, callers, seconds).await);
    }
    // Two replicas of the projects service behind a gateway of their own that balances
    // over both (a second replica beside the suite above, on its database and streams).
    let replica = xingfu::start(network_env.settings.clone(), &[xingfu_projects::NAME])
        .await
        .unwrap();
    let mut two = network_env.settings.clone();
    two.service_mut(xingfu_projects::NAME).endpoint = Some(format!(
        "http://{},http://{}",
        network.addr(xingfu_projects::NAME).unwrap(),
        replica.addr(xingfu_projects::NAME).unwrap()
    ));
    let balancing = xingfu::start(two, &[xingfu_gateway::NAME]).await.unwrap();
    let balanced = xingfu_testkit::channel(balancing.addr(xingfu_gateway::NAME).unwrap()).await;
    // Calls wait for the balance's first health checks.
    settle().await;
    figures.push(
        creates(
            "create, gateway over loopback, two replicas",
            &balanced,
            callers,
            seconds,
        )
        .await,
    );
    settle().await;
    figures.push(
        gets(
            "get, gateway over loopback, two replicas",
            &balanced,
            &id,
            callers,
            seconds,
        )
        .await,
    );
    balancing.stop().await.unwrap();
    replica.stop().await.unwrap();
    network.stop().await.unwrap();
    network_env.cleanup().await.unwrap();

    let client = projects(&gateway);
    figures.push(
        drive("list page of 20, gateway", callers, seconds, move |_, _| {
            let mut client = client.clone();
            async move {
                client
                    .list_projects(pb::ListProjectsRequest {
                        page: Some(xingfu_proto::common::PageRequest {
                            page_size: 20,
                            page_token: String::new(),
                        }),
                        ..Default::default()
                    })
                    .await
                    .unwrap();
            }
        })
        .await,
    );
    let funds = FundsServiceClient::new(gateway.clone());
    let fund = funds
        .clone()
        .create_fund(fpb::CreateFundRequest {
            request_id: "bench-fund".into(),
            name: "社会爱心资金".into(),
            purpose: fpb::Purpose::General as i32,
            organisation_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .id;
    figures.push(
        drive("donate, gateway", callers, seconds, move |c, n| {
            let mut funds = funds.clone();
            let fund_id = fund.clone();
            async move {
                funds
                    .donate(fpb::DonateRequest {
                        idempotency_key: format!("gift-{c}-{n}"),
                        fund_id,
                        donor_kind: fpb::DonorKind::Person as i32,
                        donor_name: "热心市民".into(),
                        amount_fen: 10_000,
                        channel: fpb::DonationChannel::WechatPay as i32,
                        received_on: None,
                    })
                    .await
                    .unwrap();
            }
        })
        .await,
    );
    figures.push(
        drive(
            "grant: request, approve, disburse, gateway",
            callers,
            seconds,
            {
                let funds = FundsServiceClient::new(gateway.clone());
                let fund_id = child_support_fund(funds.clone()).await;
                move |c, n| grant(funds.clone(), fund_id.clone(), format!("grant-{c}-{n}"))
            },
        )
        .await,
    );
    let volunteers = VolunteersServiceClient::new(gateway.clone());
    let activities = activities(volunteers.clone(), callers).await;
    figures.push(
        drive(
            "hours: register, sign up, check in, check out, verify, gateway",
            callers,
            seconds,
            move |c, n| hours(volunteers.clone(), activities[c].clone(), c, n),
        )
        .await,
    );

    println!("{callers} callers, {seconds} s per figure\n");
    println!("{TABLE_HEADER}");
    for f in &figures {
        println!("{}", f.row());
    }
    let rate = |name: &str| figures.iter().find(|f| f.name == name).unwrap().per_second;
    println!("\n| ratio | value |\n|---|---:|");
    for (label, ours, ceiling) in [
        (
            "create: gateway / raw PostgreSQL",
            "create, gateway",
            "create, raw PostgreSQL (ceiling)",
        ),
        (
            "get: gateway / bare tonic echo",
            "get, gateway",
            "unary echo, bare tonic (ceiling)",
        ),
        (
            "create: gateway / direct",
            "create, gateway",
            "create, direct",
        ),
        ("get: gateway / direct", "get, gateway", "get, direct"),
        (
            "create: gateway over loopback / direct",
            "create, gateway over loopback",
            "create, direct, beside it",
        ),
        (
            "get: gateway over loopback / direct",
            "get, gateway over loopback",
            "get, direct, beside it",
        ),
        (
            "create: two replicas / one, over loopback",
            "create, gateway over loopback, two replicas",
            "create, gateway over loopback",
        ),
        (
            "get: two replicas / one, over loopback",
            "get, gateway over loopback, two replicas",
            "get, gateway over loopback",
        ),
    ] {
        println!("| {label} | {:.0} % |", 100.0 * rate(ours) / rate(ceiling));
    }
    raw.close().await;
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
    ceiling.cleanup().await.unwrap();
}
