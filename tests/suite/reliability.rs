//! Faults Kubernetes and networks produce, on the real binary: SIGTERM under load fails
//! no call in flight; SIGKILL under load loses and duplicates nothing for callers that
//! retry with their idempotency keys, and the ledger still verifies.

use std::net::TcpListener;
use std::process::Child;
use std::time::Duration;

use tonic::Code;
use xingfu_proto::funds as fpb;
use xingfu_proto::funds::funds_service_client::FundsServiceClient;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;

use crate::helpers::{new_project, with_key};

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
    for _ in 0..300 {
        if let Ok(channel) = endpoint.connect().await {
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
            let status = health
                .check(tonic_health::pb::HealthCheckRequest::default())
                .await
                .map(|r| r.into_inner().status)
                .unwrap_or_default();
            if status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32 {
                return (child, channel);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().ok();
    child.wait().ok();
    panic!("xingfu did not come up");
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
