//! Faults Kubernetes and networks produce, on the real binary: SIGTERM under load fails
//! no call in flight; SIGKILL under load loses and duplicates nothing for callers that
//! retry with their idempotency keys, and the ledger still verifies.

use std::net::TcpListener;
use std::panic::AssertUnwindSafe;
use std::process::Child;
use std::time::Duration;

use futures_util::FutureExt as _;
use tonic::Code;
use xingfu_proto::funds as fpb;
use xingfu_proto::funds::funds_service_client::FundsServiceClient;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_testkit::{eventually, eventually_within, holds};

use crate::helpers::{http_get, new_project, with_key};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `xingfu serve` on `data` with the gateway on `port`; returns once it serves.
async fn serve(data: &std::path::Path, port: u16) -> (Child, tonic::transport::Channel) {
    let mut child = crate::helpers::serve_command(data)
        .env("XINGFU__GATEWAY__LISTEN", format!("127.0.0.1:{port}"))
        .env("XINGFU__GRPC__DRAIN_DELAY_SECS", "1")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let endpoint =
        tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}")).unwrap();
    // A process starting, or restarting after SIGKILL, may outlast PATIENCE: the 30 s this
    // wait has always allowed.
    let serving = eventually_within(Duration::from_secs(30), "xingfu to come up", || async {
        let channel = endpoint.connect().await.ok()?;
        let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
        let status = health
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
            .map(|r| r.into_inner().status)
            .unwrap_or_default();
        (status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32)
            .then_some(channel)
    });
    match AssertUnwindSafe(serving).catch_unwind().await {
        Ok(channel) => (child, channel),
        Err(panic) => {
            child.kill().ok();
            child.wait().ok();
            std::panic::resume_unwind(panic)
        }
    }
}

fn signal(child: &Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn temp_dir(label: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("xingfu-{label}-{}", xingfu_testkit::unique_token()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn sigterm_under_load_fails_no_call_in_flight_and_exits_zero() {
    let data = temp_dir("sigterm");
    let port = free_port();
    let (mut child, channel) = serve(&data, port).await;
    let key = std::fs::read_to_string(data.join("admin-api-key")).unwrap();
    let callers: Vec<_> = (0..8)
        .map(|c| {
            let mut client = ProjectsServiceClient::new(with_key(channel.clone(), key.trim()));
            tokio::spawn(async move {
                let mut outcomes = Vec::new();
                for n in 0.. {
                    let code = match client
                        .create_project(new_project(&format!("sigterm-{c}-{n}")))
                        .await
                    {
                        Ok(_) => Code::Ok,
                        Err(status) => status.code(),
                    };
                    outcomes.push(code);
                    if code != Code::Ok {
                        break;
                    }
                }
                outcomes
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(800)).await;
    signal(&child, "-TERM");
    let mut served = 0;
    for caller in callers {
        let outcomes = tokio::time::timeout(Duration::from_secs(30), caller)
            .await
            .expect("callers finish once the server is gone")
            .unwrap();
        let (last, before) = outcomes.split_last().unwrap();
        assert!(before.iter().all(|c| *c == Code::Ok), "{outcomes:?}");
        // The one failure is the call made once the gateway had stopped taking calls:
        // refused at the connection, never begun (checked below).
        assert!(
            matches!(last, Code::Unavailable | Code::Cancelled),
            "{outcomes:?}"
        );
        served += before.len();
    }
    assert!(
        served > 8,
        "the callers were under way when SIGTERM came: {served}"
    );
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status}");

    // Every call a caller saw succeed is stored, and none that it saw fail: no call was
    // cut off half-way.
    let (mut child, channel) = serve(&data, port).await;
    let stats = ProjectsServiceClient::new(with_key(channel, key.trim()))
        .get_project_stats(xingfu_proto::projects::GetProjectStatsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.total, i64::try_from(served).unwrap());
    signal(&child, "-TERM");
    assert!(child.wait().unwrap().success());
    std::fs::remove_dir_all(&data).ok();
}

#[tokio::test]
async fn sigkill_under_load_loses_and_duplicates_nothing_for_callers_that_retry() {
    let data = temp_dir("sigkill");
    let port = free_port();
    let (mut child, channel) = serve(&data, port).await;
    let key = std::fs::read_to_string(data.join("admin-api-key")).unwrap();
    let mut funds = FundsServiceClient::new(with_key(channel.clone(), key.trim()));
    let fund = funds
        .create_fund(fpb::CreateFundRequest {
            request_id: "sigkill-fund".into(),
            name: "助学金".into(),
            purpose: fpb::Purpose::ChildSupport as i32,
            organisation_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    const DONATIONS: i64 = 300;
    let donation = |n: i64| fpb::DonateRequest {
        idempotency_key: format!("sigkill-donation-{n}"),
        fund_id: fund.id.clone(),
        donor_kind: fpb::DonorKind::Anonymous as i32,
        donor_name: String::new(),
        amount_fen: 1_000 + n,
        channel: fpb::DonationChannel::WechatPay as i32,
        received_on: None,
    };
    // Four callers donate until the process dies under them.
    let callers: Vec<_> = (0..4)
        .map(|c| {
            let mut client = funds.clone();
            let requests: Vec<_> = (0..DONATIONS)
                .filter(|n| n % 4 == c)
                .map(donation)
                .collect();
            tokio::spawn(async move {
                for request in requests {
                    if client.donate(request).await.is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    signal(&child, "-KILL");
    for caller in callers {
        caller.await.unwrap();
    }
    let _ = child.wait();

    // Restarted on the same data, the callers retry every donation with its key.
    let (mut child, channel) = serve(&data, port).await;
    let mut funds = FundsServiceClient::new(with_key(channel, key.trim()));
    for n in 0..DONATIONS {
        funds.donate(donation(n)).await.unwrap();
    }
    let report = funds
        .get_transparency_report(fpb::GetTransparencyReportRequest {})
        .await
        .unwrap()
        .into_inner();
    let expected: i64 = (0..DONATIONS).map(|n| 1_000 + n).sum();
    assert_eq!(report.donations, DONATIONS, "each donation once");
    assert_eq!(
        report.raised.unwrap().fen,
        expected,
        "no lost or doubled money"
    );
    let verified = funds
        .verify_ledger(fpb::VerifyLedgerRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(verified.ok, "{verified:?}");
    signal(&child, "-TERM");
    assert!(child.wait().unwrap().success());
    std::fs::remove_dir_all(&data).ok();
}

/// A PostgreSQL cluster of this test's own, on its own port, so restarting it disturbs
/// no other test. `initdb` refuses root: as root it runs as the `postgres` user.
struct PrivatePostgres {
    bin: std::path::PathBuf,
    dir: std::path::PathBuf,
    port: u16,
}

impl PrivatePostgres {
    fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL is installed (scripts/services.sh installs it)")
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin"))
            .find(|b| b.join("initdb").exists())
            .expect("initdb");
        let dir =
            std::env::temp_dir().join(format!("xingfu-pg-{}", xingfu_testkit::unique_token()));
        std::fs::create_dir_all(&dir).unwrap();
        let pg = Self {
            bin,
            dir,
            port: free_port(),
        };
        pg.chown();
        let data = pg.dir.join("data");
        pg.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
        );
        pg.pg_ctl("start");
        pg
    }

    fn as_root() -> bool {
        std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
    }

    fn chown(&self) {
        if Self::as_root() {
            std::process::Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&self.dir)
                .status()
                .unwrap();
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let program = self.bin.join(tool);
        let status = if Self::as_root() {
            std::process::Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&program)
                .args(args)
                .stdout(std::process::Stdio::null())
                .status()
        } else {
            std::process::Command::new(&program)
                .args(args)
                .stdout(std::process::Stdio::null())
                .status()
        }
        .unwrap();
        assert!(status.success(), "{tool} {args:?}");
    }

    fn pg_ctl(&self, action: &str) {
        let data = self.dir.join("data");
        let log = self.dir.join("log");
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={}",
            self.port,
            self.dir.display()
        );
        let mut args = vec![
            action,
            "-D",
            data.to_str().unwrap(),
            "-w",
            "-l",
            log.to_str().unwrap(),
        ];
        if action == "start" {
            args.extend(["-o", &options]);
        } else {
            args.extend(["-m", "fast"]);
        }
        self.run("pg_ctl", &args);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        if data.join("postmaster.pid").exists() {
            self.pg_ctl("stop");
        }
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// The status the gateway reports for the projects API.
async fn projects_health(channel: &tonic::transport::Channel) -> i32 {
    tonic_health::pb::health_client::HealthClient::new(channel.clone())
        .check(tonic_health::pb::HealthCheckRequest {
            service: "xingfu.projects.v1.ProjectsService".into(),
        })
        .await
        .map(|r| r.into_inner().status)
        .unwrap_or_default()
}

#[tokio::test]
async fn a_postgres_restart_under_load_turns_services_not_serving_then_back_with_no_wrong_answer() {
    use tonic_health::pb::health_check_response::ServingStatus;
    let pg = PrivatePostgres::start();
    let mut env = xingfu_testkit::TestEnv::embedded();
    env.settings.database.url = Some(xingfu_platform::secret::Secret::new(pg.url()));
    env.settings.database.name_prefix = format!("xr_{}", env.token);
    env.settings.database.acquire_timeout_secs = 1;
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let gateway = xingfu_testkit::channel(suite.addr(xingfu_gateway::NAME).unwrap()).await;
    let raw = xingfu_testkit::raw_channel(suite.addr(xingfu_gateway::NAME).unwrap()).await;

    // Callers create projects with their keys throughout, keeping what each call answered.
    let stop = tokio_util::sync::CancellationToken::new();
    let callers: Vec<_> = (0..4)
        .map(|c| {
            let mut client = ProjectsServiceClient::new(gateway.clone());
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut answers = Vec::new();
                let mut n = 0;
                while !stop.is_cancelled() {
                    let key = format!("pg-{c}-{n}");
                    let answer = client.create_project(new_project(&key)).await;
                    answers.push((key, answer.map(|r| r.into_inner()).map_err(|s| s.code())));
                    n += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                answers
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    pg.pg_ctl("stop");
    eventually(
        "the projects API to turn NOT_SERVING while its database is down",
        || async { holds(projects_health(&raw).await == ServingStatus::NotServing as i32) },
    )
    .await;
    // The HTTP readiness probe says the same, naming what does not serve.
    let not_ready = http_get(suite.http_addr().port(), "/readyz").await;
    assert!(
        not_ready.starts_with("HTTP/1.1 503") && not_ready.contains("projects"),
        "{not_ready}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    pg.pg_ctl("start");
    // A slow recovery (reconnecting to a restarted cluster): the 20 s this wait has always
    // allowed.
    eventually_within(
        Duration::from_secs(20),
        "the projects API to turn SERVING again by itself once the database is back",
        || async { holds(projects_health(&raw).await == ServingStatus::Serving as i32) },
    )
    .await;
    eventually("the HTTP readiness probe to say ready", || async {
        holds(
            http_get(suite.http_addr().port(), "/readyz")
                .await
                .starts_with("HTTP/1.1 200"),
        )
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.cancel();

    // No wrong answer: every success is stored as answered; every failure was a clean
    // UNAVAILABLE (or a deadline), and retrying it with its key makes the project once.
    let mut client = ProjectsServiceClient::new(gateway.clone());
    let (mut succeeded, mut failed) = (0, 0);
    let mut keys = 0;
    for caller in callers {
        for (key, answer) in caller.await.unwrap() {
            keys += 1;
            match answer {
                Ok(project) => {
                    succeeded += 1;
                    let stored = client
                        .get_project(xingfu_proto::projects::GetProjectRequest {
                            id: project.id.clone(),
                        })
                        .await
                        .unwrap()
                        .into_inner();
                    assert_eq!(stored.title, project.title, "{key}");
                    let again = client
                        .create_project(new_project(&key))
                        .await
                        .unwrap()
                        .into_inner();
                    assert_eq!(
                        again.id, project.id,
                        "{key}: a retry finds the same project"
                    );
                }
                Err(code) => {
                    failed += 1;
                    assert!(
                        matches!(code, Code::Unavailable | Code::DeadlineExceeded),
                        "{key}: {code:?}"
                    );
                    client.create_project(new_project(&key)).await.unwrap();
                }
            }
        }
    }
    assert!(
        succeeded > 0 && failed > 0,
        "calls ran before, during and after: {succeeded} ok, {failed} refused"
    );
    let stats = client
        .get_project_stats(xingfu_proto::projects::GetProjectStatsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.total, keys, "each key made exactly one project");
    suite.stop().await.unwrap();
}
